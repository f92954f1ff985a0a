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


# What a fresh machine of this kind has (Debian 12, this kernel): no forwarding, 128 inotify
# instances per user, bridge netfilter calling iptables (br_netfilter is built in here).
FRESH_HOST = {
    "net.ipv4.ip_forward": 0,
    "fs.inotify.max_user_instances": 128,
    "net.bridge.bridge-nf-call-iptables": 1,
    "net.bridge.bridge-nf-call-ip6tables": 1,
    "net.bridge.bridge-nf-call-arptables": 1,
}


@contextlib.contextmanager
def fresh_host(log=print):
    """Run a block on a host put back to fresh-machine settings, with no emulated site left
    from earlier runs, so a missing setup step in `up` fails here as it would on a new
    machine; the settings found are written back afterwards, whatever happened."""
    from .fabric import host_settings
    present = {key: host_settings.read(key) for key in FRESH_HOST
               if host_settings.present(key)}
    _remove_leftover_site(log)
    for key in present:
        host_settings.write(key, FRESH_HOST[key])
    try:
        yield
    finally:
        for key, value in present.items():
            host_settings.write(key, value)


def _remove_leftover_site(log) -> None:
    """`down` whatever site this machine still holds (a demo's, a crashed run's)."""
    from .fabric import network, nodes
    from .fabric.live import LiveFabric
    from .fabric.podman import Podman
    from .fabric.state import DEFAULT_STATE_DIR, LOCK_FILE
    owner = Path(LOCK_FILE.read_text().strip()) if LOCK_FILE.exists() else None
    state_dir = owner or DEFAULT_STATE_DIR
    if owner or nodes.containers(Podman(state_dir)) or network.links() or network.netns_list():
        log(f"removing the emulated site left on this machine (state dir {state_dir})")
        LiveFabric(load(None), state_dir).down(log=log)


def _missing(message: str):
    """Skip on a developer's machine; fail under CI (CI=true), where a skip would pass a run
    that checked nothing."""
    import pytest
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_fabric() -> None:
    """The fabric needs root and podman (installed by `make deps`)."""
    import shutil
    if os.geteuid() != 0:
        _missing("the emulated fabric needs root")
    if shutil.which("podman") is None:
        _missing("the emulated fabric needs podman (make deps)")


def real_reference_data() -> Path:
    """The real Reference API files: $G5K_REFERENCE_DATA, else `shared/reference-data` in a
    folder above the checkout (CI lays shared/ beside its clone). Missing, the shape tests
    skip on a developer's machine but fail under CI (CI=true), where a skip would pass a run
    that checked nothing."""
    given = os.environ.get("G5K_REFERENCE_DATA")
    candidates = [Path(given)] if given else [
        folder / "shared" / "reference-data" for folder in Path(__file__).resolve().parents]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    _missing(f"real Reference API files not found in {', '.join(map(str, candidates))} "
             "(set G5K_REFERENCE_DATA)")


TEST_USERS = ("jdoe", "asmith")


def user_key(config_path: Path, login: str) -> Path:
    """The private SSH key of a user of a site written by `write_site_config`."""
    return Path(config_path).parent / "keys" / login


def write_site_config(config_path: Path, config: dict) -> Path:
    """Write a platform file whose users (jdoe, asmith, passwords `<login>-secret`) come from
    a users file beside it, each with an SSH key made in `keys/` (kept if already there)."""
    keys = Path(config_path).parent / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    lines = []
    for login in TEST_USERS:
        key = user_key(config_path, login)
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", login, "-f", str(key)],
                           check=True)
        lines.append(f"{login}:{login}-secret:keys/{login}.pub\n")
    (Path(config_path).parent / "users.txt").write_text("".join(lines))
    config = {key: value for key, value in config.items() if key != "users"}
    Path(config_path).write_text(yaml.safe_dump({**config, "users_file": "users.txt"}, sort_keys=False))
    return Path(config_path)


@dataclasses.dataclass(frozen=True)
class UpSite:
    url: str            # http://127.0.0.1:PORT/stable
    config_path: Path
    state_dir: Path

    def user_key(self, login: str) -> Path:
        return user_key(self.config_path, login)


@contextlib.contextmanager
def site_up(config: dict, where: Path, boot_timeout: float = 60.0):
    """An emulated site with its fabric and API, up for the block and down after it (also
    when `up` fails half-way). `config` is a platform mapping (its users are replaced by the
    test users with keys, see `write_site_config`); its API port should be free."""
    from .fabric.live import LiveFabric
    where.mkdir(parents=True, exist_ok=True)
    config_path = write_site_config(where / "site.yml", config)
    fabric = LiveFabric(load(config_path), where / "state", boot_timeout=boot_timeout)
    try:
        fabric.up(config_path=config_path, api=True, log=lambda *_: None)
        yield UpSite(url=f"http://{fabric.config.host}:{fabric.config.port}/stable",
                     config_path=config_path, state_dir=fabric.state.dir)
    finally:
        fabric.down(log=lambda *_: None)


def site_already_up(state_dir: Path) -> UpSite:
    """The site `g5k-emulator up` brought up with this state directory (for developing
    against a long-running site instead of one per test session)."""
    from .fabric.state import FabricState
    config_path = FabricState(state_dir).config_path()
    if config_path is None:
        raise RuntimeError(f"no emulated site is up with state dir {state_dir}")
    config = load(config_path)
    return UpSite(url=f"http://{config.host}:{config.port}/stable", config_path=config_path,
                  state_dir=Path(state_dir))
