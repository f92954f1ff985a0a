# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts, groups and variables of the g5k inventory, from the fetched API data (PRIVATE, pure).

Public API (stable):

- ``HostRecord``: ``name``, ``groups`` (list), ``variables`` (dict, already prefixed).
- ``InventoryShape(hostnames="fqdn", address="name", proxy_jump=None, gateway_user=None,
  prefix="g5k_", guest_address_offset=0)``: the user's choices.
- ``shared_job_groups(records, prefix)`` -> warnings for job groups shared by differently named jobs.
- ``build_inventory(data, shape, placement=None)`` -> ``(hosts, warnings)``: nodes of every job
  (ordered by site, job, cluster, node number), then guests of ``placement`` (declaration order);
  a name seen twice keeps its first host and adds a warning. Guest addresses follow
  ``fleet_layout.lay_out`` per site (the jobs' subnets there, ``guest_address_offset``). Raises
  ``PlacementError`` when the placement does not fit the jobs (unknown hypervisor, or what
  ``lay_out`` refuses: too few subnet addresses, a declared address outside them or given twice).
- ``group_name(text)``: a valid Ansible group name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.g5k.testbed.plugins.module_utils.fleet_layout import FleetLayoutError, lay_out
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import PlacementError
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import (
    interface_ip,
    interface_name,
    primary_adapter,
)
from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import site_network
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import (
    DEFAULT_VLAN,
    LOCAL_VLAN_TYPE,
    cluster_of,
    local_vlan_gateway,
    node_fqdn,
    split_node_name,
)

NODES_GROUP = "g5k_nodes"
GUESTS_GROUP = "g5k_guests"
HYPERVISORS_GROUP = "g5k_hypervisors"
_INVALID_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")
_MIB = 1024 * 1024


class HostRecord:
    __slots__ = ("name", "groups", "variables")

    def __init__(self, name, groups, variables):
        self.name = name
        self.groups = groups
        self.variables = variables


class InventoryShape:
    def __init__(self, hostnames="fqdn", address="name", proxy_jump=None, gateway_user=None, prefix="g5k_",
                 guest_address_offset=0):
        self.hostnames = hostnames
        self.address = address
        self.proxy_jump = proxy_jump
        self.gateway_user = gateway_user
        self.prefix = prefix
        self.guest_address_offset = guest_address_offset


def group_name(text):
    name = _INVALID_GROUP_CHARS.sub("_", str(text))
    return "_" + name if name[:1].isdigit() else name


def _node_key(short):
    tail = short.rsplit("-", 1)[-1]
    return (cluster_of(short), int(tail) if tail.isdigit() else 0, short)


def _vlan_of(adapter, site_data):
    if adapter.get("kavlan") and adapter.get("network_address"):
        return str(site_data["interfaces"].get(adapter["network_address"], DEFAULT_VLAN))
    return DEFAULT_VLAN


def _interfaces(node, site_data):
    result = []
    for adapter in node.get("network_adapters") or []:
        if adapter.get("management") or not (adapter.get("mac") or adapter.get("ip")):
            continue
        vlan = _vlan_of(adapter, site_data)
        result.append({"device": adapter.get("device"), "name": adapter.get("name"), "mac": adapter.get("mac"),
                       "mounted": bool(adapter.get("mounted")), "kavlan": bool(adapter.get("kavlan")),
                       "vlan": vlan if adapter.get("ip") or vlan != DEFAULT_VLAN else None,
                       "ip": interface_ip(node, adapter, vlan)})
    return result


def _jump_chain(shape, site, site_data, vlan, vlan_type):
    chain = [shape.proxy_jump] if shape.proxy_jump else []
    gateway = None
    if vlan_type == LOCAL_VLAN_TYPE:
        gateway = site_data["local_vlan_gateways"].get(vlan) if shape.address == "ip" else None
        gateway = gateway or local_vlan_gateway(site, vlan)
        chain.append("%s@%s" % (shape.gateway_user, gateway) if shape.gateway_user else gateway)
    return chain, gateway


def _node_record(shape, site, site_data, job, short):
    p = shape.prefix
    node = site_data["nodes"].get(short)
    fqdn = node_fqdn(short, site)
    name = fqdn if shape.hostnames == "fqdn" else short
    warnings = []
    if node is None:
        warnings.append("%s (job %s at %s) is not in the Reference API: its address is its production name"
                        % (fqdn, job.get("uid"), site))
        node = {"uid": short, "network_adapters": []}
    # no primary adapter: a node out of the Reference API, or none mounted; its production name
    adapter = primary_adapter(node) or {}
    vlan = _vlan_of(adapter, site_data)
    vlan_type = "NULL" if vlan == DEFAULT_VLAN else site_data["vlan_types"].get(vlan)
    ip = interface_ip(node, adapter, vlan)
    address = ip if shape.address == "ip" and ip else interface_name(node, site, adapter, vlan)
    architecture = node.get("architecture") or {}
    ram = (node.get("main_memory") or {}).get("ram_size")
    variables = {
        "ansible_host": address,
        p + "site": site,
        p + "cluster": cluster_of(short),
        p + "node": short,
        p + "fqdn": fqdn,
        p + "job_uid": job.get("uid"),
        p + "job_name": job.get("name"),
        p + "vlan": vlan,
        p + "vlan_type": vlan_type,
        p + "ip": ip,
        p + "mac": adapter.get("mac"),
        p + "interfaces": _interfaces(node, site_data),
        p + "cpus": architecture.get("nb_procs"),
        p + "cores": architecture.get("nb_cores"),
        p + "threads": architecture.get("nb_threads"),
        p + "memory_mb": ram // _MIB if isinstance(ram, int) else None,
        p + "virtualization": (node.get("supported_job_types") or {}).get("virtual") or None,
    }
    chain, gateway = _jump_chain(shape, site, site_data, vlan, vlan_type)
    if gateway:
        variables[p + "jump_host"] = gateway
    if chain:
        variables["ansible_ssh_common_args"] = "-o ProxyJump=%s" % ",".join(chain)
    # A name may span sites (one experiment); an id is only unique within its site.
    job_group = "job_%s" % (job.get("name") or "%s_%s" % (site, job.get("uid")))
    groups = [NODES_GROUP, "site_%s" % site, "cluster_%s" % cluster_of(short), job_group,
              "vlan_%s" % vlan.lower()]
    return HostRecord(name, [group_name(g) for g in groups], variables), warnings


def _node_records(data, shape):
    records, warnings = [], []
    for site in sorted(data["sites"]):
        site_data = data["sites"][site]
        for job in site_data["jobs"]:
            shorts = [split_node_name(n, site)[0] for n in job.get("assigned_nodes") or []]
            for short in sorted(set(shorts), key=_node_key):
                record, problems = _node_record(shape, site, site_data, job, short)
                records.append(record)
                warnings.extend(problems)
    return records, warnings


def _hypervisor_index(records, prefix):
    """Names a placement may use for a node -> its record: FQDN, short name, short.site."""
    index = {}
    for record in records:
        v = record.variables
        for alias in (v[prefix + "fqdn"], v[prefix + "node"], "%s.%s" % (v[prefix + "node"], v[prefix + "site"])):
            index.setdefault(alias, record)
    return index


def _guest_records(data, shape, placement, node_records, taken):
    p = shape.prefix
    index = _hypervisor_index(node_records, p)
    unknown = sorted(set(g.hypervisor for g in placement.guests if g.hypervisor not in index))
    if unknown:
        raise PlacementError("the placement puts guests on %s, which no selected job holds (inventory nodes: %s)" % (
            ", ".join(unknown[:5]), ", ".join(sorted(r.name for r in node_records)[:5]) or "none"))
    by_site = {}
    for guest in placement.guests:
        by_site.setdefault(index[guest.hypervisor].variables[p + "site"], []).append(guest)
    # the fleet layout's rule (vm_fleet's too): declared addresses kept, the next free ones for the others
    addresses = {}
    for site, guests in by_site.items():
        subnets = sorted(set(s for job in data["sites"][site]["jobs"] for s in job.get("subnets") or []))
        try:
            laid_out = lay_out(guests, subnets, offset=shape.guest_address_offset)
        except FleetLayoutError as exc:
            raise PlacementError("guests placed on nodes at %s (jobs there reserved %s): %s"
                                 % (site, ", ".join(subnets) or "no subnet", exc))
        addresses.update((entry["name"], entry) for entry in laid_out)
    networks = {}
    records, warnings = [], []
    for guest in placement.guests:
        if guest.name in taken:
            warnings.append("guest %s has the name of another host of the inventory: skipped" % guest.name)
            continue
        taken.add(guest.name)
        hypervisor = index[guest.hypervisor]
        site = hypervisor.variables[p + "site"]
        if site not in networks:
            g5ksubnet = data["sites"][site]["site"].get("g5ksubnet")
            networks[site] = site_network(g5ksubnet) if g5ksubnet else {}
        ip, mac = addresses[guest.name]["ip"], addresses[guest.name]["mac"]
        variables = {
            "ansible_host": ip,
            p + "site": site,
            p + "hypervisor": hypervisor.name,
            p + "ip": ip,
            p + "mac": mac,
            p + "netmask": networks[site].get("netmask"),
            p + "gateway": networks[site].get("gateway"),
            p + "resources": guest.resources,
            p + "vcpus": guest.vcpus,
            p + "memory": guest.memory,
        }
        if "ansible_ssh_common_args" in hypervisor.variables:
            variables["ansible_ssh_common_args"] = hypervisor.variables["ansible_ssh_common_args"]
        records.append(HostRecord(guest.name, [GUESTS_GROUP], variables))
        hypervisor.variables.setdefault(p + "guests", []).append(guest.name)
        if HYPERVISORS_GROUP not in hypervisor.groups:
            hypervisor.groups.append(HYPERVISORS_GROUP)
            hypervisor.variables[p + "placement_capacity"] = placement.capacities.get(guest.hypervisor, [])
    return records, warnings


def shared_job_groups(records, prefix):
    """Warnings for job groups that several job names map to (exp-1, exp_1 and exp.1 all make
    job_exp_1): their hosts would be mixed in one group without a word."""
    names = {}
    for record in records:
        job = record.variables.get(prefix + "job_name")
        if job:
            names.setdefault(group_name("job_%s" % job), set()).add(job)
    return ["jobs %s all land in group %s (group names keep only letters, digits and _): give the jobs names "
            "that differ in letters or digits, or group their hosts by %sjob_uid with keyed_groups" % (
                ", ".join(repr(n) for n in sorted(jobs)), group, prefix)
            for group, jobs in sorted(names.items()) if len(jobs) > 1]


def build_inventory(data, shape, placement=None):
    nodes, warnings = _node_records(data, shape)
    warnings.extend(shared_job_groups(nodes, shape.prefix))
    hosts, seen = [], {}
    for record in nodes:
        if record.name in seen:
            warnings.append("host %s is in job %s and in job %s: kept the first" % (
                record.name, seen[record.name].variables.get(shape.prefix + "job_uid"),
                record.variables.get(shape.prefix + "job_uid")))
            continue
        seen[record.name] = record
        hosts.append(record)
    if placement is not None and placement.guests:
        guests, problems = _guest_records(data, shape, placement, hosts, set(seen))
        hosts.extend(guests)
        warnings.extend(problems)
    return hosts, warnings
