"""OAR jobs: submission (validated like g5k-api and refused like OAR), reading, listing,
deletion requests. Time-driven transitions live in job_lifecycle."""
from __future__ import annotations

import datetime
import json
import re
import zoneinfo

from . import job_lifecycle
from .allocation import Unsatisfiable, allocate
from .errors import ApiError, not_authenticated, oar_error
from .resource_request import DEFAULT_WALLTIME, MAX_WALLTIME, ResourceError, parse, parse_filter, parse_walltime

STRING_FIELDS = ("command", "name", "project", "queue", "directory", "properties", "resources",
                 "stdout", "stderr", "notify", "signal", "checkpoint", "import-job-key-from-file")
QUEUES = ("default", "besteffort")
RESERVATION = re.compile(r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}(:\d{1,2})?$")
TYPE = re.compile(r"^[A-Za-z_][\w-]*(=.*)?$")
CORES_PER_NODE = 16
RESERVATION_SLACK = 60  # seconds a reservation may lie in the past (client clock skew)


def invalid(reason: str) -> ApiError:
    return ApiError(400, f"The job you are trying to submit is not valid: {reason}")


def _walltime_of(body: dict, request_walltime: int | None) -> int:
    if request_walltime is not None:
        return request_walltime
    raw = body.get("walltime")
    if raw is None:
        return DEFAULT_WALLTIME
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_WALLTIME:
        return raw  # seconds
    if isinstance(raw, str):
        try:
            return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_WALLTIME else parse_walltime(raw)
        except ResourceError as exc:
            raise invalid(str(exc)) from exc
    raise invalid(f"walltime must be seconds or hh:mm:ss, got {raw!r}")


def parse_reservation(text, timezone: str, now: float) -> float | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ApiError(400, f"Syntax error in reservation start date: {text!r} is not a string")
    if text.strip() == "now":
        return now
    if not RESERVATION.match(text.strip()):
        raise ApiError(400, f"Syntax error in reservation start date: '{text}' "
                            "(expected YYYY-MM-DD hh:mm:ss)")
    parts = re.split(r"[- :]", text.strip()) + ["0"]
    try:
        moment = datetime.datetime(*(int(p) for p in parts[:6]), tzinfo=zoneinfo.ZoneInfo(timezone))
    except ValueError as exc:
        raise ApiError(400, f"Syntax error in reservation start date: '{text}' ({exc})") from exc
    return moment.timestamp()


def format_time(timestamp: float, timezone: str) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, zoneinfo.ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _validate(body) -> dict:
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object")
    for field in STRING_FIELDS:
        if field in body and body[field] is not None and not isinstance(body[field], str):
            raise invalid(f"{field} must be a string, got {body[field]!r}")
    types = body.get("types", [])
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or not all(isinstance(t, str) and TYPE.match(t) for t in types):
        raise invalid(f"types must be a list of OAR job types, got {body.get('types')!r}")
    if not body.get("command") and body.get("reservation") is None:
        raise invalid("Command can't be blank (give a command, or a reservation date)")
    queue = body.get("queue") or "default"
    if queue not in QUEUES:
        raise invalid(f"queue '{queue}' does not exist here (known: {', '.join(QUEUES)})")
    return {**body, "types": types, "queue": queue}


def submit(platform, site: str, user: str | None, body) -> int:
    """Create a job; returns its uid. Raises ApiError with the platform's texts."""
    if user is None:
        raise not_authenticated()
    body = _validate(body)
    resources_text = body.get("resources") or "nodes=1"
    now = platform.now()
    try:
        request = parse(resources_text)
        if body.get("properties"):
            parse_filter(body["properties"])
    except ResourceError as exc:
        raise oar_error(site, str(exc)) from exc
    walltime = _walltime_of(body, request.walltime)
    reservation = parse_reservation(body.get("reservation"), platform.config.timezone, now)
    if reservation is not None and reservation < now - RESERVATION_SLACK:
        raise oar_error(site, "Reservation too old")
    start = now if reservation is None else max(reservation, now)
    resources = platform.resources[site]
    with platform.store.transaction() as db:
        try:
            allocation = allocate(request, body.get("properties"), resources,
                                  job_lifecycle.busy_resources(db, site, start, start + walltime))
        except (ResourceError, Unsatisfiable) as exc:
            raise oar_error(site, str(exc)) from exc
        if allocation is None and reservation is not None:
            could = _could_run_at(db, request, body.get("properties"), resources, site, start, walltime)
            hint = f" (This reservation could run at {format_time(could, platform.config.timezone)})" if could else ""
            raise oar_error(site, f"Reservation not valid --> KO{hint}")
        uid = db.execute("SELECT COALESCE(MAX(uid), 0) + 1 FROM jobs WHERE site = ?", (site,)).fetchone()[0]
        db.execute(
            "INSERT INTO jobs (uid, site, user, name, project, queue, command, directory, types, properties, "
            "resources, walltime, reservation, state, submitted_at, scheduled_at, events) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, '[]')",
            (uid, site, user, body.get("name"), body.get("project"), body["queue"], body.get("command") or "",
             body.get("directory") or f"/home/{user}", json.dumps(body["types"]), body.get("properties"),
             resources_text, walltime, reservation, now, start if allocation else None))
        if allocation:
            job_lifecycle.hold(db, uid, site, allocation)
    return uid  # `waiting` until the next scheduling pass, as right after oarsub


def _could_run_at(db, request, properties, resources, site, start, walltime) -> float | None:
    ends = sorted({row[0] for row in db.execute(
        "SELECT scheduled_at + walltime FROM jobs WHERE site = ? AND state NOT IN ('terminated', 'error') "
        "AND scheduled_at IS NOT NULL AND scheduled_at + walltime > ?", (site, start))})
    for candidate in ends:
        busy = job_lifecycle.busy_resources(db, site, candidate, candidate + walltime)
        if allocate(request, properties, resources, busy) is not None:
            return candidate
    return None


