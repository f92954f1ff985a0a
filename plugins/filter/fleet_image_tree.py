# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter planning the copy of a base image host to host in a tree."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_image_tree
short_description: Rounds of a host-to-host copy in a tree - who pulls from whom in each round
version_added: 0.1.0
author: g5k.testbed developers
description:
  - The first host of the input holds the file (it received it from the controller). In round
    C(r), the first C((fanout + 1) ** r) hosts hold it and each of the next C(fanout) times as many
    pulls it from one of them - host C(i) from host C((i - holders) mod holders) - so no holder
    serves more than O(fanout) hosts a round and N hosts need C(log(N) / log(fanout + 1)) rounds.
  - Used by C(playbooks/vm_fleet.yml) for the guests' base image.
options:
  _input:
    description: The hosts, in tree order (the first holds the file).
    type: list
    elements: str
    required: true
  fanout:
    description: Hosts each holder serves in one round, 1 or more.
    type: int
    default: 1
"""

EXAMPLES = r"""
- name: Rounds of the copy
  ansible.builtin.set_fact:
    rounds: "{{ groups['hypervisors'] | g5k.testbed.fleet_image_tree(fanout=2) }}"

- name: This host's sender in round 1 (none - it already holds the file, or pulls in another round)
  ansible.builtin.debug:
    msg: "{{ rounds[1][inventory_hostname] | default('none') }}"
"""

RETURN = r"""
_value:
  description: "One mapping C({receiver: sender}) a round, in round order; C([]) for one host or none."
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError


def image_tree_rounds(hosts, fanout=1):
    rounds, holders = [], 1
    while holders < len(hosts):
        end = min(holders * (fanout + 1), len(hosts))
        rounds.append(dict((hosts[i], hosts[(i - holders) % holders]) for i in range(holders, end)))
        holders = end
    return rounds


def fleet_image_tree(hosts, fanout=1):
    if not isinstance(hosts, list) or len(set(hosts)) != len(hosts):
        raise AnsibleFilterError("fleet_image_tree expects a list of distinct hosts, got %r" % (hosts,))
    if isinstance(fanout, bool) or not isinstance(fanout, int) or fanout < 1:
        raise AnsibleFilterError("fleet_image_tree: fanout must be a whole number of at least 1, got %r" % (fanout,))
    return image_tree_rounds([str(h) for h in hosts], fanout)


class FilterModule:
    def filters(self):
        return {"fleet_image_tree": fleet_image_tree}
