# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting with visible progress, for modules that can be re-run as one step (PRIVATE).

A module cannot print while it runs. Modules such as oar_job and kadeploy are written so that a
run with ``wait=false`` does one step (create what is missing, report the state and a
``pending`` flag) and a re-run is a no-op that reads the state again. The action plugin runs
that step in a loop and prints the state and the elapsed time between steps, so whoever runs the
play sees a job waiting for resources or a deployment in progress.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class PollingAction(ActionBase):
    """Subclasses set MODULE, WAIT_DEFAULT, TIMEOUT_DEFAULT and implement ``describe(result)``."""

    MODULE = None
    WAIT_DEFAULT = False
    TIMEOUT_DEFAULT = 900
    FIRST_INTERVAL = 5
    MAX_INTERVAL = 30
    ACCUMULATED = ()  # list results to add up over the steps
    ONE_SHOT_ARGS = ()  # args that only apply to the first step (e.g. force)

    def describe(self, result):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        super(PollingAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        wait = args.get("wait", self.WAIT_DEFAULT)
        if not wait or self._play_context.check_mode:
            return self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars)
        timeout = args.get("wait_timeout", self.TIMEOUT_DEFAULT)
        step_args = dict(args, wait=False)
        started = time.time()
        result = self._execute_module(module_name=self.MODULE, module_args=step_args, task_vars=task_vars)
        changed = bool(result.get("changed"))
        collected = dict((key, list(result.get(key) or [])) for key in self.ACCUMULATED)
        diff = result.get("diff")
        later_args = dict(step_args, **dict((key, False) for key in self.ONE_SHOT_ARGS if key in step_args))
        interval = self.FIRST_INTERVAL
        while not result.get("failed") and result.get("pending"):
            elapsed = time.time() - started
            if elapsed >= timeout:
                result["failed"] = True
                result["msg"] = "timeout after %ds: %s" % (timeout, self.describe(result))
                break
            display.display("%s: %s (%ds elapsed)" % (self.MODULE, self.describe(result), elapsed))
            time.sleep(min(interval, max(0.0, timeout - elapsed)))
            interval = min(self.MAX_INTERVAL, interval * 1.5)
            result = self._execute_module(module_name=self.MODULE, module_args=later_args, task_vars=task_vars)
            changed = changed or bool(result.get("changed"))
            for key in self.ACCUMULATED:
                collected[key].extend(result.get(key) or [])
        if not result.get("failed"):
            display.display("%s: %s (%ds elapsed)" % (self.MODULE, self.describe(result), time.time() - started))
        result["changed"] = changed
        for key, values in collected.items():
            result[key] = sorted(set(values))
        if diff is not None:
            result["diff"] = diff
        return result
