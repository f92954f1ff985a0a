# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: g5k
short_description: Grid'5000 OAR jobs (and the guests placed on their nodes) as an inventory
version_added: 0.1.0
description:
  - Makes the reserved nodes of Grid'5000 OAR jobs an inventory, replacing C($OAR_NODEFILE),
    C(kavlan -l) and hand-edited host lists.
  - Jobs are chosen by id, by name, or all the user's jobs in O(job_states), on one or several sites.
  - C(ansible_host) is the node's address in the VLAN its primary interface is in B(now)
    (C(<node>-kavlan-<N>.<site>.grid5000.fr) or the IP of the Reference API, see O(address)); nodes
    of a local (non-routed) VLAN get an SSH jump through the VLAN's gateway C(kavlan-<N>.<site>).
    After a VLAN change, a C(refresh_inventory) meta task or a new run gives the new addresses.
  - Guests of a placement description (O(guest_placement)) become hosts too, with an IP/MAC pair
    of the jobs' subnets and their hypervisor as a variable, so one inventory holds both.
  - Groups C(g5k_nodes), C(site_<site>), C(cluster_<cluster>), C(job_<job name>) (C(job_<site>_<id>) for an unnamed job, since ids are numbered per site),
    C(vlan_<id>) (C(vlan_default) for the production network), C(g5k_hypervisors) and C(g5k_guests).
  - The inventory file name must end with C(g5k.yml) or C(g5k.yaml) (for example C(rennes.g5k.yml)).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - constructed
  - inventory_cache
requirements:
  - netaddr (only with O(guest_placement))
