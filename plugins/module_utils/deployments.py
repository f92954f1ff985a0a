# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kadeploy deployments: what each node's deployment history says (PRIVATE).

Public API (stable):

- ``RUNNING_STATUSES``: the statuses of a deployment still under way.
- ``node_states(deployments, fqdns)`` -> ``{fqdn: {"state": "OK"|"KO"|"deploying"|"none",
  "attempts": n, "deployment": uid}}`` from deployments (already filtered to one job, one
  environment), looking at the latest deployment of each node.
- ``deployment_matches(deployment, environment, version, vlan, since)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RUNNING_STATUSES = ("waiting", "processing")


def _vlan_text(value):
    return None if value in (None, "", "DEFAULT") else str(value)


def deployment_matches(deployment, environment, version, vlan, since):
    env = deployment.get("environment")
    if isinstance(env, dict):
        env = env.get("name")
    if env != environment:
        return False
    if version is not None and deployment.get("version") not in (None, version, str(version)):
        return False
    if _vlan_text(deployment.get("vlan")) != _vlan_text(vlan):
        return False
    return since is None or (deployment.get("created_at") or 0) >= since


def node_states(deployments, fqdns):
    ordered = sorted(deployments, key=lambda d: (d.get("created_at") or 0, str(d.get("uid"))))
    states = {}
    for fqdn in fqdns:
        history = [d for d in ordered if fqdn in (d.get("nodes") or [])]
        if not history:
            states[fqdn] = {"state": "none", "attempts": 0, "deployment": None}
            continue
        latest = history[-1]
        status = latest.get("status")
        if status in RUNNING_STATUSES:
            state = "deploying"
        elif status == "terminated" and ((latest.get("result") or {}).get(fqdn) or {}).get("state", "").upper() == "OK":
            state = "OK"
        else:
            state = "KO"
        states[fqdn] = {"state": state, "attempts": len(history), "deployment": latest.get("uid")}
    return states
