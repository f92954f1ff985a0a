# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter reading a guest placement description (the VM tutorial's text format or its YAML equivalent)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: guest_placement
short_description: Guests and their hypervisors from a placement description
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Reads a placement in the format of the tutorial "Booting and Using Virtual Machines on
    Grid'5000" (C(#list of nodes), C(#list of VMs), C(#initial configuration),
    C(#end of configuration)) or the YAML equivalent that the C(g5k.testbed.g5k) inventory
    plugin's C(guest_placement) option reads (C(hypervisors), C(guests), C(placement)).
  - In the YAML form, a guest given as a mapping may have a size of its own, C(vcpus) and
    C(memory) (MiB), besides C(ip), C(mac) and C(resources); C(playbooks/vm_fleet.yml) boots it
    with that size (its default size otherwise). The tutorial's format names no size.
  - The same parser as the inventory plugin, so a file works in both places.
  - An unusable description fails with the parser's message (what to fix and where).
options:
  _input:
    description: Text of the placement (for example from C(lookup('ansible.builtin.file', path))).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the placement before reserving anything
  ansible.builtin.set_fact:
    placement: "{{ lookup('ansible.builtin.file', 'placement.txt') | g5k.testbed.guest_placement }}"

- name: Hypervisors to reserve
  ansible.builtin.debug:
    msg: "{{ placement.guests | map(attribute='hypervisor') | unique | list }}"
"""

RETURN = r"""
_value:
  description: The guests and the capacities of the hypervisors.
  type: dict
  contains:
    guests:
      description: The guests, in declaration order (which is also the order addresses are given in).
      type: list
      elements: dict
      contains:
        name:
          description: Guest name.
          type: str
        hypervisor:
          description: Hypervisor as written in the placement.
          type: str
        resources:
          description: The numbers of the guest's line (the tutorial does not name its columns).
          type: list
          elements: raw
        ip:
          description: Address given explicitly, else null.
          type: str
        mac:
          description: MAC given explicitly, else null.
          type: str
        vcpus:
          description: Virtual CPUs given explicitly (YAML form), else null.
          type: int
        memory:
          description: Memory in MiB given explicitly (YAML form), else null.
          type: int
    capacities:
      description: The numbers of each hypervisor's line, by hypervisor as written.
      type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    load_placement,
    placement_data,
)


def guest_placement(text):
    if not isinstance(text, str):
        raise AnsibleFilterError("guest_placement expects the placement's text, got %s" % type(text).__name__)
    try:
        placement = load_placement(text)
    except PlacementError as exc:
        raise AnsibleFilterError("placement: %s" % exc) from exc
    return placement_data(placement)


class FilterModule:
    def filters(self):
        return {"guest_placement": guest_placement}
