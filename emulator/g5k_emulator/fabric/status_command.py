"""`g5k-emulator status`: nodes, their VLAN, address and container state; DHCP per VLAN."""
from __future__ import annotations

from . import site_arguments

HELP = "show the emulated site's nodes (VLAN, address, state) and which VLAN DHCP servers run"


def add_arguments(parser) -> None:
    site_arguments.add(parser)


def run(args) -> int:
    fabric = site_arguments.fabric(args)
    if fabric is None:
        return 2
    try:
        rows = fabric.status()
        dhcp = fabric.dhcp_status()
    except site_arguments.ERRORS as exc:
        return site_arguments.report_failure("status", exc)
    print(f"{'NODE':40} {'STATE':9} {'VLAN':8} {'ADDRESS':16} OTHER NICS")
    for row in rows:
        primary, *others = row.vlans.items()
        extra = " ".join(f"{dev}:{vlan}" for dev, vlan in others)
        print(f"{row.name:40} {row.state:9} {primary[1]:8} {row.address or '-':16} {extra}")
    on = [vlan for vlan, running in dhcp.items() if running]
    off = [vlan for vlan, running in dhcp.items() if not running]
    print(f"DHCP on: {' '.join(on) or '-'}")
    print(f"DHCP off: {' '.join(off) or '-'}")
    return 0
