# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs g5k.testbed.kadeploy and, with wait=true, shows the nodes' deployment states while waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.plugin_utils.module_polling import PollingAction


class ActionModule(PollingAction):
    MODULE = "g5k.testbed.kadeploy"
    WAIT_DEFAULT = True
    TIMEOUT_DEFAULT = 1800
    FIRST_INTERVAL = 10
    ACCUMULATED = ("deployments", "would_deploy")
    ONE_SHOT_ARGS = ("force",)

    def describe(self, result):
        counts = {}
        for node in (result.get("nodes") or {}).values():
            counts[node.get("state")] = counts.get(node.get("state"), 0) + 1
        return ", ".join("%d %s" % (n, state) for state, n in sorted(counts.items())) or result.get("msg", "")
