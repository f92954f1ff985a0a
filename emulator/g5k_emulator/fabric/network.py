"""Host plumbing: bridges (VLANs), veths (switch ports), namespaces, routes and firewall.

The host plays the site router: it holds the gateway address of the production network and of
routed VLANs on their bridges, and routes between them. Local VLAN networks get an
`unreachable` route so the host never sends their traffic out of its uplink. Nodes may leave
the machine only to the Debian mirror, masqueraded; every other forwarded packet to or from a
fabric bridge that is not between two fabric bridges is dropped.
"""
from __future__ import annotations

import ipaddress
import json
import socket
import time
from urllib.parse import urlparse

from .host_commands import FabricError, output, run
from .topology import BRIDGE_PREFIX, LINK_PREFIXES, NETNS_PREFIXES, Vlan

ROUTE_PROTO = "71"           # tags the host routes the fabric adds (`ip route flush proto 71`)
FORWARD_CHAIN = "G5K-FORWARD"
NAT_CHAIN = "G5K-POSTROUTING"


def ip(*args: str, netns: str | None = None, check: bool = True):
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    return run([*prefix, *args], check=check)


def link_exists(name: str, netns: str | None = None) -> bool:
    return ip("link", "show", "dev", name, netns=netns, check=False).returncode == 0


def links(prefixes=LINK_PREFIXES) -> list[str]:
    names = [link["ifname"] for link in json.loads(output(["ip", "-j", "link", "show"]) or "[]")]
    return [n for n in names if n.startswith(prefixes)]


def netns_list(prefixes=NETNS_PREFIXES) -> list[str]:
    names = [ns["name"] for ns in json.loads(output(["ip", "-j", "netns", "list"]) or "[]")]
    return [n for n in names if n.startswith(prefixes)]


def remove_netns(name: str) -> None:
    """Delete a namespace with everything in it (its veths' host ends go with their peers)."""
    if name in netns_list((name,)):
        run(["ip", "netns", "delete", name])


def ensure_netns(name: str) -> None:
    """A namespace that does not route: new ones inherit the host's forwarding=1 here, and a
    kavlan-<N> gateway that forwarded would join its local VLAN to production."""
    if name not in netns_list((name,)):
        run(["ip", "netns", "add", name])
        run(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=0",
             "net.ipv6.conf.all.forwarding=0"])
    ip("link", "set", "lo", "up", netns=name)


def ensure_bridge(vlan: Vlan) -> bool:
    """The VLAN's bridge, up, with the gateway address when the host routes it; True if made."""
    if link_exists(vlan.bridge):
        return False
    # No STP: a port forwards as soon as it is attached, like an edge port of the real switch.
    ip("link", "add", vlan.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0",
       "mcast_snooping", "0")
    if vlan.routed:
        ip("addr", "replace", vlan.cidr(vlan.gateway), "dev", vlan.bridge)
    if vlan.subnet:
        ip("addr", "replace", f"{vlan.subnet_gateway}/{vlan.subnet.prefixlen}", "dev", vlan.bridge)
    ip("link", "set", vlan.bridge, "up")
    return True


def ensure_port(veth: str, netns: str, device: str, mac: str, bridge: str, up: bool = True) -> None:
    """A veth `veth` (host) <-> `device` in `netns` with `mac`, host end on `bridge`.
    `up=False` leaves a new `device` down, like an unconfigured NIC: it neither answers ARP
    (Linux answers for any of its addresses on any up interface) nor sends anything."""
    if not link_exists(veth):
        ip("link", "add", veth, "type", "veth", "peer", "name", device, "netns", netns)
        ip("link", "set", device, "address", mac, netns=netns)
        if up:
            ip("link", "set", device, "up", netns=netns)
    attach(veth, bridge)


def attach(veth: str, bridge: str) -> None:
    """Move a port to another bridge: a switch-port VLAN change."""
    ip("link", "set", veth, "master", bridge, "up")


def cut_off(veth: str) -> None:
    """Take a port down (a node lost on its switch): the next `attach` brings it up."""
    ip("link", "set", veth, "down")


def addresses(netns: str, device: str) -> list[str]:
    """IPv4 addresses of `device` in `netns` (empty if either is missing)."""
    result = ip("-j", "-4", "addr", "show", "dev", device, netns=netns, check=False)
    if result.returncode != 0:
        return []
    return [a["local"] for link in json.loads(result.stdout or "[]") for a in link.get("addr_info", [])]


def uplink() -> tuple[str, ipaddress.IPv4Network | None]:
    """The interface of the default route and its connected network."""
    routes = json.loads(output(["ip", "-j", "-4", "route", "show", "default"]) or "[]")
    if not routes:
        raise FabricError("no IPv4 default route: cannot tell which interface is the uplink")
    dev = routes[0]["dev"]
    addrs = json.loads(output(["ip", "-j", "-4", "addr", "show", "dev", dev]))
    for info in addrs[0].get("addr_info", []):
        return dev, ipaddress.IPv4Network(f"{info['local']}/{info['prefixlen']}", strict=False)
    return dev, None


def check_no_overlap(networks: list[ipaddress.IPv4Network]) -> None:
    """Refuse to take address ranges the machine already routes (its own uplink first)."""
    ours = set(links((BRIDGE_PREFIX,)))
    for route in json.loads(output(["ip", "-j", "-4", "route", "show"]) or "[]"):
        dst = route.get("dst")
        if dst in (None, "default") or route.get("dev") in ours or route.get("protocol") == ROUTE_PROTO:
            continue
        existing = ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False)
        for net in networks:
            if net.overlaps(existing):
                raise FabricError(f"the emulated site needs {net} but this machine already routes "
                                  f"{existing} via {route.get('dev')}: change the site plan or "
                                  "remove that route")


