"""Node names for the host's resolver: a managed block in /etc/hosts, written by `up` and
removed by `down`, so clients on the host resolve `<node>.<site>.grid5000.fr`,
`<node>-kavlan-<N>...`, `<node>-eth1...` and `kavlan-<N>...` as on a frontend (local VLAN
names too: they resolve everywhere, they are reachable only through their gateway).
"""
from __future__ import annotations

from pathlib import Path

from . import dhcp
from .topology import Topology

HOSTS = Path("/etc/hosts")
BEGIN = "# BEGIN g5k-emulator: names of the emulated site (`g5k-emulator down` removes them)"
END = "# END g5k-emulator"


def entries(topology: Topology) -> list[str]:
    lines = []
    for vlan in topology.vlans.values():
        lines += [f"{ip}\t{name}.{port.site}.grid5000.fr" for port, ip, name in dhcp.names(topology, vlan)]
    for (site, _), gateway in sorted(topology.gateways.items()):
        production_leg = gateway.static["eth0"][1].split("/")[0]
        lines.append(f"{production_leg}\t{gateway.uid}.{site}.grid5000.fr")
    return lines


def _without_block(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if BEGIN + "\n" not in lines:
        return text
    start = lines.index(BEGIN + "\n")
    end = next((i for i in range(start, len(lines)) if lines[i].rstrip("\n") == END), len(lines) - 1)
    return "".join(lines[:start] + lines[end + 1:])


def write(topology: Topology, hosts: Path = HOSTS) -> bool:
    """Put the block at the end of `hosts`; returns whether the file changed. Written in
    place: /etc/hosts may be a mount point that a rename cannot replace."""
    text = hosts.read_text()
    kept = _without_block(text)
    if kept and not kept.endswith("\n"):
        kept += "\n"
    wanted = kept + "\n".join([BEGIN, *entries(topology), END]) + "\n"
    if wanted == text:
        return False
    hosts.write_text(wanted)
    return True


def remove(hosts: Path = HOSTS) -> bool:
    text = hosts.read_text()
    kept = _without_block(text)
    if kept == text:
        return False
    hosts.write_text(kept)
    return True
