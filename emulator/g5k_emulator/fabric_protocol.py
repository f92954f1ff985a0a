"""What the API asks of the fabric (containers, bridges, DHCP), and the fabric-less default.

The API calls these when state changes; `g5k-emulator up` hands the API a real fabric,
`g5k-emulator serve` (API only) uses NoFabric, where nothing exists on the wire.
"""
from __future__ import annotations

import time
from typing import Protocol


class Fabric(Protocol):
    def set_vlan(self, site: str, interfaces: list[str], vlan: str, cut_off: tuple[str, ...] = ()) -> None:
        """Move node interfaces (KaVLAN names, e.g. parasilo-1.rennes.grid5000.fr or
        parasilo-1-eth1.rennes.grid5000.fr) onto the bridge of `vlan` ("DEFAULT" or an id).
        Those in `cut_off` (fault injection) are moved with their switch port left down."""

    def set_dhcp(self, site: str, vlan: str, running: bool) -> None:
        """Start or stop the DHCP server of a VLAN."""

    def set_subnets(self, site: str, subnets: list[str]) -> None:
        """The g5k-subnet /22 blocks whose MACs the site's production DHCP serves (those of the
        running jobs): VMs bridged on production get their address, as on the platform."""

    def root_used(self, site: str, nodes: list[str]) -> list[str]:
        """The nodes (uids) where a user became root with sudo-g5k since their last install."""

    def set_access(self, site: str, hosts: dict[str, list[str]]) -> None:
        """Who may log in with their own account (and use sudo-g5k) on each host (node uid or
        `kavlan-<N>` gateway): root and these users; the users of the jobs running there."""

    def deploy(self, site: str, nodes: list[str], environment: str, key: str | None,
               vlan: str | None, delay: float) -> dict[str, bool]:
        """Recreate `nodes` (FQDNs) from `environment` with `key` for root, attached to
        `vlan` (None: each node stays in its current VLAN, as kadeploy without --vlan).
        Blocks until done; returns FQDN -> booted (OK)."""


class NoFabric:
    """API-only mode: membership lives in the database, deployments just take `delay`."""

    def set_vlan(self, site: str, interfaces: list[str], vlan: str, cut_off: tuple[str, ...] = ()) -> None:
        return None

    def set_dhcp(self, site: str, vlan: str, running: bool) -> None:
        return None

    def set_access(self, site: str, hosts: dict[str, list[str]]) -> None:
        return None

    def set_subnets(self, site: str, subnets: list[str]) -> None:
        return None

    def root_used(self, site: str, nodes: list[str]) -> list[str]:
        return []

    def deploy(self, site: str, nodes: list[str], environment: str, key: str | None,
               vlan: str | None, delay: float) -> dict[str, bool]:
        time.sleep(delay)
        return {node: True for node in nodes}
