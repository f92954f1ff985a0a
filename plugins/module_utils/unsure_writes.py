# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes whose answer may be lost: reconcile by reading back what the platform did (PRIVATE).

When a write gets no HTTP answer (the connection dropped) or a 5xx, the client cannot tell
whether the platform acted: the job or deployment may exist, the nodes may have moved. The
client retries only idempotent calls, so the module must read back instead of guessing, or a
task reports ``changed: false`` for a job it created, or creates a second one on re-run.

Public API (stable):

- ``write_or_read_back(write, read_back)`` -> ``(outcome, lost)``: ``write()`` answered gives
  ``(its answer, None)``; a write that failed without a clear refusal (no HTTP answer, 5xx) calls
  ``read_back()``, which returns what the write did or ``None`` when it did nothing: then
  ``(what read_back found, the G5kApiError)``, or the error is raised as it was when nothing
  was done. When reading back fails too, nobody knows whether the write happened:
  ``UnconfirmedWrite`` is raised (a ``G5kApiError`` naming both failures) and the task must say
  that it may have changed something (``run_task`` does: ``changed: true`` and a ``done`` line).
- ``UnconfirmedWrite``: ``lost`` (the write's error), ``unread`` (the read back's error).
- ``lost_note(lost)``: the words a ``done`` line or warning adds when its write was found by
  reading back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiError


def _answer_may_be_lost(exc):
    # 4xx is a refusal: the platform did nothing. With no answer or a 5xx (a proxy's 502/504
    # after the backend acted), only reading back tells.
    return exc.status == -1 or exc.status >= 500


class UnconfirmedWrite(G5kApiError):
    """A write whose answer was lost and whose effect could not be read back."""

    def __init__(self, lost, unread):
        self.lost = lost
        self.unread = unread
        hint = ("reading back whether the platform acted failed too (%s), so it MAY have done it: run the task "
                "again once the API answers, it finds what was done" % unread)
        super(UnconfirmedWrite, self).__init__(lost.operation, lost.method, lost.path, lost.status, lost.body,
                                               "; ".join(h for h in (lost.hint, hint) if h))


def write_or_read_back(write, read_back):
    try:
        return write(), None
    except G5kApiError as lost:
        if not _answer_may_be_lost(lost):
            raise
        try:
            found = read_back()
        except G5kApiError as unread:
            raise UnconfirmedWrite(lost, unread)
        if found is None:
            raise
        return found, lost


def lost_note(lost):
    """What a ``done`` line adds for a write known only by reading back (empty otherwise)."""
    if not lost:
        return ""
    answer = "no answer" if lost.status == -1 else "HTTP %s" % lost.status
    return " (%s to %s %s: found by reading back)" % (answer, lost.method, lost.path)
