# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter placing a number of identical guests on hypervisors by their capacity."""

from __future__ import annotations

DOCUMENTATION = r"""
name: guest_placement_by_capacity
short_description: Automatic guest placement from the hypervisors' CPU threads and memory
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Places O(count) guests needing O(vcpus) and O(memory) each on the hypervisors of the input.
    A hypervisor holds as many guests as both its CPU threads (times O(vcpu_overcommit)) and its
    memory (less O(memory_reserve)) allow.
  - Guests are dealt one per hypervisor that has room, round after round, so every hypervisor
    gets an even share until it is full; they are then named in hypervisor order (O(name_format)),
    so a hypervisor's guests have consecutive names and, in C(playbooks/vm_fleet.yml), consecutive
    addresses.
  - Returns the same structure as P(g5k.testbed.guest_placement#filter), so the rest of a play
    does not care which one made the placement.
  - Fails, saying what to change, when the guests do not fit or an input is unusable.
options:
  _input:
    description:
      - The hypervisors and their capacity, in the order guests are dealt.
      - "A mapping C({hypervisor: {vcpus: threads, memory: MiB}}), or a list of C({name, vcpus, memory})."
      - A hypervisor's Ansible facts do too - C(processor_vcpus) and C(memtotal_mb) stand for
        C(vcpus) and C(memory) (gather them with C(ansible.builtin.setup), C(gather_subset=hardware)).
    type: raw
    required: true
  count:
    description: How many guests.
    type: int
    required: true
  vcpus:
    description: Virtual CPUs of each guest.
    type: int
    required: true
  memory:
    description: Memory of each guest, MiB.
    type: int
    required: true
  memory_reserve:
    description: Memory of each hypervisor kept for the host itself (and QEMU's own overhead), MiB.
    type: int
    default: 0
  vcpu_overcommit:
    description: Guest vCPUs per CPU thread of a hypervisor (V(1) - no overcommit).
    type: float
    default: 1
  name_format:
    description: Guest names, a C(%) format taking the guest's number from 0.
    type: str
    default: vm-%04d
"""

EXAMPLES = r"""
- name: Forty 1-vCPU 512 MiB guests over the hypervisors, by their facts (setup, hardware subset)
  ansible.builtin.set_fact:
    layout: >-
      {{ dict(groups['hypervisors'] | zip(groups['hypervisors'] | map('extract', hostvars, 'ansible_facts')))
         | g5k.testbed.guest_placement_by_capacity(count=40, vcpus=1, memory=512, memory_reserve=2048) }}
  run_once: true

- name: The same with a mapping written out
  ansible.builtin.debug:
    msg: >-
      {{ {'parasilo-1': {'vcpus': 32, 'memory': 131072}, 'parasilo-2': {'vcpus': 32, 'memory': 131072}}
         | g5k.testbed.guest_placement_by_capacity(count=40, vcpus=1, memory=512, memory_reserve=2048) }}
"""

RETURN = r"""
_value:
  description: The guests and the capacities of the hypervisors.
  type: dict
  contains:
    guests:
      description: The guests, hypervisor after hypervisor (the order addresses are given in).
      type: list
      elements: dict
      contains:
        name:
          description: Guest name.
          type: str
        hypervisor:
          description: Hypervisor as given in the input.
          type: str
        resources:
          description: The guest's needs, C([vcpus, memory]).
          type: list
          elements: int
        ip:
          description: Always null (addresses are given later, in guest order).
          type: str
        mac:
          description: Always null.
          type: str
        vcpus:
          description: Virtual CPUs of the guest (O(vcpus)).
          type: int
        memory:
          description: Memory of the guest, MiB (O(memory)).
          type: int
    capacities:
      description: C([vcpus, memory]) of each hypervisor as given.
      type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    place_by_capacity,
    placement_data,
)


# Host facts name the two numbers differently; either naming is a capacity.
_FACT_KEYS = {"vcpus": "processor_vcpus", "memory": "memtotal_mb"}


def _capacity(entry):
    if not isinstance(entry, dict):
        return entry
    return dict((key, entry[key] if key in entry else entry.get(fact)) for key, fact in _FACT_KEYS.items())


def _hypervisors(data):
    if isinstance(data, dict):
        return [(host, _capacity(entry)) for host, entry in data.items()]
    if isinstance(data, list) and all(isinstance(entry, dict) and entry.get("name") for entry in data):
        return [(entry["name"], _capacity(entry)) for entry in data]
    raise AnsibleFilterError("guest_placement_by_capacity expects {hypervisor: {vcpus, memory}} or a list of "
                             "{name, vcpus, memory}, got %r" % (data,))


def guest_placement_by_capacity(data, count, vcpus, memory, memory_reserve=0, vcpu_overcommit=1,
                                name_format="vm-%04d"):
    try:
        placement = place_by_capacity(count, vcpus, memory, _hypervisors(data), name_format=name_format,
                                      memory_reserve=memory_reserve, vcpu_overcommit=vcpu_overcommit)
    except PlacementError as exc:
        raise AnsibleFilterError("automatic placement: %s" % exc) from exc
    return placement_data(placement)


class FilterModule:
    def filters(self):
        return {"guest_placement_by_capacity": guest_placement_by_capacity}
