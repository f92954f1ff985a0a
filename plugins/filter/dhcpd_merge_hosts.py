# -*- coding: utf-8 -*-
# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attach fixed hosts to the DHCP subnet of a network, adding the subnet if it is not declared."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dhcpd_merge_hosts
short_description: Attach fixed hosts to the subnet of a network in a dhcpd_subnets list
version_added: 0.1.0
description:
  - Used by the C(g5k.testbed.dhcpd) role to merge the fixed hosts it derived from the Reference API
    into the declared C(dhcpd_subnets).
  - When a subnet of the input list has the same network as O(network), the hosts are appended to
    its C(hosts) and the subnet keeps its place and every other setting; its C(router) is set to
    O(router) only when it has none.
  - Otherwise a new subnet C({subnet, router, hosts}) is appended at the end, so the position (and
    the default Kea subnet id) of the declared subnets does not change.
  - The input list is not modified.
options:
  _input:
    description: The subnets, in the C(dhcpd_subnets) format of the role.
    type: list
    elements: dict
    required: true
  network:
    description: The network of the hosts, in CIDR notation (for example C(10.24.0.0/18)).
    type: str
    required: true
  hosts:
    description: Fixed hosts C({name, mac, ip}) to attach.
    type: list
    elements: dict
    required: true
  router:
    description: Gateway of the network, used when the subnet has no C(router).
    type: str
"""

EXAMPLES = r"""
- name: Serve the VLAN's nodes in the VLAN's subnet
  ansible.builtin.set_fact:
    subnets: "{{ dhcpd_subnets | g5k.testbed.dhcpd_merge_hosts('10.24.0.0/18', vlan_hosts, router='10.24.63.254') }}"
"""

RETURN = r"""
_value:
  description: The subnets with the hosts attached to the subnet of O(network).
  type: list
  elements: dict
"""

import ipaddress

from ansible.errors import AnsibleFilterError


def _network(text, what):
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError as exc:
        raise AnsibleFilterError("dhcpd_merge_hosts: %s %r is not a network: %s" % (what, text, exc))


def dhcpd_merge_hosts(subnets, network, hosts, router=None):
    """Return ``subnets`` with ``hosts`` attached to the subnet whose network is ``network``."""
    target = _network(network, "network")
    merged = []
    found = False
    for subnet in subnets or []:
        subnet = dict(subnet)
        if not found and _network(subnet.get("subnet"), "subnet") == target:
            found = True
            subnet["hosts"] = list(subnet.get("hosts") or []) + list(hosts)
            if router and not subnet.get("router"):
                subnet["router"] = router
        merged.append(subnet)
    if not found:
        added = {"subnet": str(target), "hosts": list(hosts)}
        if router:
            added["router"] = router
        merged.append(added)
    return merged


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"dhcpd_merge_hosts": dhcpd_merge_hosts}
