#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oar_job
short_description: Reserve or release Grid'5000 nodes, VLANs and subnets with OAR, on one site or several
version_added: 0.1.0
description:
  - Replaces C(oarsub) and C(oargridsub) with an idempotent task.
  - A job is identified by O(name), the API user and the site, among the user's active jobs
    (waiting, launching, running...). An existing job with that name is reused, never duplicated;
    two active jobs with that name on one site is an error the module will not guess its way out of
    with O(state=present). O(state=absent) deletes every active job with the name, which is the way to
    remove duplicates made elsewhere (by hand, or by another controller).
  - Run it once per play (C(run_once=true)) when the play targets several hosts; the job is the
    play's, not a host's. Tasks with the same O(name) running at the same time on one controller
    (several hosts without C(run_once), several runs of a play) take turns, so only the first
    creates the job and the others find it (C(changed=false)).
  - With several sites (O(sites)), all sites are validated first; if creating the job of one site
    fails, the jobs this task created on the other sites are deleted again, so nothing is left half done.
  - Sites whose scheduler is not OAR (for example Slurm sites) are refused.
  - An existing job is not modified when the requested resources differ, because OAR cannot change a job.
    The task then warns, lists what differs in RV(jobs[].differences) and shows it in the diff
    (before - the job, after - what was asked), and reports no change. Delete it (O(state=absent)) and run again.
  - With O(wait=true), waiting shows the job state, why it waits and the elapsed time in the play
    output (action plugin).
  - A failure after something was written (a job submitted, then another site refusing its job)
    reports C(changed=true) and lists what was written in RV(done).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - Job name, the idempotence key (with the user and the site).
      - Must be non-empty, printable (no newline or tab), without surrounding spaces, at most 100
        characters (what OAR stores), so that later runs find the job again.
    type: str
    required: true
  state:
    description:
      - V(present) reserves (or finds) the job on every site; V(absent) deletes it where it exists,
        and every other active job with the same name too (duplicates).
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - Site of a one-site job. The top-level resource options apply to it.
      - Exactly one of O(site) and O(sites) is required.
    type: str
  sites:
    description:
      - One entry per site of a multi-site job (like C(oargridsub)).
    type: list
    elements: dict
    suboptions:
      site:
        description: Site name.
        type: str
        required: true
      clusters:
        description: Clusters and node counts at this site.
        type: list
        elements: dict
        suboptions:
          name:
            description: Cluster name.
            type: str
            required: true
          nodes:
            description: Number of nodes of this cluster.
            type: int
            default: 1
      nodes:
        description: Named nodes at this site (short names or FQDNs).
        type: list
        elements: str
      vlan:
        description: Kind of VLAN to reserve at this site.
        type: str
        choices: [kavlan-local, kavlan, kavlan-global]
      vlan_count:
        description: Number of VLANs of that kind, at least 1.
        type: int
        default: 1
      subnet_prefix:
        description: Size of the subnets to reserve (V(22) for a /22, down to V(16)).
        type: int
      subnet_count:
        description: Number of subnets of that size, at least 1.
        type: int
        default: 1
      resources:
        description: Raw OAR resource string (the C(oarsub -l) argument) instead of the structured options.
        type: str
  clusters:
    description: Clusters and node counts (with O(site)).
    type: list
    elements: dict
    suboptions:
      name:
        description: Cluster name.
        type: str
        required: true
      nodes:
        description: Number of nodes of this cluster.
        type: int
        default: 1
  nodes:
    description: Named nodes (with O(site)), short names or FQDNs.
    type: list
    elements: str
  vlan:
    description: Kind of VLAN to reserve (with O(site)). The id is chosen by OAR and returned.
    type: str
    choices: [kavlan-local, kavlan, kavlan-global]
  vlan_count:
    description: Number of VLANs of kind O(vlan), at least 1.
    type: int
    default: 1
  subnet_prefix:
    description: Size of the subnets to reserve (with O(site)), V(22) for a /22 up to V(16) for a /16.
    type: int
  subnet_count:
    description: Number of subnets of size O(subnet_prefix), at least 1.
    type: int
    default: 1
  resources:
    description:
      - Raw OAR resource string (with O(site)), for what the structured options cannot say,
        for example V({cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1).
      - O(walltime) is appended to it.
    type: str
  walltime:
    description:
      - Job duration as text, V(H), V(H:MM) or V(H:MM:SS).
      - Quote it in YAML. An unquoted C(2:00) is read by YAML as the number 120 (base 60), which
        OAR would take as 120 hours - numbers are refused with a message giving the quoted text
        (C(1:30:00) read as 5400 gives V("1:30:00"); C(1.5) gives V("1:30")).
    type: raw
    default: "1:00:00"
  types:
    description: OAR job types, for example V(deploy) (needed by Kadeploy) or V(night).
    type: list
    elements: str
    default: []
  queue:
    description: OAR queue (V(default), V(production), V(besteffort)...).
    type: str
  project:
    description: OAR project.
    type: str
  properties:
    description: OAR properties (SQL filter on resources).
    type: str
  reservation:
    description: Advance reservation start, V(YYYY-MM-DD hh:mm:ss) (site local time) or V(now).
    type: str
  command:
    description:
      - Command of the job. Defaults to a year-long sleep (the job lasts its walltime) unless
        O(reservation) is set, where OAR needs none.
    type: str
  wait:
    description:
      - With O(state=present), wait until every job is running; with O(state=absent), until they are over.
      - The action plugin does the waiting, running the module again between pauses of 5 to 30 seconds.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait before failing, at least 1 (checked before anything is submitted). The jobs
        are kept; the message gives their uids, states and, for a waiting job, when OAR plans to start it.
    type: int
    default: 900
notes:
  - The walltime is sent inside the resource string, because the API truncates a top-level walltime to an integer.
  - On a frontend with an anonymous client, jobs are matched with the login in E(USER).
  - When the answer to a submission or a deletion is lost, the task reads the job back to tell what
    happened; if reading back fails too, it fails with C(changed=true) and says the job may exist;
    a re-run finds it by its name.
seealso:
  - module: g5k.testbed.kadeploy
  - module: g5k.testbed.kavlan_vlan
  - module: g5k.testbed.g5k_subnet
"""

EXAMPLES = r"""
- name: Three nodes and a routed VLAN for a deployment (oarsub -t deploy -l {type='kavlan'}/vlan=1+/nodes=3)
  g5k.testbed.oar_job:
    name: kavlan-tutorial
    site: rennes
    clusters:
      - name: parasilo
        nodes: 3
    vlan: kavlan
    types: [deploy]
    walltime: "2:00"
    wait: true
  register: job

- name: Nodes on two sites and a global VLAN (oargridsub)
  g5k.testbed.oar_job:
    name: global-vlan
    sites:
      - site: rennes
        clusters: [{name: parasilo, nodes: 2}]
        vlan: kavlan-global
      - site: nancy
        clusters: [{name: gros, nodes: 2}]
    types: [deploy]
    wait: true

- name: A node and a /18 of addresses for VMs
  g5k.testbed.oar_job:
    name: vms
    site: rennes
    nodes: [parasilo-1]
    subnet_prefix: 18

- name: A play on several hosts reserves one job for all of them
  g5k.testbed.oar_job:
    name: shared
    site: rennes
    clusters: [{name: parasilo, nodes: 2}]
  run_once: true

- name: Release the job (and any duplicate with its name)
  g5k.testbed.oar_job:
    name: kavlan-tutorial
    site: rennes
    state: absent
"""

RETURN = r"""
jobs:
  description: One entry per site, in the order of the sites.
  returned: success
  type: list
  elements: dict
  contains:
    site:
      description: Site of the job.
      type: str
      sample: rennes
    uid:
      description: OAR job id (null in check mode for a job that would be created).
      type: int
      sample: 1234567
    name:
      description: Job name.
      type: str
      sample: kavlan-tutorial
    state:
      description: Job state as the API says it; V(absent) when there is no job.
      type: str
      sample: running
    nodes:
      description: Assigned nodes (FQDNs), sorted.
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
    started_at:
      description: Start time (Unix time), null while waiting.
      type: int
      sample: 1700000005
    walltime:
      description: Walltime in seconds.
      type: int
      sample: 7200
    resources:
      description: The resource string sent (or that would be sent) for a job this task creates.
      type: str
      sample: "{cluster='parasilo'}/nodes=3+{type='kavlan'}/vlan=1,walltime=02:00:00"
    user:
      description: Owner of the job.
      type: str
      sample: jdoe
    types:
      description: OAR job types.
      type: list
      elements: str
      sample: ["deploy"]
    scheduled_at:
      description: When OAR starts (or plans to start) the job (Unix time), null if not scheduled yet.
      type: int
      sample: 1700000005
    message:
      description: OAR's message about the job.
      type: str
      sample: "R=16,W=2:0:0,J=B,N=kavlan-tutorial (Karma=0.000,quota_ok)"
    differences:
      description:
        - For an existing job kept as it is, what it has that differs from what the task asks for
          (walltime, types, and once it runs, nodes per cluster, VLANs, subnets). Empty otherwise.
      type: list
      elements: str
      sample: ["walltime: the job has 1:00:00, the task asks for 2:00:00"]
pending:
  description: True while at least one job has not reached the wanted state (running, or over for O(state=absent)).
  returned: success
  type: bool
  sample: false
done:
  description:
    - What the task wrote on the platform (jobs submitted, deleted), with every step of O(wait=true).
    - A line starting with C(maybe:) is a write whose answer was lost and could not be read back.
  returned: when the task wrote something, and on failure
  type: list
  elements: str
  sample: ["submitted job 12 at rennes", "deleted job 12 at rennes again (rollback)"]
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 4
"""

from functools import partial


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import (
    G5kApiError,
    G5kInputError,
    path_of,
)
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import (
    FINAL_STATES,
    active_jobs,
    api_user,
    check_job_name,
    delete_job,
    find_job_by_name,
    job_summary,
)
from ansible_collections.g5k.testbed.plugins.module_utils.oar_resources import (
    VLAN_TYPES,
    build_resources,
    check_reservation,
    normalize_walltime,
    walltime_seconds,
)
from ansible_collections.g5k.testbed.plugins.module_utils.polling import check_wait_timeout, poll_until, wait_argument_spec
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog
from ansible_collections.g5k.testbed.plugins.module_utils.unsure_writes import (
    UnconfirmedWrite,
    lost_note,
    write_or_read_back,
)
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import cluster_of, node_fqdn, split_node_name

DEFAULT_COMMAND = "sleep 31536000"
STRUCTURED = ("clusters", "nodes", "vlan", "subnet_prefix", "resources")


def cluster_spec():
    return dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        nodes=dict(type="int", default=1),
    ))


def resource_options():
    return dict(
        clusters=cluster_spec(),
        nodes=dict(type="list", elements="str"),
        vlan=dict(type="str", choices=list(VLAN_TYPES)),
        vlan_count=dict(type="int", default=1),
        subnet_prefix=dict(type="int"),
        subnet_count=dict(type="int", default=1),
        resources=dict(type="str"),
    )


def site_specs(params):
    if params["site"]:
        spec = dict((k, params[k]) for k in resource_options())
        spec["site"] = params["site"]
        return [spec]
    if any(params[k] for k in STRUCTURED):
        raise G5kInputError("with sites, give clusters, nodes, vlan, subnet_prefix or resources inside each site entry")
    seen = set()
    for spec in params["sites"]:
        if spec["site"] in seen:
            raise G5kInputError("site %s appears twice in sites: merge its entries" % spec["site"])
        seen.add(spec["site"])
    return params["sites"]


def named_nodes(catalog, spec):
    """FQDNs of the nodes a site entry names, each checked against the Reference API."""
    site, fqdns = spec["site"], []
    for name in spec.get("nodes") or []:
        try:
            short, node_site = split_node_name(name, site)
        except ValueError as exc:
            raise G5kInputError(str(exc))
        if node_site != site:
            raise G5kInputError("node %s is not at site %s" % (name, site))
        catalog.node(site, short)
        fqdns.append(node_fqdn(short, site))
    return fqdns


def resource_string(catalog, spec, walltime):
    site = spec["site"]
    structured = [k for k in ("clusters", "nodes", "vlan", "subnet_prefix") if spec.get(k)]
    if spec.get("resources"):
        if structured:
            raise G5kInputError("site %s: resources is a raw string, do not combine it with %s" % (site, ", ".join(structured)))
        return "%s,walltime=%s" % (spec["resources"], walltime)
    for cluster in spec.get("clusters") or []:
        size = len(catalog.nodes_of_cluster(site, cluster["name"]))
        if cluster["nodes"] > size:
            raise G5kInputError("site %s: %d nodes of cluster %s requested, it has %d" % (
                site, cluster["nodes"], cluster["name"], size))
    fqdns = named_nodes(catalog, spec)
    try:
        return build_resources(spec.get("clusters"), fqdns, spec.get("vlan"), spec.get("vlan_count"),
                               spec.get("subnet_prefix"), spec.get("subnet_count"), walltime)
    except ValueError as exc:
        raise G5kInputError("site %s: %s" % (site, exc))


def submission(params, resources):
    body = {"name": params["name"], "resources": resources, "types": params["types"]}
    for key in ("queue", "project", "properties", "reservation"):
        if params[key]:
            body[key] = params[key]
    body["command"] = params["command"] or (None if params["reservation"] else DEFAULT_COMMAND)
    return dict((k, v) for k, v in body.items() if v is not None)


def _hms(seconds):
    return "%d:%02d:%02d" % (seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _per_cluster(fqdns):
    counts = {}
    for fqdn in fqdns:
        cluster = cluster_of(fqdn.split(".")[0])
        counts[cluster] = counts.get(cluster, 0) + 1
    return ", ".join("%d of %s" % (n, c) for c, n in sorted(counts.items())) or "none"


def differences(catalog, spec, job, params, walltime):
    """``[(what, the job has, the task asks for)]`` for an existing job with the task's name.

    Resources are compared once the job has them (not while it waits), and not for raw strings."""
    found = []
    if job.get("walltime") is not None and job["walltime"] != walltime_seconds(walltime):
        found.append(("walltime", _hms(job["walltime"]), _hms(walltime_seconds(walltime))))
    if "types" in job and set(params["types"]) - set(job["types"] or []):
        found.append(("types", ", ".join(job.get("types") or []) or "none", ", ".join(params["types"])))
    nodes = job.get("assigned_nodes") or []
    if spec.get("resources") or not nodes:
        return found
    named = named_nodes(catalog, spec)
    wanted = [node_fqdn("%s-%d" % (c["name"], i), spec["site"]) for c in spec.get("clusters") or []
              for i in range(c["nodes"])] + named
    if _per_cluster(nodes) != _per_cluster(wanted):
        found.append(("nodes", _per_cluster(nodes), _per_cluster(wanted)))
    elif set(named) - set(nodes):
        found.append(("nodes", ", ".join(sorted(nodes)), "including " + ", ".join(sorted(set(named) - set(nodes)))))
    by_type = job.get("resources_by_type") or {}
    vlans = [str(v) for v in by_type.get("vlans") or []]
    kinds = catalog.vlan_kinds(spec["site"]) if vlans else {}
    have = ", ".join("%s (%s)" % (v, kinds.get(v)) for v in vlans) or "none"
    asked = "%d %s" % (spec["vlan_count"], spec["vlan"]) if spec.get("vlan") else "none"
    if len(vlans) != (spec["vlan_count"] if spec.get("vlan") else 0) or any(kinds.get(v) != spec.get("vlan") for v in vlans):
        found.append(("vlans", have, asked))
    blocks = spec["subnet_count"] * 2 ** (22 - spec["subnet_prefix"]) if spec.get("subnet_prefix") else 0
    subnets = by_type.get("subnets") or []
    if len(subnets) != blocks:
        found.append(("subnets", "%d /22 blocks" % len(subnets), "%d /22 blocks" % blocks))
    return found


# Seconds a rollback waits for OAR to end the jobs it deleted.
ROLLBACK_TIMEOUT = 60


def refresh(client, entries):
    for entry in entries:
        if entry["uid"] is not None:
            job = client.get(path_of("sites", entry["site"], "jobs", entry["uid"]),
                             "read job %s at %s" % (entry["uid"], entry["site"]), missing_ok=True)
            entry.update(job_summary(entry["site"], job) if job else {"state": "absent"})
    return entries


def pending_of(entries, state):
    if state == "present":
        return any(e["state"] not in ("running",) + FINAL_STATES for e in entries if e["uid"] is not None)
    return any(e["state"] not in FINAL_STATES + ("absent",) for e in entries if e["uid"] is not None)


def present(module, client, catalog, user, specs, done):
    params = module.params
    walltime = normalize_walltime(params["walltime"])
    if params["reservation"]:
        params["reservation"] = check_reservation(params["reservation"])
    planned = []
    for spec in specs:  # validate every site before creating anything
        catalog.oar_site(spec["site"], "OAR jobs")
        planned.append((spec, resource_string(catalog, spec, walltime)))
    entries, kept = [], {}
    for spec, resources in planned:
        site = spec["site"]
        job = find_job_by_name(client, site, user, params["name"])
        if job:
            entry = job_summary(site, job)
            kept[site] = differences(catalog, spec, job, params, walltime)
            entry["differences"] = ["%s: the job has %s, the task asks for %s" % found for found in kept[site]]
        else:
            entry = job_summary(site, {"name": params["name"], "state": "absent"})
            entry.update(uid=None, resources=resources, differences=[])
        entries.append(entry)
    for entry in entries:
        if entry["differences"]:
            module.warn("job %s named %r at %s is kept as it is, with other resources than this task asks for "
                        "(%s): OAR cannot change a job's resources; release it (state: absent) and run again to "
                        "get the new ones" % (entry["uid"], params["name"], entry["site"], "; ".join(entry["differences"])))
    before = dict((e["site"], e["state"]) for e in entries)
    to_create = [e for e in entries if e["uid"] is None]
    if to_create and not module.check_mode:
        created = []
        for entry in to_create:
            site = entry["site"]
            try:
                # the job name is the idempotence key: a job found by it after a lost answer is ours
                job, lost = write_or_read_back(
                    partial(client.post, path_of("sites", site, "jobs"), submission(params, entry["resources"]),
                            "submit job %s at %s" % (params["name"], site)),
                    partial(find_job_by_name, client, site, user, params["name"]))
            except G5kApiError as exc:
                exc.add_hint(rollback(client, created, done, isinstance(exc, UnconfirmedWrite)))
                raise
            created.append(entry)
            entry["uid"] = (job or {}).get("uid")
            entry["state"] = (job or {}).get("state", "waiting")
            done.record("submitted job %s at %s%s" % (entry["uid"], site, lost_note(lost)))
            if lost:
                module.warn(done.lines[-1])
        refresh(client, to_create)
    return entries, bool(to_create), before, dict((site, found) for site, found in kept.items() if found)


def rollback(client, created, done, unsure=False):
    """Delete the jobs this task created, and wait until OAR has ended them: deletion is
    asynchronous, and a re-run must not find (and adopt) a job that is only being killed."""
    if not created:
        # after an unconfirmed submission the job may exist: its hint says so, do not deny it
        return None if unsure else "no job was created by this task"
    outcome = []
    for entry in created:
        try:
            lost = delete_job(client, entry["site"], entry["uid"], "roll back job")
            done.record("deleted job %s at %s again (rollback)%s" % (entry["uid"], entry["site"], lost_note(lost)))
            over = poll_until(lambda: refresh(client, [entry])[0]["state"],
                              lambda state: state in FINAL_STATES + ("absent",),
                              ROLLBACK_TIMEOUT, interval=1, sleep=client.sleep)[1]
            outcome.append("%s at %s%s" % (entry["uid"], entry["site"],
                                           "" if over else " (deleted, still %s)" % entry["state"]))
        except G5kApiError as exc:
            outcome.append("%s at %s NOT deleted: %s" % (entry["uid"], entry["site"], exc))
    return "rolled back the jobs this task had created: %s" % ", ".join(outcome)


def absent(module, client, catalog, user, specs, done):
    """Every active job with the name goes, duplicates included (the way to remove them)."""
    entries = []
    for spec in specs:
        catalog.oar_site(spec["site"], "OAR jobs")
        jobs = sorted(active_jobs(client, spec["site"], user, module.params["name"]), key=lambda j: j["uid"])
        entries.extend(job_summary(spec["site"], job) for job in jobs)
        if not jobs:
            entries.append(job_summary(spec["site"], {"name": module.params["name"], "state": "absent"}))
    before = dict((e["site"], e["state"]) for e in entries)
    found = [e for e in entries if e["uid"] is not None]
    if found and not module.check_mode:
        for entry in found:
            lost = delete_job(client, entry["site"], entry["uid"], "delete job %s at %s" % (entry["uid"], entry["site"]))
            done.record("deleted job %s at %s%s" % (entry["uid"], entry["site"], lost_note(lost)))
            if lost:
                module.warn(done.lines[-1])
        refresh(client, found)
    return entries, bool(found), before, {}


def work(module, client, done):
    """One step: create or delete what is missing and report the states. Waiting (wait=true) is
    the action plugin's loop, which runs this step again and shows the progress."""
    params = module.params
    check_job_name(params["name"])
    check_wait_timeout(params["wait_timeout"])
    user = api_user(client)
    if not user:
        raise G5kInputError("cannot tell whose jobs to look for: set api_username (or USER on a frontend)")
    catalog = ReferenceCatalog(client)
    specs = site_specs(params)
    step = present if params["state"] == "present" else absent
    entries, changed, before, kept = step(module, client, catalog, user, specs, done)
    ended = [e for e in entries if e["uid"] is not None and e["state"] in FINAL_STATES]
    if ended and params["state"] == "present":
        raise G5kInputError("job(s) ended before running: %s" % ", ".join(
            "%s at %s is %s" % (e["uid"], e["site"], e["state"]) for e in ended))
    result = {"changed": changed, "jobs": entries, "pending": pending_of(entries, params["state"])}
    if module._diff:
        after = dict((e["site"], "absent" if params["state"] == "absent" else (e["state"] if e["uid"] else "waiting"))
                     for e in entries)
        for entry in entries:
            if entry["site"] in kept:  # a job kept with other resources: what it has, what was asked
                head = {"job": entry["uid"], "state": entry["state"]}
                before[entry["site"]] = dict(head, **dict((what, has) for what, has, asked in kept[entry["site"]]))
                after[entry["site"]] = dict(head, **dict((what, asked) for what, has, asked in kept[entry["site"]]))
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    options = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        site=dict(type="str"),
        sites=dict(type="list", elements="dict", options=dict(site=dict(type="str", required=True), **resource_options())),
        # raw, not str: an unquoted 2:00 arrives as the int 120 and must be refused, not read as hours
        walltime=dict(type="raw", default="1:00:00"),
        types=dict(type="list", elements="str", default=[]),
        queue=dict(type="str"),
        project=dict(type="str"),
        properties=dict(type="str"),
        reservation=dict(type="str"),
        command=dict(type="str"),
        **wait_argument_spec(False, 900)
    )
    options.update(resource_options())
    module = G5kModule(
        argument_spec=module_argument_spec(**options),
        mutually_exclusive=[("site", "sites")],
        required_one_of=[("site", "sites")],
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module, client, done))


if __name__ == "__main__":
    main()
