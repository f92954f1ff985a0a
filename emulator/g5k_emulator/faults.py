"""Fault injection for tests: latency, bursts of 503, dropped connections (and, read by
deployments, slow/failing deployments and nodes that do not boot). Off by default; set from
the configuration and changed at run time through PUT /_emulator/faults.

Targeted faults hit only the requests a rule names (method and path), so a test can break the
job submission and nothing else. Rules are set at run time (not in the configuration file):

    PUT /_emulator/faults/rules  {"rules": [{"fault": "lost_answer", "method": "POST",
                                              "path": "/sites/*/jobs", "count": 1}]}
    GET /_emulator/faults/rules  -> {"rules": [...]} with the counts still to come

- `fault`: `error` (503, the platform does nothing), `drop` (the connection is closed before the
  platform acts) or `lost_answer` (the platform acts, e.g. creates the job, then the connection
  is closed before the answer is sent: the client cannot tell whether its request was done);
- `method` (optional): the HTTP method it hits; `path` (optional): a shell-style pattern on the
  path after the version prefix (`*` also matches `/`); `count` (default 1): how many requests.
The first rule that matches a request, with hits left, applies; then the untargeted faults.
A PUT replaces every rule; `{"rules": []}` clears them.

Applied to the API under the version prefixes only, never to the /_emulator control routes.
"""
from __future__ import annotations

import asyncio
import dataclasses
import fnmatch
import json

from .config import faults_from_mapping

API_PREFIXES = ("/stable", "/3.0", "/sid")
ERROR_TEXT = b"Service Unavailable (fault injected by g5k-emulator: error burst)"
RULES_PATH = "/_emulator/faults/rules"
RULE_FAULTS = ("error", "drop", "lost_answer")


class RuleError(ValueError):
    """A fault rule that cannot be used; the message names the field to fix."""


@dataclasses.dataclass
class Rule:
    fault: str
    method: str | None = None
    path: str | None = None
    count: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.count > 0 and (self.method is None or self.method == method)
                and (self.path is None or fnmatch.fnmatchcase(path, self.path)))


def parse_rules(body) -> list[Rule]:
    """Rules from the control route's JSON body ({"rules": [...]}); RuleError if malformed."""
    if not isinstance(body, dict) or set(body) != {"rules"} or not isinstance(body["rules"], list):
        raise RuleError('expected {"rules": [{"fault": ..., "method": ..., "path": ..., "count": ...}, ...]}')
    rules = []
    for index, raw in enumerate(body["rules"]):
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            raise RuleError(f"{where}: expected a mapping")
        unknown = set(raw) - {"fault", "method", "path", "count"}
        if unknown:
            raise RuleError(f"{where}: unknown keys {sorted(unknown)} (known: count, fault, method, path)")
        if raw.get("fault") not in RULE_FAULTS:
            raise RuleError(f"{where}.fault: expected one of {', '.join(RULE_FAULTS)}, got {raw.get('fault')!r}")
        for key in ("method", "path"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise RuleError(f"{where}.{key}: expected a string, got {raw[key]!r}")
        count = raw.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise RuleError(f"{where}.count: expected a whole number >= 1, got {count!r}")
        method = raw.get("method")
        rules.append(Rule(fault=raw["fault"], method=method.upper() if method else None,
                          path=raw.get("path"), count=count))
    return rules


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


def _api_path(path: str) -> str:
    """`/stable/sites/rennes/jobs` -> `/sites/rennes/jobs`: what rules match on."""
    prefix = next(p for p in API_PREFIXES if path.startswith(p))
    return path[len(prefix):] or "/"


class FaultInjection:
    """Outermost ASGI layer, so that it holds the server's own `send` (needed to drop a connection).

    It also serves RULES_PATH: the rules live here, next to where they are applied. Rules are
    only read and changed on the server's event loop, one coroutine step at a time: no lock."""

    def __init__(self, app, platform):
        self.app = app
        self.platform = platform
        self.rules: list[Rule] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == RULES_PATH:
            return await self._serve_rules(scope, receive, send)
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            return await self.app(scope, receive, send)
        action = self._take_rule(scope["method"], _api_path(scope["path"]))
        if action is None:
            action, latency = _take(self.platform)
        else:  # a targeted fault leaves the untargeted counters for the requests after it
            with self.platform.faults_lock:
                latency = self.platform.faults.latency
        if latency:
            await asyncio.sleep(latency)
        if action == "drop":
            return await self._drop(send)
        if action == "lost_answer":
            return await self._lose_answer(scope, receive, send)
        if action == "error":
            return await _answer(send, 503, ERROR_TEXT, b"text/plain; charset=utf-8")
        return await self.app(scope, receive, send)

    def _take_rule(self, method: str, path: str) -> str | None:
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        if rule is None:
            return None
        rule.count -= 1
        return rule.fault

    async def _serve_rules(self, scope, receive, send):
        if scope["method"] == "PUT":
            try:
                self.rules = parse_rules(json.loads(await _read_body(receive) or b"null"))
            except (ValueError, RuleError) as exc:  # json's errors are ValueErrors too
                return await _answer(send, 400, f"fault rules: {exc}".encode(), b"text/plain; charset=utf-8")
        elif scope["method"] != "GET":
            return await _answer(send, 405, f"Method {scope['method']} is not allowed on {RULES_PATH}".encode(),
                                 b"text/plain; charset=utf-8")
        body = json.dumps({"rules": [dataclasses.asdict(r) for r in self.rules]}).encode()
        return await _answer(send, 200, body, b"application/json")

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


async def _read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _answer(send, status: int, body: bytes, content_type: bytes):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
