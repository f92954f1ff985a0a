"""g5k.testbed.dhcpd_hosts_from_reference: Reference API nodes -> fixed DHCP hosts of a VLAN."""

import glob
import json
import os

import pytest
from ansible.errors import AnsibleFilterError
from g5k_emulator.testing import real_reference_data

from ansible_collections.g5k.testbed.plugins.filter.dhcpd_hosts_from_reference import (
    FilterModule,
    dhcpd_hosts_from_reference,
)


def node(uid, adapters, kavlan):
    return {"uid": uid, "network_adapters": adapters, "kavlan": kavlan}


def adapter(device, mac, mounted=False, kavlan=True):
    return {"device": device, "mac": mac, "mounted": mounted, "kavlan": kavlan, "interface": "Ethernet"}


NODES = [
    node("paradoxe-2",
         [adapter("eth0", "EC:F4:BB:00:00:20", mounted=True), adapter("eth1", "ec:f4:bb:00:00:21"),
          adapter("bmc", "b8:2a:72:00:00:20", kavlan=False)],
         {"eth0": {"kavlan-4": "10.24.7.2", "kavlan-1": "192.168.199.2"},
          "eth1": {"kavlan-4": "10.24.8.2"}}),
    node("paradoxe-1",
         [adapter("eth0", "ec:f4:bb:00:00:10", mounted=True), adapter("eth1", "ec:f4:bb:00:00:11")],
         {"eth0": {"kavlan-4": "10.24.7.1"}, "eth1": {"kavlan-4": "10.24.8.1"}}),
]


def test_primary_adapters_give_one_host_per_node_named_like_grid5000_dns():
    assert dhcpd_hosts_from_reference(NODES, 4) == [
        {"name": "paradoxe-1-kavlan-4", "mac": "ec:f4:bb:00:00:10", "ip": "10.24.7.1"},
        {"name": "paradoxe-2-kavlan-4", "mac": "ec:f4:bb:00:00:20", "ip": "10.24.7.2"},
    ]


def test_all_interfaces_adds_secondary_adapters_with_the_device_in_the_name():
    hosts = dhcpd_hosts_from_reference(NODES, "4", interfaces="all")
    assert {"name": "paradoxe-2-eth1-kavlan-4", "mac": "ec:f4:bb:00:00:21", "ip": "10.24.8.2"} in hosts
    assert len(hosts) == 4
    # The BMC cannot join a VLAN and has no VLAN address: never a host.
    assert not [host for host in hosts if host["mac"].startswith("b8:")]


def test_nodes_without_an_address_in_the_vlan_are_left_out():
    assert dhcpd_hosts_from_reference(NODES, "kavlan-1") == [
        {"name": "paradoxe-2-kavlan-1", "mac": "ec:f4:bb:00:00:20", "ip": "192.168.199.2"}]
    assert dhcpd_hosts_from_reference(NODES, 9) == []


def test_adapter_that_cannot_join_a_vlan_is_left_out_even_if_mounted():
    nodes = [node("abacus-1", [adapter("eth0", "02:00:00:00:00:01", mounted=True, kavlan=False)],
                  {"eth0": {"kavlan-4": "10.24.7.9"}})]
    assert dhcpd_hosts_from_reference(nodes, 4) == []


@pytest.mark.parametrize("vlan", ["four", 0, "-1", None])
def test_bad_vlan_ids_are_refused(vlan):
    with pytest.raises(AnsibleFilterError, match="vlan must be a VLAN id"):
        dhcpd_hosts_from_reference(NODES, vlan)


def test_bad_interfaces_choice_and_bad_nodes_are_refused():
    with pytest.raises(AnsibleFilterError, match="interfaces must be"):
        dhcpd_hosts_from_reference(NODES, 4, interfaces="eth0")
    with pytest.raises(AnsibleFilterError, match="every node needs a 'uid'"):
        dhcpd_hosts_from_reference([{"network_adapters": []}], 4)
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        dhcpd_hosts_from_reference({"items": NODES}, 4)


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["dhcpd_hosts_from_reference"] is dhcpd_hosts_from_reference


def test_real_reference_api_node_documents():
    # Real Reference API node documents, read-only, outside the project (shape check only).
    files = sorted(glob.glob(os.path.join(real_reference_data(), "*__nodes__*.json")))
    assert files
    nodes = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            nodes.append(json.load(handle))
    by_uid = {doc["uid"]: doc for doc in nodes}
    hosts = dhcpd_hosts_from_reference(nodes, 4)
    assert len(hosts) == len([doc for doc in nodes if doc["kavlan"]])
    for host in hosts:
        uid = host["name"][: -len("-kavlan-4")]
        primary = next(nic for nic in by_uid[uid]["network_adapters"] if nic.get("mounted"))
        assert host["mac"] == primary["mac"].lower()
        assert host["ip"] == by_uid[uid]["kavlan"][primary["device"]]["kavlan-4"]
