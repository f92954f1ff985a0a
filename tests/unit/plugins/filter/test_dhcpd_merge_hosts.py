"""g5k.testbed.dhcpd_merge_hosts: attach a VLAN's hosts to its subnet, or add the subnet."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter.dhcpd_merge_hosts import FilterModule, dhcpd_merge_hosts

HOST = {"name": "n-1-kavlan-4", "mac": "02:00:00:00:00:01", "ip": "10.24.7.1"}
DECLARED = {"name": "extra", "mac": "02:00:00:00:00:99", "ip": "10.24.7.99"}


def test_hosts_join_the_declared_subnet_of_the_same_network_which_keeps_its_place_and_settings():
    subnets = [
        {"subnet": "10.0.0.0/24"},
        {"subnet": "10.24.0.0/18", "boot_file": "pxelinux.0", "router": "10.24.0.1", "hosts": [DECLARED]},
        {"subnet": "10.99.0.0/24"},
    ]
    merged = dhcpd_merge_hosts(subnets, "10.24.0.0/18", [HOST], router="10.24.63.254")
    assert [subnet["subnet"] for subnet in merged] == ["10.0.0.0/24", "10.24.0.0/18", "10.99.0.0/24"]
    assert merged[1] == {"subnet": "10.24.0.0/18", "boot_file": "pxelinux.0", "router": "10.24.0.1",
                         "hosts": [DECLARED, HOST]}
    # The input is left alone.
    assert subnets[1]["hosts"] == [DECLARED]


def test_router_of_the_vlan_is_used_when_the_declared_subnet_has_none():
    merged = dhcpd_merge_hosts([{"subnet": "10.24.0.0/18"}], "10.24.0.0/18", [HOST], router="10.24.63.254")
    assert merged == [{"subnet": "10.24.0.0/18", "router": "10.24.63.254", "hosts": [HOST]}]


def test_network_match_ignores_notation_differences():
    merged = dhcpd_merge_hosts([{"subnet": "10.24.0.0/18"}], "10.24.0.1/18", [HOST])
    assert len(merged) == 1 and merged[0]["hosts"] == [HOST]


def test_undeclared_network_is_appended_with_its_router():
    merged = dhcpd_merge_hosts([{"subnet": "10.0.0.0/24"}], "192.168.192.0/20", [HOST], router="192.168.207.254")
    assert merged == [{"subnet": "10.0.0.0/24"},
                      {"subnet": "192.168.192.0/20", "router": "192.168.207.254", "hosts": [HOST]}]


def test_empty_subnet_list_gets_the_vlan_subnet():
    assert dhcpd_merge_hosts([], "10.24.0.0/18", [HOST]) == [{"subnet": "10.24.0.0/18", "hosts": [HOST]}]


def test_bad_networks_are_refused():
    with pytest.raises(AnsibleFilterError, match="network 'ten' is not a network"):
        dhcpd_merge_hosts([], "ten", [HOST])
    with pytest.raises(AnsibleFilterError, match="subnet 'x' is not a network"):
        dhcpd_merge_hosts([{"subnet": "x"}], "10.24.0.0/18", [HOST])


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["dhcpd_merge_hosts"] is dhcpd_merge_hosts
