"""Kadeploy deployments: waiting -> processing -> terminated | error | canceled, with a
per-node OK/KO result. The fabric does the work in a worker thread (NoFabric just waits
`deployment_delay`); a fabric exception ends the deployment in `error`, never in success."""
from __future__ import annotations

import json
import logging
import re
import threading
import uuid

from . import environments
from .errors import ApiError, not_authenticated
from .kavlan import NO_PRIVILEGES, rights, vlan_of
from .vlan_catalogue import DEFAULT, site_vlans

log = logging.getLogger(__name__)

PERMITTED = ("nodes", "environment", "version", "arch", "key", "vlan", "partition_label",
             "block_device", "reformat_tmp", "disable_disk_partitioning",
             "disable_bootloader_install", "ignore_nodes_deploying")
BOOLEANS = ("disable_disk_partitioning", "disable_bootloader_install", "ignore_nodes_deploying")
ENVIRONMENT = re.compile(r"^(https?://\S+|[A-Za-z0-9][\w.+-]*(@[\w.-]+)?)$")
FINAL = ("terminated", "error", "canceled")


def invalid(reason: str) -> ApiError:
    return ApiError(400, f"The deployment you are trying to submit is not valid: {reason}")


def _validate(platform, site: str, body) -> dict:
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object")
    params = {k: body[k] for k in PERMITTED if k in body}  # others are dropped, as params.permit does
    nodes = params.get("nodes")
    if not isinstance(nodes, list) or not nodes or not all(isinstance(n, str) and n for n in nodes):
        raise invalid("nodes must be a non-empty list of node names")
    environment = params.get("environment")
    if not isinstance(environment, str) or not environment.strip():
        raise invalid("environment can't be blank")
    if not ENVIRONMENT.match(environment):
        raise ApiError(400, f"Cannot launch deployment: Invalid environment specification -- "
                            f"'{environment}' is neither name[@owner] nor an http(s) URL")
    if not environment.startswith(("http://", "https://")):
        try:
            environments.check(environment)
        except environments.UnknownEnvironment as exc:
            raise ApiError(400, f"Cannot launch deployment: Invalid environment specification -- "
                                f"{exc}") from None
    unknown = [n for n in nodes if platform.node_uid_of(site, n) is None]
    if unknown:
        raise ApiError(400, f"Cannot launch deployment: Kadeploy error #1: unknown node(s) on site "
                            f"{site}: {', '.join(unknown)} (give node FQDNs, not -kavlan names)")
    if "key" in params and not isinstance(params["key"], str):
        raise invalid("key must be a string (an SSH public key or an http(s) URL)")
    for name in BOOLEANS:
        params[name] = bool(params.get(name, False))
    if params.get("vlan") is not None:
        vlan = str(params["vlan"])
        if vlan not in site_vlans(platform.reference, site) or vlan == DEFAULT:
            raise invalid(f"vlan {params['vlan']!r} is not a VLAN of site {site}")
        params["vlan"] = vlan
    return params


def create(platform, site: str, user: str | None, body) -> str:
    if user is None:
        raise not_authenticated()
    params = _validate(platform, site, body)
    nodes = list(dict.fromkeys(params.pop("nodes")))
    now = platform.now()
    with platform.store.transaction() as db:
        allowed = _deployable_nodes(db, site, user)
        refused = [n for n in nodes if platform.node_uid_of(site, n) not in allowed]
        if refused:
            raise ApiError(403, f"Cannot launch deployment: you do not have the rights to deploy on "
                                f"{', '.join(refused)} (not in one of your running jobs of type deploy)")
        if params.get("vlan") and params["vlan"] not in rights(platform, db, site).get(user, set()):
            raise ApiError(403, f"Cannot launch deployment: {NO_PRIVILEGES}: VLAN {params['vlan']} "
                                "is not held by one of your running jobs")
        if not params["ignore_nodes_deploying"]:
            _refuse_nodes_deploying(db, site, nodes)
        uid = f"D-{uuid.uuid4()}"
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM deployments").fetchone()[0]
        db.execute("INSERT INTO deployments (uid, site, user, seq, created_at, updated_at, status, nodes, "
                   "environment, params) VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
                   (uid, site, user, seq, now, now, json.dumps(nodes), params.pop("environment"),
                    json.dumps(params)))
    worker = threading.Thread(target=_run, args=(platform, uid), name=f"deploy-{uid}", daemon=True)
    platform.workers.append(worker)
    worker.start()
    return uid


def _deployable_nodes(db, site: str, user: str) -> set[str]:
    rows = db.execute("SELECT h.value, j.types FROM holdings h JOIN jobs j ON j.site = h.site AND j.uid = h.job_uid "
                      "WHERE h.kind = 'node' AND j.state = 'running' AND j.site = ? AND j.user = ?",
                      (site, user))
    return {r["value"] for r in rows if "deploy" in json.loads(r["types"])}


def _refuse_nodes_deploying(db, site: str, nodes: list[str]) -> None:
    busy = set()
    for row in db.execute("SELECT nodes FROM deployments WHERE site = ? AND status IN ('waiting', 'processing')",
                          (site,)):
        busy |= set(json.loads(row["nodes"])) & set(nodes)
    if busy:
        raise ApiError(400, f"Cannot launch deployment: Kadeploy error #3: nodes already being deployed: "
                            f"{', '.join(sorted(busy))} (set ignore_nodes_deploying to override)")


def _update(platform, uid: str, only_if: tuple[str, ...], **fields) -> bool:
    """Update a deployment unless it was canceled meanwhile; True if updated."""
    fields["updated_at"] = platform.now()
    with platform.store.transaction() as db:
        row = db.execute("SELECT status FROM deployments WHERE uid = ?", (uid,)).fetchone()
        if row is None or row["status"] not in only_if:
            return False
        sets = ", ".join(f"{k} = ?" for k in fields)
        db.execute(f"UPDATE deployments SET {sets} WHERE uid = ?", (*fields.values(), uid))
        return True


