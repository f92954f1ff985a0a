"""Walltime changes of running jobs (OAR's `oarwalltime`): GET/POST /sites/{s}/jobs/{id}/walltime.

A request is `[+|-]h:m:s`: signed, a change; unsigned, the new walltime. A decrease is applied
at once. An increase is granted as far as the job's resources are free (no later job holds
them), at once; what cannot be granted is reported as pending (`whole`: all or nothing).
Not emulated: pending requests granted later, `timeout`, `force` and `delay_next_jobs` (which
the platform allows only to some users; here they are accepted and have no effect).
"""
from __future__ import annotations

import re

from . import job_lifecycle, jobs
from .errors import ApiError, not_authenticated, oar_error

CHANGE = re.compile(r"^([+-]?)(\d+)(?::(\d+))?(?::(\d+))?$")
FLAGS = ("force", "delay_next_jobs", "whole")


def hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60}:{seconds % 60}"


def _seconds(text) -> tuple[str, int]:
    match = CHANGE.match(str(text).strip()) if isinstance(text, (str, int)) else None
    if match is None:
        raise ApiError(400, f"Invalid walltime change '{text}': expected [+|-]hours[:minutes[:seconds]]")
    sign, hours, minutes, seconds = match.groups()
    return sign, int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)


def _possible(db, job: dict) -> int | None:
    """Seconds the job could grow by before another job needs one of its resources (None:
    unlimited)."""
    end = job["scheduled_at"] + job["walltime"]
    mine = {(kind, value) for kind, values in job["held"].items() for value in values}
    starts = [row["scheduled_at"] for row in db.execute(
        "SELECT j.scheduled_at, h.kind, h.value FROM holdings h JOIN jobs j "
        "ON j.site = h.site AND j.uid = h.job_uid WHERE j.site = ? AND j.uid != ? "
        "AND j.state NOT IN ('terminated', 'error') AND j.scheduled_at >= ?",
        (job["site"], job["uid"], end)) if (row["kind"], row["value"]) in mine]
    return int(min(starts) - end) if starts else None


def status(platform, site: str, uid) -> dict:
    with platform.store.transaction() as db:
        job = jobs.get(platform, site, uid)
        possible = _possible(db, job) if job["state"] == "running" else 0
        return {"walltime": hms(job["walltime"]),
                "possible": "UNLIMITED" if possible is None else hms(possible),
                "granted": hms(job["walltime_granted"]), "pending": hms(job["walltime_pending"])}


def request(platform, site: str, uid, user: str | None, body) -> dict:
    """Apply what can be applied now; returns the OAR-like answer."""
    if user is None:
        raise not_authenticated()
    if not isinstance(body, dict) or "walltime" not in body:
        raise ApiError(400, "Missing walltime: expected {\"walltime\": \"[+|-]h:m:s\"}")
    for flag in FLAGS:
        if flag in body and not isinstance(body[flag], (bool, str)):
            raise ApiError(400, f"Invalid {flag} '{body[flag]}': expected yes/no")
    sign, amount = _seconds(body["walltime"])
    job_lifecycle.advance(platform)
    now = platform.now()
    with platform.store.transaction() as db:
        job = jobs.get(platform, site, uid, refresh=False)
        if job["user"] != user:
            raise ApiError(403, "You are not authorized to access this resource")
        if job["state"] != "running":
            raise oar_error(site, f"Walltime change for job {job['uid']} is not possible: "
                                  f"the job is {job['state']}, not running")
        target = job["walltime"] + amount if sign == "+" else \
            job["walltime"] - amount if sign == "-" else amount
        elapsed = int(now - job["scheduled_at"])
        if target <= elapsed:
            raise oar_error(site, f"Walltime change for job {job['uid']} is not possible: the new "
                                  f"walltime {hms(max(target, 0))} is not after the time already "
                                  f"run ({hms(elapsed)})")
        change = target - job["walltime"]
        pending = 0
        if change > 0:
            possible = _possible(db, job)
            allowed = change if possible is None else min(change, possible)
            whole = str(body.get("whole", "no")).lower() in ("true", "yes", "1")
            if whole and allowed < change:
                allowed = 0
            change, pending = allowed, change - allowed
        db.execute("UPDATE jobs SET walltime = walltime + ?, walltime_granted = walltime_granted + ?, "
                   "walltime_pending = ? WHERE site = ? AND uid = ?",
                   (change, change, pending, site, job["uid"]))
        job_lifecycle.add_event(db, job, "WALLTIME_CHANGE",
                                f"walltime changed by {change:+d} s ({hms(pending)} pending)", now)
    return {"status": "Accepted",
            "message": f"Walltime change request accepted for job {job['uid']}: "
                       f"{hms(abs(change))} {'added' if change >= 0 else 'removed'}, "
                       f"{hms(pending)} pending"}
