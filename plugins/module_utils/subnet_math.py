# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subnet arithmetic for g5k-subnets style IP/MAC pairs, with netaddr (PRIVATE).

Public API (stable):

- ``HAS_NETADDR`` / ``NETADDR_IMPORT_ERROR``.
- ``mac_for_ip(ip)`` -> ``00:16:3E:XX:YY:ZZ`` from the last three bytes of the IPv4 address.
- ``usable_count(cidrs)`` -> number of host addresses (network and broadcast of each block excluded).
- ``ip_mac_pairs(cidrs, count=None, offset=0)`` -> ``[{"ip", "mac"}]``: the slice
  ``[offset, offset+count)`` of the usable addresses of the blocks, in block order, computed
  arithmetically so asking for 10 addresses of a /18 does not walk 16k of them.
- ``merged_cidrs(cidrs)`` -> the fewest CIDRs covering the blocks (``g5k-subnets -sp``).
- ``range_holding(cidrs, ranges)`` -> the first ``(label, cidr)`` of ``ranges`` holding every block;
  ``ValueError`` for a CIDR that is not IPv4, or when no range holds them all (a gateway and
  netmask of another range would be wrong for them).
- ``MAX_PAIRS``: the most pairs returned at once (a /16, the largest job subnet); more needs ``count``.
- ``site_network(g5ksubnet)`` -> ``{"network", "netmask", "prefix", "gateway", "broadcast"}`` of a
  range given as ``{"network", "gateway"}``: the site's /14, which every VM of a reserved subnet
  uses, or a VLAN's network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import netaddr
    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None
except ImportError as exc:  # reported with missing_required_lib by the module
    HAS_NETADDR = False
    NETADDR_IMPORT_ERROR = exc

MAC_PREFIX = "00:16:3E"


def mac_for_ip(ip):
    value = int(netaddr.IPAddress(str(ip)))
    return "%s:%02X:%02X:%02X" % (MAC_PREFIX, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF)


def _blocks(cidrs):
    blocks = []
    for cidr in cidrs:
        try:
            blocks.append(netaddr.IPNetwork(str(cidr)))
        except netaddr.AddrFormatError:  # not a ValueError: callers expect one
            raise ValueError("%r is not an IPv4 CIDR such as 10.156.4.0/22" % (cidr,))
    return sorted(blocks, key=lambda b: (int(b.network), b.prefixlen))


def _hosts_in(block):
    return max(0, block.size - 2)


MAX_PAIRS = 65536


def range_holding(cidrs, ranges):
    """The first of ``ranges`` (``[(label, cidr)]``) that holds every block of ``cidrs``."""
    blocks = _blocks(cidrs)
    for block in blocks:
        if block.version != 4:
            raise ValueError("%s is not an IPv4 subnet: Grid'5000 subnets are IPv4 blocks of the site's range %s"
                             % (block, ranges[0][1]))
    for label, cidr in ranges:
        if all(block in netaddr.IPNetwork(str(cidr)) for block in blocks):
            return label, cidr
    (first, first_cidr), others = ranges[0], ranges[1:]
    also = " and the networks of %s" % ", ".join("%s %s" % (label, cidr) for label, cidr in others) if others else ""
    raise ValueError("%s is outside %s %s%s: its gateway and netmask would not apply; give blocks of one of them "
                     "(the job's subnets, e.g. from oar_job, or a VLAN's guest_blocks from kavlan_info)"
                     % (", ".join(str(b) for b in blocks), first, first_cidr, also))


def usable_count(cidrs):
    return sum(_hosts_in(b) for b in _blocks(cidrs))


def ip_mac_pairs(cidrs, count=None, offset=0):
    if offset < 0 or (count is not None and count < 0):
        raise ValueError("count and offset must not be negative")
    pairs = []
    skip = offset
    for block in _blocks(cidrs):
        hosts = _hosts_in(block)
        if skip >= hosts:
            skip -= hosts
            continue
        first = int(block.network) + 1 + skip
        last = int(block.network) + hosts  # the broadcast address is excluded
        skip = 0
        if count is not None:
            last = min(last, first + count - len(pairs) - 1)
        for value in range(first, last + 1):
            pairs.append({"ip": "%d.%d.%d.%d" % (value >> 24, (value >> 16) & 255, (value >> 8) & 255, value & 255),
                          "mac": "%s:%02X:%02X:%02X" % (MAC_PREFIX, (value >> 16) & 255, (value >> 8) & 255, value & 255)})
        if count is not None and len(pairs) >= count:
            break
    return pairs


def site_network(g5ksubnet):
    net = netaddr.IPNetwork(g5ksubnet["network"])
    return {
        "network": str(net.cidr),
        "netmask": str(net.netmask),
        "prefix": net.prefixlen,
        "gateway": g5ksubnet.get("gateway"),
        "broadcast": str(net.broadcast),
    }


def merged_cidrs(cidrs):
    return [str(n) for n in netaddr.cidr_merge(_blocks(cidrs))]
