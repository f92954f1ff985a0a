#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: g5k_subnet
short_description: The subnets of a Grid'5000 job, their network settings and IP/MAC pairs (g5k-subnets)
version_added: 0.1.0
description:
  - Replaces C(g5k-subnets) (C(-p), C(-sp), C(-im)) - the subnets reserved by an OAR job, the site's
    netmask, gateway and DNS server that virtual machines in them use, and IP/MAC pairs with
    MAC = C(00:16:3E) followed by the last three bytes of the IP address.
  - Addresses are computed with netaddr from the /22 blocks; O(count) and O(offset) select a slice
    so a /18 (16k addresses) costs only what is asked.
  - Reading only - reserve subnets with M(g5k.testbed.oar_job) (O(g5k.testbed.oar_job#module:subnet_prefix)).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes.info_module
requirements:
  - netaddr
options:
  site:
    description: Site of the job.
    type: str
    required: true
  job_id:
    description: OAR job id.
    type: int
  job_name:
    description: Name of the user's active job (as given to M(g5k.testbed.oar_job)).
    type: str
  subnets:
    description:
      - Subnets to expand instead of a job's (IPv4 CIDRs), for example to plan before reserving.
      - They must lie inside the site's subnet range (C(g5ksubnet) of the Reference API) or inside
        the network of one of the site's KaVLAN VLANs (for guests in a VLAN, its C(guest_blocks)
        from M(g5k.testbed.kavlan_info)); that range's gateway and netmask are returned. Others
        are refused.
    type: list
    elements: str
  count:
    description:
      - How many IP/MAC pairs to return; all when unset, none with V(0).
      - More than the subnets hold (from O(offset)) is refused, never cut short.
      - At most 65536 pairs (a /16) are returned at once; for larger ranges give O(count) and
        O(offset) to take slices.
    type: int
  offset:
    description: Index of the first pair to return (0 = the first host address of the first block).
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Addresses for 100 VMs from the job's subnets
  g5k.testbed.g5k_subnet:
    site: rennes
    job_name: vms
    count: 100
  register: subnet

- name: One libvirt MAC per guest
  ansible.builtin.debug:
    msg: "{{ subnet.addresses | map(attribute='mac') | list }}"
"""

RETURN = r"""
job_id:
  description: Job the subnets come from (null with O(subnets)).
  returned: success
  type: int
  sample: 1234567
subnets:
  description: The /22 blocks, sorted.
  returned: success
  type: list
  elements: str
  sample: ["10.156.4.0/22", "10.156.8.0/22"]
summary:
  description: The blocks merged into the fewest CIDRs (C(g5k-subnets -sp)).
  returned: success
  type: list
  elements: str
  sample: ["10.156.4.0/21"]
network:
  description:
    - The network that VMs in the subnets use (gateway, netmask and broadcast), the site's /14, or
      the VLAN's network when O(subnets) are blocks of a VLAN.
  returned: success
  type: dict
  contains:
    network:
      description: Site VM range.
      type: str
      sample: 10.156.0.0/14
    netmask:
      description: Netmask to configure.
      type: str
      sample: 255.252.0.0
    prefix:
      description: Prefix length of the site range.
      type: int
      sample: 14
    gateway:
      description: Gateway to configure.
      type: str
      sample: 10.159.255.254
    broadcast:
      description: Broadcast address of the site range.
      type: str
      sample: 10.159.255.255
dns:
  description: DNS server address of the site, null when the Reference API has none.
  returned: success
  type: str
  sample: 172.16.111.118
total:
  description: Number of usable addresses in the subnets (network and broadcast of each block excluded).
  returned: success
  type: int
  sample: 2044
addresses:
  description: The selected IP/MAC pairs.
  returned: success
  type: list
  elements: dict
  contains:
    ip:
      description: IPv4 address.
      type: str
      sample: 10.156.4.1
    mac:
      description: MAC address to give the VM.
      type: str
      sample: 00:16:3E:9C:04:01
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 3
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError, path_of
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import api_user, check_job_name, find_job_by_name, read_job
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog
from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import (
    HAS_NETADDR,
    MAX_PAIRS,
    NETADDR_IMPORT_ERROR,
    ip_mac_pairs,
    merged_cidrs,
    range_holding,
    site_network,
    usable_count,
)


def job_subnets(client, params):
    site = params["site"]
    if params["job_id"] is not None:
        job = read_job(client, site, params["job_id"])
    else:
        # an empty name would match every job of the user
        job = find_job_by_name(client, site, api_user(client), check_job_name(params["job_name"]))
        if job is None:
            raise G5kInputError("no active job named %r at %s" % (params["job_name"], site))
    subnets = (job.get("resources_by_type") or {}).get("subnets") or []
    if not subnets:
        raise G5kInputError("job %s at %s holds no subnet: reserve one with oar_job subnet_prefix" % (job["uid"], site))
    return job["uid"], subnets


def site_dns(client, site):
    server = client.get(path_of("sites", site, "servers", "dns"), "read the DNS server of %s" % site, missing_ok=True)
    adapters = (server or {}).get("network_adapters") or {}
    if isinstance(adapters, dict):
        return (adapters.get("default") or {}).get("ip")
    return next((a.get("ip") for a in adapters if a.get("ip")), None)


def check_slice(count, offset, total, subnets):
    """Asking for more addresses than the subnets hold is refused, not silently cut short; so is
    a list too large to return at once."""
    wanted = total - offset if count is None else count
    if wanted > MAX_PAIRS:
        raise G5kInputError("%d addresses asked at once (%s): at most %d are returned per task, give count (and "
                            "offset for the next slices)" % (wanted, ", ".join(sorted(subnets)), MAX_PAIRS))
    if count is not None and offset + count > total:
        raise G5kInputError("%d addresses asked from offset %d, but %s hold %d usable addresses: reserve more "
                            "or larger subnets (oar_job subnet_prefix, subnet_count)" % (
                                count, offset, ", ".join(sorted(subnets)), total))
    if count is None and offset > total:
        raise G5kInputError("offset %d is past the %d usable addresses of %s" % (offset, total, ", ".join(sorted(subnets))))


def work(module, client):
    params = module.params
    site_doc = ReferenceCatalog(client).oar_site(params["site"], "subnet reservation")
    if "g5ksubnet" not in site_doc:
        raise G5kInputError("site %s has no subnet range (g5ksubnet) in the Reference API" % params["site"])
    if params["subnets"]:
        job_id, subnets = None, params["subnets"]
    else:
        job_id, subnets = job_subnets(client, params)
    ranges = {"the site's subnet range": site_doc["g5ksubnet"]}
    if params["subnets"]:
        # a VLAN's own network (its guest blocks); `default` is production, whose guests use the range
        ranges.update(("VLAN %s" % vlan, net) for vlan, net in sorted((site_doc.get("kavlans") or {}).items())
                      if vlan != "default" and (net or {}).get("network"))
    try:
        label = range_holding(subnets, [(name, net["network"]) for name, net in ranges.items()])[0]
        total = usable_count(subnets)
    except ValueError as exc:  # netaddr's AddrFormatError is a ValueError too
        raise G5kInputError("subnets: %s" % exc)
    check_slice(params["count"], params["offset"], total, subnets)
    addresses = ip_mac_pairs(subnets, params["count"], params["offset"])
    return {
        "changed": False, "job_id": job_id, "subnets": sorted(subnets), "summary": merged_cidrs(subnets),
        "network": site_network(ranges[label]), "dns": site_dns(client, params["site"]),
        "total": total, "addresses": addresses,
    }


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            site=dict(type="str", required=True),
            job_id=dict(type="int"),
            job_name=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            count=dict(type="int"),
            offset=dict(type="int", default=0),
        ),
        mutually_exclusive=[("job_id", "job_name", "subnets")],
        required_one_of=[("job_id", "job_name", "subnets")],
        supports_check_mode=True,
    )
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib("netaddr"), exception=str(NETADDR_IMPORT_ERROR))
    run_task(module, lambda client, done: work(module, client))


if __name__ == "__main__":
    main()
