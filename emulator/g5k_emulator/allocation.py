"""Choosing the nodes, VLANs and subnets of a job so two jobs never share one over
overlapping time windows.

`allocate` tells apart a request no free resources can ever satisfy (`Unsatisfiable`: more
than the site has) from one that only has to wait (returns None).
"""
from __future__ import annotations

import dataclasses
import ipaddress

from . import resource_request
from .reference import Reference
from .resource_request import Group, ResourceRequest, ResourceError, filter_mentions, matches
from .vlan_catalogue import site_vlans

VLAN_TYPES = ("kavlan-local", "kavlan", "kavlan-global")
RESERVABLE_SLASH16 = 3  # "the first three /16 are used for IP reservation through OAR"


class Unsatisfiable(ValueError):
    """The site does not have enough resources of that kind, even when all are free."""


@dataclasses.dataclass(frozen=True)
class SiteResources:
    site: str
    nodes: tuple[tuple[str, dict], ...]        # (node uid, OAR properties)
    vlans: tuple[tuple[str, dict], ...]        # (VLAN id, OAR properties)
    subnets: tuple[str, ...]                   # every reservable /22, in address order
    subnet_range: str | None

    @classmethod
    def of(cls, ref: Reference, site: str) -> SiteResources:
        nodes = []
        for cluster, cluster_nodes in ref.nodes[site].items():
            for uid, doc in cluster_nodes.items():
                fqdn = f"{uid}.{site}.grid5000.fr"
                nodes.append((uid, {
                    "type": "default", "cluster": cluster, "host": fqdn, "network_address": fqdn,
                    "site": site, "deploy": "YES", "besteffort": "YES", "nodeset": cluster,
                    "virtual": doc["supported_job_types"].get("virtual", "NO"),
                    "kavlan": "YES" if doc["network_adapters"][0]["kavlan"] else "NO",
                }))
        # what this site's OAR hands out: local, routed and its own global VLAN (not remote ones)
        vlans = [(vid, {"type": kind, "vlan": vid})
                 for vid, kind in site_vlans(ref, site).items() if kind in VLAN_TYPES]
        subnets, subnet_range = (), ref.plans[site].g5ksubnet
        if subnet_range:
            space = ipaddress.ip_network(subnet_range)
            first = list(space.subnets(new_prefix=16))[:RESERVABLE_SLASH16]
            subnets = tuple(str(s) for block in first for s in block.subnets(new_prefix=22))
        return cls(site, tuple(nodes), tuple(vlans), subnets, subnet_range)


def _pick_nodes(group: Group, properties, resources: SiteResources, taken: set, busy: set):
    matching = [uid for uid, props in resources.nodes
                if matches(group.filter, props) and matches(properties, props) and uid not in taken]
    free = [uid for uid in matching if ("node", uid) not in busy]
    if group.count == "ALL":
        return free if matching and len(free) == len(matching) else None
    if group.count == "BEST":
        return free or None
    return free[:group.count] if len(free) >= group.count else None


def _pick_vlans(group: Group, resources: SiteResources, taken: set, busy: set):
    types = {m[3] for m in filter_mentions(group.filter, "type") if m[0] == "cmp" and m[2] == "="}
    types |= {v for m in filter_mentions(group.filter, "type") if m[0] == "in" for v in m[2]}
    if not types & set(VLAN_TYPES):
        raise ResourceError(f"Bad resource request: \"{group.text}\": a VLAN needs its type, "
                            "e.g. {type='kavlan'}/vlan=1 (kavlan, kavlan-local or kavlan-global)")
    matching = [vid for vid, props in resources.vlans if matches(group.filter, props) and vid not in taken]
    free = [vid for vid in matching if ("vlan", vid) not in busy]
    return free[:group.count] if len(free) >= group.count else None


def _pick_subnets(group: Group, resources: SiteResources, taken: set, busy: set):
    chosen = []
    per_block = 2 ** (22 - group.prefix)
    for start in range(0, len(resources.subnets), per_block):
        block = resources.subnets[start:start + per_block]
        if len(block) < per_block or any(s in taken or ("subnet", s) in busy for s in block):
            continue
        if not all(matches(group.filter, {"type": "subnet", "subnet_prefix": 22,
                                                  "subnet_address": s.split("/")[0]})
                   for s in block):
            continue
        chosen.append(block)
        if len(chosen) == group.count:
            return [s for b in chosen for s in b]
    return None


def _pick(request: ResourceRequest, properties, resources: SiteResources, busy: set):
    allocation: dict[str, list[str]] = {"node": [], "vlan": [], "subnet": []}
    for group in request.groups:
        if group.kind == "nodes":
            picked = _pick_nodes(group, properties, resources, set(allocation["node"]), busy)
            kind = "node"
        elif group.kind == "vlan":
            picked = _pick_vlans(group, resources, set(allocation["vlan"]), busy)
            kind = "vlan"
        else:
            if not resources.subnets:
                raise Unsatisfiable("There are not enough resources for your request "
                                    f"(site {resources.site} has no subnet resources)")
            picked = _pick_subnets(group, resources, set(allocation["subnet"]), busy)
            kind = "subnet"
        if picked is None:
            return None, group
        allocation[kind].extend(picked)
    return allocation, None


def allocate(request: ResourceRequest, properties_text: str | None, resources: SiteResources,
             busy: set[tuple[str, str]]) -> dict[str, list[str]] | None:
    """Resources for `request` avoiding `busy` ((kind, value) pairs held over the same window).

    Returns {"node": [...], "vlan": [...], "subnet": [...]}, or None when the job must wait.
    Raises Unsatisfiable when the site could not satisfy it even if everything were free, and
    ResourceError when the request or the properties cannot be understood.
    """
    properties = resource_request.parse_filter(properties_text) if properties_text else None
    possible, failed = _pick(request, properties, resources, set())
    if possible is None:
        raise Unsatisfiable(f"There are not enough resources for your request "
                            f"(\"{failed.text}\" on site {resources.site})")
    allocation, _ = _pick(request, properties, resources, busy)
    return allocation
