import ipaddress

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.vlan_addresses import guest_blocks, netmask


def test_routed_vlan_leaves_eighteen_23_blocks_from_the_thirteenth():
    blocks = guest_blocks("10.24.0.0/18", "kavlan")
    assert len(blocks) == 18
    assert blocks[0] == "10.24.26.0/23" and blocks[-1] == "10.24.60.0/23"
    # clear of the nodes (first blocks) and of the gateway (last address of the network)
    net = ipaddress.ip_network("10.24.0.0/18")
    gateway = net.broadcast_address - 1
    assert all(gateway not in ipaddress.ip_network(b) for b in blocks)
    assert all(ipaddress.ip_network(b).subnet_of(net) for b in blocks)


def test_global_vlan_uses_the_routed_convention():
    assert guest_blocks("10.3.192.0/18", "kavlan-global") == guest_blocks("10.3.192.0/18", "kavlan-global-remote")
    assert guest_blocks("10.3.192.0/18", "kavlan-global")[0] == "10.3.218.0/23"


def test_local_vlan_leaves_three_24_blocks():
    assert guest_blocks("192.168.192.0/20", "kavlan-local") == [
        "192.168.196.0/24", "192.168.197.0/24", "192.168.198.0/24"]


def test_unknown_or_too_small_network_gives_nothing():
    assert guest_blocks(None, "kavlan") == []
    assert guest_blocks("10.24.0.0/22", "kavlan") == []


def test_bad_kind_and_bad_network_are_refused():
    with pytest.raises(ValueError, match="not a VLAN kind"):
        guest_blocks("10.24.0.0/18", "DEFAULT")
    with pytest.raises(ValueError):
        guest_blocks("2001:db8::/64", "kavlan")


def test_netmask_is_the_networks_dotted_and_none_without_a_network():
    assert netmask("10.24.0.0/18") == "255.255.192.0"
    assert netmask("192.168.192.0/20") == "255.255.240.0"
    assert netmask(None) is None
