# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for an asynchronous Grid'5000 operation, politely (PRIVATE).

Public API (stable):

- ``poll_until(read, done, timeout, interval=5, max_interval=30, sleep=None, clock=None)``:
  calls ``read()`` until ``done(value)`` or ``timeout`` seconds; the interval grows by half each
  time up to ``max_interval`` so long waits do not hammer the API. Returns ``(value, finished)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time


def poll_until(read, done, timeout, interval=5, max_interval=30, sleep=None, clock=None):
    sleep = sleep or time.sleep
    clock = clock or time.time
    deadline = clock() + timeout
    value = read()
    while not done(value):
        remaining = deadline - clock()
        if remaining <= 0:
            return value, False
        sleep(min(interval, remaining))
        interval = min(max_interval, interval * 1.5)
        value = read()
    return value, True


def wait_argument_spec(wait, timeout):
    return dict(wait=dict(type="bool", default=wait), wait_timeout=dict(type="int", default=timeout))


def check_wait_timeout(value):
    if value < 1:
        raise ValueError("wait_timeout is %d: give the seconds to wait, at least 1 (or wait: false)" % value)
    return value
