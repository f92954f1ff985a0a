"""What the fabric records in its state directory: PIDs it started, each port's VLAN and which
VLANs' DHCP servers users stopped.

`down` reads it to remove exactly what `up` made; a restarted `up` rewires ports as recorded,
so the wire keeps matching the API's database (which records the same moves).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
from pathlib import Path

from .. import storage

# The same default as `serve` (serve_command.py), which shares this directory.
DEFAULT_STATE_DIR = Path(os.environ.get("G5K_EMULATOR_STATE") or "/var/lib/g5k-emulator")
LOCK_FILE = Path("/run/g5k-emulator.owner")


class FabricState:
    def __init__(self, state_dir: Path):
        # Absolute: the path goes into daemons' command lines and identifies them as ours.
        self.dir = Path(state_dir).absolute()
        self.pid_dir = self.dir / "pids"
        self.file = self.dir / "fabric.json"

    @contextlib.contextmanager
    def locked(self):
        """Serialise read-modify-write of the state between the CLI and the API process."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "fabric.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def config_path(self) -> Path | None:
        """The platform file the site was brought up with (recorded by `up`), if still there."""
        data = self.load()
        path = Path(data["config"]) if data.get("config") else None
        return path if path and path.exists() else None

    def load(self) -> dict:
        if self.file.exists():
            return json.loads(self.file.read_text())
        return {"ports": {}, "dhcp_off": []}

    def save(self, data: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(self.file)

    # Processes ------------------------------------------------------------------
    def pid_file(self, name: str) -> Path:
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        return self.pid_dir / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        """The recorded process if it still runs and is ours: its command line names this
        state directory (a PID left from before a reboot may belong to anything now)."""
        path = self.pid_dir / f"{name}.pid"
        try:
            pid = int(path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and str(self.dir) in cmdline else None

    def pid_names(self) -> list[str]:
        return sorted(p.stem for p in self.pid_dir.glob("*.pid")) if self.pid_dir.exists() else []

    def stop(self, name: str, timeout: float = 10.0) -> None:
        """SIGTERM the recorded process, SIGKILL it after `timeout`, forget it."""
        pid = self.pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        (self.pid_dir / f"{name}.pid").unlink(missing_ok=True)

    # One emulated site per machine: its addresses live in the host's routing table.
    def claim(self) -> None:
        owner = LOCK_FILE.read_text().strip() if LOCK_FILE.exists() else ""
        if owner and owner != str(self.dir.resolve()) and Path(owner, "fabric.json").exists():
            raise RuntimeError(f"another emulated site is up with state dir {owner}: "
                               f"run `g5k-emulator down --state-dir {owner}` first")
        LOCK_FILE.write_text(str(self.dir.resolve()))

    def check_owner(self) -> None:
        """Refuse to tear down a site another state directory brought up."""
        owner = LOCK_FILE.read_text().strip() if LOCK_FILE.exists() else ""
        if owner and owner != str(self.dir.resolve()):
            raise RuntimeError(f"the emulated site on this machine belongs to state dir {owner}, "
                               f"not {self.dir}: use `--state-dir {owner}`")

    def forget_site(self) -> None:
        """The site's records: jobs, deployments and VLAN membership (API database), the
        fabric's membership, DHCP files and node overlays. Once its machines are gone they
        describe nothing, and a later `up` starts a new site. Keys and logs stay."""
        for path in self.dir.glob(f"{storage.DB_NAME}*"):
            path.unlink()
        self.file.unlink(missing_ok=True)
        for folder in ("overlays", "dhcp", "pids"):
            shutil.rmtree(self.dir / folder, ignore_errors=True)

    def release(self) -> None:
        if LOCK_FILE.exists() and LOCK_FILE.read_text().strip() == str(self.dir.resolve()):
            LOCK_FILE.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"
