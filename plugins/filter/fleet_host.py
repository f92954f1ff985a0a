# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter picking one hypervisor's guests out of a fleet layout."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_host
short_description: One hypervisor's guests of a fleet layout, for kvm_guest and for its DHCP server
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Picks the guests of a P(g5k.testbed.fleet_layout#filter) whose hypervisor is one of O(names).
  - Names are compared by their first label, so C(parasilo-1), C(parasilo-1.rennes) and
    C(parasilo-1.rennes.grid5000.fr) are one node; give both the host's inventory name and its
    node name when the host is known by its name in a VLAN (C(parasilo-1-kavlan-4...)).
options:
  _input:
    description: The fleet layout.
    type: list
    elements: dict
    required: true
  names:
    description: The names the hypervisor goes by.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: This host's guests
  ansible.builtin.set_fact:
    my_guests: "{{ hostvars['localhost'].layout | g5k.testbed.fleet_host([inventory_hostname]) }}"

- name: Start them
  g5k.testbed.kvm_guest:
    state: running
    base_image: /var/lib/libvirt/images/guest.qcow2
    bridge: br0
    guests: "{{ my_guests.guests }}"
"""

RETURN = r"""
_value:
  description: The hypervisor's guests, in layout order.
  type: dict
  contains:
    guests:
      description: C({name, ip, mac, vcpus, memory[, bandwidth]}) each, as M(g5k.testbed.kvm_guest) takes them.
      type: list
      elements: dict
    dhcp_hosts:
      description: C({name, ip, mac}) each, as the hypervisor role's C(hypervisor_guest_dhcp_hosts) takes them.
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.g5k.testbed.plugins.module_utils.fleet_layout import guests_of


def fleet_host(layout, names):
    if not isinstance(layout, list) or not all(isinstance(g, dict) and "hypervisor" in g for g in layout):
        raise AnsibleFilterError("fleet_host expects a fleet layout (a list of guests with their hypervisor)")
    if isinstance(names, str) or not isinstance(names, list):
        raise AnsibleFilterError("fleet_host: names must be a list of host names, got %r" % (names,))
    guests = guests_of(layout, names)
    return {"guests": guests,
            "dhcp_hosts": [{"name": g["name"], "ip": g["ip"], "mac": g["mac"]} for g in guests]}


class FilterModule:
    def filters(self):
        return {"fleet_host": fleet_host}
