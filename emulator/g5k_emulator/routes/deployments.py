"""Kadeploy: /sites/{s}/deployments (list, create), /{uid} (get, refresh with PUT, cancel with DELETE)."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import deployments
from ..auth import require_user
from ..http_responses import absolute, json_body, paginated, render, self_and_parent
from ..job_lifecycle import advance

router = APIRouter()


def _platform(request: Request, site: str):
    platform = request.app.state.platform
    platform.oar_site(site, "Kadeploy")
    advance(platform)
    return platform


def _document(request: Request, row: dict) -> dict:
    doc = deployments.document(row)
    path = f"/sites/{row['site']}/deployments/{row['uid']}"
    doc["links"] = self_and_parent(request, path, f"/sites/{row['site']}")
    return doc


@router.get("/sites/{site}/deployments")
def list_deployments(request: Request, site: str):
    platform = _platform(request, site)
    filters = {k: request.query_params.get(k) for k in ("user", "status", "reverse")}
    found = deployments.list_deployments(platform, site, filters)
    return paginated(request, found, lambda row: _document(request, row), f"/sites/{site}/deployments",
                     f"/sites/{site}")


@router.post("/sites/{site}/deployments")
async def create(request: Request, site: str):
    platform = _platform(request, site)
    user = require_user(request)
    body = await json_body(request)
    uid = deployments.create(platform, site, user, body)
    return render(request, _document(request, deployments.get(platform, site, uid)), status=201,
                  headers={"Location": absolute(request, f"/sites/{site}/deployments/{uid}")})


@router.get("/sites/{site}/deployments/{uid}")
def get(request: Request, site: str, uid: str):
    platform = _platform(request, site)
    return render(request, _document(request, deployments.get(platform, site, uid)))


@router.put("/sites/{site}/deployments/{uid}")
def refresh(request: Request, site: str, uid: str):
    # The emulator's record is always current: refreshing from "Kadeploy" changes nothing.
    platform = _platform(request, site)
    deployments.get(platform, site, uid)
    return Response(status_code=204)


@router.delete("/sites/{site}/deployments/{uid}")
def cancel(request: Request, site: str, uid: str):
    platform = _platform(request, site)
    deployments.cancel(platform, site, uid, require_user(request))
    return Response(status_code=202, headers={"Location": absolute(request, f"/sites/{site}/deployments/{uid}")})
