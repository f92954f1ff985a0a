# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One write per job name at a time on the controller (PRIVATE).

oar_job finds its job by name before it creates one. Tasks running at the same time (a play on
several hosts without ``run_once``, or several runs of one play) would all find nothing and all
create a job. Each step of oar_job holds an exclusive lock on a file named after the job name,
so the next task sees the job the first one made.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import fcntl
import hashlib
import os

from ansible.module_utils.common.text.converters import to_bytes

LOCK_DIR = "~/.ansible/g5k.testbed-locks"


@contextlib.contextmanager
def job_name_lock(name, directory=LOCK_DIR):
    directory = os.path.expanduser(directory)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    path = os.path.join(directory, "job-%s.lock" % hashlib.sha256(to_bytes(str(name))).hexdigest()[:32])
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the step ends, or if this process dies
        yield path
    finally:
        os.close(handle)
