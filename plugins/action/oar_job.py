# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs g5k.testbed.oar_job and, with wait=true, shows each job's state while waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.plugin_utils.module_polling import PollingAction


class ActionModule(PollingAction):
    MODULE = "g5k.testbed.oar_job"
    WAIT_DEFAULT = False
    TIMEOUT_DEFAULT = 900

    def describe(self, result):
        return ", ".join("job %s at %s is %s" % (job.get("uid"), job.get("site"), job.get("state"))
                         for job in result.get("jobs") or []) or result.get("msg", "")
