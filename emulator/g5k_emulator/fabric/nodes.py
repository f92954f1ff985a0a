"""Nodes as podman containers: systemd as PID 1, sshd, NICs wired into a named namespace.

Each node's NICs live in a namespace `g5kn-<site>-<node>` created before the container, and the
container joins it (`--network ns:`), so eth0 exists when systemd's networking.service runs
`ifup` (DHCP) and survives the container: a deployment recreates the container from its image
and keeps the node's ports, MACs and VLAN membership, like a reinstalled physical machine.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

from . import accounts, network
from .host_commands import run
from .podman import Podman
from .topology import DEFAULT, LABEL, Node, Topology

KEY_NAME = "id_ed25519"
# Root on a node configures its NICs and DHCP (NET_ADMIN, NET_RAW) and, as on the platform's
# nodes, may run libvirt/QEMU guests on tap devices (SYS_ADMIN, /dev/net/tun; TCG only here).
NODE_CAPABILITIES = "NET_ADMIN,NET_RAW,SYS_ADMIN"


def emulator_key(state_dir: Path) -> Path:
    """The emulator user's SSH key (root of the standard environment, gateways); made once."""
    key = Path(state_dir, "ssh", KEY_NAME)
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "g5k-emulator", "-f", str(key)])
    return key


def standard_keys(state_dir: Path) -> str:
    """Keys root accepts on the standard environment: the emulator's and the host user's."""
    keys = [emulator_key(state_dir).with_suffix(".pub").read_text().strip()]
    keys += [p.read_text().strip() for p in sorted(Path.home().glob(".ssh/id_*.pub"))]
    return "\n".join(dict.fromkeys(keys)) + "\n"


def _interfaces(node: Node, topology: Topology) -> str:
    text = "auto lo\niface lo inet loopback\n"
    if node.static:  # a kavlan-<N> gateway: fixed legs in production and in its local VLAN
        for device, (vlan_id, cidr) in sorted(node.static.items()):
            text += f"\nauto {device}\niface {device} inet static\n    address {cidr}\n"
            if vlan_id == DEFAULT:
                text += f"    gateway {topology.vlan(node.site, DEFAULT).gateway}\n"
        return text
    for port in node.ports:
        # The primary NIC comes up by DHCP at boot; the others only when the user says `ifup`.
        if port.mounted:
            text += f"\nauto {port.device}"
        text += f"\niface {port.device} inet dhcp\n"
    return text


def write_overlay(node: Node, topology: Topology, keys: str, hostname: str, where: Path,
                  release: str, extra: dict[str, str]) -> Path:
    """Files copied into a fresh container before it boots: its network, names, root's keys,
    `/etc/grid5000/release`, `sudo-g5k`, and `extra` (path under / -> text: accounts, access)."""
    if where.exists():
        shutil.rmtree(where)
    (where / "etc" / "network").mkdir(parents=True)
    (where / "root" / ".ssh").mkdir(parents=True, mode=0o700)
    (where / "etc" / "network" / "interfaces").write_text(_interfaces(node, topology))
    (where / "etc" / "hosts").write_text(
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}.{node.site}.grid5000.fr {hostname}\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n")
    if node.static:
        (where / "etc" / "resolv.conf").write_text(
            f"search {node.site}.grid5000.fr\nnameserver {topology.vlan(node.site, DEFAULT).dns}\n")
    authorized = where / "root" / ".ssh" / "authorized_keys"
    authorized.write_text(keys)
    authorized.chmod(0o600)
    files = {"etc/grid5000/release": release + "\n", "usr/local/bin/sudo-g5k": accounts.SUDO_G5K, **extra}
    for path, text in files.items():
        target = where / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (where / "usr/local/bin/sudo-g5k").chmod(0o755)
    for secret in ("etc/shadow", accounts.SUDOERS.lstrip("/")):
        if (where / secret).exists():
            (where / secret).chmod(0o640 if secret == "etc/shadow" else 0o440)
    return where


def wire(node: Node, topology: Topology, vlan_of_port: dict) -> None:
    """The node's namespace and one veth per port, host end on its VLAN's bridge."""
    network.ensure_netns(node.netns)
    for port in node.ports:
        vlan = vlan_of_port[port.name]
        network.ensure_port(port.veth, node.netns, port.device, port.mac, vlan.bridge,
                            up=port.mounted or bool(node.static))


def rewire(node: Node, topology: Topology, vlan_of_port: dict) -> None:
    """The node's network as a reinstalled machine finds it: its namespace outlives its
    container, so whatever the previous system left there (addresses it leased, a bridge over
    eth0, tap devices, firewall rules, sysctls) goes with a new namespace and new ports."""
    for port in node.ports:   # both ends at once; a namespace's devices die asynchronously
        network.ip("link", "delete", port.veth, check=False)
    network.remove_netns(node.netns)
    wire(node, topology, vlan_of_port)


def containers(podman: Podman) -> dict[str, str]:
    """Fabric containers on this machine: name -> state (running, exited, created...)."""
    listing = json.loads(podman.output("ps", "-a", "--filter", f"label={LABEL}", "--format", "json")
                         or "[]")
    return {c["Names"][0]: c["State"] for c in listing}


def create(podman: Podman, node: Node, image: str, overlay: Path, hostname: str, state_dir: Path,
           home: Path | None, boot: bool = True) -> None:
    """`home`: the site's home directories, mounted on /home (the NFS home), or None."""
    mounts = ["--volume", f"{home}:/home"] if home else []
    podman.run("create", "--name", node.container, "--hostname", hostname, *mounts,
               "--label", f"{LABEL}={Path(state_dir).resolve()}",
               "--network", f"ns:/run/netns/{node.netns}", "--dns", "none", "--no-hosts",
               "--systemd", "always", "--cap-add", NODE_CAPABILITIES, "--device", "/dev/net/tun",
               image, "/sbin/init")
    podman.run("cp", f"{overlay}/.", f"{node.container}:/")
    if boot:
        podman.run("start", node.container)


def start(podman: Podman, node: Node) -> None:
    podman.run("start", node.container)


def restart(podman: Podman, names: list[str]) -> None:
    if names:
        podman.run("restart", "--time", "5", *names)


def remove(podman: Podman, names: list[str]) -> None:
    if names:
        podman.run("rm", "--force", "--time", "0", *names)


def ssh_answers(address: str, netns: str | None = None, timeout: float = 1.0) -> bool:
    """Whether an SSH server greets on address:22, seen from the host or from `netns`."""
    if netns is None:
        try:
            with socket.create_connection((address, 22), timeout=timeout) as sock:
                sock.settimeout(timeout)
                return sock.recv(4).startswith(b"SSH-")
        except OSError:
            return False
    probe = ("import socket,sys\ns=socket.create_connection((sys.argv[1],22),timeout=%s)\n"
             "s.settimeout(%s)\nsys.exit(0 if s.recv(4).startswith(b'SSH-') else 1)" % (timeout, timeout))
    result = subprocess.run(["ip", "netns", "exec", netns, "python3", "-c", probe, address],
                            capture_output=True, timeout=timeout + 5)
    return result.returncode == 0


def wait_for_ssh(targets: dict[str, tuple[str, str | None]], timeout: float) -> dict[str, bool]:
    """targets: key -> (address, probe namespace). Polls until each answers or `timeout`."""
    pending = dict(targets)
    done = {key: False for key in targets}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, (address, netns) in list(pending.items()):
            if ssh_answers(address, netns, timeout=0.5):
                done[key] = True
                del pending[key]
        if pending:
            time.sleep(0.3)
    return done
