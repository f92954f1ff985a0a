"""Kadeploy environments: GET /sites/{s}/environments[/{uid}] (what `kaenv3 -l` lists), so
clients can check a name before they reserve anything."""
from __future__ import annotations

from fastapi import APIRouter, Request

from .. import environments
from ..errors import ApiError
from ..http_responses import paginated, render, self_and_parent

router = APIRouter()


def _links(request: Request, site: str, doc: dict) -> dict:
    path = f"/sites/{site}/environments/{doc['uid']}"
    return {**doc, "links": self_and_parent(request, path, f"/sites/{site}")}


@router.get("/sites/{site}/environments")
def list_environments(request: Request, site: str):
    request.app.state.platform.oar_site(site, "Kadeploy")
    query = request.query_params
    if query.get("latest_only", "yes") not in ("yes", "no"):
        raise ApiError(400, f"Invalid 'latest_only' parameter: '{query['latest_only']}' (yes or no)")
    found = environments.listing(name=query.get("name"), arch=query.get("arch"), user=query.get("user"))
    return paginated(request, found, lambda doc: _links(request, site, doc),
                     f"/sites/{site}/environments", f"/sites/{site}")


@router.get("/sites/{site}/environments/{uid}")
def get_environment(request: Request, site: str, uid: str):
    request.app.state.platform.oar_site(site, "Kadeploy")
    for doc in environments.listing():
        if doc["uid"] == uid:
            return render(request, _links(request, site, doc))
    raise ApiError(404, f"Couldn't find environment with uid '{uid}'")
