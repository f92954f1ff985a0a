# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter turning the times at which phases ended into the seconds each phase took."""

from __future__ import annotations

DOCUMENTATION = r"""
name: phase_durations
short_description: Seconds each phase of a run took, from the times the phases ended
version_added: 0.1.0
author: g5k.testbed developers
description:
  - The input maps C(start) and the name of each phase that ended to a time in seconds (a Unix
    timestamp, as C(now(utc=true).timestamp()) gives). A phase took the time from the end of the
    phase before it (in O(phases) order, skipping those that did not run) or from C(start).
options:
  _input:
    description: "C({start: seconds, <phase>: seconds, ...}); numbers or their text."
    type: dict
    required: true
  phases:
    description: The phases in the order they run.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Write the phase times
  ansible.builtin.copy:
    dest: phases.json
    content: "{{ times | g5k.testbed.phase_durations(['reserved', 'deployed', 'started']) | to_nice_json(sort_keys=False) }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: "C({phase: seconds}) rounded to 0.1 s, in O(phases) order, for the phases in the input."
  type: dict
"""

from ansible.errors import AnsibleFilterError


def durations(times, phases):
    result, last = {}, float(times["start"])
    for name in phases:
        if name in times:
            result[name] = round(float(times[name]) - last, 1)
            last = float(times[name])
    return result


def phase_durations(times, phases):
    if not isinstance(times, dict) or "start" not in times:
        raise AnsibleFilterError("phase_durations expects {start: seconds, <phase>: seconds}, got %r" % (times,))
    try:
        return durations(times, list(phases))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("phase_durations: every time must be a number of seconds: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"phase_durations": phase_durations}
