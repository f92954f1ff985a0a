"""OAR jobs: GET/POST /sites/{s}/jobs, GET/DELETE /sites/{s}/jobs/{id}, GET/POST .../walltime."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import jobs, walltime_change
from ..auth import require_user
from ..http_responses import absolute, json_body, paginated, render, self_and_parent

router = APIRouter()
FILTERS = ("user", "name", "project", "queue", "job_id", "state")


def _platform(request: Request, site: str):
    platform = request.app.state.platform
    platform.oar_site(site, "OAR")
    return platform


def _document(request: Request, platform, job: dict, with_resources: bool = True) -> dict:
    doc = jobs.document(platform, job, with_resources)
    path = f"/sites/{job['site']}/jobs/{job['uid']}"
    doc["links"] = self_and_parent(request, path, f"/sites/{job['site']}")
    return doc


@router.get("/sites/{site}/jobs")
def list_jobs(request: Request, site: str):
    platform = _platform(request, site)
    found = jobs.list_jobs(platform, site, {k: request.query_params.get(k) for k in FILTERS})
    with_resources = request.query_params.get("resources") in ("yes", "true", "1")
    return paginated(request, found, lambda job: _document(request, platform, job, with_resources),
                     f"/sites/{site}/jobs", f"/sites/{site}")


@router.post("/sites/{site}/jobs")
async def submit(request: Request, site: str):
    platform = _platform(request, site)
    user = require_user(request)
    body = await json_body(request)
    uid = jobs.submit(platform, site, user, body)
    job = jobs.get(platform, site, uid, refresh=False)
    return render(request, _document(request, platform, job), status=201,
                  headers={"Location": absolute(request, f"/sites/{site}/jobs/{uid}")})


@router.get("/sites/{site}/jobs/{uid}")
def get_job(request: Request, site: str, uid: str):
    platform = _platform(request, site)
    return render(request, _document(request, platform, jobs.get(platform, site, uid)))


@router.delete("/sites/{site}/jobs/{uid}")
def delete_job(request: Request, site: str, uid: str):
    platform = _platform(request, site)
    job_id = jobs.request_delete(platform, site, uid, require_user(request))
    info = (f"Deleting the job = {job_id} ...REGISTERED. "
            f"The job(s) [ {job_id} ] will be deleted in a near future.")
    return Response(status_code=202, headers={
        "Location": absolute(request, f"/sites/{site}/jobs/{job_id}"), "X-Oar-Info": info})


@router.get("/sites/{site}/jobs/{uid}/walltime")
def get_walltime(request: Request, site: str, uid: str):
    platform = _platform(request, site)
    path = f"/sites/{site}/jobs/{uid}/walltime"
    return render(request, {**walltime_change.status(platform, site, uid),
                            "links": self_and_parent(request, path, f"/sites/{site}/jobs/{uid}")})


@router.post("/sites/{site}/jobs/{uid}/walltime")
async def change_walltime(request: Request, site: str, uid: str):
    platform = _platform(request, site)
    answer = walltime_change.request(platform, site, uid, require_user(request), await json_body(request))
    path = f"/sites/{site}/jobs/{uid}/walltime"
    return render(request, {**answer, "links": self_and_parent(request, path, f"/sites/{site}/jobs/{uid}")},
                  status=202)