def _run(platform, uid: str) -> None:
    try:
        _deploy(platform, uid)
    except Exception:  # noqa: BLE001 - a worker must never die silently
        log.exception("deployment %s failed inside the emulator", uid)
        _update(platform, uid, ("waiting", "processing"), status="error",
                output="internal emulator error while deploying (see the emulator's log)")


def _deploy(platform, uid: str) -> None:
    with platform.store.transaction() as db:
        row = dict(db.execute("SELECT * FROM deployments WHERE uid = ?", (uid,)).fetchone())
    if not _update(platform, uid, ("waiting",), status="processing"):
        return
    site, nodes, params = row["site"], json.loads(row["nodes"]), json.loads(row["params"])
    vlan = params.get("vlan")
    with platform.store.transaction() as db:
        if vlan:
            # Kadeploy --vlan moves the primary interfaces before rebooting the nodes.
            db.executemany("INSERT OR REPLACE INTO vlan_members (site, interface, vlan) VALUES (?, ?, ?)",
                           [(site, n, vlan) for n in nodes])
        groups: dict[str, list[str]] = {}  # without --vlan a node is deployed where it is
        for node in nodes:
            groups.setdefault(vlan_of(db, site, node), []).append(node)
    with platform.faults_lock:
        faults = platform.faults
    delay = platform.config.deployment_delay + faults.slow_deployment
    booted: dict[str, bool] = {}
    try:
        for current, members in groups.items():
            booted.update(platform.fabric.deploy(site, members, row["environment"], params.get("key"),
                                                 None if current == DEFAULT else current, delay))
    except Exception as exc:  # noqa: BLE001 - the fabric's failure is the deployment's failure
        result = {n: {"macro": None, "micro": None, "state": "KO"} for n in nodes}
        _update(platform, uid, ("processing",), status="error", result=json.dumps(result),
                output=f"Kadeploy error: {exc}")
        return
    not_booting = set(faults.nodes_not_booting)
    result = {}
    for node in nodes:
        ok = booted.get(node, False) and node not in not_booting and node.split(".")[0] not in not_booting
        result[node] = {"macro": None if ok else "BootNewEnv", "micro": None if ok else "reboot_timeout",
                        "state": "OK" if ok else "KO"}
    if faults.failing_deployment:
        _update(platform, uid, ("processing",), status="error", result=json.dumps(
            {n: {**r, "state": "KO"} for n, r in result.items()}),
            output="Kadeploy error: the deployment workflow failed (fault injected by g5k-emulator)")
        return
    _update(platform, uid, ("processing",), status="terminated", result=json.dumps(result),
            output=f"{sum(r['state'] == 'OK' for r in result.values())}/{len(nodes)} nodes deployed")


def recover(platform) -> None:
    """Deployments cut by an emulator restart end in error: nothing finishes them any more."""
    with platform.store.transaction() as db:
        db.execute("UPDATE deployments SET status = 'error', output = ?, updated_at = ? "
                   "WHERE status IN ('waiting', 'processing')",
                   ("interrupted: the emulator stopped during this deployment", platform.now()))


def get(platform, site: str, uid: str) -> dict:
    with platform.store.transaction() as db:
        row = db.execute("SELECT * FROM deployments WHERE uid = ? AND site = ?", (uid, site)).fetchone()
    if row is None:
        raise ApiError(404, f"Couldn't find Grid5000::Deployment with uid '{uid}'")
    return dict(row)


def list_deployments(platform, site: str, filters: dict) -> list[dict]:
    clauses, args = ["site = ?"], [site]
    if filters.get("user"):
        clauses.append("user = ?")
        args.append(filters["user"])
    statuses = [s.strip() for s in (filters.get("status") or "").split(",") if s.strip()]
    if statuses:
        clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(statuses)
    order = "ASC" if filters.get("reverse") in ("true", "yes", "1") else "DESC"
    with platform.store.transaction() as db:
        rows = db.execute(f"SELECT * FROM deployments WHERE {' AND '.join(clauses)} ORDER BY seq {order}", args)
        return [dict(r) for r in rows.fetchall()]


def cancel(platform, site: str, uid: str, user: str | None) -> None:
    if user is None:
        raise not_authenticated()
    row = get(platform, site, uid)
    if row["user"] != user:
        raise ApiError(403, "You are not authorized to access this resource")
    if row["status"] in FINAL:
        raise ApiError(400, f"Cannot cancel deployment {uid}: it is already {row['status']}")
    _update(platform, uid, ("waiting", "processing"), status="canceled", output="canceled by the user")


def document(row: dict) -> dict:
    params = json.loads(row["params"])
    doc = {
        "uid": row["uid"], "site_uid": row["site"], "user_uid": row["user"], "status": row["status"],
        "nodes": json.loads(row["nodes"]), "environment": row["environment"],
        "created_at": int(row["created_at"]), "updated_at": int(row["updated_at"]),
        "disable_bootloader_install": params.get("disable_bootloader_install", False),
        "disable_disk_partitioning": params.get("disable_disk_partitioning", False),
        "ignore_nodes_deploying": params.get("ignore_nodes_deploying", False),
    }
    for key in ("vlan", "key", "version", "arch", "partition_label", "block_device", "reformat_tmp"):
        if params.get(key) is not None:
            doc[key] = params[key]
    if row["result"]:
        doc["result"] = json.loads(row["result"])
    if row["output"]:
        doc["output"] = row["output"]
    return dict(sorted(doc.items()))
