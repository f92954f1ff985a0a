"""`g5k-emulator down`: remove every container, bridge, veth, rule and process `up` made."""
from __future__ import annotations

from . import site_arguments

HELP = "tear the emulated site down: containers, bridges, veths, routes, firewall rules, processes"


def add_arguments(parser) -> None:
    site_arguments.add(parser)


def run(args) -> int:
    fabric = site_arguments.fabric(args)
    if fabric is None:
        return 2
    try:
        fabric.down()
    except site_arguments.ERRORS as exc:
        return site_arguments.report_failure("down", exc)
    return 0
