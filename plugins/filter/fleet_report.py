# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter writing a fleet run's results: the guests' table, the summary and the phase times."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_report
short_description: The results of a fleet run - guests.csv, summary.md, phases.json - and its counts
version_added: 0.1.0
author: g5k.testbed developers
description:
  - Reads what each hypervisor of C(playbooks/vm_fleet.yml) found - its guests, the ping sweep's
    answer (C(playbooks/files/vm_fleet_sweep.py)) and its DHCP server's leases file - and returns
    the contents of the run's result files and the counts. An empty entry (a host that stopped
    before it had anything to report) is left out.
  - C(guests.csv) has one row a guest - C(name,hypervisor,ip,mac,answered_after_s,leased_by_own_hypervisor)
    where C(answered_after_s) is empty for a guest that did not answer (or was not pinged, in check
    mode) and C(leased_by_own_hypervisor) says whether the guest's MAC is in its own hypervisor's
    leases (compared in any case).
options:
  _input:
    description:
      - "One entry a hypervisor, in report order - C({host, guests: [{name, ip, mac}], sweep: {answered:
        {ip: seconds}, missing: [ip]}, leases: text}); C(sweep) and C(leases) may be missing or empty."
    type: list
    elements: dict
    required: true
  job_name:
    description: The job's name, for the summary.
    type: str
    required: true
  site:
    description: The site, for the summary.
    type: str
    required: true
  fanout:
    description: The base image tree's fan-out, for the summary.
    type: int
    required: true
  phases:
    description: Seconds of each phase (P(g5k.testbed.phase_durations#filter)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the results
  ansible.builtin.copy:
    dest: "results/{{ item.key }}"
    content: "{{ item.value }}"
    mode: "0644"
  loop: "{{ (outcomes | g5k.testbed.fleet_report(job_name='fleet', site='rennes', fanout=1)).files | dict2items }}"
"""

RETURN = r"""
_value:
  description: The counts and the files.
  type: dict
  contains:
    guests:
      description: Number of guests.
      type: int
    answered:
      description: Number of guests that answered their hypervisor's ping.
      type: int
    missing:
      description: Addresses of the guests that did not answer, hypervisor by hypervisor.
      type: list
      elements: str
    files:
      description: C({guests.csv, summary.md, phases.json}) - file name to content.
      type: dict
"""

import json

from ansible.errors import AnsibleFilterError

CSV_HEADER = "name,hypervisor,ip,mac,answered_after_s,leased_by_own_hypervisor"


def _rows(outcomes):
    rows = []
    for outcome in outcomes:
        host = outcome["host"]
        answered = (outcome.get("sweep") or {}).get("answered") or {}
        leases = str(outcome.get("leases") or "").lower()
        for guest in outcome.get("guests") or []:
            seconds = answered.get(guest["ip"], "")
            rows.append("%s,%s,%s,%s,%s,%s" % (guest["name"], host, guest["ip"], guest["mac"], seconds,
                                               str(guest["mac"]).lower() in leases))
    return rows


def report(outcomes, job_name, site, fanout, phases=None):
    phases = phases or {}
    outcomes = [outcome for outcome in outcomes if outcome]
    sweeps = [outcome.get("sweep") or {} for outcome in outcomes]
    answered = sum(len(sweep.get("answered") or {}) for sweep in sweeps)
    missing = [ip for sweep in sweeps for ip in sweep.get("missing") or []]
    guests = sum(len(outcome.get("guests") or []) for outcome in outcomes)
    summary = ["# VM fleet %s at %s" % (job_name, site), "",
               "- hypervisors: %d; guests: %d" % (len(outcomes), guests),
               "- answered (pinged from their hypervisor): %d; missing: %d%s"
               % (answered, len(missing), "".join(" " + ip for ip in missing)),
               "- base image tree fan-out: %s" % fanout, "",
               "| phase | seconds |", "|---|---|"] + ["| %s | %s |" % item for item in phases.items()]
    return {
        "guests": guests, "answered": answered, "missing": missing,
        "files": {
            "phases.json": json.dumps(phases, indent=4, separators=(",", ": "), ensure_ascii=False) + "\n",
            "guests.csv": "\n".join([CSV_HEADER] + _rows(outcomes)) + "\n",
            "summary.md": "\n".join(summary) + "\n",
        },
    }


def fleet_report(outcomes, job_name, site, fanout, phases=None):
    if not isinstance(outcomes, list) or not all(isinstance(o, dict) for o in outcomes):
        raise AnsibleFilterError("fleet_report expects [{host, guests, sweep, leases}], got %r" % (outcomes,))
    try:
        return report(outcomes, job_name, site, fanout, phases)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("fleet_report: a hypervisor's outcome is not {host, guests: [{name, ip, mac}], "
                                 "sweep, leases}: %r" % (exc,)) from exc


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report}
