"""OAR job states moved by time: waiting -> launching -> running -> terminated | error.

`advance(platform)` applies every transition due at the platform's current time; a background
ticker calls it a few times a second and every API handler calls it before answering, so
what a client reads is always up to date. A job that starts running opens its nodes to its
user (their account and sudo-g5k, unless it is a deploy job) and the gateways of its local
VLANs. Ending a job releases its resources and, as OAR's epilogue does, closes those doors,
puts its nodes and the members of its VLANs back into the production VLAN, and redeploys with
the standard environment the nodes of a deploy job and those its user was root on with
sudo-g5k (they are not allocated until then).
"""
from __future__ import annotations

import json
import logging
import threading

from .allocation import Unsatisfiable, allocate
from .environments import STANDARD
from .resource_request import ResourceError, parse
from .vlan_catalogue import DEFAULT, global_vlan_owner

log = logging.getLogger(__name__)

TERMINAL = ("terminated", "error")
ACTIVE = ("waiting", "launching", "running")


def busy_resources(db, site: str, start: float, end: float, exclude: int | None = None) -> set:
    """(kind, value) pairs held by other non-terminal jobs over a window overlapping [start, end)."""
    rows = db.execute(
        "SELECT h.kind, h.value FROM holdings h JOIN jobs j ON j.site = h.site AND j.uid = h.job_uid "
        "WHERE j.site = ? AND j.state NOT IN ('terminated', 'error') AND j.scheduled_at IS NOT NULL "
        "AND j.scheduled_at < ? AND j.scheduled_at + j.walltime > ? AND j.uid != ?",
        (site, end, start, -1 if exclude is None else exclude))
    returning = db.execute("SELECT node FROM returning_nodes WHERE site = ?", (site,))
    return {(r["kind"], r["value"]) for r in rows} | {("node", r["node"]) for r in returning}


def holdings(db, site: str, job_uid: int) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {"node": [], "vlan": [], "subnet": []}
    for row in db.execute("SELECT kind, value FROM holdings WHERE site = ? AND job_uid = ? "
                          "ORDER BY position", (site, job_uid)):
        held[row["kind"]].append(row["value"])
    return held


def hold(db, job_uid: int, site: str, allocation: dict[str, list[str]]) -> None:
    position = 0
    for kind in ("node", "vlan", "subnet"):
        for value in allocation[kind]:
            db.execute("INSERT INTO holdings (job_uid, site, kind, value, position) VALUES (?, ?, ?, ?, ?)",
                       (job_uid, site, kind, value, position))
            position += 1


def add_event(db, job, kind: str, description: str, now: float) -> None:
    events = json.loads(job["events"])
    events.append({"type": kind, "description": description, "date": int(now), "to_check": "NO"})
    db.execute("UPDATE jobs SET events = ? WHERE site = ? AND uid = ?",
               (json.dumps(events), job["site"], job["uid"]))


def end_job(platform, db, job, state: str, now: float, event: tuple[str, str] | None = None) -> None:
    exit_code = 0 if state == "terminated" else None
    db.execute("UPDATE jobs SET state = ?, stopped_at = ?, exit_code = ? WHERE site = ? AND uid = ?",
               (state, now, exit_code, job["site"], job["uid"]))
    if event:
        add_event(db, job, *event, now)
    _reset_network(platform, db, job)
    _set_access(platform, db, job)
    _set_subnets(platform, db, job)
    nodes = holdings(db, job["site"], job["uid"])["node"]
    if "deploy" not in json.loads(job["types"]):   # nodes someone was root on are reinstalled too
        nodes = _try(platform.fabric.root_used, job["site"], nodes) or []
    _return_to_standard(platform, db, job, nodes)


def _reset_network(platform, db, job) -> None:
    """Nodes of the job, and whatever sits in its VLANs, go back to DEFAULT; the DHCP servers
    of its VLANs that the user stopped run again."""
    site = job["site"]
    held = holdings(db, site, job["uid"])
    if not held["node"] and not held["vlan"]:
        return
    moves: dict[str, set[str]] = {}
    nodes = set(held["node"])
    for row in db.execute("SELECT interface FROM vlan_members WHERE site = ?", (site,)):
        if platform.interfaces[site].get(row["interface"], (None,))[0] in nodes:
            moves.setdefault(site, set()).add(row["interface"])
    for vlan in held["vlan"]:
        is_global = global_vlan_owner(platform.reference, vlan) is not None
        query = "SELECT site, interface FROM vlan_members WHERE vlan = ?" + ("" if is_global else " AND site = ?")
        for row in db.execute(query, (vlan,) if is_global else (vlan, site)):
            moves.setdefault(row["site"], set()).add(row["interface"])
        for row in db.execute("SELECT site FROM dhcpd WHERE vlan = ? AND running = 0", (vlan,)):
            if is_global or row["site"] == site:
                _try(platform.fabric.set_dhcp, row["site"], vlan, True)
                db.execute("DELETE FROM dhcpd WHERE site = ? AND vlan = ?", (row["site"], vlan))
    for member_site, interfaces in moves.items():
        _try(platform.fabric.set_vlan, member_site, sorted(interfaces), DEFAULT)
        db.executemany("DELETE FROM vlan_members WHERE site = ? AND interface = ?",
                       [(member_site, i) for i in interfaces])


def _access_hosts(platform, site: str, held: dict) -> list[str]:
    """The hosts a job opens to its user: its nodes and its local VLANs' gateways."""
    gateways = [f"kavlan-{vlan}" for vlan in held["vlan"]
                if f"kavlan-{vlan}" in platform.reference.servers.get(site, {})]
    return [*held["node"], *gateways]


