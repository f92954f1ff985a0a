#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kavlan_info
short_description: VLANs of a Grid'5000 job, their kind, members and networks
version_added: 0.1.0
description:
  - Replaces C(kavlan -V) (VLAN of a job) and C(kavlan -l) (members) as a read-only task.
  - Lists the VLANs of O(job_id), or the given O(vlans), or else of every active job of the user at
    O(site), with their kind as the API says it, their IPv4/IPv6 networks and gateways from the
    Reference API, the interfaces they hold, and for a local (non-routed) VLAN the SSH gateway
    host to jump through.
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes.info_module
options:
  site:
    description: Site whose VLANs to list.
    type: str
    required: true
  job_id:
    description: Job whose VLANs to list.
    type: int
  vlans:
    description: VLAN ids to describe.
    type: list
    elements: str
seealso:
  - module: g5k.testbed.kavlan_vlan
"""

EXAMPLES = r"""
- name: The VLAN of my job (kavlan -V -j JOBID) and its members (kavlan -l)
  g5k.testbed.kavlan_info:
    site: rennes
    job_id: "{{ job.jobs[0].uid }}"
  register: vlans

- name: Members of VLAN 4
  ansible.builtin.debug:
    msg: "{{ vlans.vlans[0].members }}"
"""

RETURN = r"""
vlans:
  description: One entry per VLAN.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: VLAN id.
      type: str
      sample: "4"
    type:
      description: Kind as the API lists it (V(kavlan-local), V(kavlan), V(kavlan-global), V(kavlan-global-remote)).
      type: str
      sample: kavlan
    site:
      description: Site asked.
      type: str
      sample: rennes
    network:
      description: IPv4 network of the VLAN at this site (null when the Reference API of the site does not list it, as for other sites' global VLANs).
      type: str
      sample: 10.24.0.0/18
    netmask:
      description: Netmask of RV(vlans[].network), dotted (null when the network is not listed).
      type: str
      sample: 255.255.192.0
    gateway:
      description: IPv4 gateway.
      type: str
      sample: 10.24.63.254
    network_ipv6:
      description: IPv6 network.
      type: str
      sample: 2001:660:4406:790::/64
    members:
      description: Interfaces in the VLAN at this site (KaVLAN names), sorted.
      type: list
      elements: str
      sample: ["parasilo-1.rennes.grid5000.fr"]
    ssh_gateway:
      description: Host to jump through for a local VLAN, null otherwise.
      type: str
      sample: kavlan-1.rennes.grid5000.fr
    guest_blocks:
      description:
        - Blocks of the VLAN's network left to virtual machines (subnet reservation serves the
          production network only), outside those of its nodes and gateway - /23 blocks 13 to 30 of
          a routed or global VLAN, /24 blocks 4 to 6 of a local one (EnOSlib's convention).
        - Empty when the network is not listed.
      type: list
      elements: str
      sample: ["10.24.26.0/23", "10.24.28.0/23"]
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 4
"""


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError, path_of
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import active_jobs, api_user, read_job
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_addresses import guest_blocks, netmask
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import local_vlan_gateway


def wanted_vlans(client, params):
    site = params["site"]
    if params["vlans"]:
        return [str(v) for v in params["vlans"]]
    if params["job_id"] is not None:
        jobs = [read_job(client, site, params["job_id"])]
    else:
        user = api_user(client)
        if not user:
            raise G5kInputError("give job_id or vlans: the user is unknown (anonymous client without USER)")
        jobs = active_jobs(client, site, user)
    return sorted(set(str(v) for j in jobs for v in (j.get("resources_by_type") or {}).get("vlans") or []),
                  key=lambda v: (len(v), v))


def work(client, params):
    site = params["site"]
    catalog = ReferenceCatalog(client)
    site_doc = catalog.oar_site(site, "KaVLAN")
    kinds = catalog.vlan_kinds(site)
    entries = []
    for vlan in wanted_vlans(client, params):
        if vlan not in kinds:
            raise G5kInputError("VLAN %s does not exist at %s" % (vlan, site))
        members = client.list_items(path_of("sites", site, "vlans", vlan, "nodes"), "list members of VLAN %s at %s" % (vlan, site))
        net = (site_doc.get("kavlans") or {}).get(vlan) or {}
        entries.append({
            "id": vlan, "type": kinds[vlan], "site": site, "network": net.get("network"), "netmask": netmask(net.get("network")),
            "gateway": net.get("gateway"),
            "network_ipv6": net.get("network_ipv6"), "members": sorted(m["uid"] for m in members),
            "ssh_gateway": local_vlan_gateway(site, vlan) if kinds[vlan] == "kavlan-local" else None,
            "guest_blocks": guest_blocks(net.get("network"), kinds[vlan]),
        })
    return {"changed": False, "vlans": entries}


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            site=dict(type="str", required=True),
            job_id=dict(type="int"),
            vlans=dict(type="list", elements="str"),
        ),
        mutually_exclusive=[("job_id", "vlans")],
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(client, module.params))


if __name__ == "__main__":
    main()
