"""Which VLANs exist on a site, of which kind, and which site owns a global VLAN.

As on the platform (g5k-api.md §2.1): DEFAULT (production, type NULL), 1-3 `kavlan-local`,
4-9 `kavlan` (routed), the site's own global VLAN `kavlan-global`, and every other OAR site's
global VLAN listed as `kavlan-global-remote`.
"""
from __future__ import annotations

from .addressing import LOCAL_VLANS, ROUTED_VLANS
from .reference import Reference

DEFAULT = "DEFAULT"


def site_vlans(ref: Reference, site: str) -> dict[str, str]:
    """VLAN id (string, as the API spells it) -> API type, in the API's order."""
    plan = ref.plans[site]
    vlans = {DEFAULT: "NULL"}
    vlans.update({str(v): "kavlan-local" for v in LOCAL_VLANS})
    vlans.update({str(v): "kavlan" for v in ROUTED_VLANS})
    for other in sorted((p for p in ref.plans.values() if p.is_oar), key=lambda p: p.global_vlan):
        vlans[str(other.global_vlan)] = "kavlan-global" if other.uid == plan.uid else "kavlan-global-remote"
    return vlans


def global_vlan_owner(ref: Reference, vlan_id: str) -> str | None:
    """The site whose OAR hands out global VLAN `vlan_id`, or None if it is not a global VLAN."""
    for plan in ref.plans.values():
        if plan.is_oar and str(plan.global_vlan) == str(vlan_id):
            return plan.uid
    return None


def kavlan_interfaces(ref: Reference, site: str) -> dict[str, tuple[str, str]]:
    """KaVLAN interface name (network_address) -> (node uid, device), for every KaVLAN port of a site."""
    interfaces = {}
    for nodes in ref.nodes.get(site, {}).values():
        for uid, node in nodes.items():
            for adapter in node["network_adapters"]:
                if adapter.get("kavlan") and adapter.get("network_address"):
                    interfaces[adapter["network_address"]] = (uid, adapter["device"])
    return interfaces
