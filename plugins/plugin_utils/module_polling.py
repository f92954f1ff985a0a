# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting with visible progress, for modules that can be re-run as one step (PRIVATE).

A module cannot print while it runs. Modules such as oar_job and kadeploy are written so that a
run does one step (create what is missing, report the state and a ``pending`` flag) and a
re-run is a no-op that reads the state again. The action plugin runs that step under the
collection's one polling loop (``module_utils/polling.py``, also used inside modules) and prints
the state and the elapsed time between steps, so whoever runs the play sees a job waiting for
resources or a deployment in progress.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.g5k.testbed.plugins.module_utils.polling import poll_until

display = Display()


class PollingAction(ActionBase):
    """Subclasses set MODULE, WAIT_DEFAULT, TIMEOUT_DEFAULT and implement ``describe(result, args)``."""

    MODULE = None
    WAIT_DEFAULT = False
    TIMEOUT_DEFAULT = 900
    FIRST_INTERVAL = 5
    MAX_INTERVAL = 30
    ACCUMULATED = ()  # list results to add up over the steps
    ONE_SHOT_ARGS = ()  # args that only apply to the first step (e.g. force)

    def describe(self, result, args):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        super(PollingAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        wait = args.get("wait", self.WAIT_DEFAULT)
        if not wait or self._play_context.check_mode:
            return self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars)
        timeout = args.get("wait_timeout", self.TIMEOUT_DEFAULT)
        first_args = dict(args, wait=False)
        later_args = dict(first_args, **dict((key, False) for key in self.ONE_SHOT_ARGS if key in first_args))
        started = time.time()
        seen = {"steps": 0, "changed": False, "diff": None, "collected": dict((key, []) for key in self.ACCUMULATED)}

        def step():
            step_args = later_args if seen["steps"] else first_args
            result = self._execute_module(module_name=self.MODULE, module_args=step_args, task_vars=task_vars)
            if not seen["steps"]:
                seen["diff"] = result.get("diff")
            seen["steps"] += 1
            seen["changed"] = seen["changed"] or bool(result.get("changed"))
            for key in self.ACCUMULATED:
                seen["collected"][key].extend(result.get(key) or [])
                result[key] = sorted(set(seen["collected"][key]))
            if result.get("pending") and not result.get("failed"):
                display.display("%s: %s (%ds elapsed)" % (self.MODULE, self.describe(result, args), time.time() - started))
            return result

        result, finished = poll_until(step, lambda r: r.get("failed") or not r.get("pending"), timeout,
                                      interval=self.FIRST_INTERVAL, max_interval=self.MAX_INTERVAL,
                                      sleep=time.sleep, clock=time.time)
        if not finished:
            result["failed"] = True
            result["msg"] = "timeout after %ds: %s" % (timeout, self.describe(result, args))
        elif not result.get("failed"):
            display.display("%s: %s (%ds elapsed)" % (self.MODULE, self.describe(result, args), time.time() - started))
        # the first step's changes (a job submitted, nodes deployed) count even if a later step fails
        result["changed"] = seen["changed"]
        if seen["diff"] is not None:
            result["diff"] = seen["diff"]
        return result
