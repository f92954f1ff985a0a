"""Fault injection for tests: latency, bursts of 503, dropped connections (and, read by
deployments, slow/failing deployments and nodes that do not boot). Off by default; set from
the configuration and changed at run time through PUT /_emulator/faults.

Applied to the API under the version prefixes only, never to the /_emulator control routes.
"""
from __future__ import annotations

import asyncio
import dataclasses

from .config import faults_from_mapping

API_PREFIXES = ("/stable", "/3.0", "/sid")
ERROR_TEXT = b"Service Unavailable (fault injected by g5k-emulator: error burst)"


def _take(platform) -> tuple[str | None, float]:
    """Consume one injected fault, if any: ("drop" | "error" | None, latency seconds)."""
    with platform.faults_lock:
        faults = platform.faults
        action = None
        if faults.drop_connections > 0:
            action, faults = "drop", dataclasses.replace(faults, drop_connections=faults.drop_connections - 1)
        elif faults.error_burst > 0:
            action, faults = "error", dataclasses.replace(faults, error_burst=faults.error_burst - 1)
        platform.faults = faults
        return action, faults.latency


def update(platform, changes: dict):
    """Merge `changes` into the running faults (ConfigError on unknown keys or wrong types)."""
    with platform.faults_lock:
        platform.faults = faults_from_mapping(changes, platform.faults)
        return platform.faults


class FaultInjection:
    """Outermost ASGI layer, so that it holds the server's own `send` (needed to drop a connection)."""

    def __init__(self, app, platform):
        self.app = app
        self.platform = platform

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            return await self.app(scope, receive, send)
        action, latency = _take(self.platform)
        if latency:
            await asyncio.sleep(latency)
        if action == "drop":
            return await self._drop(send)
        if action == "error":
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(ERROR_TEXT)).encode())]})
            await send({"type": "http.response.body", "body": ERROR_TEXT})
            return None
        return await self.app(scope, receive, send)

    @staticmethod
    async def _drop(send):
        # uvicorn's `send` is a method of the request cycle, which owns the transport.
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:
            raise ConnectionAbortedError("connection dropped (fault injected by g5k-emulator)")
        transport.abort()
        await asyncio.sleep(0.05)  # let the server see the connection lost before it answers 500
        return None