def _set_access(platform, db, job) -> None:
    """Write who may log in on the job's hosts, from every job running now (a node may be
    shared by several non-deploy jobs of different users)."""
    site = job["site"]
    hosts = _access_hosts(platform, site, holdings(db, site, job["uid"]))
    if not hosts:
        return
    allowed: dict[str, set[str]] = {host: set() for host in hosts}
    for running in db.execute("SELECT * FROM jobs WHERE site = ? AND state = 'running'", (site,)).fetchall():
        held = holdings(db, site, running["uid"])
        opened = _access_hosts(platform, site, held)
        if "deploy" in json.loads(running["types"]):
            opened = [h for h in opened if h not in held["node"]]   # root only after kadeploy
        for host in opened:
            if host in allowed:
                allowed[host].add(running["user"])
    _try(platform.fabric.set_access, site, {host: sorted(users) for host, users in allowed.items()})


def _set_subnets(platform, db, job) -> None:
    """When a job holding subnets starts or ends: the site's DHCP serves the MACs of the
    subnets of the jobs running now."""
    site = job["site"]
    if not holdings(db, site, job["uid"])["subnet"]:
        return
    running = db.execute("SELECT h.value FROM holdings h JOIN jobs j ON j.site = h.site AND j.uid = h.job_uid "
                         "WHERE j.site = ? AND j.state = 'running' AND h.kind = 'subnet' ORDER BY h.value",
                         (site,))
    _try(platform.fabric.set_subnets, site, [row["value"] for row in running])


def _return_to_standard(platform, db, job, nodes: list[str]) -> None:
    """Redeploy nodes of an ended job (a deploy job's, or those its user was root on with
    sudo-g5k) with the standard environment, in production, with the platform's keys only;
    they stay out of allocation until that is done."""
    site = job["site"]
    if not nodes:
        return
    db.executemany("INSERT OR IGNORE INTO returning_nodes (site, node) VALUES (?, ?)",
                   [(site, node) for node in nodes])

    def redeploy():
        fqdns = [platform.node_fqdn(site, node) for node in nodes]
        _try(platform.fabric.deploy, site, fqdns, STANDARD, None, DEFAULT, 0.0)
        with platform.store.transaction() as db_after:
            db_after.executemany("DELETE FROM returning_nodes WHERE site = ? AND node = ?",
                                 [(site, node) for node in nodes])
    worker = threading.Thread(target=redeploy, name=f"standard-{site}-{job['uid']}", daemon=True)
    platform.workers.append(worker)
    worker.start()


def _try(call, *args):
    # A job ends whatever the fabric says; the failure is logged for whoever runs the emulator.
    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - any fabric failure
        log.error("fabric %s%r failed while ending a job: %s", call.__name__, args, exc)
        return None


def advance(platform) -> None:
    """Apply every state transition due now."""
    now = platform.now()
    config = platform.config
    with platform.store.transaction() as db:
        for job in db.execute("SELECT * FROM jobs WHERE state NOT IN ('terminated', 'error') "
                              "AND delete_requested_at IS NOT NULL AND delete_requested_at <= ?",
                              (now - config.delete_delay,)).fetchall():
            state = "terminated" if job["state"] in ("launching", "running") else "error"
            end_job(platform, db, job, state, now)
        for job in db.execute("SELECT * FROM jobs WHERE state IN ('launching', 'running') "
                              "AND scheduled_at + walltime <= ?", (now,)).fetchall():
            end_job(platform, db, job, "terminated", now,
                    ("WALLTIME", f"Job {job['uid']} reached its walltime and was killed"))
        for job in db.execute("SELECT * FROM jobs WHERE state = 'waiting' AND scheduled_at IS NULL "
                              "AND delete_requested_at IS NULL ORDER BY uid").fetchall():
            _try_to_schedule(platform, db, job, now)
        db.execute("UPDATE jobs SET state = 'running', started_at = ? WHERE state = 'launching' "
                   "AND launched_at <= ? AND delete_requested_at IS NULL", (now, now - config.launch_delay))
        db.execute("UPDATE jobs SET state = 'launching', launched_at = ? WHERE state = 'waiting' "
                   "AND scheduled_at IS NOT NULL AND scheduled_at <= ? AND delete_requested_at IS NULL",
                   (now, now))
        # a job launched and due to run within the same tick (launch_delay 0) runs at once
        db.execute("UPDATE jobs SET state = 'running', started_at = ? WHERE state = 'launching' "
                   "AND launched_at <= ? AND delete_requested_at IS NULL", (now, now - config.launch_delay))
        for job in db.execute("SELECT * FROM jobs WHERE state = 'running' AND started_at = ?", (now,)).fetchall():
            _set_access(platform, db, job)
            _set_subnets(platform, db, job)


def _try_to_schedule(platform, db, job, now: float) -> None:
    try:
        request = parse(job["resources"])
        allocation = allocate(request, job["properties"], platform.resources[job["site"]],
                              busy_resources(db, job["site"], now, now + job["walltime"], job["uid"]))
    except (ResourceError, Unsatisfiable) as exc:  # the platform changed under a waiting job
        end_job(platform, db, job, "error", now, ("RESOURCES", str(exc)))
        return
    if allocation is not None:
        hold(db, job["uid"], job["site"], allocation)
        db.execute("UPDATE jobs SET scheduled_at = ? WHERE site = ? AND uid = ?",
                   (now, job["site"], job["uid"]))


class Ticker:
    """Calls `advance` every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, platform, interval: float = 0.2):
        self.platform = platform
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="g5k-emulator-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                advance(self.platform)
            except Exception:  # noqa: BLE001 - keep ticking; the next request will show the error
                log.exception("advancing job states failed")
