"""The emulated site under test and what the fabric tests do with its nodes.

Everything runs for real: root, podman containers, bridges, dnsmasq. Nodes are driven with
`podman exec` (inside the node) and `ip netns exec` (host tools in the node's namespace).
"""
from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from g5k_emulator.fabric.live import LiveFabric
from g5k_emulator.testing import require_fabric, user_key, write_site_config

SITE = "rennes"
DOMAIN = f"{SITE}.grid5000.fr"
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, nodes: int, port: int, faults: dict | None = None) -> Path:
    """A one-site platform whose users come from a users file with their public keys."""
    return write_site_config(path, {
        "api": {"host": "127.0.0.1", "port": port},
        "sites": {SITE: {"clusters": {"parasilo": {"nodes": nodes}}}},
        "deployment_delay": 0.5, **({"faults": faults} if faults else {})})


def needs_fabric():
    require_fabric()


class Site:
    """The site under test and what the tests do with its nodes."""

    def __init__(self, fabric: LiveFabric, config_path: Path, api: bool):
        self.fabric = fabric
        self.config_path = config_path
        self.api = SiteApi(fabric.config.host, fabric.config.port) if api else None
        self.env = {**os.environ, **fabric.podman.env()}
        self.key = fabric.state.dir / "ssh" / "id_ed25519"

    def node(self, n: int):
        return self.fabric.topology.node(SITE, f"parasilo-{n}")

    def fqdn(self, n: int) -> str:
        return f"parasilo-{n}.{DOMAIN}"

    def address(self, n: int, vlan: str = "DEFAULT") -> str:
        return self.node(n).primary.addresses[vlan]

    def exec(self, n: int | str, command: str, check: bool = True, timeout: float = 90):
        container = self.node(n).container if isinstance(n, int) else n
        result = subprocess.run(["podman", "exec", container, "sh", "-c", command],
                                capture_output=True, text=True, env=self.env, timeout=timeout)
        if check:
            assert result.returncode == 0, f"{container}: {command}: {result.stderr}"
        return result

    def renew(self, *numbers: int) -> None:
        """What the tutorials do after a VLAN change: bring eth0 down and up (DHCP)."""
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for done in [pool.submit(self.exec, n, "ifdown eth0 2>/dev/null; ifup eth0")
                         for n in numbers]:
                done.result()

    def ipv4(self, n: int, device: str = "eth0") -> list[str]:
        out = self.exec(n, f"ip -4 -o addr show dev {device}").stdout
        return [line.split()[3].split("/")[0] for line in out.splitlines()]

    def arping(self, n: int, address: str) -> bool:
        """Whether `address` answers ARP on node n's eth0 segment: a layer-2 check."""
        result = subprocess.run(["ip", "netns", "exec", self.node(n).netns, "arping", "-c", "2",
                                 "-w", "3", "-I", "eth0", address], capture_output=True, text=True)
        return result.returncode == 0

    def ping(self, n: int, address: str) -> bool:
        return self.exec(n, f"ping -c 1 -W 2 {address}", check=False).returncode == 0

    def mirror_addresses(self) -> list[str]:
        return [ip for ips in self.fabric.state.load()["mirror"].values() for ip in ips]

    def fetch_release(self, n: int, host: str, attempts: int = 3) -> bool:
        """Whether node n gets the mirror's bookworm Release file over HTTP (10 s a try). The
        mirror is outside the machine and sometimes slow to answer: a few tries tell a blocked
        path (every try fails at once or times out) from a slow mirror."""
        script = ("import urllib.request,sys\n"
                  "r=urllib.request.Request('http://%s/debian/dists/bookworm/Release',"
                  "headers={'Host':'%s'})\n"
                  "sys.exit(0 if b'Suite' in urllib.request.urlopen(r,timeout=10).read(2000) else 1)"
                  % (host, self.mirror_host))
        return any(self.exec(n, f'python3 -c "{script}"', check=False).returncode == 0
                   for _ in range(attempts))

    @property
    def mirror_host(self) -> str:
        return next(iter(self.fabric.state.load()["mirror"]))

    def ssh(self, address: str, command: str, key: Path | None = None, jump: str | None = None,
            user: str = "root"):
        args = ["ssh", *SSH_OPTIONS, "-i", str(key or self.key)]
        if jump:
            args += ["-o", f"ProxyCommand=ssh {' '.join(SSH_OPTIONS)} -i {self.key} -W %h:%p root@{jump}"]
        return subprocess.run([*args, f"{user}@{address}", command], capture_output=True, text=True,
                              timeout=60)

    def user_key(self, login: str) -> Path:
        return user_key(self.config_path, login)

    def dhcp(self, vlan: str, running: bool = True) -> None:
        self.fabric.set_dhcp(SITE, vlan, running)

    def move(self, numbers, vlan: str) -> None:
        self.fabric.set_vlan(SITE, [self.fqdn(n) for n in numbers], vlan)


class SiteApi:
    """The site's REST API over HTTP (basic auth as jdoe), as the playbooks call it."""

    def __init__(self, host: str, port: int, user=("jdoe", "jdoe-secret")):
        self.base = f"http://{host}:{port}/stable/sites/{SITE}"
        token = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                text = answer.read().decode()
                status = answer.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(), error.code
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def running_job(self, resources: str, types=()) -> dict:
        status, job = self.call("POST", "/jobs", {"resources": resources, "command": "sleep 3600",
                                                  "types": list(types)})
        assert status == 201, job
        return self.wait(f"/jobs/{job['uid']}", lambda j: j["state"] == "running", 30)

    def wait(self, path: str, done, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            status, document = self.call("GET", path)
            assert status == 200, document
            if done(document) or time.monotonic() > deadline:
                return document
            time.sleep(0.5)

    def end(self, uid) -> None:
        """Delete a job, wait until OAR ended it and its nodes are back (an ended deploy job's
        nodes are redeployed with the standard environment: `suspected` until then)."""
        status, answer = self.call("DELETE", f"/jobs/{uid}")
        assert status == 202, answer
        self.wait(f"/jobs/{uid}", lambda j: j["state"] in ("terminated", "error"), 30)
        self.wait("/status", lambda s: all(n["hard"] == "alive" for n in s["nodes"].values()), 120)

    def move(self, names: list[str], vlan: str) -> dict:
        status, answer = self.call("POST", f"/vlans/{vlan}/nodes", names)
        assert status == 200, answer
        return answer

    def dhcpd(self, vlan: str, action: str) -> None:
        status, answer = self.call("PUT", f"/vlans/{vlan}/dhcpd", {"action": action})
        assert status == 204, answer

    def deploy(self, nodes: list[str], environment: str, key: str, vlan: str | None) -> dict:
        body = {"nodes": nodes, "environment": environment, "key": key}
        if vlan is not None:
            body["vlan"] = int(vlan)
        status, deployment = self.call("POST", "/deployments", body)
        assert status == 201, deployment
        return self.wait(f"/deployments/{deployment['uid']}",
                         lambda d: d["status"] in ("terminated", "error", "canceled"), 180)
