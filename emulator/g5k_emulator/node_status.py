"""What /sites/{s}/status and /sites/{s}/clusters/{c}/status say about nodes: every node is
alive; it is `busy` while a launching or running job holds it, else `free`; `reservations`
lists the active jobs that hold it (now or for a future window)."""
from __future__ import annotations

import json

from .job_lifecycle import advance


def nodes_status(platform, site: str, cluster: str | None = None) -> dict[str, dict]:
    advance(platform)
    holders: dict[str, list[dict]] = {}
    with platform.store.transaction() as db:
        rows = db.execute(
            "SELECT h.value, j.uid, j.user, j.state, j.queue, j.walltime, j.scheduled_at, j.started_at, j.types "
            "FROM holdings h JOIN jobs j ON j.site = h.site AND j.uid = h.job_uid WHERE h.kind = 'node' AND j.site = ? "
            "AND j.state IN ('waiting', 'launching', 'running') ORDER BY j.scheduled_at", (site,))
        for row in rows:
            holders.setdefault(row["value"], []).append({
                "uid": row["uid"], "user": row["user"], "user_uid": row["user"], "state": row["state"],
                "queue": row["queue"], "walltime": row["walltime"], "types": json.loads(row["types"]),
                "scheduled_at": int(row["scheduled_at"]),
                "started_at": int(row["started_at"]) if row["started_at"] is not None else None})
        returning = {row["node"] for row in db.execute("SELECT node FROM returning_nodes WHERE site = ?", (site,))}
    status = {}
    for cluster_uid, nodes in platform.reference.nodes[site].items():
        if cluster is not None and cluster_uid != cluster:
            continue
        for uid in nodes:
            reservations = holders.get(uid, [])
            busy = any(r["state"] in ("launching", "running") for r in reservations)
            if uid in returning:  # an ended deploy job's node, being redeployed: OAR keeps it out
                status[platform.node_fqdn(site, uid)] = {
                    "hard": "suspected", "soft": "busy", "reservations": reservations,
                    "comment": "redeploying the standard environment after a deploy job"}
                continue
            status[platform.node_fqdn(site, uid)] = {
                "hard": "alive", "soft": "busy" if busy else "free", "comment": "",
                "reservations": reservations}
    return status
