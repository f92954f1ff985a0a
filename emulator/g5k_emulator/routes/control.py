"""The emulator's own control routes, outside the API prefixes: /_emulator/faults (GET, PUT JSON)."""
from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import faults
from ..config import ConfigError
from ..errors import ApiError
from ..http_responses import json_body

router = APIRouter()


def _faults_body(current) -> dict:
    body = dataclasses.asdict(current)
    body["nodes_not_booting"] = list(body["nodes_not_booting"])
    return body


@router.get("/faults")
def get_faults(request: Request):
    platform = request.app.state.platform
    with platform.faults_lock:
        return JSONResponse(_faults_body(platform.faults))


@router.put("/faults")
async def put_faults(request: Request):
    changes = await json_body(request)
    try:
        updated = faults.update(request.app.state.platform, changes if changes is not None else {})
    except ConfigError as exc:
        raise ApiError(400, str(exc)) from exc
    return JSONResponse(_faults_body(updated))


@router.get("/health")
def health():
    return JSONResponse({"status": "ok"})
