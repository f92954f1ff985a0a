"""Run a real `g5k-emulator serve` subprocess for integration tests.

    from g5k_emulator.testing import running_emulator

    with running_emulator() as emulator:          # default platform, fresh temporary state
        requests.get(f"{emulator.url}/sites")      # emulator.url ends with /stable

`running_emulator(config=None, state_dir=None, extra_args=())`:
- config: None (the packaged default-site.yml), a path to a YAML file, or a dict (written to a
  temporary YAML file);
- state_dir: None (a temporary directory, removed afterwards) or a directory to keep state in
  (left in place, so a second emulator can be started on it to test persistence);
- extra_args: more `serve` arguments (e.g. ("--fabric",)).
Yields Emulator(url, pid, state_dir, config): `url` is http://127.0.0.1:PORT/stable, `config` the
loaded g5k_emulator.config.Config (users, sites...). The process is started with `--port 0`,
waited for until it prints its `serving` line, and stopped by PID on exit (SIGTERM, then SIGKILL
after 10 s), exceptions included.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

from .config import Config, load

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
READY_PREFIX = "g5k-emulator: serving "


@dataclasses.dataclass(frozen=True)
class Emulator:
    url: str
    pid: int
    state_dir: Path
    config: Config


def _wait_for_line(process: subprocess.Popen, timeout: float) -> str | None:
    found: list[str] = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            if not found and line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX):].strip())
                ready.set()
        ready.set()  # the process closed its stdout (it exited): stop waiting

    threading.Thread(target=read, daemon=True).start()  # drains stdout until the process ends
    ready.wait(timeout)
    return found[0] if found else None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running_emulator(config: str | os.PathLike | dict | None = None, state_dir: str | os.PathLike | None = None,
                     extra_args: tuple[str, ...] | list[str] = ()):
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="g5k-emulator-test-")))
        if isinstance(config, dict):
            config_path = scratch / "config.yml"
            config_path.write_text(yaml.safe_dump(config, sort_keys=False))  # order matters: clusters are numbered in it
        else:
            config_path = Path(config) if config is not None else None
        state = Path(state_dir) if state_dir is not None else scratch / "state"
        command = [sys.executable, "-m", "g5k_emulator.cli", "serve", "--host", "127.0.0.1", "--port", "0",
                   "--state-dir", str(state), *extra_args]
        if config_path is not None:
            command += ["--config", str(config_path)]
        log = stack.enter_context(open(scratch / "emulator.log", "w+"))
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        stack.callback(_stop, process)
        url = _wait_for_line(process, START_TIMEOUT)
        if url is None:
            _stop(process)
            log.seek(0)
            raise RuntimeError(f"g5k-emulator did not start (exit code {process.poll()}): {log.read()[-2000:]}")
        yield Emulator(url=url, pid=process.pid, state_dir=state, config=load(config_path))
