# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter giving every guest of a placement its address, MAC and size (the fleet layout)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_layout
short_description: Every guest of a placement with its address, MAC, size and bandwidth limits
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Lays out the guests of a placement (what P(g5k.testbed.guest_placement#filter) or
    P(g5k.testbed.guest_placement_by_capacity#filter) return) on the addresses of O(subnets).
  - The same rule as the C(g5k.testbed.g5k) inventory plugin's guests, so a placement file gives
    each guest the same address and MAC in C(playbooks/vm_fleet.yml) and in the inventory.
  - A guest with a declared C(ip) keeps it (and its declared C(mac), else C(00:16:3E) + the last
    three bytes of the address). The others take, in placement order, the usable addresses of
    O(subnets) from O(offset) on, skipping every address and MAC that a guest declared.
  - MACs are written in capitals, as M(g5k.testbed.g5k_subnet) writes them.
  - Fails, saying what to fix, for a declared address outside O(subnets) or not IPv4, a declared
    MAC that is not one, an address or MAC given to two guests, or too few free addresses.
options:
  _input:
    description: The placement, C({guests, capacities}) as the placement filters return it.
    type: dict
    required: true
  subnets:
    description:
      - The address blocks guests take addresses from, in CIDR form (the job's subnets, or a VLAN's
        C(guest_blocks); M(g5k.testbed.g5k_subnet)'s RV(g5k.testbed.g5k_subnet#module:subnets)).
      - Null before the subnets are reserved - checks the declared addresses and MACs only (the
        others get a null C(ip) and C(mac)).
    type: list
    elements: str
    required: true
  offset:
    description: Usable addresses of O(subnets) left out at their start (kept for other uses).
    type: int
    default: 0
  vcpus:
    description: Virtual CPUs of a guest that declares none.
    type: int
  memory:
    description: Memory (MiB) of a guest that declares none.
    type: int
  bandwidth:
    description:
      - Bandwidth limits given to every guest, as M(g5k.testbed.kvm_guest) takes them
        (P(g5k.testbed.fleet_bandwidth#filter) makes them). Empty - none.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Addresses of the job's subnets for the guests of a placement file
  ansible.builtin.set_fact:
    guests: >-
      {{ lookup('ansible.builtin.file', 'placement.yml') | g5k.testbed.guest_placement
         | g5k.testbed.fleet_layout(subnet.subnets, vcpus=1, memory=512) }}
"""

RETURN = r"""
_value:
  description: The guests in placement order.
  type: list
  elements: dict
  contains:
    name:
      description: Guest name.
      type: str
    hypervisor:
      description: Hypervisor as written in the placement.
      type: str
    ip:
      description: The guest's address.
      type: str
    mac:
      description: The guest's MAC, in capitals.
      type: str
    vcpus:
      description: Virtual CPUs (the guest's own, else O(vcpus)).
      type: int
    memory:
      description: Memory in MiB (the guest's own, else O(memory)).
      type: int
    bandwidth:
      description: O(bandwidth), only when it is not empty.
      type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.g5k.testbed.plugins.module_utils.fleet_layout import lay_out
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    placement_from_data,
)


def fleet_layout(placement, subnets, offset=0, vcpus=None, memory=None, bandwidth=None):
    if subnets is not None and not isinstance(subnets, list):
        raise AnsibleFilterError("fleet_layout: subnets must be a list of CIDRs, got %r" % (subnets,))
    try:
        guests = placement_from_data(placement).guests
        return lay_out(guests, subnets, offset=offset, vcpus=vcpus, memory=memory, bandwidth=dict(bandwidth or {}))
    except PlacementError as exc:
        raise AnsibleFilterError("fleet layout: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"fleet_layout": fleet_layout}
