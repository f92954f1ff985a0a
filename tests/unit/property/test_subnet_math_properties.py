"""g5k-subnets arithmetic: slices, counts, MACs and merges agree with netaddr's own sets."""

import netaddr
from hypothesis import given, strategies as st

from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import (
    ip_mac_pairs,
    mac_for_ip,
    merged_cidrs,
    site_network,
    usable_count,
)

ADDRESS = st.integers(min_value=0, max_value=2 ** 32 - 1)


def blocks(min_prefix, max_prefix, max_size=4):
    """CIDR texts of IPv4 blocks (they may overlap, as nothing forbids a caller to pass that)."""
    block = st.builds(lambda value, prefix: str(netaddr.IPNetwork((value, prefix)).cidr),
                      ADDRESS, st.integers(min_prefix, max_prefix))
    return st.lists(block, min_size=1, max_size=max_size)


@given(blocks(23, 30))
def test_every_usable_address_once_per_block_never_network_nor_broadcast(cidrs):
    pairs = ip_mac_pairs(cidrs)
    assert len(pairs) == usable_count(cidrs)
    expected = sorted(int(ip) for cidr in cidrs for ip in netaddr.IPNetwork(cidr).iter_hosts())
    assert sorted(int(netaddr.IPAddress(p["ip"])) for p in pairs) == expected


@given(blocks(23, 30), st.integers(0, 3000), st.one_of(st.none(), st.integers(0, 3000)))
def test_count_and_offset_are_a_slice_of_the_whole_list(cidrs, offset, count):
    whole = ip_mac_pairs(cidrs)
    end = None if count is None else offset + count
    assert ip_mac_pairs(cidrs, count=count, offset=offset) == whole[offset:end]


@given(blocks(16, 22, max_size=2), st.data())
def test_a_window_of_a_large_block_starts_where_arithmetic_says(cidrs, data):
    total = usable_count(cidrs)
    offset = data.draw(st.integers(0, total - 1))
    first = ip_mac_pairs(cidrs, count=1, offset=offset)[0]["ip"]
    ordered = sorted(netaddr.IPNetwork(c) for c in cidrs)
    for block in ordered:
        if offset < block.size - 2:
            assert netaddr.IPAddress(first) == block.network + 1 + offset
            break
        offset -= block.size - 2


@given(ADDRESS)
def test_mac_is_the_vm_prefix_then_the_last_three_bytes_of_the_ip(value):
    mac = mac_for_ip(str(netaddr.IPAddress(value)))
    prefix, tail = mac[:9], mac[9:]
    assert prefix == "00:16:3E:"
    assert int(tail.replace(":", ""), 16) == value & 0xFFFFFF
    assert mac == mac.upper() and len(mac) == 17


@given(blocks(8, 30, max_size=6))
def test_merged_blocks_cover_exactly_the_same_addresses_with_no_overlap(cidrs):
    merged = merged_cidrs(cidrs)
    assert netaddr.IPSet(merged) == netaddr.IPSet(cidrs)
    total = sum(netaddr.IPNetwork(m).size for m in merged)
    assert total == netaddr.IPSet(cidrs).size  # no address counted twice
    assert merged_cidrs(merged) == merged  # already the fewest blocks


@given(ADDRESS, st.integers(8, 30))
def test_site_network_is_the_block_of_the_given_network(value, prefix):
    network = netaddr.IPNetwork((value, prefix))
    described = site_network({"network": str(network), "gateway": "10.0.0.254"})
    assert described["network"] == str(network.cidr)
    assert netaddr.IPAddress(described["netmask"]).netmask_bits() == prefix == described["prefix"]
    assert netaddr.IPAddress(described["broadcast"]) == network.cidr.broadcast
    assert described["gateway"] == "10.0.0.254"
