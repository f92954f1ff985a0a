"""DHCP (and DNS) of a VLAN: one dnsmasq in its own namespace, plugged into the VLAN's bridge.

It hands out the fixed address of each MAC in that VLAN (production: the adapter's `ip`;
VLAN N: the node's `kavlan[device]["kavlan-N"]`), the router and the DNS server, and answers
DNS for the site's node names and the package mirror without forwarding anything upstream.
Stopping it (PUT /vlans/{id}/dhcpd stop) leaves renewing nodes without any offer.
"""
from __future__ import annotations

import ipaddress
import os
import signal
from pathlib import Path

from . import network
from .host_commands import run
from .state import FabricState
from .topology import Topology, Vlan, derived_mac

LEASE_TIME = "12h"
DEVICE = "dhcp0"


def process_name(vlan: Vlan) -> str:
    return f"dhcp-{vlan.key}"


def _members(topology: Topology, vlan: Vlan):
    """Ports that have an address in `vlan` (any site's for a global VLAN)."""
    for port in topology.ports.values():
        if (vlan.kind == "global" or port.site == vlan.site) and vlan.id in port.addresses:
            yield port, port.addresses[vlan.id]


def names(topology: Topology, vlan: Vlan):
    """(port, address, host name) of every port with an address in `vlan`."""
    return [(port, ip, port.dhcp_hostname(vlan.id)) for port, ip in _members(topology, vlan)]


def subnet_hosts(subnets: list[str]) -> str:
    """dnsmasq host lines for every usable address of these g5k-subnet blocks, each with the
    platform's MAC: 00:16:3E + the address's last three bytes."""
    lines = []
    for cidr in subnets:
        for address in ipaddress.IPv4Network(cidr).hosts():
            octets = address.packed[1:]
            lines.append("00:16:3e:%02x:%02x:%02x,%s\n" % (*octets, address))
    return "".join(lines)


def _subnet_file(vlan: Vlan, state: FabricState) -> Path:
    return Path(state.dir, "dhcp", f"{vlan.key}.subnet-hosts")


def serve_subnets(vlan: Vlan, state: FabricState, subnets: list[str]) -> None:
    """Serve exactly these blocks' MACs from now on (dnsmasq re-reads its host files on SIGHUP)."""
    path = _subnet_file(vlan, state)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(subnet_hosts(subnets))
    pid = state.pid(process_name(vlan))
    if pid:
        os.kill(pid, signal.SIGHUP)


def dhcp_hosts(topology: Topology, vlan: Vlan) -> str:
    return "".join(f"{port.mac},{ip},{port.dhcp_hostname(vlan.id)}\n"
                   for port, ip in _members(topology, vlan))


def dns_records(topology: Topology, vlan: Vlan, mirror: dict[str, list[str]]) -> str:
    """Names this VLAN's resolver answers: a routed resolver (the site's DNS) every node name
    in every VLAN, local ones included, as the platform's DNS does; a local VLAN's resolver,
    which nothing outside reaches, its own VLAN's; gateways; the mirror."""
    lines = []
    visible = topology.vlans.values() if vlan.routed else [vlan]
    for seen in visible:
        lines += [f"{ip} {name}.{port.site}.grid5000.fr {name}" for port, ip, name in names(topology, seen)]
    for (site, vid), gateway in topology.gateways.items():
        if site == vlan.site and (vlan.routed or vid == vlan.id):
            leg = gateway.static["eth0" if vlan.routed else "eth1"][1].split("/")[0]
            lines.append(f"{leg} {gateway.uid}.{site}.grid5000.fr {gateway.uid}")
    if vlan.routed:
        lines += [f"{ip} {host}" for host, ips in mirror.items() for ip in ips]
    return "\n".join(lines) + "\n"


def start(topology: Topology, vlan: Vlan, state: FabricState, mirror: dict[str, list[str]]) -> bool:
    """Start the VLAN's dnsmasq unless its recorded process lives; True if started."""
    name = process_name(vlan)
    if state.pid(name):
        return False
    netns = vlan.dhcp_netns
    network.ensure_netns(netns)
    network.ensure_port(vlan.dhcp_veth, netns, DEVICE, derived_mac(f"dhcp/{vlan.key}"), vlan.bridge)
    network.ip("addr", "replace", vlan.cidr(vlan.dhcp_address), "dev", DEVICE, netns=netns)
    if vlan.routed:
        network.ip("route", "replace", "default", "via", vlan.gateway, netns=netns)
    files = Path(state.dir, "dhcp")
    files.mkdir(parents=True, exist_ok=True)
    hosts = files / f"{vlan.key}.dhcp-hosts"
    hosts.write_text(dhcp_hosts(topology, vlan))
    names = files / f"{vlan.key}.dns-hosts"
    names.write_text(dns_records(topology, vlan, mirror))
    dns = vlan.dns if vlan.routed else vlan.dhcp_address
    subnet = []
    if vlan.subnet:  # VMs bridged on production get their g5k-subnet address (serve_subnets)
        listen = ipaddress.IPv4Address(vlan.subnet_gateway) - 1
        network.ip("addr", "replace", f"{listen}/{vlan.subnet.prefixlen}", "dev", DEVICE, netns=netns)
        if not _subnet_file(vlan, state).exists():
            serve_subnets(vlan, state, [])
        subnet = [f"--dhcp-range=set:subnet,{vlan.subnet.network_address},static,{vlan.subnet.netmask},{LEASE_TIME}",
                  f"--dhcp-hostsfile={_subnet_file(vlan, state)}",
                  f"--dhcp-option=tag:subnet,option:router,{vlan.subnet_gateway}"]
    run(["ip", "netns", "exec", netns, "dnsmasq", "--conf-file=/dev/null",
                 "--user=root", "--group=root", f"--interface={DEVICE}", "--bind-interfaces",
                 "--no-resolv", "--no-hosts", f"--addn-hosts={names}",
                 f"--domain={vlan.domain}",
                 f"--dhcp-range={vlan.network.network_address},static,{vlan.network.netmask},{LEASE_TIME}",
                 "--dhcp-authoritative", f"--dhcp-hostsfile={hosts}",
                 f"--dhcp-leasefile={files / (vlan.key + '.leases')}",
                 f"--dhcp-option=option:router,{vlan.gateway}",
                 f"--dhcp-option=option:dns-server,{dns}",
                 f"--dhcp-option=option:domain-search,{vlan.domain}",
                 f"--pid-file={state.pid_file(name)}",
                 f"--log-facility={files / (vlan.key + '.log')}", "--log-dhcp", *subnet])
    return True


def stop(vlan: Vlan, state: FabricState) -> None:
    state.stop(process_name(vlan))


def running(vlan: Vlan, state: FabricState) -> bool:
    return state.pid(process_name(vlan)) is not None


