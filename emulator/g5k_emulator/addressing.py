"""Where each emulated site sits in Grid'5000's address plan (IPv4, IPv6, VLAN ids).

Known sites get their real numbers (g5k-api.md §2.1, §5, §6: site index, global VLAN id,
production /20, KaVLAN /14, g5ksubnet /14); other site names get free numbers, assigned in
sorted-name order so the same configuration always gives the same plan.

Inside a site, cluster `ci` (0-based, configuration order) and node `n` (1-based) map to:
- production: `<prod /20>.(ci+1).n` (eth0) and `.(100+n)` (eth1), BMC in the next /16;
- local VLAN k (1-3) `192.168.(192+16(k-1)).0/20` and routed VLAN 4-9 (a /18 each):
  /24 number 1+2ci (eth0) and 2+2ci (eth1), host n;
- a global VLAN (a /18 shared by all sites): /24 number 4*slot+ci where slot is the node
  site's index, host n (eth0) and 100+n (eth1).
The last /24 of each network holds its gateway (`.254`), frontend and servers.
"""
from __future__ import annotations

import dataclasses
import ipaddress

IPV6_BASE = "2001:660:4406"
LOCAL_VLANS = (1, 2, 3)
ROUTED_VLANS = (4, 5, 6, 7, 8, 9)
MAX_NODES_PER_CLUSTER = 99
MAX_CLUSTERS_PER_SITE = 4
MAX_SITE_SLOTS = 15  # 15 sites x 4 clusters = 60 of a global VLAN's 63 usable /24s


@dataclasses.dataclass(frozen=True)
class KnownSite:
    index: int
    global_vlan: int | None
    production: str
    g5ksubnet: str | None
    location: str
    latitude: float
    longitude: float


# Real values (g5k-api.md and reference files). Bordeaux is the Slurm site: no VLAN, no subnet.
KNOWN_SITES: dict[str, KnownSite] = {
    "bordeaux": KnownSite(0, None, "172.16.0.0/20", None, "Bordeaux, France", 44.8378, -0.594),
    "grenoble": KnownSite(1, 11, "172.16.16.0/20", "10.132.0.0/14", "Grenoble, France", 45.1833, 5.7167),
    "lille": KnownSite(2, 12, "172.16.32.0/20", "10.136.0.0/14", "Lille, France", 50.65, 3.0833),
    "luxembourg": KnownSite(3, 20, "172.16.176.0/20", "10.172.0.0/14", "Luxembourg, Luxembourg", 49.6116, 6.1319),
    "lyon": KnownSite(4, 13, "172.16.48.0/20", "10.140.0.0/14", "Lyon, France", 45.7667, 4.8333),
    "nancy": KnownSite(5, 14, "172.16.64.0/20", "10.144.0.0/14", "Nancy, France", 48.66543, 6.15698),
    "nantes": KnownSite(6, 21, "172.16.192.0/20", "10.176.0.0/14", "Nantes, France", 47.282332, -1.520547),
    "rennes": KnownSite(7, 16, "172.16.96.0/20", "10.156.0.0/14", "Rennes, France", 48.1, -1.6667),
    "sophia": KnownSite(8, 18, "172.16.128.0/20", "10.164.0.0/14", "Sophia-Antipolis, France", 43.6161, 7.0678),
    "toulouse": KnownSite(9, 17, "172.16.112.0/20", "10.160.0.0/14", "Toulouse, France", 43.6167, 1.4333),
    "strasbourg": KnownSite(10, 19, "172.16.160.0/20", "10.168.0.0/14", "Strasbourg, France", 48.58048, 7.76335),
    "louvain": KnownSite(11, 22, "172.16.208.0/20", "10.180.0.0/14", "Louvain, Belgium", 50.87959, 4.70093),
}
FIRST_FREE_INDEX = 12
FIRST_FREE_GLOBAL_VLAN = 23


def _net(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr)


def _ip(network: ipaddress.IPv4Network, block: int, host: int) -> str:
    return str(network.network_address + block * 256 + host)


def _last_block_ip(network: ipaddress.IPv4Network, host: int) -> str:
    return str(network.broadcast_address - 255 + host)


