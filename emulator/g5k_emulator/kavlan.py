"""KaVLAN: which interface is in which VLAN, who may change it, and the changes themselves.

Rights as on the platform: a user may use a VLAN while one of their RUNNING jobs holds it
(a global VLAN is held on its owner's site and usable on every site), and may only move
interfaces of nodes that one of their running jobs on that site holds. Changes go to the
fabric first; the database records them only once the fabric has made them.
"""
from __future__ import annotations

from .errors import ApiError, kavlan_error, not_authenticated
from .vlan_catalogue import DEFAULT, global_vlan_owner, site_vlans

NO_PRIVILEGES = "Not enough privileges on Kavlan resources"


def check_vlan(platform, site: str, vlan: str) -> str:
    if vlan not in site_vlans(platform.reference, site):
        raise ApiError(404, f"Vlan {vlan} does not exist")
    return vlan


def vlan_of(db, site: str, interface: str) -> str:
    row = db.execute("SELECT vlan FROM vlan_members WHERE site = ? AND interface = ?",
                     (site, interface)).fetchone()
    return row["vlan"] if row else DEFAULT


def membership(platform, db, site: str) -> dict[str, str]:
    """Every KaVLAN interface of the site -> its VLAN id ("DEFAULT" when in production)."""
    current = {r["interface"]: r["vlan"] for r in
               db.execute("SELECT interface, vlan FROM vlan_members WHERE site = ?", (site,))}
    return {name: current.get(name, DEFAULT) for name in platform.interfaces[site]}


def rights(platform, db, site: str) -> dict[str, set[str]]:
    """login -> VLAN ids of this site's catalogue the login may use now."""
    catalogue = site_vlans(platform.reference, site)
    result: dict[str, set[str]] = {}
    rows = db.execute("SELECT j.user, j.site, h.value FROM holdings h JOIN jobs j ON j.site = h.site AND j.uid = h.job_uid "
                      "WHERE h.kind = 'vlan' AND j.state = 'running'")
    for row in rows:
        vlan = row["value"]
        is_global = global_vlan_owner(platform.reference, vlan) is not None
        if vlan in catalogue and (row["site"] == site or is_global):
            result.setdefault(row["user"], set()).add(vlan)
    return result


def owned_nodes(db, site: str, login: str) -> set[str]:
    rows = db.execute("SELECT h.value FROM holdings h JOIN jobs j ON j.site = h.site AND j.uid = h.job_uid "
                      "WHERE h.kind = 'node' AND j.state = 'running' AND j.site = ? AND j.user = ?",
                      (site, login))
    return {r["value"] for r in rows}


def _require_rights(platform, db, site: str, vlan: str, login: str) -> None:
    if vlan == DEFAULT:
        return
    if vlan not in rights(platform, db, site).get(login, set()):
        raise ApiError(403, f"{NO_PRIVILEGES}: VLAN {vlan} is not held by one of your running jobs")


def set_nodes_vlan(platform, site: str, vlan: str, names, login: str | None) -> dict:
    """POST /vlans/{id}/nodes: per-name success / unchanged / failure, as g5k-api maps them."""
    if login is None:
        raise not_authenticated()
    check_vlan(platform, site, vlan)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ApiError(422, "Missing node list")
    interfaces = platform.interfaces[site]
    with platform.store.transaction() as db:
        _require_rights(platform, db, site, vlan, login)
        owned = owned_nodes(db, site, login)
        foreign = [n for n in dict.fromkeys(names) if n in interfaces and interfaces[n][0] not in owned]
        if foreign:
            raise ApiError(403, f"{NO_PRIVILEGES}: {', '.join(foreign)} not in one of your running jobs")
        changes = [n for n in dict.fromkeys(names) if n in interfaces and vlan_of(db, site, n) != vlan]
        if changes:
            with platform.faults_lock:
                lost = set(platform.faults.nodes_lost_in_vlan_move)
            cut_off = tuple(n for n in changes if interfaces[n][0] in lost)
            try:
                platform.fabric.set_vlan(site, changes, vlan, cut_off=cut_off)
            except Exception as exc:  # noqa: BLE001 - any fabric failure is the backend failing
                raise kavlan_error(site, 500, f"could not move {', '.join(changes)} to VLAN {vlan}: {exc}") from exc
            for name in changes:
                if vlan == DEFAULT:
                    db.execute("DELETE FROM vlan_members WHERE site = ? AND interface = ?", (site, name))
                else:
                    db.execute("INSERT OR REPLACE INTO vlan_members (site, interface, vlan) VALUES (?, ?, ?)",
                               (site, name, vlan))
    result = {}
    for name in names:
        if name not in interfaces:
            result[name] = {"status": "failure", "message": "Unknown node"}
        elif name in changes:
            result[name] = {"status": "success", "message": "Successfully added to vlan"}
        else:
            result[name] = {"status": "unchanged", "message": "Node already in vlan"}
    return result


def set_dhcpd(platform, site: str, vlan: str, body, login: str | None) -> None:
    """PUT /vlans/{id}/dhcpd {"action": "start"|"stop"}."""
    if login is None:
        raise not_authenticated()
    check_vlan(platform, site, vlan)
    action = body.get("action") if isinstance(body, dict) else None
    if action not in ("start", "stop"):
        raise ApiError(422, "An action ('start' or 'stop') should be provided")
    if vlan == DEFAULT:
        raise ApiError(403, f"{NO_PRIVILEGES}: the production network's DHCP is not yours to switch")
    with platform.store.transaction() as db:
        _require_rights(platform, db, site, vlan, login)
        running = action == "start"
        try:
            platform.fabric.set_dhcp(site, vlan, running)
        except Exception as exc:  # noqa: BLE001
            raise kavlan_error(site, 500, f"could not {action} the DHCP server of VLAN {vlan}: {exc}") from exc
        db.execute("INSERT OR REPLACE INTO dhcpd (site, vlan, running) VALUES (?, ?, ?)",
                   (site, vlan, int(running)))
