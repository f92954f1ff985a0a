"""`g5k-emulator down`: remove every container, bridge, veth, rule and process `up` made."""
from __future__ import annotations

from . import site_arguments

HELP = "tear the emulated site down: containers, bridges, veths, routes, firewall rules, processes"


def add_arguments(parser) -> None:
    site_arguments.add(parser)


def run(args) -> int:
    return site_arguments.run_on_fabric(args, "down", lambda fabric: fabric.down())
