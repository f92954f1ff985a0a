"""g5k.testbed.dhcpd_config_errors: the dhcpd role's preflight check of its data model."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter.dhcpd_config_errors import FilterModule, dhcpd_config_errors


def valid_subnet(**changes):
    subnet = {
        "subnet": "192.168.192.0/20",
        "router": "192.168.207.254",
        "dns_servers": ["192.168.207.254"],
        "domain_name": "rennes.grid5000.fr",
        "next_server": "192.168.207.250",
        "boot_file": "pxelinux.0",
        "pools": [{"start": "192.168.200.10", "end": "192.168.200.20"}],
        "hosts": [
            {"name": "node-1", "mac": "02:00:00:00:00:01", "ip": "192.168.199.1"},
            {"name": "node-2", "mac": "02:00:00:00:00:02", "ip": "192.168.199.2"},
        ],
    }
    subnet.update(changes)
    return subnet


def test_valid_model_has_no_errors():
    assert dhcpd_config_errors([valid_subnet(), {"subnet": "10.0.0.0/24", "id": 7}]) == []


def test_empty_model_is_refused():
    assert dhcpd_config_errors([]) == [
        "dhcpd_subnets is empty: declare at least one subnet, or set dhcpd_reference_api_vlan"]


def test_duplicate_mac_is_reported_whatever_its_case():
    subnet = valid_subnet(hosts=[
        {"name": "a", "mac": "02:00:00:00:00:0A", "ip": "192.168.199.1"},
        {"name": "b", "mac": "02:00:00:00:00:0a", "ip": "192.168.199.2"}])
    assert dhcpd_config_errors([subnet]) == ["MAC 02:00:00:00:00:0a is used by a and b"]


def test_duplicate_address_and_name_across_subnets_are_reported():
    first = valid_subnet()
    second = {"subnet": "10.0.0.0/24", "hosts": [{"name": "node-1", "mac": "02:00:00:00:00:33", "ip": "10.0.0.5"},
                                                 {"name": "node-9", "mac": "02:00:00:00:00:34", "ip": "10.0.0.5"}]}
    assert dhcpd_config_errors([first, second]) == [
        "name node-1 is used by node-1 and node-1",
        "address 10.0.0.5 is used by node-1 and node-9",
    ]


def test_fixed_host_outside_its_subnet_or_on_its_edges_is_reported():
    subnet = valid_subnet(hosts=[
        {"name": "far", "mac": "02:00:00:00:00:01", "ip": "10.9.9.9"},
        {"name": "edge", "mac": "02:00:00:00:00:02", "ip": "192.168.207.255"}])
    assert dhcpd_config_errors([subnet]) == [
        "subnet 192.168.192.0/20: host far address 10.9.9.9 is outside the subnet",
        "subnet 192.168.192.0/20: host edge address 192.168.207.255 is the network or broadcast address",
    ]


def test_fixed_address_inside_a_pool_is_reported():
    subnet = valid_subnet(pools=[{"start": "192.168.199.0", "end": "192.168.199.1"}])
    assert dhcpd_config_errors([subnet]) == [
        "subnet 192.168.192.0/20: host node-1 address 192.168.199.1 is inside pool 192.168.199.0 - 192.168.199.1;"
        " fixed addresses must be outside the pools"]


def test_bad_pools_are_reported():
    subnet = valid_subnet(pools=[
        {"start": "192.168.200.20", "end": "192.168.200.10"},
        {"start": "192.168.206.0", "end": "192.168.208.5"},
        {"start": "192.168.201.0", "end": "192.168.201.50"},
        {"start": "192.168.201.40", "end": "192.168.201.60"},
        {"start": "192.168.192.0", "end": "192.168.192.9"},
        {"start": "nowhere", "end": "192.168.201.60"}])
    assert dhcpd_config_errors([subnet]) == [
        "subnet 192.168.192.0/20: pool 192.168.200.20 - 192.168.200.10 starts after it ends",
        "subnet 192.168.192.0/20: pool 192.168.206.0 - 192.168.208.5 is not inside the subnet",
        "subnet 192.168.192.0/20: pool 192.168.201.40 - 192.168.201.60 overlaps pool 192.168.201.0 - 192.168.201.50",
        "subnet 192.168.192.0/20: pool 192.168.192.0 - 192.168.192.9 includes the network or broadcast address",
        "subnet 192.168.192.0/20: pool nowhere - 192.168.201.60 needs IPv4 addresses as start and end",
    ]


def test_bad_host_fields_are_reported():
    subnet = valid_subnet(hosts=[{"name": "bad name", "mac": "02:00:00:00:01", "ip": "192.168.199.300"}])
    assert dhcpd_config_errors([subnet]) == [
        "subnet 192.168.192.0/20: host name 'bad name' must be letters, digits, '-', '_' or '.'",
        "subnet 192.168.192.0/20: host bad name has MAC '02:00:00:00:01', expected six hexadecimal pairs"
        " separated by ':'",
        "subnet 192.168.192.0/20: host bad name address '192.168.199.300' is not an IPv4 address",
    ]


def test_subnets_must_be_networks_that_do_not_overlap_with_unique_ids():
    errors = dhcpd_config_errors([
        valid_subnet(),
        {"subnet": "192.168.200.0/24"},
        {"subnet": "10.0.0.5/24"},
        {"subnet": "10.1.0.0/24", "id": 1},
    ])
    assert errors == [
        "subnet 192.168.200.0/24 overlaps subnet 192.168.192.0/20",
        "dhcpd_subnets[2]: subnet '10.0.0.5/24' is not an IPv4 network given by its network address"
        " (for example 10.0.0.0/24): 10.0.0.5/24 has host bits set",
        "subnet 10.1.0.0/24: id 1 is also the id of subnet 192.168.192.0/20 (ids default to the position"
        " in the list, starting at 1)",
    ]


def test_router_dns_next_server_domain_and_boot_file_are_checked():
    subnet = valid_subnet(router="10.0.0.1", dns_servers=["dns.example"], next_server="tftp",
                          domain_name="bad domain", boot_file='pxe"linux')
    assert dhcpd_config_errors([subnet]) == [
        "subnet 192.168.192.0/20: next_server 'tftp' is not an IPv4 address",
        "subnet 192.168.192.0/20: dns_servers entry 'dns.example' is not an IPv4 address",
        "subnet 192.168.192.0/20: domain_name 'bad domain' is not a valid domain name",
        "subnet 192.168.192.0/20: boot_file 'pxe\"linux' must be printable text without quotes, backslashes or ';'",
        "subnet 192.168.192.0/20: router 10.0.0.1 is outside the subnet",
    ]


def test_global_options_are_checked_too():
    errors = dhcpd_config_errors([valid_subnet()], dns_servers="10.0.0.1", next_server="x", domain_name="a..b")
    assert errors == [
        "global options: next_server 'x' is not an IPv4 address",
        "global options: dns_servers must be a list of IPv4 addresses, got '10.0.0.1'",
        "global options: domain_name 'a..b' is not a valid domain name",
    ]


def test_host_on_the_router_address_is_reported():
    subnet = valid_subnet(hosts=[{"name": "gw", "mac": "02:00:00:00:00:01", "ip": "192.168.207.254"}])
    assert dhcpd_config_errors([subnet]) == [
        "subnet 192.168.192.0/20: host gw address 192.168.207.254 is the router of subnet 192.168.192.0/20"]


def test_not_a_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects the list of subnets"):
        dhcpd_config_errors({"subnet": "10.0.0.0/24"})


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["dhcpd_config_errors"] is dhcpd_config_errors
