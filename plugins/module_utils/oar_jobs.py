# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OAR jobs through the API: finding a user's active jobs, summarising them (PRIVATE).

Public API (stable):

- ``ACTIVE_STATES``, ``FINAL_STATES``.
- ``api_user(client, environ=None)``: the login jobs belong to (``$USER`` for an anonymous
  client on a frontend, as EnOSlib does).
- ``list_jobs(client, site, user, states, name=None)``: the jobs of a user (every user's when
  ``user`` is None) in some states, with their resources.
- ``active_jobs(client, site, user, name=None)``: the user's jobs in an active state.
- ``find_job_by_name(client, site, user, name)``: the one active job with that name, ``None``, or
  ``G5kInputError`` when several match (never pick one silently).
- ``read_job(client, site, job_id)``: the job, or ``G5kInputError`` naming it when it does not exist.
- ``delete_job(client, site, uid, operation)`` -> ``lost``: asks OAR to end the job; an answer lost
  (even after the retries) is settled by reading the job back (``None`` when the API answered).
- ``deletion_requested(job)``: whether a job document shows it ended or being ended.
- ``held_resources(client, site, user)`` -> ``(node FQDNs, VLAN ids)`` of the user's active jobs there.
- ``job_summary(site, job)`` -> ``{"site", "uid", "name", "user", "state", "types", "nodes", "vlans",
  "subnets", "scheduled_at", "started_at", "walltime", "message"}`` with sorted lists and VLAN ids
  as strings.
- ``check_job_name(name)`` -> the name, or ``G5kInputError`` for a name OAR jobs cannot be found by
  again (empty, control characters, longer than ``MAX_NAME_LENGTH``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError, path_of
from ansible_collections.g5k.testbed.plugins.module_utils.unsure_writes import write_or_read_back

ACTIVE_STATES = ("waiting", "hold", "tolaunch", "toackreservation", "launching", "running",
                 "suspended", "resuming", "finishing")
FINAL_STATES = ("terminated", "error")
# OAR stores job names in a VARCHAR(100) column.
MAX_NAME_LENGTH = 100


def check_job_name(name):
    """A job name is the idempotence key: refuse names a later run could not match."""
    if name is None or not name.strip():
        raise G5kInputError("name is empty: the job name is how later runs find the job again (give a non-empty name)")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise G5kInputError("name %r holds a control character (newline, tab...): use printable characters" % name)
    if name != name.strip():
        raise G5kInputError("name %r starts or ends with spaces: remove them" % name)
    if len(name) > MAX_NAME_LENGTH:
        raise G5kInputError("name is %d characters long: OAR keeps at most %d" % (len(name), MAX_NAME_LENGTH))
    return name


def api_user(client, environ=None):
    environ = os.environ if environ is None else environ
    return client.username or environ.get("USER")


def list_jobs(client, site, user, states, name=None):
    """The jobs of ``user`` (every user's when None) at ``site`` in one of ``states``."""
    params = {"user": user, "state": ",".join(states), "resources": "yes", "name": name}
    jobs = client.list_items(path_of("sites", site, "jobs"), "list jobs of %s at %s" % (user or "every user", site), params)
    # a server that ignores a filter must not make us adopt someone else's job
    return [j for j in jobs if j.get("state") in states and (not user or j.get("user", user) == user)
            and (name is None or j.get("name") == name)]


def active_jobs(client, site, user, name=None):
    return list_jobs(client, site, user, ACTIVE_STATES, name)


def find_job_by_name(client, site, user, name):
    jobs = active_jobs(client, site, user, name)
    if len(jobs) > 1:
        uids = ", ".join(str(j["uid"]) for j in sorted(jobs, key=lambda j: j["uid"]))
        raise G5kInputError(
            "%d active jobs named %r of %s at %s (%s), made outside one task (parallel runs, or a play on several "
            "hosts without run_once): delete them all with this task and state: absent, or keep one by deleting "
            "the others (oardel %s)" % (len(jobs), name, user, site, uids, " ".join(uids.split(", ")[1:])))
    return jobs[0] if jobs else None


def job_summary(site, job):
    by_type = job.get("resources_by_type") or {}
    return {
        "site": site,
        "uid": job.get("uid"),
        "name": job.get("name"),
        "user": job.get("user"),
        "state": job.get("state"),
        "types": list(job.get("types") or []),
        "nodes": sorted(job.get("assigned_nodes") or []),
        "vlans": sorted((str(v) for v in by_type.get("vlans") or []), key=lambda v: (len(v), v)),
        "subnets": sorted(by_type.get("subnets") or []),
        "scheduled_at": job.get("scheduled_at"),
        "started_at": job.get("started_at"),
        "walltime": job.get("walltime"),
        "message": job.get("message"),
    }


def read_job(client, site, job_id):
    """The job document; ``G5kInputError`` when the site has no such job."""
    job = client.get(path_of("sites", site, "jobs", job_id), "read job %s at %s" % (job_id, site), missing_ok=True)
    if job is None:
        raise G5kInputError("job %s does not exist at %s" % (job_id, site))
    return job


def deletion_requested(job):
    """OAR ends a deleted job asynchronously: until then its events hold the deletion request."""
    if job is None or job.get("state") in FINAL_STATES:
        return True
    return any(event.get("type") == "FRAG_JOB_REQUEST" for event in job.get("events") or [] if isinstance(event, dict))


def delete_job(client, site, uid, operation):
    path = path_of("sites", site, "jobs", uid)

    def read_back():
        job = client.get(path, "read job %s at %s back" % (uid, site), missing_ok=True)
        return (job or {"uid": uid, "state": "absent"}) if deletion_requested(job) else None

    return write_or_read_back(lambda: client.delete(path, operation, missing_ok=True), read_back)[1]


def held_resources(client, site, user):
    """``(node FQDNs, VLAN ids)`` held by the user's active jobs at the site: one listing."""
    nodes, vlans = set(), set()
    for job in active_jobs(client, site, user):
        nodes.update(job.get("assigned_nodes") or [])
        vlans.update(str(v) for v in (job.get("resources_by_type") or {}).get("vlans") or [])
    return nodes, vlans
