# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses a KaVLAN VLAN leaves to virtual machines (PRIVATE, pure functions).

Subnet reservation hands out addresses of the production network only; in a VLAN, guests take
addresses of the VLAN's own network, outside the blocks its nodes and gateway use. The blocks
are the convention EnOSlib relies on: /23 blocks 13 to 30 of a routed or global VLAN's network,
/24 blocks 4 to 6 of a local VLAN's.

Public API (stable):

- ``guest_blocks(network, kind)`` -> the CIDRs, in order; ``[]`` when ``network`` is None or too
  small to hold them. ``kind`` is the API's VLAN type (``kavlan-local``, ``kavlan``,
  ``kavlan-global``, ``kavlan-global-remote``); raises ``ValueError`` on another kind or a
  network that is not IPv4.
- ``netmask(network)`` -> the dotted netmask of ``network`` (``255.255.192.0`` for a /18), None
  when ``network`` is None.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

# kind -> (block prefix length, first block index, last block index)
_BLOCKS = {
    "kavlan-local": (24, 4, 6),
    "kavlan": (23, 13, 30),
    "kavlan-global": (23, 13, 30),
    "kavlan-global-remote": (23, 13, 30),
}


def guest_blocks(network, kind):
    if kind not in _BLOCKS:
        raise ValueError("%r is not a VLAN kind (%s)" % (kind, ", ".join(sorted(_BLOCKS))))
    if network is None:
        return []
    net = ipaddress.IPv4Network(u"%s" % network, strict=False)
    prefix, first, last = _BLOCKS[kind]
    if net.prefixlen > prefix or (1 << (prefix - net.prefixlen)) <= last:
        return []
    size = 1 << (32 - prefix)
    base = int(net.network_address)
    return ["%s/%d" % (ipaddress.IPv4Address(base + index * size), prefix) for index in range(first, last + 1)]


def netmask(network):
    if network is None:
        return None
    return str(ipaddress.IPv4Network(u"%s" % network, strict=False).netmask)
