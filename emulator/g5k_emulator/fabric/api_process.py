"""The API server (`g5k-emulator serve --fabric`) as a background process of `up`."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .host_commands import FabricError
from .state import FabricState

NAME = "api"


def answers(host: str, port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://{host}:{port}/", timeout=1)
    except urllib.error.HTTPError:
        return True   # any HTTP answer means the server is up
    except OSError:
        return False
    return True


def start(state: FabricState, config_path: Path, host: str, port: int, timeout: float = 60.0) -> bool:
    """Start the API unless its recorded process lives; wait until it answers. Returns started."""
    if state.pid(NAME):
        return False
    log = Path(state.dir, "logs", "api.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "g5k_emulator.cli", "serve", "--fabric",
             "--config", str(config_path), "--state-dir", str(state.dir),
             "--host", host, "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    state.pid_file(NAME).write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while not answers(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            state.stop(NAME)
            tail = log.read_text(errors="replace").splitlines()[-15:]
            raise FabricError(f"the API did not come up on {host}:{port}; {log}:\n" + "\n".join(tail))
        time.sleep(0.2)
    return True


def stop(state: FabricState) -> None:
    state.stop(NAME)
