"""podman with the containers.conf this machine needs (runc, rlimits root may set).

The conf is generated in the state directory and passed through CONTAINERS_CONF, so the
emulator works from a plain shell without touching /etc (see test-infra.md).
"""
from __future__ import annotations

import resource
from pathlib import Path

from .host_commands import output, run


def containers_conf_text() -> str:
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return ("[containers]\n"
            f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc=32768:32768"]\n\n'
            "[engine]\n"
            'runtime = "runc"\n')


class Podman:
    def __init__(self, state_dir: Path):
        self.conf = Path(state_dir) / "containers.conf"

    def _env(self) -> dict:
        text = containers_conf_text()
        if not self.conf.exists() or self.conf.read_text() != text:
            self.conf.parent.mkdir(parents=True, exist_ok=True)
            self.conf.write_text(text)
        return {"CONTAINERS_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True, timeout: float | None = 120):
        return run(["podman", *args], check=check, env=self._env(), timeout=timeout)

    def output(self, *args: str) -> str:
        return output(["podman", *args], env=self._env())

    def env(self) -> dict:
        return self._env()
