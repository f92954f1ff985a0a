"""Fault injection for tests: latency, and rules that answer 503, drop the connection, or lose
the answer after the platform acted (slow/failing deployments and nodes that do not boot are read
by deployments). Off by default; set in the configuration's `faults` and at run time through the
control routes (routes/control.py), one mechanism for both:

    PUT /_emulator/faults        {"latency": 0.2, "error_burst": 2, "rules": [...], ...}: merged
    GET /_emulator/faults        -> every setting, the rules with their hits left, and the counters
    PUT /_emulator/faults/rules  {"rules": [{"fault": "lost_answer", "method": "POST",
                                             "path": "/sites/*/jobs", "count": 1}]}: replaces every rule
    GET /_emulator/faults/rules  -> {"rules": [...]} with the counts still to come

A rule (config.FaultRule): `fault` is `error` (503, the platform does nothing), `drop` (the
connection is closed before the platform acts) or `lost_answer` (the platform acts, e.g. creates
the job, then the connection is closed before the answer is sent: the client cannot tell whether
its request was done) or `none` (answered normally: placed before another rule of the same
requests, it spares the first `count` of them); `method` (optional): the HTTP method it hits; `path` (optional): a
shell-style pattern on the path after the version prefix (`*` also matches `/`); `count`
(default 1): how many requests. The first rule that matches a request, with hits left, applies.

`error_burst: N` and `drop_connections: N` (the configuration keys from before rules) are
shorthands for the untargeted rule {"fault": "error" | "drop", "count": N}, which hits every request;
reading them gives that rule's hits left.

Applied to the API under the version prefixes only, never to the /_emulator control routes.
"""
from __future__ import annotations

import asyncio
import dataclasses
import fnmatch

API_PREFIXES = ("/stable", "/3.0", "/sid")
ERROR_TEXT = b"Service Unavailable (fault injected by g5k-emulator: error burst)"


def _matches(rule, method: str, path: str) -> bool:
    return (rule.count > 0 and (rule.method is None or rule.method == method)
            and (rule.path is None or fnmatch.fnmatchcase(path, rule.path)))


def take(platform, method: str, path: str) -> tuple[str | None, float]:
    """Use one hit of the first rule matching the request: (its fault or None, latency seconds).
    The faults are shared with the deployment threads: read and replaced under their lock."""
    with platform.faults_lock:
        faults = platform.faults
        index = next((i for i, r in enumerate(faults.rules) if _matches(r, method, path)), None)
        if index is None:
            return None, faults.latency
        rule = faults.rules[index]
        rules = faults.rules[:index] + (dataclasses.replace(rule, count=rule.count - 1),) + faults.rules[index + 1:]
        platform.faults = dataclasses.replace(faults, rules=rules)
        return rule.fault, faults.latency


def _api_path(path: str) -> str:
    """`/stable/sites/rennes/jobs` -> `/sites/rennes/jobs`: what rules match on."""
    prefix = next(p for p in API_PREFIXES if path.startswith(p))
    return path[len(prefix):] or "/"


class FaultInjection:
    """Outermost ASGI layer, so that it holds the server's own `send` (needed to drop a connection)."""

    def __init__(self, app, platform):
        self.app = app
        self.platform = platform

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            return await self.app(scope, receive, send)
        action, latency = take(self.platform, scope["method"], _api_path(scope["path"]))
        if latency:
            await asyncio.sleep(latency)
        if action == "drop":
            return await self._drop(send)
        if action == "lost_answer":
            return await self._lose_answer(scope, receive, send)
        if action == "error":
            return await _answer(send, 503, ERROR_TEXT, b"text/plain; charset=utf-8")
        return await self.app(scope, receive, send)

    async def _lose_answer(self, scope, receive, send):
        async def nowhere(_message):
            return None  # the platform's answer is computed, then lost

        await self.app(scope, receive, nowhere)
        return await self._drop(send)

    @staticmethod
    async def _drop(send):
        # uvicorn's `send` is a method of the request cycle, which owns the transport.
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:
            raise ConnectionAbortedError("connection dropped (fault injected by g5k-emulator)")
        transport.abort()
        await asyncio.sleep(0.05)  # let the server see the connection lost before it answers 500
        return None


async def _answer(send, status: int, body: bytes, content_type: bytes):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