def get(platform, site: str, uid, refresh: bool = True) -> dict:
    """A job; `refresh` first applies the transitions due (not for the answer to a submission)."""
    if refresh:
        job_lifecycle.advance(platform)
    with platform.store.transaction() as db:
        row = db.execute("SELECT * FROM jobs WHERE uid = ? AND site = ?", (_job_id(uid), site)).fetchone()
        if row is None:
            raise ApiError(404, f"Couldn't find OAR::Job with 'job_id'={uid}")
        return _with_holdings(db, row)


def _job_id(uid) -> int:
    """The job id to look up; -1 (no such job) for what is no id, or too large for SQLite."""
    try:
        value = int(uid)
    except (TypeError, ValueError):
        return -1
    return value if -2 ** 63 <= value < 2 ** 63 else -1


def _with_holdings(db, row) -> dict:
    job = dict(row)
    job["held"] = job_lifecycle.holdings(db, row["site"], row["uid"])
    return job


def list_jobs(platform, site: str, filters: dict) -> list[dict]:
    """Jobs of a site, newest first, filtered by user, name, project, queue, job_id, state."""
    job_lifecycle.advance(platform)
    clauses, args = ["site = ?"], [site]
    for field in ("user", "name", "project", "queue"):
        if filters.get(field):
            clauses.append(f"{field} = ?")
            args.append(filters[field])
    if filters.get("job_id"):
        clauses.append("uid = ?")
        args.append(_job_id(filters["job_id"]))
    states = [s.strip().lower() for s in (filters.get("state") or "").split(",") if s.strip()]
    if states:
        clauses.append(f"state IN ({', '.join('?' * len(states))})")
        args.extend(states)
    with platform.store.transaction() as db:
        rows = db.execute(f"SELECT * FROM jobs WHERE {' AND '.join(clauses)} ORDER BY uid DESC", args)
        return [_with_holdings(db, row) for row in rows.fetchall()]


def request_delete(platform, site: str, uid, user: str | None) -> int:
    if user is None:
        raise not_authenticated()
    job_lifecycle.advance(platform)
    job_id = _job_id(uid)
    with platform.store.transaction() as db:
        row = db.execute("SELECT * FROM jobs WHERE uid = ? AND site = ?", (job_id, site)).fetchone()
        if row is None:
            raise ApiError(404, f"Job id '{uid}' cannot be found.")
        if row["user"] != user:
            raise ApiError(403, "You are not authorized to access this resource")
        if row["state"] in job_lifecycle.TERMINAL:
            raise oar_error(site, f"Deleting the job = {job_id} ...This job was already killed")
        if row["delete_requested_at"] is None:
            now = platform.now()
            db.execute("UPDATE jobs SET delete_requested_at = ? WHERE site = ? AND uid = ?",
                       (now, site, job_id))
            job_lifecycle.add_event(db, row, "FRAG_JOB_REQUEST",
                                    f"User {user} requested to frag the job {job_id}", now)
            if row["state"] == "waiting":
                # nothing runs yet, nothing to kill: OAR ends it in error at once
                job_lifecycle.end_job(platform, db, row, "error", now)
    return job_id


def document(platform, job: dict, with_resources: bool = True) -> dict:
    """A job as g5k-api shows it (keys of spec/ jobs: always the same set, plus optional ones)."""
    site = job["site"]
    types = json.loads(job["types"])
    started = job["state"] not in ("waiting",) and job["launched_at"] is not None
    held = job["held"]
    doc = {
        "uid": job["uid"], "user": job["user"], "user_uid": job["user"], "state": job["state"],
        "queue": job["queue"], "walltime": job["walltime"], "types": types, "mode": "PASSIVE",
        "command": job["command"], "directory": job["directory"], "project": job["project"] or "default",
        "properties": job["properties"] or "", "submitted_at": int(job["submitted_at"]),
        "scheduled_at": int(job["scheduled_at"]) if job["scheduled_at"] is not None else None,
        "started_at": int(job["started_at"]) if job["started_at"] is not None else None,
        "message": _message(job, types, len(held["node"])),
        "events": json.loads(job["events"]),
    }
    if job["name"]:
        doc["name"] = job["name"]
    if job["reservation"] is not None:
        doc["reservation"] = int(job["reservation"])
    if job["stopped_at"] is not None:
        doc["stopped_at"] = int(job["stopped_at"])
    if job["exit_code"] is not None:
        doc["exit_code"] = job["exit_code"]
    if with_resources:
        fqdns = [platform.node_fqdn(site, n) for n in held["node"]] if started else []
        doc["assigned_nodes"] = fqdns
        by_type = {}
        if fqdns:
            by_type["cores"] = [f"{f}/{core}" for f in fqdns for core in range(CORES_PER_NODE)]
        if started and held["vlan"]:
            by_type["vlans"] = list(held["vlan"])
        if started and held["subnet"]:
            by_type["subnets"] = list(held["subnet"])
        doc["resources_by_type"] = by_type
    return dict(sorted(doc.items()))


def _message(job: dict, types: list[str], nodes: int) -> str:
    walltime = job["walltime"]
    text = f"R={nodes * CORES_PER_NODE},W={walltime // 3600}:{walltime % 3600 // 60:02d}:{walltime % 60:02d},J=B"
    if job["name"]:
        text += f",N={job['name']}"
    if types:
        text += f",T={'|'.join(types)}"
    return text + " (Karma=0.000,quota_ok)"
