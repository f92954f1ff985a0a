# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs g5k.testbed.kadeploy and, with wait=true, shows the nodes' deployment states while waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.plugin_utils.module_polling import PollingAction


def short(fqdn):
    return fqdn.split(".")[0]


class ActionModule(PollingAction):
    MODULE = "g5k.testbed.kadeploy"
    WAIT_DEFAULT = True
    TIMEOUT_DEFAULT = 1800
    FIRST_INTERVAL = 10
    ACCUMULATED = ("deployments", "would_deploy")
    ONE_SHOT_ARGS = ("force",)

    def describe(self, result, args):
        nodes = result.get("nodes") or {}
        if not nodes:
            return result.get("msg", "")
        by_state = {}
        for fqdn, node in sorted(nodes.items()):
            by_state.setdefault(node.get("state"), []).append(short(fqdn))
        states = "; ".join("%d %s (%s)" % (len(names), state, ", ".join(names)) for state, names in sorted(by_state.items()))
        deployed = result.get("would_deploy") or []
        if deployed:
            return "%s on %d nodes: %s" % (args.get("environment"), len(deployed), states)
        # nothing was deployed by this task: say so, an "OK" alone reads as a deployment
        return "nothing deployed, %s already ran on the nodes in this job: %s" % (args.get("environment"), states)
