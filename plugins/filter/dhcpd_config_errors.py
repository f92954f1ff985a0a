# -*- coding: utf-8 -*-
# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything wrong with a dhcpd data model, as messages that say what to fix."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dhcpd_config_errors
short_description: List the mistakes in the DHCP data model of the g5k.testbed.dhcpd role
version_added: 0.1.0
description:
  - The preflight check of the C(g5k.testbed.dhcpd) role. It returns an empty list when the subnets
    can be rendered for Kea or ISC dhcpd, otherwise one message per mistake, naming the subnet or
    host and what to fix.
  - Checks that subnets are IPv4 networks given by their network address, do not overlap and have
    unique ids; that pools lie inside their subnet, have C(start) <= C(end) and do not overlap;
    that fixed hosts have a valid name, MAC and address, that the address is inside their subnet
    (not its network or broadcast address) and outside every pool, and that MACs, addresses and
    names are unique; that routers, DNS servers and next servers are IPv4 addresses (a router
    inside its subnet); that domain names are valid and boot file names are printable text
    without quotes.
options:
  _input:
    description: The subnets, in the C(dhcpd_subnets) format of the role.
    type: list
    elements: dict
    required: true
  dns_servers:
    description: The global DNS servers (C(dhcpd_dns_servers)).
    type: list
    elements: str
    default: []
  next_server:
    description: The global PXE next server (C(dhcpd_next_server)).
    type: str
    default: ""
  domain_name:
    description: The global domain name (C(dhcpd_domain_name)).
    type: str
    default: ""
  boot_file:
    description: The global PXE boot file (C(dhcpd_boot_file)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Stop before anything changes when the data model is wrong
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ dhcpd_subnets | g5k.testbed.dhcpd_config_errors(dns_servers=dhcpd_dns_servers) }}"
"""

RETURN = r"""
_value:
  description: One message per mistake; empty when the model is valid.
  type: list
  elements: str
  sample:
    - "subnet 10.0.0.0/24: host node-2 address 10.0.1.2 is outside the subnet"
    - "MAC 02:00:00:00:00:01 is used by node-1 and node-3"
