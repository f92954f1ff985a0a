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

The plugin converts ``wait``/``wait_timeout`` with the module's own spec before anything runs
(``wait: "no"`` does not wait, ``wait_timeout: "20"`` is 20, ``-5`` is refused before any job is
submitted), and the result it returns keeps what every step said: the warnings and the ``done``
lines of all steps, not only the last one's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.g5k.testbed.plugins.module_utils.polling import (
    check_wait_timeout,
    poll_until,
    wait_argument_spec,
)

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

    def step_lock(self, args):
        """A context manager held around each step that may write (none by default)."""
        return contextlib.nullcontext()

    def _wait_options(self, args):
        """``(wait, wait_timeout)`` converted by the module's spec; ValueError when unusable."""
        spec = wait_argument_spec(self.WAIT_DEFAULT, self.TIMEOUT_DEFAULT)
        checked = ArgumentSpecValidator(spec).validate(dict((k, args[k]) for k in spec if k in args))
        if checked.error_messages:
            raise ValueError("; ".join(checked.error_messages))
        params = checked.validated_parameters
        return params["wait"], check_wait_timeout(params["wait_timeout"])

    def _run_step(self, args, task_vars):
        # check mode writes nothing: no lock to take
        with contextlib.nullcontext() if self._play_context.check_mode else self.step_lock(args):
            return self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        super(PollingAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            wait, timeout = self._wait_options(args)
        except ValueError as exc:
            return {"failed": True, "changed": False, "msg": str(exc)}
        args.update(wait=wait, wait_timeout=timeout)
        if not wait or self._play_context.check_mode:
            return self._run_step(args, task_vars)
        first_args = dict(args, wait=False)
        later_args = dict(first_args, **dict((key, False) for key in self.ONE_SHOT_ARGS if key in first_args))
        started = time.time()
        seen = {"steps": 0, "changed": False, "diff": None, "collected": dict((key, []) for key in self.ACCUMULATED),
                "warnings": [], "done": []}

        def step():
            step_args = later_args if seen["steps"] else first_args
            result = self._run_step(step_args, task_vars)
            if not seen["steps"]:
                seen["diff"] = result.get("diff")
            seen["steps"] += 1
            seen["changed"] = seen["changed"] or bool(result.get("changed"))
            for key in ("warnings", "done"):  # each step's own: a later step must not drop them
                seen[key].extend(line for line in result.get(key) or [] if line not in seen[key])
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
        result["changed"] = seen["changed"] or bool(seen["done"])
        for key in ("warnings", "done"):
            if seen[key]:
                result[key] = seen[key]
        if seen["diff"] is not None:
            result["diff"] = seen["diff"]
        return result
