"""The Reference API documents of the emulated platform, generated from the configuration.

`build(config)` is deterministic: the same configuration always gives the same documents.
Documents are plain dicts in the shape of the real Reference API files (see
/work/shared/reference-data), without `links` (the API adds them when serving).
"""
from __future__ import annotations

import dataclasses

from .addressing import LOCAL_VLANS, ROUTED_VLANS, SitePlan, plan_sites
from .config import Config
from .node_document import node_document


@dataclasses.dataclass(frozen=True)
class Reference:
    plans: dict[str, SitePlan]
    sites: dict[str, dict]
    clusters: dict[str, dict[str, dict]]
    nodes: dict[str, dict[str, dict[str, dict]]]
    servers: dict[str, dict[str, dict]]

    def node(self, site: str, node_uid: str) -> dict | None:
        """A node document by uid (`parasilo-1`) on a site, whatever its cluster."""
        for nodes in self.nodes.get(site, {}).values():
            if node_uid in nodes:
                return nodes[node_uid]
        return None


def _site_document(plan: SitePlan) -> dict:
    name = plan.uid.capitalize()
    doc = {
        "compilation_server": False,
        "description": f"Grid5000 {name} site (emulated)",
        "email_contact": "support-staff@lists.grid5000.fr",
        "frontend_ip": plan.frontend_ip,
        "ipv6": {"prefix": plan.ipv6_prefix, "site_global_kavlan": plan.global_vlan,
                 "site_index": plan.index},
        "latitude": plan.latitude,
        "location": plan.location,
        "longitude": plan.longitude,
        "name": name,
        "production": True,
        "renater_ip": f"192.168.4.{12 + plan.index}",
        "scheduler": plan.scheduler,
        "security_contact": "support-staff@lists.grid5000.fr",
        "sys_admin_contact": "support-staff@lists.grid5000.fr",
        "type": "site",
        "uid": plan.uid,
        "user_support_contact": "support-staff@lists.grid5000.fr",
        "web": f"http://www.grid5000.fr/w/{name}:Home",
    }
    if plan.is_oar:
        doc["g5ksubnet"] = {"gateway": plan.g5ksubnet_gateway(), "network": plan.g5ksubnet}
        doc["kavlan_ip_range"] = plan.kavlan_range
        doc["kavlans"] = _kavlans(plan)
        doc["virt_ip_range"] = plan.g5ksubnet
    return dict(sorted(doc.items()))


def _kavlans(plan: SitePlan) -> dict:
    v6_default = plan.ipv6_net(0)
    kavlans = {"default": {"gateway": plan.production_gateway,
                           "gateway_ipv6": v6_default.replace("::/64", "::ffff:ffff"),
                           "network": plan.production, "network_ipv6": v6_default}}
    for vlan in LOCAL_VLANS + ROUTED_VLANS + (plan.global_vlan,):
        network = plan.vlan_network(vlan)
        v6 = plan.ipv6_net(plan.vlan_ipv6_offset(vlan))
        entry = {"gateway": str(network.broadcast_address - 1), "network": str(network),
                 "network_ipv6": v6}
        if vlan in ROUTED_VLANS:
            entry["gateway_ipv6"] = v6.replace("::/64", "::ffff:ffff")
        elif vlan == plan.global_vlan:
            entry["gateway_ipv6"] = v6.replace("::/64", f":{plan.index * 0x100:x}:0:ffff:ffff")
        kavlans[str(vlan)] = dict(sorted(entry.items()))
    return dict(sorted(kavlans.items()))


def _cluster_document(uid: str, node_count: int, kavlan: bool) -> dict:
    metrics = [
        {"description": "Power consumption of node reported by PDU, in watt",
         "name": "pdu_outlet_power_watt", "period": 1000, "source": {"protocol": "pdu"}},
        {"description": "All metrics from Prometheus Node Exporter", "name": "prom_all_metrics",
         "optional_period": 15000, "period": 0, "source": {"port": 9100, "protocol": "prometheus"}},
        {"description": "Input byte counter for the network device port", "labels": {"interface": "eth0"},
         "name": "network_ifacein_bytes_total", "period": 15000,
         "source": {"protocol": "network_equipment"}},
    ]
    return {
        "boot_type": "bios",
        "created_at": "Tue, 13 Jan 2015 00:00:00 GMT",
        "exotic": False,
        "kavlan": kavlan,
        "keep_alive_nodes_count": 0,
        "manufactured_at": "2015-01-13",
        "metrics": metrics,
        "model": "Dell PowerEdge R630",
        "nodes_count": node_count,
        "nodes_description": "2 CPUs Intel Xeon E5-2630 v3, 8 cores/CPU, 128GB RAM, 3x558GB HDD, "
                             "2 x 10Gb Ethernet (emulated)",
        "priority": 201501,
        "queues": ["default", "admin"],
        "redfish": True,
        "type": "cluster",
        "uid": uid,
        "warranty_end": "2030-01-13",
    }


def _server_documents(plan: SitePlan) -> dict[str, dict]:
    def server(uid: str, ip: str) -> dict:
        return {"kind": "virtual", "network_adapters": {"default": {"ip": ip}}, "type": "server", "uid": uid}

    servers = {}
    if plan.is_oar:
        # kavlan-N: the SSH gateway into local VLAN N (its own address in the VLAN is the
        # VLAN's `gateway` in the site document).
        for vlan in LOCAL_VLANS:
            servers[f"kavlan-{vlan}"] = server(f"kavlan-{vlan}", plan.server_ip(100 + vlan))
    servers["dns"] = server("dns", plan.server_ip(253))
    return servers


def build(config: Config) -> Reference:
    plans = plan_sites(config.sites)
    oar_plans = sorted((p for p in plans.values() if p.is_oar), key=lambda p: p.global_vlan)
    sites, clusters, nodes, servers = {}, {}, {}, {}
    for site in config.sites:
        plan = plans[site.uid]
        sites[site.uid] = _site_document(plan)
        clusters[site.uid] = {}
        nodes[site.uid] = {}
        for ci, cluster in enumerate(site.clusters):
            clusters[site.uid][cluster.uid] = _cluster_document(cluster.uid, cluster.nodes, plan.is_oar)
            nodes[site.uid][cluster.uid] = {
                f"{cluster.uid}-{n}": node_document(plan, oar_plans, cluster.uid, ci, n)
                for n in range(1, cluster.nodes + 1)
            }
        servers[site.uid] = _server_documents(plan)
    return Reference(plans=plans, sites=sites, clusters=clusters, nodes=nodes, servers=servers)