options:
  plugin:
    description: Marks the file as an inventory of this plugin.
    required: true
    type: str
    choices: [g5k.testbed.g5k]
  sites:
    description:
      - Sites whose jobs are read.
      - Empty means every OAR site of the API (sites scheduled by another system are left out).
      - A job given as C(<site>:<id>) in O(jobs) adds its site.
    type: list
    elements: str
    default: []
  jobs:
    description:
      - Jobs by id, as C(<id>) (looked for on O(sites)) or C(<site>:<id>).
      - These jobs are taken whatever their state; a job without assigned nodes adds no host.
    type: list
    elements: str
    default: []
  job_names:
    description:
      - Jobs by name (the name given to C(oarsub -n) or to M(g5k.testbed.oar_job)), among the active
        jobs of O(user) in O(job_states) on O(sites).
      - With neither O(jobs) nor O(job_names), every job of O(user) in O(job_states) is taken.
    type: list
    elements: str
    default: []
  job_states:
    description:
      - States a job found by name, or by listing the user's jobs, must be in.
      - OAR states as the API writes them (V(waiting), V(running)...); case does not matter, an
        unknown state is an error.
    type: list
    elements: str
    default: [running]
  user:
    description:
      - Owner of the jobs found by name or by listing.
      - Defaults to the API username, then to E(USER) (an anonymous client on a frontend).
    type: str
  hostnames:
    description:
      - V(fqdn) names hosts C(parasilo-1.rennes.grid5000.fr), V(short) names them C(parasilo-1).
      - Guests keep the names of the placement description.
    type: str
    choices: [fqdn, short]
    default: fqdn
  address:
    description:
      - What C(ansible_host) is.
      - V(name) is the DNS name in the node's current VLAN (C(parasilo-1-kavlan-4.rennes.grid5000.fr),
        or the production name outside VLANs), like C(kavlan -l) prints.
      - V(ip) is the node's IPv4 address in that VLAN from the Reference API C(kavlan) map, for places
        without Grid'5000 DNS such as the emulated site; the local VLAN jump host is then the
        gateway server's IP.
    type: str
    choices: [name, ip]
    default: name
  proxy_jump:
    description:
      - SSH jump host in front of everything, for example V(jdoe@access.grid5000.fr) outside Grid'5000.
      - Set as C(ansible_ssh_common_args) C(-o ProxyJump=...), before the local VLAN gateway when
        there is one.
    type: str
  local_vlan_gateway_user:
    description: Login on the local VLAN gateway C(kavlan-<N>.<site>) used as jump host.
    type: str
  vars_prefix:
    description: Prefix of the host variables the plugin sets (except C(ansible_host) and C(ansible_ssh_common_args)).
    type: str
    default: g5k_
  guest_placement:
    description:
      - Guests to add, as a path (relative to the inventory file) to a placement file, or as a mapping.
      - A file may use the format of the "Booting and Using Virtual Machines on Grid'5000" tutorial
        (C(#list of nodes), C(#list of VMs), C(#initial configuration), C(#end of configuration)) or
        YAML.
      - The YAML form has C(placement) (hypervisor name -> list of guest names, required),
        C(guests) (list of names or of mappings with C(name), C(resources), C(ip), C(mac), C(vcpus),
        C(memory) in MiB; their order is the address order) and C(hypervisors) (name -> list of capacity numbers).
      - Hypervisors are named by FQDN, short name or C(<node>.<site>) and must be nodes of the selected jobs.
      - Guests without C(ip) get, in declaration order, the usable addresses of the subnets reserved by
        the jobs of their hypervisor's site, with MAC C(00:16:3E) + the last three bytes of the IP.
    type: raw
  guest_address_offset:
    description: Usable subnet addresses to skip per site before giving addresses to guests (EnOSlib skips 1).
    type: int
    default: 0
  strict_permissions:
    description:
      - What an HTTP 403 answer to any request about a site (its document, its jobs, its nodes, its
        VLANs) does, as the option of that name of C(amazon.aws.aws_ec2) does per region.
      - V(true) stops with an error naming the site and the refused request.
      - V(false) warns and leaves that whole site out; the other sites are read in full.
    type: bool
    default: true
notes:
  - Hosts get C(<prefix>site), C(<prefix>cluster), C(<prefix>node), C(<prefix>fqdn), C(<prefix>job_uid),
    C(<prefix>job_name), C(<prefix>vlan), C(<prefix>vlan_type), C(<prefix>ip), C(<prefix>mac),
    C(<prefix>interfaces) (device, name, mac, mounted, kavlan, vlan, ip of each non-management NIC),
    C(<prefix>cpus), C(<prefix>cores), C(<prefix>threads), C(<prefix>memory_mb),
    C(<prefix>virtualization) (C(ivt), C(amd-v)... or null), C(<prefix>jump_host) in a local VLAN;
    hypervisors also C(<prefix>guests) and C(<prefix>placement_capacity).
  - Guests get C(<prefix>site), C(<prefix>hypervisor), C(<prefix>ip), C(<prefix>mac), C(<prefix>netmask)
    and C(<prefix>gateway) (those of the site's subnet range, as g5k-subnets gives them), C(<prefix>resources),
    C(<prefix>vcpus) and C(<prefix>memory) (the size a YAML placement gives the guest, else null).
  - All values from the API are marked unsafe, so they are never templated.
  - With O(cache), the API answers (trimmed to the fields used) are cached under one key per file and
    reused until O(cache_timeout); C(ansible-inventory --flush-cache) and a C(refresh_inventory) meta task read
    the API again. A cache written for another selection of jobs or another API is not used.
  - One request per site for jobs (plus one per job given by id), one per cluster for the Reference API,
    one per site for VLAN membership, whatever the number of nodes.
"""

EXAMPLES = r"""
# rennes.g5k.yml: the running jobs of the API user at rennes, named by FQDN, reached by DNS name
plugin: g5k.testbed.g5k
sites: [rennes]

---
# experiment.g5k.yml: one named job on two sites, with guests, from outside Grid'5000
plugin: g5k.testbed.g5k
sites: [rennes, nancy]
job_names: [vm-experiment]
proxy_jump: jdoe@access.grid5000.fr
guest_placement: placement.txt    # the tutorial's format, next to this file
guest_address_offset: 1
keyed_groups:
  - key: g5k_hypervisor
    prefix: guests_of
    separator: "_"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/g5k-inventory
cache_timeout: 600

---
# emulated.g5k.yml: the emulated site, which has no Grid'5000 DNS: address nodes by IP
plugin: g5k.testbed.g5k
api_uri: http://127.0.0.1:8000/stable
api_username: jdoe
api_password: "{{ lookup('ansible.builtin.env', 'G5K_API_PASSWORD') }}"
jobs: ["rennes:1"]
address: ip
hostnames: short
guest_placement:
  placement:
    parasilo-1: [vm00, vm01]
    parasilo-2: [vm02]
compose:
  ansible_user: "'root'"
groups:
  big_memory: g5k_memory_mb is not none and g5k_memory_mb > 65536
"""

import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiClient, G5kApiError, OpenUrlTransport
from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import resolve_api_settings
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    load_placement,
    placement_from_mapping,
)
from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import HAS_NETADDR
from ansible_collections.g5k.testbed.plugins.plugin_utils.inventory_hosts import InventoryShape, build_inventory
from ansible_collections.g5k.testbed.plugins.plugin_utils.inventory_sources import (
    DATA_FORMAT,
    JobSelection,
    fetch_inventory_data,
)

FILE_SUFFIXES = ("g5k.yml", "g5k.yaml")
API_OPTIONS = ("api_uri", "api_username", "api_password", "api_config", "validate_certs", "ca_path",
               "api_timeout", "api_retries")
TEMPLATED_OPTIONS = ("api_uri", "api_username", "api_password")
_TEMPLATE_CHARS = ("{", "}")


def make_unsafe(value):
    """Mark remote strings that could look like templates as unsafe; leave the rest untouched (cheap at 10k hosts)."""
    if isinstance(value, str):
        return wrap_var(value) if (_TEMPLATE_CHARS[0] in value or _TEMPLATE_CHARS[1] in value) else value
    if isinstance(value, dict):
        return dict((make_unsafe(k), make_unsafe(v)) for k, v in value.items())
    if isinstance(value, list):
        return [make_unsafe(v) for v in value]
    return value


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "g5k.testbed.g5k"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        if path.endswith(FILE_SUFFIXES):
            return True
        self.display.vvv("g5k.testbed.g5k skips %s: its inventory files must end with %s"
                         % (path, " or ".join(FILE_SUFFIXES)))
        return False

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            settings = resolve_api_settings(self._api_options())
            # site names end up in host variables: drop the template trust the config file gave them
            selection = JobSelection([wrap_var(s) for s in self.get_option("sites")],
                                     [wrap_var(j) for j in self.get_option("jobs")], self.get_option("job_names"),
                                     self.get_option("job_states"), self._user(settings))
            placement = self._placement(path)
            data = self._data(path, cache, settings, selection)
            hosts, warnings = build_inventory(data, self._shape(), placement)
        except (G5kApiError, ValueError) as exc:  # ValueError: ApiSettingsError, G5kInputError, PlacementError...
            raise AnsibleParserError("g5k inventory %s: %s" % (path, to_native(exc)))
        for warning in settings.warnings:
            self.display.warning("g5k inventory %s: %s" % (path, warning))
        for site, reason in sorted(data.get("skipped_sites", {}).items()):
            self.display.warning("g5k inventory %s: site %s left out: %s" % (path, site, reason))
        for warning in warnings:
            self.display.warning("g5k inventory %s: %s" % (path, warning))
        self._populate(hosts)

    def _api_options(self):
        options = dict((name, self.get_option(name)) for name in API_OPTIONS)
        for name in TEMPLATED_OPTIONS:
            value = options.get(name)
            if isinstance(value, str) and self.templar.is_template(value):
                options[name] = self.templar.template(value)
        return options

    def _user(self, settings):
        return self.get_option("user") or settings.username or os.environ.get("USER")

    def _shape(self):
        return InventoryShape(hostnames=self.get_option("hostnames"), address=self.get_option("address"),
                              proxy_jump=self.get_option("proxy_jump"),
                              gateway_user=self.get_option("local_vlan_gateway_user"),
                              prefix=self.get_option("vars_prefix"),
                              guest_address_offset=self.get_option("guest_address_offset"))

    def _placement(self, path):
        value = self.get_option("guest_placement")
        if value is None:
            return None
        if not HAS_NETADDR:
            raise AnsibleParserError("g5k inventory %s: guest_placement needs the Python library netaddr "
                                     "(pip install netaddr) on the controller" % path)
        if isinstance(value, dict):
            # guest names become variables (g5k_guests): no template trust from the config file
            return placement_from_mapping(wrap_var(value))
        if not isinstance(value, str):
            raise PlacementError("guest_placement must be a file path or a mapping, got %s" % type(value).__name__)
        file_path = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(value))
        try:
            with open(file_path) as handle:
                text = handle.read()
        except (IOError, OSError) as exc:
            raise PlacementError("cannot read guest_placement %s: %s" % (file_path, exc))
        try:
            return load_placement(text)
        except PlacementError as exc:
            raise PlacementError("%s: %s" % (file_path, exc))

    def _on_forbidden(self, site, error):
        if self.get_option("strict_permissions"):
            raise AnsibleError("g5k inventory: site %s refused access (HTTP 403): %s. Use sites to leave it out, "
                               "or strict_permissions: false to skip it with a warning" % (site, to_text(error)))

    def _data(self, path, cache, settings, selection):
        """The API data: from the cache when allowed and fresh, else from the API (then cached)."""
        tag = {"format": DATA_FORMAT, "api_uri": settings.uri, "selection": selection.key()}
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        if use_cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and cached.get("tag") == tag:
                self.display.vvv("g5k inventory %s: API data from the cache" % path)
                return cached["data"]
            update_cache = True
        client = G5kApiClient(settings, OpenUrlTransport())
        data = fetch_inventory_data(client, selection, self._on_forbidden)
        self.display.vvv("g5k inventory %s: %d API requests" % (path, len(client.requests)))
        if update_cache:
            self._cache[cache_key] = {"tag": tag, "data": data}
        return data

    def _populate(self, hosts):
        inventory = self.inventory
        for group in sorted(set(g for record in hosts for g in record.groups)):
            inventory.add_group(group)
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        strict = self.get_option("strict")
        construct = bool(compose or groups or keyed_groups)
        extra_vars = self._vars if construct and self.get_option("use_extra_vars") else None
        for record in hosts:
            name = inventory.add_host(record.name)
            for group in record.groups:
                inventory.add_child(group, name)
            variables = make_unsafe(record.variables)
            for key, value in variables.items():
                inventory.set_variable(name, key, value)
            if construct:
                if extra_vars:
                    variables = dict(variables, **extra_vars)
                self._set_composite_vars(compose, variables, name, strict=strict)
                self._add_host_to_composed_groups(groups, variables, name, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, variables, name, strict=strict)