def block_from_host(networks) -> list[str]:
    """`unreachable` routes for networks the host must never send out of its uplink; returns
    the ones added."""
    present = {tuple(line.split()[:2]) for line in fabric_routes()}
    added = []
    for net in networks:
        if ("unreachable", str(net)) not in present:
            run(["ip", "route", "replace", "unreachable", str(net), "proto", ROUTE_PROTO])
            added.append(str(net))
    return added


def mirror_addresses(mirror_url: str, attempts: int = 6) -> list[str]:
    """The mirror's IPv4 addresses. The host's resolver fails now and then for a moment
    (seen here: `Temporary failure in name resolution`): retry with backoff (~30 s in all)."""
    host = urlparse(mirror_url).hostname
    delay = 1.0
    while True:
        try:
            infos = socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM)
            return sorted({info[4][0] for info in infos})
        except socket.gaierror as exc:
            attempts -= 1
            if exc.errno != socket.EAI_AGAIN or attempts <= 0:
                raise FabricError(f"cannot resolve the Debian mirror {host}: {exc.strerror}") from exc
        time.sleep(delay)
        delay *= 2


def _iptables(*args: str, table: str = "filter", check: bool = True):
    return run(["iptables", "-w", "-t", table, *args], check=check)


def ensure_firewall(uplink_dev: str, egress_sources: list[str], mirror_ips: list[str]) -> bool:
    """Make the fabric's chains exactly the wanted rules, hooked first in FORWARD and
    POSTROUTING; returns whether anything had to be (re)written."""
    fabric = f"{BRIDGE_PREFIX}+"
    forward = [["-i", fabric, "-o", fabric, "-j", "ACCEPT"]]
    forward += [["-d", f"{mirror}/32", "-i", fabric, "-o", uplink_dev, "-p", "tcp", "-m", "multiport",
                 "--dports", "80,443", "-j", "ACCEPT"] for mirror in mirror_ips]
    forward += [["-i", uplink_dev, "-o", fabric, "-m", "conntrack", "--ctstate",
                 "RELATED,ESTABLISHED", "-j", "ACCEPT"],
                ["-i", fabric, "-j", "DROP"],
                ["-o", fabric, "-j", "DROP"]]
    nat = [["-s", source, "-d", f"{mirror}/32", "-o", uplink_dev, "-j", "MASQUERADE"]
           for source in egress_sources for mirror in mirror_ips]
    wanted = ([f"-A FORWARD -j {FORWARD_CHAIN}"] + [" ".join(["-A", FORWARD_CHAIN, *r]) for r in forward]
              + [f"-A POSTROUTING -j {NAT_CHAIN}"] + [" ".join(["-A", NAT_CHAIN, *r]) for r in nat])
    if _rules() == wanted:
        return False
    remove_firewall()
    _iptables("-N", FORWARD_CHAIN)
    for rule in forward:
        _iptables("-A", FORWARD_CHAIN, *rule)
    _iptables("-I", "FORWARD", "1", "-j", FORWARD_CHAIN)
    _iptables("-N", NAT_CHAIN, table="nat")
    for rule in nat:
        _iptables("-A", NAT_CHAIN, *rule, table="nat")
    _iptables("-I", "POSTROUTING", "1", "-j", NAT_CHAIN, table="nat")
    return True


def _rules() -> list[str]:
    """The fabric's rules as `iptables -S` prints them: hook first, then the chain."""
    lines = []
    for table, hook, chain in (("filter", "FORWARD", FORWARD_CHAIN), ("nat", "POSTROUTING", NAT_CHAIN)):
        hooks = _iptables("-S", hook, table=table, check=False).stdout.splitlines()
        lines += [line for line in hooks if line == f"-A {hook} -j {chain}"]
        listing = _iptables("-S", chain, table=table, check=False)
        if listing.returncode == 0:
            lines += [line for line in listing.stdout.splitlines() if line.startswith("-A ")]
    return lines


def remove_firewall() -> None:
    for table, hook, chain in (("filter", "FORWARD", FORWARD_CHAIN),
                               ("nat", "POSTROUTING", NAT_CHAIN)):
        while _iptables("-D", hook, "-j", chain, table=table, check=False).returncode == 0:
            pass
        if _iptables("-L", chain, "-n", table=table, check=False).returncode == 0:
            _iptables("-F", chain, table=table)
            _iptables("-X", chain, table=table)


def firewall_rules() -> list[str]:
    """Every iptables rule or chain of the fabric still present (empty after `down`)."""
    text = output(["iptables-save"])
    return [line for line in text.splitlines() if "G5K-" in line]


def remove_all() -> None:
    """Delete every fabric namespace, link and route (veth peers go with their namespace)."""
    for name in netns_list():
        run(["ip", "netns", "delete", name], check=False)
    for name in links():
        ip("link", "delete", name, check=False)
    run(["ip", "route", "flush", "proto", ROUTE_PROTO], check=False)
    remove_firewall()


def fabric_routes() -> list[str]:
    return [line for line in output(["ip", "route", "show", "proto", ROUTE_PROTO]).splitlines()]
