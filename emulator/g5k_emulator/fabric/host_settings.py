"""Kernel settings of the host the site needs, set by `up` and restored by `down`.

A fresh Debian machine does not forward IPv4 (routed VLANs and the mirror need the host to
route) and allows 128 inotify instances per user, which about twenty systemd containers use
up: later nodes then hang in `sysinit.target` and never start sshd. `up` raises what is short,
records each value it found first, and `down` writes those back.
"""
from __future__ import annotations

import json
from pathlib import Path

from .state import FabricState

PROC_SYS = Path("/proc/sys")
RECORD = "host-settings.json"


def wanted(containers: int) -> dict[str, int]:
    """Minimum values for a site of `containers` systemd containers (nodes and gateways).
    A systemd container takes a handful of inotify instances: 16 each leaves headroom for
    podman, dnsmasq and whatever else root runs."""
    return {
        "net.ipv4.ip_forward": 1,
        "fs.inotify.max_user_instances": 256 + 16 * containers,
        "fs.inotify.max_user_watches": 65536 + 2048 * containers,
    }


def _path(key: str) -> Path:
    return PROC_SYS / key.replace(".", "/")


def present(key: str) -> bool:
    return _path(key).exists()


def read(key: str) -> int:
    return int(_path(key).read_text().split()[0])


def write(key: str, value: int) -> None:
    _path(key).write_text(f"{value}\n")


def apply(state: FabricState, minimums: dict[str, int]) -> list[str]:
    """Raise every setting below its minimum; returns what changed, as `key: old -> new`.
    The first value seen is kept in the state directory until `restore`."""
    record = Path(state.dir, RECORD)
    original = json.loads(record.read_text()) if record.exists() else {}
    changes = []
    for key, minimum in minimums.items():
        current = read(key)
        if current >= minimum:
            continue
        original.setdefault(key, current)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(original, indent=1, sort_keys=True))
        write(key, minimum)
        changes.append(f"{key}: {current} -> {minimum}")
    return changes


def restore(state: FabricState) -> list[str]:
    """Write back every value `apply` changed; returns what was restored."""
    record = Path(state.dir, RECORD)
    if not record.exists():
        return []
    restored = []
    for key, value in json.loads(record.read_text()).items():
        write(key, value)
        restored.append(f"{key} = {value}")
    record.unlink()
    return restored
