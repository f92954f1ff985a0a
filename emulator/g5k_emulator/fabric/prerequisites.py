"""The host programs the fabric runs, and the Debian packages that provide them."""
from __future__ import annotations

import os
import shutil

from .host_commands import FabricError, run

PROGRAMS = {  # program -> Debian package
    "podman": "podman", "runc": "runc", "mmdebstrap": "mmdebstrap", "dnsmasq": "dnsmasq-base",
    "iptables": "iptables", "ip": "iproute2", "arping": "iputils-arping",
    "ssh-keygen": "openssh-client", "ssh": "openssh-client",
}


def missing_packages() -> list[str]:
    return sorted({pkg for prog, pkg in PROGRAMS.items() if shutil.which(prog) is None})


def ensure(install: bool = True) -> list[str]:
    """Install what is missing (as root, with apt) or say exactly what to install."""
    missing = missing_packages()
    if not missing:
        return []
    if os.geteuid() != 0 or not install or shutil.which("apt-get") is None:
        raise FabricError(f"missing Debian packages: {' '.join(missing)} "
                          f"(as root: apt-get install --no-install-recommends {' '.join(missing)})")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env, timeout=600)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env, timeout=900)
    return missing


def require_root() -> None:
    if os.geteuid() != 0:
        raise FabricError("the emulated site's fabric needs root (bridges, namespaces, iptables, podman)")
