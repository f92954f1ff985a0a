"""The emulator's own control routes, outside the API prefixes: /_emulator/faults (GET, PUT JSON:
every fault setting), /_emulator/faults/rules (GET, PUT JSON: the fault rules only; see faults.py),
/_emulator/health."""
from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..config import ConfigError, Faults, faults_from_mapping
from ..errors import ApiError
from ..http_responses import json_body

router = APIRouter()


def _rules_body(current: Faults) -> list[dict]:
    return [dataclasses.asdict(rule) for rule in current.rules]


def _faults_body(current: Faults) -> dict:
    body = {f.name: getattr(current, f.name) for f in dataclasses.fields(current)}
    body.update(nodes_not_booting=list(current.nodes_not_booting),
                nodes_lost_in_vlan_move=list(current.nodes_lost_in_vlan_move), rules=_rules_body(current),
                error_burst=current.error_burst, drop_connections=current.drop_connections)
    return body


async def _merge(request: Request, changes) -> Faults:
    """The platform's faults with `changes` merged (400 naming the bad key, nothing changed)."""
    platform = request.app.state.platform
    try:
        with platform.faults_lock:
            platform.faults = faults_from_mapping(changes, platform.faults)
            return platform.faults
    except ConfigError as exc:
        raise ApiError(400, str(exc)) from exc


@router.get("/faults")
def get_faults(request: Request):
    platform = request.app.state.platform
    with platform.faults_lock:
        return JSONResponse(_faults_body(platform.faults))


@router.put("/faults")
async def put_faults(request: Request):
    changes = await json_body(request)
    return JSONResponse(_faults_body(await _merge(request, changes if changes is not None else {})))


@router.get("/faults/rules")
def get_rules(request: Request):
    platform = request.app.state.platform
    with platform.faults_lock:
        return JSONResponse({"rules": _rules_body(platform.faults)})


@router.put("/faults/rules")
async def put_rules(request: Request):
    body = await json_body(request)
    if not isinstance(body, dict) or set(body) != {"rules"}:
        raise ApiError(400, 'fault rules: expected {"rules": [{"fault": ..., "method": ..., "path": ..., '
                            '"count": ...}, ...]}')
    return JSONResponse({"rules": _rules_body(await _merge(request, body))})


@router.get("/health")
def health():
    return JSONResponse({"status": "ok"})
