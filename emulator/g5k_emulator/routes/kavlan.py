"""KaVLAN: /sites/{s}/vlans... (g5k-api.md §2). Static segments (nodes, users) are declared
before /vlans/{id} so they are not taken for VLAN ids."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import kavlan
from ..auth import require_user
from ..errors import ApiError
from ..http_responses import COLLECTION, collection, json_body, link, render, self_and_parent
from ..job_lifecycle import advance
from ..vlan_catalogue import site_vlans

router = APIRouter()
CACHED = {"Cache-Control": "max-age=60, public"}  # what g5k-api sends (expires_in 60.seconds)


def _platform(request: Request, site: str):
    platform = request.app.state.platform
    platform.oar_site(site, "KaVLAN")
    advance(platform)  # rights follow job states
    return platform


def _vlan_doc(request, site, vlan, kind):
    base = f"/sites/{site}/vlans/{vlan}"
    return {"uid": vlan, "type": kind, "links": [
        link(request, "dhcpd", f"{base}/dhcpd"), link(request, "nodes", f"{base}/nodes", COLLECTION),
        link(request, "users", f"{base}/users", COLLECTION), link(request, "self", base),
        link(request, "parent", f"/sites/{site}")]}


def _node_doc(request, site, name, vlan):
    return {"uid": name, "vlan": vlan,
            "links": self_and_parent(request, f"/sites/{site}/vlans/nodes/{name}", f"/sites/{site}/vlans/nodes")}


def _cached(response: Response) -> Response:
    response.headers.update(CACHED)
    return response


@router.get("/sites/{site}/vlans")
def list_vlans(request: Request, site: str):
    platform = _platform(request, site)
    items = [_vlan_doc(request, site, vid, kind) for vid, kind in site_vlans(platform.reference, site).items()]
    return collection(request, items, f"/sites/{site}/vlans", f"/sites/{site}")


@router.get("/sites/{site}/vlans/nodes")
def all_nodes(request: Request, site: str):
    platform = _platform(request, site)
    with platform.store.transaction() as db:
        members = kavlan.membership(platform, db, site)
    items = [_node_doc(request, site, name, vlan) for name, vlan in members.items()]
    return _cached(collection(request, items, f"/sites/{site}/vlans/nodes", f"/sites/{site}/vlans"))


@router.post("/sites/{site}/vlans/nodes")
async def vlan_of_nodes(request: Request, site: str):
    platform = _platform(request, site)
    require_user(request)
    names = await json_body(request)
    if not isinstance(names, list) or not names:
        raise ApiError(422, "Missing node list")
    with platform.store.transaction() as db:
        members = kavlan.membership(platform, db, site)
    # names the backend does not know are dropped silently, as g5k-api does
    items = [_node_doc(request, site, n, members[n]) for n in dict.fromkeys(names) if n in members]
    return collection(request, items, f"/sites/{site}/vlans/nodes", f"/sites/{site}/vlans")


@router.get("/sites/{site}/vlans/nodes/{name}")
def vlan_of_node(request: Request, site: str, name: str):
    platform = _platform(request, site)
    if name not in platform.interfaces[site]:
        raise ApiError(404, f"Unknown node '{name}'.")
    with platform.store.transaction() as db:
        vlan = kavlan.vlan_of(db, site, name)
    return _cached(render(request, _node_doc(request, site, name, vlan)))


def _user_vlans_doc(request, site, login, vlans):
    return {"uid": login, "vlans": sorted(vlans, key=int),
            "links": self_and_parent(request, f"/sites/{site}/vlans/users/{login}", f"/sites/{site}/vlans/users")}


@router.get("/sites/{site}/vlans/users")
def users(request: Request, site: str):
    platform = _platform(request, site)
    with platform.store.transaction() as db:
        rights = kavlan.rights(platform, db, site)
    items = [_user_vlans_doc(request, site, login, vlans) for login, vlans in sorted(rights.items())]
    return _cached(collection(request, items, f"/sites/{site}/vlans/users", f"/sites/{site}/vlans"))


@router.get("/sites/{site}/vlans/users/{login}")
def user(request: Request, site: str, login: str):
    platform = _platform(request, site)
    with platform.store.transaction() as db:
        vlans = kavlan.rights(platform, db, site).get(login, set())
    return _cached(render(request, _user_vlans_doc(request, site, login, vlans)))


@router.get("/sites/{site}/vlans/{vlan}")
def get_vlan(request: Request, site: str, vlan: str):
    platform = _platform(request, site)
    kavlan.check_vlan(platform, site, vlan)
    kind = site_vlans(platform.reference, site)[vlan]
    return _cached(render(request, _vlan_doc(request, site, vlan, kind)))


@router.get("/sites/{site}/vlans/{vlan}/nodes")
def vlan_nodes(request: Request, site: str, vlan: str):
    platform = _platform(request, site)
    kavlan.check_vlan(platform, site, vlan)
    with platform.store.transaction() as db:
        members = kavlan.membership(platform, db, site)
    items = [_node_doc(request, site, n, v) for n, v in members.items() if v == vlan]
    return _cached(collection(request, items, f"/sites/{site}/vlans/{vlan}/nodes", f"/sites/{site}/vlans/{vlan}"))


@router.post("/sites/{site}/vlans/{vlan}/nodes")
async def set_vlan_nodes(request: Request, site: str, vlan: str):
    platform = _platform(request, site)
    login = require_user(request)
    names = await json_body(request)
    return render(request, kavlan.set_nodes_vlan(platform, site, vlan, names, login))


def _vlan_user_doc(request, site, vlan, login, status):
    return {"uid": login, "status": status, "links": self_and_parent(
        request, f"/sites/{site}/vlans/{vlan}/users/{login}", f"/sites/{site}/vlans/{vlan}/users")}


@router.get("/sites/{site}/vlans/{vlan}/users")
def vlan_users(request: Request, site: str, vlan: str):
    platform = _platform(request, site)
    kavlan.check_vlan(platform, site, vlan)
    with platform.store.transaction() as db:
        rights = kavlan.rights(platform, db, site)
    items = [_vlan_user_doc(request, site, vlan, login, "authorized")
             for login, vlans in sorted(rights.items()) if vlan in vlans]
    return _cached(collection(request, items, f"/sites/{site}/vlans/{vlan}/users", f"/sites/{site}/vlans/{vlan}"))


@router.get("/sites/{site}/vlans/{vlan}/users/{login}")
def vlan_user(request: Request, site: str, vlan: str, login: str):
    platform = _platform(request, site)
    kavlan.check_vlan(platform, site, vlan)
    with platform.store.transaction() as db:
        allowed = vlan in kavlan.rights(platform, db, site).get(login, set())
    return _cached(render(request, _vlan_user_doc(request, site, vlan, login,
                                                  "authorized" if allowed else "unauthorized")))


@router.put("/sites/{site}/vlans/{vlan}/users/{login}")
@router.delete("/sites/{site}/vlans/{vlan}/users/{login}")
def grant_or_revoke(request: Request, site: str, vlan: str, login: str):
    _platform(request, site)
    require_user(request)
    # Reserved to OAR on the platform: rights here follow the jobs.
    raise ApiError(403, f"{kavlan.NO_PRIVILEGES}: only OAR grants or revokes VLAN rights")


@router.put("/sites/{site}/vlans/{vlan}/dhcpd")
async def dhcpd(request: Request, site: str, vlan: str):
    platform = _platform(request, site)
    login = require_user(request)
    body = await json_body(request)
    kavlan.set_dhcpd(platform, site, vlan, body, login)
    return Response(status_code=204)
