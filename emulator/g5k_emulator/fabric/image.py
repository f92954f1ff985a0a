"""The node image and the deployment environments that map to it.

The image is a minbase Debian made by mmdebstrap and imported into podman (no registry):
systemd as PID 1, sshd, python3, ifupdown + isc-dhcp-client (so `ifup` and
`/etc/init.d/networking restart` renew the lease), iproute2, ping, at, sudo.
"""
from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path

from .. import environments
from .host_commands import FabricError
from .podman import Podman

SUITE = "bookworm"
NODE_IMAGE = f"localhost/g5k-node:{SUITE}"
PACKAGES = ("python3", "systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2",
            "iputils-ping", "sudo", "ifupdown", "isc-dhcp-client", "at", "procps")


def image_for(environment: str) -> str:
    """The image of a registered environment name (all of them are the node image here);
    environments.UnknownEnvironment otherwise."""
    environments.check(environment)
    return NODE_IMAGE


def _deb822_mirrors(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
            found += [(uri, fields.get("suites", [])) for uri in fields.get("uris", [])]
    return found


def _one_line_mirrors(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in text.splitlines():
        text = line.split("#", 1)[0]
        if "[" in text:  # drop the [option=value ...] block
            text = text[:text.index("[")] + text[text.index("]") + 1:]
        words = text.split()
        if words[:1] != ["deb"]:
            continue
        words = words[1:]
        if len(words) >= 2:
            found.append((words[0], [words[1]]))
    return found


def debian_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """The Debian archive this machine's apt uses for `SUITE` (never a hard-coded host)."""
    candidates = []
    for path in sorted(glob.glob(str(apt_dir / "sources.list.d" / "*.sources"))):
        candidates += _deb822_mirrors(Path(path).read_text())
    for path in [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]:
        if path.exists():
            candidates += _one_line_mirrors(path.read_text())
    for uri, suites in candidates:
        if SUITE in suites:
            return uri
    raise FabricError(f"no Debian mirror for '{SUITE}' in {apt_dir}/sources.list(.d): "
                      "add one, the node image is built from it")


def image_present(podman: Podman, image: str = NODE_IMAGE) -> bool:
    return podman.run("image", "exists", image, check=False).returncode == 0


def build(podman: Podman, force: bool = False, mirror: str | None = None,
          tag: str = NODE_IMAGE) -> bool:
    """Build the node image as `tag` unless present (or `force`); returns whether it built."""
    if image_present(podman, tag) and not force:
        return False
    mirror = mirror or debian_mirror()
    debootstrap = subprocess.Popen(
        ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(PACKAGES)}",
         SUITE, "-", mirror], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    importer = subprocess.run(
        ["podman", "import", "--change", 'CMD ["/sbin/init"]', "--change", "STOPSIGNAL=SIGRTMIN+3",
         "-", tag], stdin=debootstrap.stdout, capture_output=True, text=True,
        env={**os.environ, **podman.env()})
    debootstrap.stdout.close()
    errors = debootstrap.stderr.read().decode(errors="replace")
    if debootstrap.wait() != 0:
        raise FabricError(f"mmdebstrap from {mirror} failed: {errors.strip()}")
    if importer.returncode != 0:
        raise FabricError(f"podman import failed: {importer.stderr.strip()}")
    return True
