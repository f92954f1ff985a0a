"""Test doubles and helpers for the API tests (in-process app): users, a clock the test
moves, a fabric that records what the API asked of it, and a small client wrapper."""
from __future__ import annotations

import base64
import dataclasses
import time

from fastapi.testclient import TestClient

from g5k_emulator import config as config_module
from g5k_emulator.emulated_platform import Platform

JDOE = ("jdoe", "jdoe-secret")
ASMITH = ("asmith", "asmith-secret")


class MovableClock:
    """Time that only moves when a test says so."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingFabric:
    """The Fabric protocol, recording calls; `fail_with` makes every call raise it."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.fail_with: Exception | None = None
        self.booted: dict[str, bool] = {}
        self.rooted: set[str] = set()   # node uids where a user ran sudo-g5k

    def _record(self, *call):
        self.calls.append(call)
        if self.fail_with is not None:
            raise self.fail_with

    def set_vlan(self, site, interfaces, vlan, cut_off=()):
        # recorded with the interfaces cut off only when a fault cut some
        self._record("set_vlan", site, list(interfaces), vlan, *((list(cut_off),) if cut_off else ()))

    def set_dhcp(self, site, vlan, running):
        self._record("set_dhcp", site, vlan, running)

    def root_used(self, site, nodes):
        self._record("root_used", site, list(nodes))
        return [n for n in nodes if n in self.rooted]

    def set_subnets(self, site, subnets):
        self._record("set_subnets", site, list(subnets))

    def set_access(self, site, hosts):
        self._record("set_access", site, dict(hosts))

    def deploy(self, site, nodes, environment, key, vlan, delay):
        self._record("deploy", site, list(nodes), environment, key, vlan)
        time.sleep(delay)
        return {n: self.booted.get(n, True) for n in nodes}


def basic(user: tuple[str, str]) -> dict[str, str]:
    token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclasses.dataclass
class Api:
    """A TestClient bound to a platform, with helpers for the calls most tests make."""

    client: TestClient
    platform: Platform
    clock: MovableClock
    fabric: RecordingFabric

    def get(self, path, user=None, headers=None, **kwargs):
        return self.client.get(f"/stable{path}", headers={**(basic(user) if user else {}), **(headers or {})},
                               **kwargs)

    def post(self, path, body, user=JDOE, **kwargs):
        return self.client.post(f"/stable{path}", json=body, headers=basic(user) if user else {}, **kwargs)

    def put(self, path, body, user=JDOE, **kwargs):
        return self.client.put(f"/stable{path}", json=body, headers=basic(user) if user else {}, **kwargs)

    def delete(self, path, user=JDOE):
        return self.client.delete(f"/stable{path}", headers=basic(user) if user else {})

    def submit(self, resources, user=JDOE, **fields):
        body = {"resources": resources, "command": "sleep 3600", **fields}
        return self.post("/sites/rennes/jobs", body, user=user)

    def running_job(self, resources, user=JDOE, site="rennes", **fields):
        """Submit a job and move time until it runs; returns its document."""
        body = {"resources": resources, "command": "sleep 3600", **fields}
        answer = self.post(f"/sites/{site}/jobs", body, user=user)
        assert answer.status_code == 201, answer.text
        path = f"/sites/{site}/jobs/{answer.json()['uid']}"
        assert self.get(path).json()["state"] == "launching"  # scheduled at the first pass
        self.clock.advance(self.platform.config.launch_delay)
        job = self.get(path).json()
        assert job["state"] == "running", job
        return job


def make_config(**overrides) -> config_module.Config:
    config = config_module.load()
    return dataclasses.replace(config, deployment_delay=0.0, **overrides)
