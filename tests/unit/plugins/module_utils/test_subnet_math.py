"""IP/MAC pairs and site network settings."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import (
    ip_mac_pairs,
    mac_for_ip,
    merged_cidrs,
    site_network,
    usable_count,
)


def test_mac_is_the_vm_prefix_and_the_last_three_ip_bytes():
    assert mac_for_ip("10.132.8.1") == "00:16:3E:84:08:01"
    assert mac_for_ip("10.159.255.254") == "00:16:3E:9F:FF:FE"


def test_pairs_skip_network_and_broadcast_of_each_block_in_order():
    pairs = ip_mac_pairs(["10.156.8.0/22", "10.156.4.0/22"])
    assert len(pairs) == usable_count(["10.156.4.0/22", "10.156.8.0/22"]) == 2044
    assert pairs[0] == {"ip": "10.156.4.1", "mac": "00:16:3E:9C:04:01"}
    assert pairs[1021]["ip"] == "10.156.7.254"
    assert pairs[1022]["ip"] == "10.156.8.1"


def test_count_and_offset_slice_a_slash_18_cheaply():
    blocks = ["10.156.%d.0/22" % (4 * i) for i in range(16)]  # a /18 as OAR returns it
    assert usable_count(blocks) == 16 * 1022
    window = ip_mac_pairs(blocks, count=3, offset=16 * 1022 - 2)
    assert [p["ip"] for p in window] == ["10.156.63.253", "10.156.63.254"]
    assert ip_mac_pairs(blocks, count=0) == []
    assert ip_mac_pairs(blocks, count=2, offset=1022) == [
        {"ip": "10.156.4.1", "mac": "00:16:3E:9C:04:01"}, {"ip": "10.156.4.2", "mac": "00:16:3E:9C:04:02"}]
    with pytest.raises(ValueError):
        ip_mac_pairs(blocks, count=-1)


def test_merged_and_site_network():
    assert merged_cidrs(["10.156.4.0/22", "10.156.0.0/22"]) == ["10.156.0.0/21"]
    assert site_network({"network": "10.156.0.0/14", "gateway": "10.159.255.254"}) == {
        "network": "10.156.0.0/14", "netmask": "255.252.0.0", "prefix": 14,
        "gateway": "10.159.255.254", "broadcast": "10.159.255.255"}
