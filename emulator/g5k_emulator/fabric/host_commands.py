"""Running host programs (ip, podman, iptables, dnsmasq...) with errors that say what failed."""
from __future__ import annotations

import os
import subprocess


class FabricError(RuntimeError):
    """A host command failed; the message holds the command and its error output."""


def run(args: list[str], *, check: bool = True, env: dict | None = None,
        input: str | None = None, timeout: float | None = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env} if env else None
    try:
        result = subprocess.run(args, capture_output=True, text=True, env=full_env,
                                input=input, timeout=timeout)
    except FileNotFoundError as exc:
        raise FabricError(f"{args[0]}: command not found (run `scripts/install-system-deps`)") from exc
    if check and result.returncode != 0:
        raise FabricError(f"`{' '.join(args)}` failed ({result.returncode}): "
                          f"{(result.stderr or result.stdout).strip()}")
    return result


def output(args: list[str], **kwargs) -> str:
    return run(args, **kwargs).stdout
