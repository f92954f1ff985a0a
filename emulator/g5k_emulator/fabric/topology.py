"""The wire the fabric builds, derived from the Reference API documents.

VLAN = one Linux bridge; node NIC that KaVLAN can move = one veth whose host end sits on a
bridge; DHCP of a VLAN = one dnsmasq in its own network namespace on that bridge. Every name
starts with a fixed prefix so `down` finds what `up` made:
  containers g5k-<site>-<node>   bridges g5kb-<site6>-<vlan>   node veths g5kv<hash>
  namespaces g5kn-<site>-<node> (node ports), g5kd-<site>-<vlan> (DHCP, veth g5kd-<site6>-<vlan>)
"""
from __future__ import annotations

import dataclasses
import hashlib
import ipaddress

from ..config import Config
from ..reference import Reference, build

DEFAULT = "DEFAULT"
CONTAINER_PREFIX = "g5k-"
BRIDGE_PREFIX = "g5kb-"
VETH_PREFIX = "g5kv"
DHCP_PREFIX = "g5kd-"
NODE_NETNS_PREFIX = "g5kn-"
LINK_PREFIXES = (BRIDGE_PREFIX, VETH_PREFIX, DHCP_PREFIX)
NETNS_PREFIXES = (NODE_NETNS_PREFIX, DHCP_PREFIX)
LABEL = "g5k-emulator.fabric"


def _vlan_tag(vlan: str) -> str:
    return "p" if vlan == DEFAULT else vlan


@dataclasses.dataclass(frozen=True)
class Vlan:
    site: str            # the owner site (a global VLAN belongs to one site)
    id: str              # "DEFAULT" or "1".."22"
    kind: str            # production | local | routed | global
    network: ipaddress.IPv4Network
    gateway: str
    dns: str             # DNS handed out by DHCP
    domain: str
    # Production only: the site's g5k-subnet range (VM addresses), which rides on production
    # with its own gateway, as on the platform; None elsewhere and on a site without subnets.
    subnet: ipaddress.IPv4Network | None = None
    subnet_gateway: str | None = None

    @property
    def routed(self) -> bool:
        """The host holds the gateway and routes: production, routed (4-9) and global VLANs."""
        return self.kind != "local"

    @property
    def bridge(self) -> str:
        return f"{BRIDGE_PREFIX}{self.site[:6]}-{_vlan_tag(self.id)}"

    @property
    def key(self) -> str:
        return f"{self.site}-{_vlan_tag(self.id)}"

    @property
    def dhcp_netns(self) -> str:
        return f"{DHCP_PREFIX}{self.key}"

    @property
    def dhcp_veth(self) -> str:
        return f"{DHCP_PREFIX}{self.site[:6]}-{_vlan_tag(self.id)}"

    @property
    def dhcp_address(self) -> str:
        """Where the VLAN's dnsmasq listens: the site DNS server in production, else gateway - 1."""
        if self.kind == "production":
            return self.dns
        return str(ipaddress.IPv4Address(self.gateway) - 1)

    def cidr(self, address: str) -> str:
        return f"{address}/{self.network.prefixlen}"


@dataclasses.dataclass(frozen=True)
class Port:
    """A NIC KaVLAN can move: its KaVLAN name and its address in each VLAN it may join."""
    name: str                    # network_address, e.g. parasilo-1-eth1.rennes.grid5000.fr
    node: str                    # node uid
    site: str
    device: str                  # eth0, eth1 (name inside the node)
    mac: str
    mounted: bool                # configured by the environment (DHCP at boot)
    addresses: dict              # VLAN id ("DEFAULT", "4", "16") -> IPv4 address

    @property
    def veth(self) -> str:
        return VETH_PREFIX + hashlib.sha1(f"{self.site}/{self.name}".encode()).hexdigest()[:11]

    def dhcp_hostname(self, vlan: str) -> str:
        base = self.node if self.mounted else f"{self.node}-{self.device}"
        return base if vlan == DEFAULT else f"{base}-kavlan-{vlan}"


@dataclasses.dataclass(frozen=True)
class Node:
    uid: str
    site: str
    ports: tuple[Port, ...]
    gateway_of: str | None = None    # local VLAN id when this is the kavlan-<N> gateway node
    static: dict = dataclasses.field(default_factory=dict)  # gateway: device -> (vlan id, cidr)

    @property
    def fqdn(self) -> str:
        return f"{self.uid}.{self.site}.grid5000.fr"

    @property
    def container(self) -> str:
        return f"{CONTAINER_PREFIX}{self.site}-{self.uid}"

    @property
    def netns(self) -> str:
        return f"{NODE_NETNS_PREFIX}{self.site}-{self.uid}"

    @property
    def primary(self) -> Port:
        return next(p for p in self.ports if p.mounted)


