# -*- coding: utf-8 -*-
# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed DHCP hosts of one KaVLAN, from Reference API node documents."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dhcpd_hosts_from_reference
short_description: Fixed DHCP hosts of a KaVLAN from Grid'5000 Reference API nodes
version_added: 0.1.0
description:
  - Turns the node documents of the Grid'5000 Reference API
    (C(GET /sites/{site}/clusters/{cluster}/nodes) items) into the fixed hosts of the
    C(g5k.testbed.dhcpd) role for one VLAN, as the tutorial's C(gen_dhcpd_conf.rb) did.
  - Each host takes the MAC of a network adapter and the address that adapter gets in the VLAN,
    read from the node's C(kavlan[device]["kavlan-<vlan>"]) field.
  - Host names follow the Grid'5000 DNS names inside a VLAN, without the site domain, that is
    C(<node>-kavlan-<vlan>) for the primary (mounted) adapter and
    C(<node>-<device>-kavlan-<vlan>) for the others.
  - Adapters that cannot be moved into a VLAN (C(kavlan) false), have no MAC, or have no address
    in this VLAN are left out; a node without a mounted adapter gives no primary host.
options:
  _input:
    description: Node documents of the Reference API (the C(items) of a cluster's C(nodes) collection).
    type: list
    elements: dict
    required: true
  vlan:
    description: The VLAN id (C(1) to C(22)), as an integer or a string.
    type: raw
    required: true
  interfaces:
    description:
      - C(primary) keeps only each node's mounted adapter; C(all) keeps every KaVLAN-capable adapter.
    type: str
    choices: [primary, all]
    default: primary
"""

EXAMPLES = r"""
- name: Hosts of VLAN 4 for every node of a cluster
  ansible.builtin.set_fact:
    vlan_hosts: "{{ nodes_response.json['items'] | g5k.testbed.dhcpd_hosts_from_reference(4) }}"

- name: Include secondary adapters too
  ansible.builtin.set_fact:
    vlan_hosts: "{{ nodes | g5k.testbed.dhcpd_hosts_from_reference('4', interfaces='all') }}"
"""

RETURN = r"""
_value:
  description:
    - One dictionary per host, sorted by node name then device, with keys C(name), C(mac)
      (lower case) and C(ip).
  type: list
  elements: dict
  sample:
    - {name: parasilo-1-kavlan-4, mac: "ec:f4:bb:d0:f9:d8", ip: 10.24.7.1}
"""

from ansible.errors import AnsibleFilterError


def _vlan_key(vlan):
    """Return the ``kavlan-<N>`` key of the node document for a VLAN id given as int or str."""
    text = str(vlan).strip()
    if text.startswith("kavlan-"):
        text = text[len("kavlan-"):]
    if not text.isdigit() or int(text) < 1:
        raise AnsibleFilterError("dhcpd_hosts_from_reference: vlan must be a VLAN id such as 4, got %r" % (vlan,))
    return "kavlan-%d" % int(text)


def dhcpd_hosts_from_reference(nodes, vlan, interfaces="primary"):
    """Return the fixed hosts ``{name, mac, ip}`` of VLAN ``vlan`` for the given node documents."""
    if interfaces not in ("primary", "all"):
        raise AnsibleFilterError("dhcpd_hosts_from_reference: interfaces must be 'primary' or 'all', got %r" % (interfaces,))
    if not isinstance(nodes, (list, tuple)):
        raise AnsibleFilterError("dhcpd_hosts_from_reference: expects a list of node documents, got %s" % type(nodes).__name__)
    key = _vlan_key(vlan)
    hosts = []
    for node in nodes:
        if not isinstance(node, dict) or not node.get("uid"):
            raise AnsibleFilterError("dhcpd_hosts_from_reference: every node needs a 'uid', got %r" % (node,))
        addresses = node.get("kavlan") or {}
        for adapter in node.get("network_adapters") or []:
            primary = bool(adapter.get("mounted"))
            if interfaces == "primary" and not primary:
                continue
            device = adapter.get("device")
            ip = (addresses.get(device) or {}).get(key)
            if not adapter.get("kavlan") or not adapter.get("mac") or not ip:
                continue
            if primary:
                name = "%s-%s" % (node["uid"], key)
            else:
                name = "%s-%s-%s" % (node["uid"], device, key)
            hosts.append({"name": name, "mac": adapter["mac"].lower(), "ip": ip})
    return sorted(hosts, key=lambda host: host["name"])


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"dhcpd_hosts_from_reference": dhcpd_hosts_from_reference}
