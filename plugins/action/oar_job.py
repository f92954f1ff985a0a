# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs g5k.testbed.oar_job and, with wait=true, shows each job's state while waiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.g5k.testbed.plugins.plugin_utils.job_name_lock import job_name_lock
from ansible_collections.g5k.testbed.plugins.plugin_utils.module_polling import PollingAction


def _utc(timestamp):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def job_state_line(job, name):
    """``job 7 at rennes is waiting (...why...)``, or ``no job named x at nancy``."""
    if job.get("uid") is None:
        return "no job named %s at %s" % (name, job.get("site"))
    line = "job %s at %s is %s" % (job["uid"], job.get("site"), job.get("state"))
    if job.get("state") == "waiting":
        # why it waits: OAR's planned start (resources busy until then) or not scheduled at all
        if job.get("scheduled_at"):
            line += " (OAR plans to start it at %s" % _utc(job["scheduled_at"])
        else:
            line += " (OAR has not scheduled it yet"
        if job.get("message"):
            line += "; OAR says: %s" % job["message"]
        line += ")"
    return line


class ActionModule(PollingAction):
    MODULE = "g5k.testbed.oar_job"
    WAIT_DEFAULT = False
    TIMEOUT_DEFAULT = 900

    def step_lock(self, args):
        # tasks running at once (hosts: a,b,c without run_once, parallel runs) make one job, not one each
        return job_name_lock(args.get("name"))

    def describe(self, result, args):
        return ", ".join(job_state_line(job, args.get("name")) for job in result.get("jobs") or []) or result.get("msg", "")