"""

import ipaddress
import re

from ansible.errors import AnsibleFilterError

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _address(text):
    """Return an IPv4Address for ``text``, or None when it is not one."""
    try:
        return ipaddress.IPv4Address(str(text).strip())
    except ValueError:
        return None


def _is_domain(text):
    labels = str(text).rstrip(".").split(".")
    return len(text) <= 253 and all(_DOMAIN_LABEL.match(label) for label in labels)


def _is_plain_text(text):
    return all(char.isprintable() and char not in '"\\;' for char in str(text))


class _Checker:
    """Collects the errors of one data model; one method per kind of object."""

    def __init__(self):
        self.errors = []
        self.pools = []  # (first, last, label)
        self.hosts = []  # (subnet label, host dict, address or None, lower-case MAC)

    def add(self, message):
        self.errors.append(message)

    def check_address_list(self, label, what, values):
        if isinstance(values, str) or not isinstance(values, (list, tuple)):
            self.add("%s: %s must be a list of IPv4 addresses, got %r" % (label, what, values))
            return
        for value in values:
            if _address(value) is None:
                self.add("%s: %s entry %r is not an IPv4 address" % (label, what, value))

    def check_common(self, label, options):
        """Options allowed both globally and per subnet."""
        if options.get("next_server") and _address(options["next_server"]) is None:
            self.add("%s: next_server %r is not an IPv4 address" % (label, options["next_server"]))
        if options.get("dns_servers"):
            self.check_address_list(label, "dns_servers", options["dns_servers"])
        if options.get("domain_name") and not _is_domain(options["domain_name"]):
            self.add("%s: domain_name %r is not a valid domain name" % (label, options["domain_name"]))
        if options.get("boot_file") and not _is_plain_text(options["boot_file"]):
            self.add("%s: boot_file %r must be printable text without quotes, backslashes or ';'"
                     % (label, options["boot_file"]))

    def check_subnet(self, index, subnet):
        if not isinstance(subnet, dict):
            self.add("dhcpd_subnets[%d] must be a dictionary, got %r" % (index, subnet))
            return None
        text = subnet.get("subnet")
        label = "subnet %s" % text
        try:
            network = ipaddress.IPv4Network(str(text), strict=True)
        except ValueError as exc:
            self.add("dhcpd_subnets[%d]: subnet %r is not an IPv4 network given by its network address"
                     " (for example 10.0.0.0/24): %s" % (index, text, exc))
            return None
        self.check_common(label, subnet)
        router = subnet.get("router")
        if router:
            address = _address(router)
            if address is None:
                self.add("%s: router %r is not an IPv4 address" % (label, router))
            elif address not in network:
                self.add("%s: router %s is outside the subnet" % (label, router))
        for pool in subnet.get("pools") or []:
            self.check_pool(label, network, pool)
        for host in subnet.get("hosts") or []:
            self.check_host(label, network, host)
        return network

    def check_pool(self, label, network, pool):
        if not isinstance(pool, dict):
            self.add("%s: pool %r must be a dictionary {start, end}" % (label, pool))
            return
        first, last = _address(pool.get("start")), _address(pool.get("end"))
        if first is None or last is None:
            self.add("%s: pool %s - %s needs IPv4 addresses as start and end"
                     % (label, pool.get("start"), pool.get("end")))
            return
        pool_label = "pool %s - %s" % (first, last)
        if first > last:
            self.add("%s: %s starts after it ends" % (label, pool_label))
            return
        usable = (network.network_address, network.broadcast_address) if network.prefixlen < 31 else ()
        if first not in network or last not in network:
            self.add("%s: %s is not inside the subnet" % (label, pool_label))
        elif first in usable or last in usable:
            self.add("%s: %s includes the network or broadcast address" % (label, pool_label))
        for other_first, other_last, other_label in self.pools:
            if first <= other_last and other_first <= last:
                self.add("%s: %s overlaps %s" % (label, pool_label, other_label))
        self.pools.append((first, last, pool_label))

    def check_host(self, label, network, host):
        if not isinstance(host, dict):
            self.add("%s: host %r must be a dictionary {name, mac, ip}" % (label, host))
            return
        name = host.get("name")
        mac = str(host.get("mac") or "").lower()
        address = _address(host.get("ip"))
        if not name or not _HOSTNAME.match(str(name)):
            self.add("%s: host name %r must be letters, digits, '-', '_' or '.'" % (label, name))
        if not _MAC.match(mac):
            self.add("%s: host %s has MAC %r, expected six hexadecimal pairs separated by ':'"
                     % (label, name, host.get("mac")))
        if address is None:
            self.add("%s: host %s address %r is not an IPv4 address" % (label, name, host.get("ip")))
        elif address not in network:
            self.add("%s: host %s address %s is outside the subnet" % (label, name, address))
        elif network.prefixlen < 31 and address in (network.network_address, network.broadcast_address):
            self.add("%s: host %s address %s is the network or broadcast address" % (label, name, address))
        self.hosts.append((label, host, address, mac))

    def check_hosts_against_pools_and_each_other(self, subnets):
        routers = {}
        for subnet in subnets:
            if isinstance(subnet, dict) and _address(subnet.get("router")):
                routers[_address(subnet["router"])] = "subnet %s" % subnet.get("subnet")
        seen = {"MAC": {}, "address": {}, "name": {}}
        for label, host, address, mac in self.hosts:
            name = host.get("name")
            if address is not None:
                for first, last, pool_label in self.pools:
                    if first <= address <= last:
                        self.add("%s: host %s address %s is inside %s; fixed addresses must be outside"
                                 " the pools" % (label, name, address, pool_label))
                if address in routers:
                    self.add("%s: host %s address %s is the router of %s" % (label, name, address, routers[address]))
            for kind, key in (("MAC", mac or None), ("address", address), ("name", name)):
                if key is None:
                    continue
                if key in seen[kind]:
                    self.add("%s %s is used by %s and %s" % (kind, key, seen[kind][key], name))
                else:
                    seen[kind][key] = name


def dhcpd_config_errors(subnets, dns_servers=None, next_server="", domain_name="", boot_file=""):
    """Return the list of mistakes in ``subnets`` and the global options; empty when valid."""
    if not isinstance(subnets, (list, tuple)):
        raise AnsibleFilterError("dhcpd_config_errors: expects the list of subnets, got %s" % type(subnets).__name__)
    checker = _Checker()
    checker.check_common("global options", {
        "next_server": next_server, "dns_servers": dns_servers or [],
        "domain_name": domain_name, "boot_file": boot_file,
    })
    if not subnets:
        checker.add("dhcpd_subnets is empty: declare at least one subnet, or set dhcpd_reference_api_vlan")
    networks = []
    ids = {}
    for index, subnet in enumerate(subnets):
        network = checker.check_subnet(index, subnet)
        if network is None:
            continue
        for other in networks:
            if network.overlaps(other):
                checker.add("subnet %s overlaps subnet %s" % (network, other))
        networks.append(network)
        subnet_id = subnet.get("id", index + 1)
        if not isinstance(subnet_id, int) or isinstance(subnet_id, bool) or subnet_id < 1:
            checker.add("subnet %s: id %r must be a positive integer" % (network, subnet_id))
        elif subnet_id in ids:
            checker.add("subnet %s: id %d is also the id of subnet %s (ids default to the position in the"
                        " list, starting at 1)" % (network, subnet_id, ids[subnet_id]))
        else:
            ids[subnet_id] = network
    checker.check_hosts_against_pools_and_each_other(subnets)
    return checker.errors


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self):
        return {"dhcpd_config_errors": dhcpd_config_errors}
