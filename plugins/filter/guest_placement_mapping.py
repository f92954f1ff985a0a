# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter writing laid-out guests back as a YAML placement, to keep and reuse."""

from __future__ import annotations

DOCUMENTATION = r"""
name: guest_placement_mapping
short_description: Laid-out guests as the YAML placement that the placement readers take
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Turns guests with their hypervisor, address, MAC and size (a P(g5k.testbed.fleet_layout#filter))
    into the YAML mapping that P(g5k.testbed.guest_placement#filter) and the C(g5k.testbed.g5k)
    inventory plugin's C(guest_placement) option read - C(hypervisors), C(guests), C(placement) -
    so a placement made by capacity can be kept and given again, with the same addresses.
options:
  _input:
    description: The guests, C({name, hypervisor, ip, mac, vcpus, memory}) each.
    type: list
    elements: dict
    required: true
  capacities:
    description: The C(hypervisors) entry, each hypervisor's numbers.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Keep the placement
  ansible.builtin.copy:
    dest: placement.yml
    content: "{{ guests | g5k.testbed.guest_placement_mapping(layout.capacities) | to_nice_yaml(sort_keys=False, indent=2) }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: "C({hypervisors, guests: [{name, ip, mac, vcpus, memory}], placement: {hypervisor: [guest names]}})."
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import placement_mapping


def guest_placement_mapping(guests, capacities=None):
    if not isinstance(guests, list) or not all(isinstance(g, dict) and "name" in g and "hypervisor" in g
                                               for g in guests):
        raise AnsibleFilterError("guest_placement_mapping expects guests with a name and a hypervisor, got %r"
                                 % (guests,))
    return placement_mapping(guests, capacities)


class FilterModule:
    def filters(self):
        return {"guest_placement_mapping": guest_placement_mapping}
