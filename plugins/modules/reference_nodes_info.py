#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: reference_nodes_info
short_description: Names, MACs and addresses of a Grid'5000 site's nodes in a VLAN, from the Reference API
version_added: 0.1.0
description:
  - Reads the nodes of a site (or of some of its clusters) from the Grid'5000 Reference API and
    returns, for one VLAN, each node's DNS name, MAC and IPv4 address there, with the VLAN's
    network and gateway - what the tutorial's C(gen_dhcpd_conf.rb) read to write a DHCP server's
    fixed hosts, and what the C(g5k.testbed.dhcpd) role serves.
  - Names follow the Grid'5000 DNS inside a VLAN - C(<node>-kavlan-<N>) for a node's primary
    (mounted) adapter, C(<node>-<device>-kavlan-<N>) for the others; addresses are the node's
    C(kavlan[device]["kavlan-<N>"]) fields. The same rule gives the inventory plugin
    C(g5k.testbed.g5k) and M(g5k.testbed.kavlan_vlan) their names and addresses.
  - Adapters that cannot be served (no mounted adapter, C(kavlan) false, no MAC, no address in
    the VLAN) are not in RV(hosts); RV(left_out) says which and why.
  - Reads only - the site, its clusters when O(clusters) is empty, and one request per cluster
    whatever the number of nodes.
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes.info_module
options:
  site:
    description: Site whose nodes to read.
    type: str
    required: true
  vlan:
    description:
      - VLAN whose names and addresses to return - its id (V(4), also written V(kavlan-4)), or
        V(DEFAULT) for the production network.
      - It must be a VLAN the site's Reference API document describes (its C(kavlans) - the site's
        local and routed VLANs and its own global VLAN); another is an error naming those.
    type: str
    required: true
  clusters:
    description: Clusters whose nodes to read; empty reads every cluster of the site.
    type: list
    elements: str
    default: []
  interfaces:
    description:
      - V(primary) returns each node's primary (mounted) adapter.
      - V(all) returns every adapter KaVLAN can move (C(kavlan) true), primary or not.
    type: str
    choices: [primary, all]
    default: primary
seealso:
  - module: g5k.testbed.kavlan_info
  - module: g5k.testbed.kavlan_vlan
"""

EXAMPLES = r"""
- name: The names, MACs and addresses of the parasilo nodes in VLAN 4
  g5k.testbed.reference_nodes_info:
    site: rennes
    vlan: "4"
    clusters: [parasilo]
  register: vlan_nodes

- name: Fixed hosts of a DHCP server for that VLAN
  ansible.builtin.debug:
    msg: "{{ vlan_nodes.hosts | map(attribute='name') | zip(vlan_nodes.hosts | map(attribute='ip')) | list }}"

- name: Every adapter KaVLAN can move, on every cluster of the site
  g5k.testbed.reference_nodes_info:
    site: rennes
    vlan: kavlan-4
    interfaces: all
  register: all_adapters
"""

RETURN = r"""
site:
  description: Site asked.
  returned: success
  type: str
  sample: rennes
vlan:
  description: The VLAN.
  returned: success
  type: dict
  contains:
    id:
      description: VLAN id (V(DEFAULT) for the production network).
      type: str
      sample: "4"
    network:
      description: IPv4 network of the VLAN at this site.
      type: str
      sample: 10.24.0.0/18
    gateway:
      description: IPv4 gateway of that network.
      type: str
      sample: 10.24.63.254
hosts:
  description: One entry per adapter served in the VLAN, sorted by RV(hosts[].name).
  returned: success
  type: list
  elements: dict
  contains:
    node:
      description: Node name.
      type: str
      sample: parasilo-1
    device:
      description: Adapter's device name as the Reference API gives it (legacy C(eth1) form).
      type: str
      sample: eth0
    name:
      description: DNS name in the VLAN without the domain - the DHCP host name Grid'5000 uses.
      type: str
      sample: parasilo-1-kavlan-4
    hostname:
      description: DNS name in the VLAN, with the node's site domain.
      type: str
      sample: parasilo-1-kavlan-4.rennes.grid5000.fr
    mac:
      description: MAC address, lower case.
      type: str
      sample: "ec:f4:bb:d0:f9:d8"
    ip:
      description: IPv4 address of the adapter in the VLAN.
      type: str
      sample: 10.24.7.1
left_out:
  description: Adapters asked for that have no entry in RV(hosts), in node order.
  returned: success
  type: list
  elements: dict
  contains:
    node:
      description: Node name.
      type: str
      sample: abacus-1
    device:
      description: Adapter's device name, null when the node has no mounted adapter.
      type: str
      sample: eth0
    reason:
      description: Why it is left out.
      type: str
      sample: "adapter eth0 cannot be moved by KaVLAN (kavlan: false)"
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 4
"""


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog, vlan_hosts, vlan_id
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import DEFAULT_VLAN


def vlan_entry(catalog, site, vlan):
    """The VLAN's network from the site's document, which describes the VLANs the site serves."""
    doc = catalog.site(site) if vlan == DEFAULT_VLAN else catalog.oar_site(site, "KaVLAN")
    kavlans = doc.get("kavlans") or {}
    network = kavlans.get("default" if vlan == DEFAULT_VLAN else vlan)
    if network is None:
        ids = sorted((k for k in kavlans if k != "default"), key=lambda v: (len(v), v))
        raise G5kInputError("VLAN %s is not a VLAN of site %s in the Reference API (its VLANs: %s, or DEFAULT); "
                            "another site's global VLAN is described by that site" % (
                                vlan, site, ", ".join(ids) or "none"))
    return {"id": vlan, "network": network.get("network"), "gateway": network.get("gateway")}


def work(params, client):
    site = (params["site"] or "").strip()
    if not site:
        raise G5kInputError("site is empty: give the site whose nodes to read (for example rennes)")
    vlan = vlan_id(params["vlan"])
    catalog = ReferenceCatalog(client)
    entry = vlan_entry(catalog, site, vlan)
    hosts, left_out = vlan_hosts(catalog.nodes(site, params["clusters"]), site, vlan, params["interfaces"])
    return {"changed": False, "site": site, "vlan": entry, "hosts": hosts, "left_out": left_out}


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            site=dict(type="str", required=True),
            vlan=dict(type="str", required=True),
            clusters=dict(type="list", elements="str", default=[]),
            interfaces=dict(type="str", choices=["primary", "all"], default="primary"),
        ),
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module.params, client))


if __name__ == "__main__":
    main()
