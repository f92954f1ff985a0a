#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_job_info
short_description: Grid'5000 OAR jobs across sites - state, nodes, VLANs, subnets, walltime left (oarstat)
version_added: 0.1.0
description:
  - Replaces C(oarstat -u) (my jobs) and C(oarstat -j JOBID) as a read-only task, on one site or
    several.
  - Lists the jobs of O(user) (the API user by default) in O(states) at each of O(sites), optionally
    only those named O(name), or the one job O(job_id); each with its state, nodes, VLANs, subnets,
    planned or actual start and the walltime left.
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes.info_module
options:
  sites:
    description:
      - Sites to look at. Every OAR site of the platform when unset (one more request per site).
    type: list
    elements: str
  name:
    description: Only the jobs with this name (as given to M(g5k.testbed.oar_job)).
    type: str
  job_id:
    description:
      - Only this job. Job ids are numbered per site, so O(sites) must name exactly one site.
      - O(user), O(name) and O(states) do not apply.
    type: int
  user:
    description:
      - Owner of the jobs. Defaults to the API user (E(USER) for an anonymous client on a frontend).
      - V(*) lists every user's jobs, as C(oarstat) without C(-u) does.
    type: str
  states:
    description: Job states to list.
    type: list
    elements: str
    choices: [waiting, hold, tolaunch, toackreservation, launching, running, suspended, resuming, finishing,
              terminated, error]
    default: [waiting, hold, tolaunch, toackreservation, launching, running, suspended, resuming, finishing]
seealso:
  - module: g5k.testbed.oar_job
  - module: g5k.testbed.kavlan_info
"""

EXAMPLES = r"""
- name: My running and waiting jobs on two sites (oarstat -u)
  g5k.testbed.oar_job_info:
    sites: [rennes, nancy]
  register: mine

- name: Walltime left of each job
  ansible.builtin.debug:
    msg: "{{ mine.jobs | map(attribute='walltime_left') | list }}"

- name: The job an experiment reserved, by name
  g5k.testbed.oar_job_info:
    sites: [rennes]
    name: kavlan-tutorial
  register: tutorial

- name: One job by id (oarstat -j 1234)
  g5k.testbed.oar_job_info:
    sites: [rennes]
    job_id: 1234
"""

RETURN = r"""
jobs:
  description: The jobs found, by site (in the order of O(sites)) then by uid.
  returned: success
  type: list
  elements: dict
  contains:
    site:
      description: Site of the job.
      type: str
      sample: rennes
    uid:
      description: OAR job id (per site).
      type: int
      sample: 12
    name:
      description: Job name, null if it has none.
      type: str
      sample: kavlan-tutorial
    user:
      description: Owner.
      type: str
      sample: jdoe
    state:
      description: Job state.
      type: str
      sample: running
    types:
      description: OAR job types.
      type: list
      elements: str
      sample: ["deploy"]
    nodes:
      description: Assigned nodes (FQDNs), sorted; empty until the job starts.
      type: list
      elements: str
      sample: ["parasilo-1.rennes.grid5000.fr"]
    vlans:
      description: VLAN ids of the job, as strings.
      type: list
      elements: str
      sample: ["4"]
    subnets:
      description: Subnets of the job (/22 blocks).
      type: list
      elements: str
      sample: ["10.156.4.0/22"]
    scheduled_at:
      description: When OAR starts (or plans to start) the job (Unix time), null if not scheduled.
      type: int
      sample: 1700000005
    started_at:
      description: Start time (Unix time), null while waiting.
      type: int
      sample: 1700000005
    walltime:
      description: Walltime in seconds.
      type: int
      sample: 7200
    walltime_left:
      description: Seconds before the walltime ends a running job; null for a job that is not running.
      type: int
      sample: 5400
    message:
      description: OAR's message about the job.
      type: str
      sample: "R=16,W=2:0:0,J=B,N=kavlan-tutorial (Karma=0.000,quota_ok)"
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 3
"""

import time


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import (
    ACTIVE_STATES,
    FINAL_STATES,
    api_user,
    check_job_name,
    job_summary,
    list_jobs,
    read_job,
)
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog

EVERY_USER = "*"


def sites_to_read(catalog, sites):
    if sites:
        for site in sites:
            catalog.oar_site(site, "OAR jobs")
        return sites
    return [uid for uid in catalog.site_uids() if catalog.site(uid).get("scheduler", "oar") == "oar"]


def walltime_left(job, now):
    if job.get("state") != "running" or not job.get("started_at") or job.get("walltime") is None:
        return None
    return max(0, int(job["started_at"] + job["walltime"] - now))


def work(module, client):
    params = module.params
    if params["name"] is not None:
        check_job_name(params["name"])
    catalog = ReferenceCatalog(client)
    if params["job_id"] is not None:
        if len(params["sites"] or []) != 1:
            raise G5kInputError("job_id needs exactly one site in sites: job ids are numbered per site")
        found = [(params["sites"][0], read_job(client, params["sites"][0], params["job_id"]))]
        sites_to_read(catalog, params["sites"])
    else:
        user = params["user"] or api_user(client)
        if not user:
            raise G5kInputError("cannot tell whose jobs to list: set api_username, USER, or user (%s for every user)"
                                % EVERY_USER)
        found = []
        for site in sites_to_read(catalog, params["sites"]):
            jobs = list_jobs(client, site, None if user == EVERY_USER else user, params["states"], params["name"])
            found.extend((site, job) for job in sorted(jobs, key=lambda j: j.get("uid") or 0))
    now = time.time()
    return {"changed": False,
            "jobs": [dict(job_summary(site, job), walltime_left=walltime_left(job, now)) for site, job in found]}


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            sites=dict(type="list", elements="str"),
            name=dict(type="str"),
            job_id=dict(type="int"),
            user=dict(type="str"),
            states=dict(type="list", elements="str", choices=list(ACTIVE_STATES + FINAL_STATES),
                        default=list(ACTIVE_STATES)),
        ),
        mutually_exclusive=[("job_id", "name")],
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module, client))


if __name__ == "__main__":
    main()
