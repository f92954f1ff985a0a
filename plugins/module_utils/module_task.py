# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every g5k.testbed module ends: result or one clear failure message (PRIVATE).

Public API (stable):

- ``module_argument_spec(**options)`` -> the API connection options plus the module's own.
- ``WorkDone``: what a task wrote on the platform so far (``record(text)``, ``changed``,
  ``lines``); a failure after a write must still say ``changed: true`` and what was written.
- ``run_task(module, work)``: ``work(client, done)`` returns the result dict; API errors, bad
  input and invalid values end the task with ``fail_json(msg=..., changed=done.changed,
  done=done.lines)``; ``api_requests`` (how many HTTP requests the task sent) is added either way.
  A write that may have happened (``UnconfirmedWrite``) counts as a change: ``done`` says so.
  A successful task that wrote something returns ``done`` too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import (
    G5kApiError,
    G5kInputError,
    api_argument_spec,
    client_for_module,
)
from ansible_collections.g5k.testbed.plugins.module_utils.unsure_writes import UnconfirmedWrite


def module_argument_spec(**options):
    spec = api_argument_spec()
    spec.update(options)
    return spec


class WorkDone:
    """The writes a task made, in order, as sentences (``created job 12 at rennes``)."""

    def __init__(self):
        self.lines = []

    def record(self, text):
        self.lines.append(text)

    @property
    def changed(self):
        return bool(self.lines)


def run_task(module, work):
    client = client_for_module(module)
    done = WorkDone()
    try:
        result = work(client, done)
    except (G5kApiError, G5kInputError, ValueError) as exc:
        if isinstance(exc, UnconfirmedWrite):  # it may have happened: not claiming "no change"
            done.record("maybe: %s %s (%s), not confirmed" % (exc.method, exc.path, exc.operation))
        # Whatever was written before the error stays written: say so (changed) and what it was.
        module.fail_json(msg=str(exc), changed=done.changed, done=done.lines, api_requests=len(client.requests))
    result["api_requests"] = len(client.requests)
    if done.lines:  # a waiting action plugin keeps every step's lines
        result.setdefault("done", done.lines)
    module.exit_json(**result)
