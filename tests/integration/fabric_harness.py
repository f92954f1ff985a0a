"""Helpers for tests on the shared emulated site (see conftest.py's `fabric_site`)."""
from __future__ import annotations

import base64
import json
import socket
import time
import urllib.request

import yaml
from g5k_emulator.config import DEFAULT_CONFIG

USERS = {"jdoe": "jdoe-secret", "asmith": "asmith-secret"}
# `make test` runs two groups of test files at once on one site (scripts/test-integration-fabric):
# rennes has room for both (the guests' files take 4 nodes at most, the others 3).
RENNES_NODES = 8
SITE_BOOT_TIMEOUT = 180  # seconds for every node to boot; a wait sized for a loaded machine
# The group that runs beside all other files: iperf3, whose TCG guests measure for minutes (the
# longest file); vm_fleet's tiny guests go with the others, which mostly wait (deployments,
# leases, SSH), to even the two groups out (one run: iperf3 1264 s, vm_fleet 294 s, the others 1067 s).
GUEST_FILES = ("test_playbook_iperf3.py",)


def site_config() -> dict:
    """The platform the playbook tests share: the embedded default, with more rennes nodes, quick
    deployments and a free API port."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["sites"]["rennes"]["clusters"]["parasilo"]["nodes"] = RENNES_NODES
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        config["api"]["port"] = probe.getsockname()[1]
    config["deployment_delay"] = 0.5
    return config


def api_call(url: str, method: str, path: str, user: str = "jdoe", body=None):
    token = base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    if data:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        text = answer.read().decode()
    return json.loads(text) if text else None


def set_faults(url: str, **faults) -> dict:
    """Merge fault settings into the site's (the emulator's control route, beside the API's
    version prefix); returns every setting."""
    request = urllib.request.Request(url.rsplit("/", 1)[0] + "/_emulator/faults", data=json.dumps(faults).encode(),
                                     method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def release_jobs(url: str, user: str = "jdoe", name: str | None = None, timeout: float = 180.0) -> None:
    """Delete every active job of `user` (named `name`, if given) on every OAR site and wait
    until the platform has ended them and given their nodes back (an ended deploy job's
    nodes are redeployed with the standard environment first)."""
    query = f"user={user}&state=waiting,launching,running" + (f"&name={name}" if name else "")
    for site in ("rennes", "nancy"):
        for job in api_call(url, "GET", f"/sites/{site}/jobs?{query}")["items"]:
            api_call(url, "DELETE", f"/sites/{site}/jobs/{job['uid']}", user)
        deadline = time.monotonic() + timeout
        while True:
            left = api_call(url, "GET", f"/sites/{site}/jobs?{query}")
            nodes = api_call(url, "GET", f"/sites/{site}/status")["nodes"]
            if not left["items"] and all(n["hard"] == "alive" for n in nodes.values()):
                break
            assert time.monotonic() < deadline, f"{site}: jobs or nodes not back after {timeout} s"
            time.sleep(1)