@dataclasses.dataclass(frozen=True)
class SitePlan(KnownSite):
    """The address plan of one site; every method is a pure function of its fields."""

    uid: str
    scheduler: str

    @property
    def is_oar(self) -> bool:
        return self.scheduler == "oar"

    @property
    def ipv6_prefix(self) -> str:
        return str(ipaddress.IPv6Network(f"{IPV6_BASE}:{self.index * 0x100:x}::/56"))

    def ipv6_net(self, hextet_offset: int) -> str:
        return str(ipaddress.IPv6Network(f"{IPV6_BASE}:{self.index * 0x100 + hextet_offset:x}::/64"))

    @property
    def kavlan_range(self) -> str | None:
        if self.global_vlan is None:
            return None
        return f"10.{4 * (self.global_vlan - 10)}.0.0/14"

    @property
    def production_gateway(self) -> str:
        return _last_block_ip(_net(self.production), 254)

    @property
    def frontend_ip(self) -> str:
        return _last_block_ip(_net(self.production), 106)

    def server_ip(self, host: int) -> str:
        """Addresses of the site's servers (kavlan-N gateways: .100+N, dns: .253)."""
        return _last_block_ip(_net(self.production), host)

    def g5ksubnet_gateway(self) -> str | None:
        return None if self.g5ksubnet is None else str(_net(self.g5ksubnet).broadcast_address - 1)

    # VLAN networks ---------------------------------------------------------------
    def vlan_network(self, vlan: int) -> ipaddress.IPv4Network:
        if vlan in LOCAL_VLANS:
            return _net(f"192.168.{192 + 16 * (vlan - 1)}.0/20")
        if vlan in ROUTED_VLANS:
            base = _net(self.kavlan_range).network_address
            return ipaddress.IPv4Network((base + (vlan - 4) * 64 * 256, 18))
        if vlan == self.global_vlan:
            return _net(global_vlan_network(vlan))
        raise ValueError(f"VLAN {vlan} is not a VLAN of site {self.uid}")

    def vlan_ipv6_offset(self, vlan: int) -> int:
        if vlan in LOCAL_VLANS:
            return 0x80 + vlan - 1
        if vlan in ROUTED_VLANS:
            return 0x90 + vlan - 4
        return 0xA0

    # Node addresses --------------------------------------------------------------
    def node_production_ip(self, ci: int, n: int, secondary: bool = False) -> str:
        return _ip(_net(self.production), ci + 1, n + (100 if secondary else 0))

    def node_bmc_ip(self, ci: int, n: int) -> str:
        prod = ipaddress.IPv4Address(self.node_production_ip(ci, n))
        return str(prod + 65536)

    def node_production_ip6(self, ci: int, n: int, secondary: bool = False) -> str:
        net = ipaddress.IPv6Network(self.ipv6_net(0))
        return _ip6(net, ci + 2, n, secondary)

    def node_vlan_ip(self, vlan: int, ci: int, n: int, secondary: bool = False) -> str:
        """IP of a node's eth0 (or eth1) in a local or routed VLAN of this site."""
        block = 1 + 2 * ci + (1 if secondary else 0)
        return _ip(self.vlan_network(vlan), block, n)

    def node_vlan_ip6(self, vlan: int, ci: int, n: int, secondary: bool = False) -> str:
        net = ipaddress.IPv6Network(self.ipv6_net(self.vlan_ipv6_offset(vlan)))
        return _ip6(net, ci + 2, n, secondary)

    def node_global_vlan_ip(self, owner: SitePlan, ci: int, n: int, secondary: bool = False) -> str:
        """IP of this site's node in `owner`'s global VLAN."""
        network = _net(global_vlan_network(owner.global_vlan))
        return _ip(network, 4 * self.index + ci, n + (100 if secondary else 0))

    def node_global_vlan_ip6(self, owner: SitePlan, ci: int, n: int, secondary: bool = False) -> str:
        net = ipaddress.IPv6Network(owner.ipv6_net(0xA0))
        return _ip6(net, self.index * 0x100 + ci + 2, n, secondary)


def _ip6(net: ipaddress.IPv6Network, group: int, n: int, secondary: bool) -> str:
    # hextets 5..8 of the /64: <group>:<1 if secondary>:0:<n>  (e.g. ...:700:2::1, ...:700:2:1:0:1)
    suffix = (group << 48) | ((1 if secondary else 0) << 32) | n
    return str(net.network_address + suffix)


def global_vlan_network(vlan: int) -> str:
    """A global VLAN is the last /18 of its owner's KaVLAN /14: 10.<4(id-10)+3>.192.0/18."""
    return f"10.{4 * (vlan - 10) + 3}.192.0/18"


def plan_sites(sites) -> dict[str, SitePlan]:
    """Address plans for the configured sites (`sites`: config.SiteConfig items)."""
    plans: dict[str, SitePlan] = {}
    unknown = sorted(s.uid for s in sites if s.uid not in KNOWN_SITES)
    free_slots = MAX_SITE_SLOTS - FIRST_FREE_INDEX
    if len(unknown) > free_slots:
        raise ValueError(f"at most {free_slots} sites outside Grid'5000's real site list, got {unknown}")
    for site in sites:
        known = KNOWN_SITES.get(site.uid)
        if known is None:
            rank = unknown.index(site.uid)
            known = KnownSite(
                index=FIRST_FREE_INDEX + rank,
                global_vlan=FIRST_FREE_GLOBAL_VLAN + rank,
                production=f"172.20.{16 * rank}.0/20",
                g5ksubnet=f"10.{184 + 4 * rank}.0.0/14",
                location=f"{site.uid.capitalize()}, Emulated",
                latitude=0.0,
                longitude=0.0,
            )
        if site.scheduler != "oar":
            known = dataclasses.replace(known, global_vlan=None, g5ksubnet=None)
        elif known.global_vlan is None:
            raise ValueError(f"site {site.uid} has no global VLAN on the real platform: "
                             "it cannot be an OAR site here")
        plans[site.uid] = SitePlan(uid=site.uid, scheduler=site.scheduler, **dataclasses.asdict(known))
    return plans
