"""`g5k-emulator status`: nodes, their VLAN, address and container state; DHCP per VLAN."""
from __future__ import annotations

from . import site_arguments

HELP = "show the emulated site's nodes (VLAN, address, state) and which VLAN DHCP servers run"


def add_arguments(parser) -> None:
    site_arguments.add(parser)


def show(fabric) -> None:
    recorded = fabric.state.config_path()
    print(f"site: {', '.join(s.uid for s in fabric.config.sites)} "
          f"(config {recorded or 'not recorded: no site is up'}), API http://{fabric.config.host}:"
          f"{fabric.config.port}/stable")
    print(f"{'NODE':34} {'STATE':8} {'VLAN':8} {'ADDRESS':15} {'HOLDS NOW':15} OTHER NICS")
    for row in fabric.status():
        primary, *others = row.vlans.items()
        extra = " ".join(f"{dev}:{vlan}" for dev, vlan in others)
        holds = ",".join(row.holds) or "-"
        if row.address and row.holds != [row.address]:
            holds += " (renew the lease)" if row.state == "running" else ""
        print(f"{row.name:34} {row.state:8} {primary[1]:8} {row.address or '-':15} {holds:15} {extra}")
    dhcp = fabric.dhcp_status()
    print(f"DHCP on: {' '.join(v for v, running in dhcp.items() if running) or '-'}")
    print(f"DHCP off: {' '.join(v for v, running in dhcp.items() if not running) or '-'}")


def run(args) -> int:
    return site_arguments.run_on_fabric(args, "status", show)