@dataclasses.dataclass
class Topology:
    vlans: dict                  # (site, id) -> Vlan, global VLANs under their owner site
    nodes: dict                  # fqdn -> Node (computing nodes)
    gateways: dict               # (site, local VLAN id) -> Node (kavlan-<N>)
    ports: dict                  # port name -> Port (nodes only)
    uplink_blocked: tuple        # local VLAN networks: unreachable from the host

    def vlan(self, site: str, vlan_id: str) -> Vlan:
        """The VLAN `vlan_id` as seen from `site` (a global VLAN id resolves to its owner)."""
        vlan_id = DEFAULT if str(vlan_id).upper() == DEFAULT else str(vlan_id)
        if (site, vlan_id) in self.vlans:
            return self.vlans[(site, vlan_id)]
        for (owner, vid), vlan in self.vlans.items():
            if vid == vlan_id and vlan.kind == "global":
                return vlan
        raise KeyError(f"VLAN {vlan_id} does not exist on site {site}")

    def node(self, site: str, name: str) -> Node:
        """A node by FQDN or uid."""
        fqdn = name if "." in name else f"{name}.{site}.grid5000.fr"
        if fqdn not in self.nodes:
            raise KeyError(f"Unknown node '{name}'")
        return self.nodes[fqdn]

    def all_nodes(self) -> list[Node]:
        return [*self.gateways.values(), *self.nodes.values()]

    def port_of(self, node: Node, device: str) -> Port:
        return next(p for p in node.ports if p.device == device)


def _kind(vlan_id: str) -> str:
    if vlan_id == DEFAULT:
        return "production"
    number = int(vlan_id)
    return "local" if number <= 3 else "routed" if number <= 9 else "global"


def from_reference(reference: Reference) -> Topology:
    vlans, nodes, gateways, ports = {}, {}, {}, {}
    for site, doc in reference.sites.items():
        domain = f"{site}.grid5000.fr"
        dns = reference.servers[site]["dns"]["network_adapters"]["default"]["ip"]
        kavlans = doc.get("kavlans") or {
            # A Slurm site has no KaVLAN: only its production network exists.
            "default": {"network": reference.plans[site].production,
                        "gateway": reference.plans[site].production_gateway}}
        for key, net in kavlans.items():
            vlan_id = DEFAULT if key == "default" else key
            kind = _kind(vlan_id)
            subnet = doc.get("g5ksubnet") if vlan_id == DEFAULT else None
            vlans[(site, vlan_id)] = Vlan(site=site, id=vlan_id, kind=kind,
                                          network=ipaddress.IPv4Network(net["network"]),
                                          gateway=net["gateway"], dns=dns, domain=domain,
                                          subnet=ipaddress.IPv4Network(subnet["network"]) if subnet else None,
                                          subnet_gateway=subnet["gateway"] if subnet else None)
    for site, clusters in reference.nodes.items():
        for cluster_nodes in clusters.values():
            for uid, doc in cluster_nodes.items():
                node_ports = []
                for adapter in doc["network_adapters"]:
                    if not (adapter.get("mountable") and adapter.get("network_address")):
                        continue
                    addresses = {DEFAULT: adapter["ip"]}
                    for name, ip in doc.get("kavlan", {}).get(adapter["device"], {}).items():
                        addresses[name.removeprefix("kavlan-")] = ip
                    node_ports.append(Port(name=adapter["network_address"], node=uid, site=site,
                                           device=adapter["device"], mac=adapter["mac"],
                                           mounted=bool(adapter.get("mounted")),
                                           addresses=addresses))
                node = Node(uid=uid, site=site, ports=tuple(node_ports))
                nodes[node.fqdn] = node
                ports.update((p.name, p) for p in node_ports)
    for site, servers in reference.servers.items():
        for uid, server in servers.items():
            if not uid.startswith("kavlan-"):
                continue
            vlan_id = uid.removeprefix("kavlan-")
            local = vlans[(site, vlan_id)]
            production = vlans[(site, DEFAULT)]
            prod_ip = server["network_adapters"]["default"]["ip"]
            legs = (Port(name=f"{uid}.{site}.grid5000.fr", node=uid, site=site, device="eth0",
                         mac=derived_mac(f"{site}/{uid}/eth0"), mounted=True,
                         addresses={DEFAULT: prod_ip}),
                    Port(name=f"{uid}-local.{site}.grid5000.fr", node=uid, site=site,
                         device="eth1", mac=derived_mac(f"{site}/{uid}/eth1"), mounted=False,
                         addresses={vlan_id: local.gateway}))
            gateways[(site, vlan_id)] = Node(
                uid=uid, site=site, ports=legs, gateway_of=vlan_id,
                static={"eth0": (DEFAULT, production.cidr(prod_ip)),
                        "eth1": (vlan_id, local.cidr(local.gateway))})
    blocked = tuple(sorted({str(v.network) for v in vlans.values() if not v.routed}))
    return Topology(vlans=vlans, nodes=nodes, gateways=gateways, ports=ports,
                    uplink_blocked=blocked)


def derived_mac(seed: str) -> str:
    """A stable, locally administered unicast MAC for a NIC the reference data does not list."""
    digest = hashlib.sha1(seed.encode()).digest()
    return ":".join(f"{o:02x}" for o in (0x06, *digest[:5]))


def load(config: Config) -> Topology:
    return from_reference(build(config))
