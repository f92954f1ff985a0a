# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter checking a fleet's guest bandwidth settings and turning them into kvm_guest's limits."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_bandwidth
short_description: Guest bandwidth settings checked and turned into kvm_guest's bandwidth limits
version_added: 0.1.0
author: g5k.testbed developers
description:
  - "Reads C({inbound: {average, peak, burst}, outbound: {...}}) where each value is a whole number,
    0 or more (KiB/s for C(average) and C(peak), KiB for C(burst)), 0 meaning no limit."
  - Returns the limits that are not 0, in the form of M(g5k.testbed.kvm_guest)'s
    O(g5k.testbed.kvm_guest#module:guests[].bandwidth); C({}) when every value is 0.
  - Fails with every problem at once, each named by its variable (O(prefix) + direction + C(_) +
    field) - a value that is not a whole number, a C(peak) or C(burst) without an C(average), a
    C(peak) below its C(average).
options:
  _input:
    description: The settings by direction and field; a missing field counts as 0.
    type: dict
    required: true
  prefix:
    description: The prefix of the variables the values come from, for the error messages.
    type: str
    default: vm_fleet_guest_
"""

EXAMPLES = r"""
- name: Check the limits before reserving anything (fails with what to fix)
  ansible.builtin.set_fact:
    limits: >-
      {{ {'inbound': {'average': vm_fleet_guest_inbound_average, 'peak': vm_fleet_guest_inbound_peak,
                      'burst': vm_fleet_guest_inbound_burst},
          'outbound': {'average': 1024}} | g5k.testbed.fleet_bandwidth }}
"""

RETURN = r"""
_value:
  description: "C({inbound|outbound: {average, peak, burst}}) with the values above 0 only."
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError

DIRECTIONS = ("inbound", "outbound")
FIELDS = ("average", "peak", "burst")
_WHOLE = re.compile(r"^[0-9]+$")


def bandwidth_limits(settings, prefix="vm_fleet_guest_"):
    """``(limits, problems)``: the non-zero limits, and what is wrong, one sentence each."""
    limits, problems = {}, []
    for direction in DIRECTIONS:
        given = (settings or {}).get(direction) or {}
        values = {}
        for field in FIELDS:
            text = str(given.get(field, 0))
            if _WHOLE.match(text):
                values[field] = int(text)
            else:
                problems.append("%s%s_%s must be a whole number, 0 or more (now %s)" % (prefix, direction, field, text))
        name = prefix + direction
        if values.get("average", 0) == 0 and (values.get("peak", 0) > 0 or values.get("burst", 0) > 0):
            problems.append("%s_peak and _burst need %s_average" % (name, name))
        elif 0 < values.get("peak", 0) < values.get("average", 0):
            problems.append("%s_peak (%d) is below its average (%d)" % (name, values["peak"], values["average"]))
        kept = dict((field, value) for field, value in values.items() if value > 0)
        if kept:
            limits[direction] = kept
    return limits, problems


def fleet_bandwidth(settings, prefix="vm_fleet_guest_"):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("fleet_bandwidth expects {inbound: {...}, outbound: {...}}, got %r" % (settings,))
    limits, problems = bandwidth_limits(settings, prefix)
    if problems:
        raise AnsibleFilterError("Fix the bandwidth variables (KiB/s for average and peak, KiB for burst, 0 for no "
                                 "limit): %s." % "; ".join(problems))
    return limits


class FilterModule:
    def filters(self):
        return {"fleet_bandwidth": fleet_bandwidth}
