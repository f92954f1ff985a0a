"""Node status: /sites/{s}/status and /sites/{s}/clusters/{c}/status (OAR sites only)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ..errors import ApiError
from ..http_responses import render, self_and_parent
from ..node_status import nodes_status

router = APIRouter()


@router.get("/sites/{site}/status")
def site_status(request: Request, site: str):
    platform = request.app.state.platform
    platform.oar_site(site, "OAR")
    return render(request, {"nodes": nodes_status(platform, site),
                            "links": self_and_parent(request, f"/sites/{site}/status", f"/sites/{site}")})


@router.get("/sites/{site}/clusters/{cluster}/status")
def cluster_status(request: Request, site: str, cluster: str):
    platform = request.app.state.platform
    platform.oar_site(site, "OAR")
    if cluster not in platform.reference.clusters[site]:
        raise ApiError(404, f"Cannot find cluster '{cluster}' on site '{site}'")
    base = f"/sites/{site}/clusters/{cluster}"
    return render(request, {"nodes": nodes_status(platform, site, cluster),
                            "links": self_and_parent(request, f"{base}/status", base)})
