# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet layout: each guest's hypervisor, address, MAC and size (PRIVATE, pure functions).

The one rule for guest addresses: playbooks/vm_fleet.yml reaches it through the
``g5k.testbed.fleet_layout`` filter, the ``g5k`` inventory plugin through
``inventory_hosts._guest_records``; both give a guest the same ip and mac.

The rule (the inventory's, plus skipping declared addresses):

- a guest with a declared ``ip`` keeps it; with a declared ``mac`` it keeps it too, else its MAC is
  ``subnet_math.mac_for_ip(ip)`` (``00:16:3E`` + the address's last three bytes);
- the other guests take, in placement order, the usable addresses of the blocks (in the order
  ``subnet_math.ip_mac_pairs`` walks them) from ``offset`` on, skipping every address or MAC that a
  guest declared, so a declared address is never handed out twice;
- MACs are written in capitals, as ``g5k-subnets``, ``g5k_subnet`` and ``mac_for_ip`` write them
  (libvirt and dnsmasq read either case).

Inputs that cannot work raise ``FleetLayoutError`` (a ``PlacementError``) saying what to fix: a
declared ip that is not an IPv4 address or lies outside the blocks (or is a block's network or
broadcast address), a declared mac that is not one, an ip or a mac given to two guests, fewer free
addresses than guests needing one. With no blocks at all (an inventory whose jobs reserved no
subnet) declared addresses are taken as they are, and a guest needing one is an error.

Public API (stable):

- ``FleetLayoutError``.
- ``lay_out(guests, blocks, offset=0, vcpus=None, memory=None, bandwidth=None)`` -> ``[{name,
  hypervisor, ip, mac, vcpus, memory[, bandwidth]}]`` in the order of ``guests``
  (``guest_placement.Guest`` objects); a guest's own vcpus/memory win over ``vcpus``/``memory``;
  ``bandwidth`` (a kvm_guest bandwidth mapping) is added to every guest when not empty.
  ``blocks=None`` (the subnets are not reserved yet) checks the declared addresses only and
  leaves the others' ip and mac None.
- ``short_name(host)`` -> the host name before its first dot.
- ``guests_of(layout, names)`` -> the guests of ``layout`` whose hypervisor is one of ``names``,
  compared by short name (``parasilo-1``, ``parasilo-1.rennes`` and the FQDN are one node), each
  without its ``hypervisor`` key (the shape kvm_guest takes).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import PlacementError
from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import (
    HAS_NETADDR,
    ip_mac_pairs,
    mac_for_ip,
    usable_count,
)

if HAS_NETADDR:
    import netaddr


class FleetLayoutError(PlacementError):
    """The placement and the addresses do not make a fleet; the message says what to fix."""


def short_name(host):
    return str(host).split(".", 1)[0]


def _ip_value(guest, blocks):
    try:
        address = netaddr.IPAddress(str(guest.ip))
        if address.version != 4:
            raise ValueError(guest.ip)
    except (ValueError, netaddr.AddrFormatError):
        raise FleetLayoutError("guest %s: ip %r is not an IPv4 address such as 10.156.4.20" % (guest.name, guest.ip))
    if blocks and not any(block.network < address < block.broadcast for block in blocks):
        raise FleetLayoutError("guest %s: ip %s is not a usable address of %s (network and broadcast addresses "
                               "excluded): declare an address of those blocks, or none to get the next free one"
                               % (guest.name, address, ", ".join(str(b) for b in blocks)))
    return str(address)


def _mac_value(guest):
    mac = str(guest.mac)
    if not netaddr.valid_mac(mac) or len(mac.split(":")) != 6:
        raise FleetLayoutError("guest %s: mac %r is not a MAC address such as 00:16:3E:9C:04:14" % (guest.name, mac))
    return mac.upper()


def _claim(seen, what, value, name):
    if value in seen:
        raise FleetLayoutError("guests %s and %s are both given %s %s: give each guest its own"
                               % (seen[value], name, what, value))
    seen[value] = name


def _blocks(blocks):
    try:
        return [netaddr.IPNetwork(str(block)) for block in blocks or []]
    except (ValueError, netaddr.AddrFormatError):
        raise FleetLayoutError("the address blocks %s are not all IPv4 CIDRs such as 10.156.4.0/22"
                               % ", ".join(str(b) for b in blocks))


def _free_pairs(blocks, offset, needed, declared_ips, declared_macs):
    """The first ``needed`` pairs from ``offset`` whose ip and mac no guest declared."""
    if not needed:
        return []
    if not blocks:
        raise FleetLayoutError("%d guests have no declared ip and there is no subnet to take addresses from: "
                               "reserve subnets (slash_22=N) or declare every guest's ip" % needed)
    available = usable_count(blocks)
    # each declared ip or mac can hide at most one candidate: ask for that many more, not the whole range
    wanted = min(needed + len(declared_ips) + len(declared_macs), max(available - offset, 0))
    candidates = ip_mac_pairs(blocks, count=wanted, offset=min(offset, available))
    pairs = [pair for pair in candidates if pair["ip"] not in declared_ips and pair["mac"] not in declared_macs]
    if len(pairs) < needed:
        skipped = len(candidates) - len(pairs)
        raise FleetLayoutError("%d guests need an address but %s hold %d usable addresses after an offset of %d%s: "
                               "reserve more subnets (slash_22=N), or lower the offset"
                               % (needed, ", ".join(str(b) for b in blocks), max(available - offset, 0), offset,
                                  ", %d of them declared by guests" % skipped if skipped else ""))
    return pairs[:needed]


def lay_out(guests, blocks, offset=0, vcpus=None, memory=None, bandwidth=None):
    if not HAS_NETADDR:
        raise FleetLayoutError("the Python library netaddr is needed on the controller to lay out guest addresses")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise FleetLayoutError("the address offset must be a whole number, 0 or more, got %r" % (offset,))
    networks = _blocks(blocks)
    ips, macs = {}, {}
    for guest in guests:
        if guest.ip:
            _claim(ips, "ip", _ip_value(guest, networks), guest.name)
        if guest.mac:
            _claim(macs, "mac", _mac_value(guest), guest.name)
    with_mac = set(macs.values())  # a set: a 10240-guest placement may declare every address
    for ip, name in list(ips.items()):
        if name not in with_mac:
            _claim(macs, "mac", mac_for_ip(ip), name)
    needing = [guest for guest in guests if not guest.ip]
    if blocks is None:
        free = iter([{"ip": None, "mac": None}] * len(needing))
    else:
        free = iter(_free_pairs([str(n) for n in networks], offset, len(needing), set(ips), set(macs)))
    by_name = dict((name, ip) for ip, name in ips.items())
    mac_by_name = dict((name, mac) for mac, name in macs.items())
    layout = []
    for guest in guests:
        if guest.ip:
            ip, mac = by_name[guest.name], mac_by_name[guest.name]
        else:
            pair = next(free)
            ip, mac = pair["ip"], mac_by_name.get(guest.name, pair["mac"])
        entry = {"name": guest.name, "hypervisor": guest.hypervisor, "ip": ip, "mac": mac,
                 "vcpus": guest.vcpus or vcpus, "memory": guest.memory or memory}
        if bandwidth:
            entry["bandwidth"] = bandwidth
        layout.append(entry)
    return layout


def guests_of(layout, names):
    wanted = set(short_name(name) for name in names if name)
    return [dict((key, value) for key, value in guest.items() if key != "hypervisor")
            for guest in layout if short_name(guest["hypervisor"]) in wanted]
