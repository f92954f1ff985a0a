# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter gathering the last console lines read from the guests that did not answer."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_console_tails
short_description: The last console lines of the guests that did not answer, by guest and hypervisor
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Gathers the results of a looped C(tail) of guest console logs (one loop a hypervisor, each
    item a guest with its C(name)), given with their hypervisor as C({host, consoles}), into one
    mapping for an error message - a fleet at scale always
    has a straggler or two, and the guest's own words say how far it got.
  - A read that printed nothing gives its error output instead; skipped items are left out.
options:
  _input:
    description: "C([{host, consoles: [loop results]}]), each loop result with C(item.name), C(stdout_lines), C(stderr)."
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Every guest must answer
  ansible.builtin.assert:
    that: missing | length == 0
    fail_msg: "Their consoles' last lines: {{ outcomes | g5k.testbed.fleet_console_tails | to_json }}"
"""

RETURN = r"""
_value:
  description: 'C({"<guest> on <hypervisor>": [lines] or error text}).'
  type: dict
"""

from ansible.errors import AnsibleFilterError


def console_tails(outcomes):
    tails = {}
    for outcome in outcomes:
        host = outcome.get("host")
        for read in outcome.get("consoles") or []:
            if not isinstance(read, dict) or not isinstance(read.get("item"), dict) or read.get("skipped"):
                continue
            tails["%s on %s" % (read["item"].get("name"), host)] = read.get("stdout_lines") or read.get("stderr") or ""
    return tails


def fleet_console_tails(outcomes):
    if not isinstance(outcomes, list) or not all(isinstance(o, dict) for o in outcomes):
        raise AnsibleFilterError("fleet_console_tails expects [{host, consoles: [loop results]}], got %r" % (outcomes,))
    return console_tails(outcomes)


class FilterModule:
    def filters(self):
        return {"fleet_console_tails": fleet_console_tails}
