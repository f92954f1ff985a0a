#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kadeploy
short_description: Deploy an environment on Grid'5000 nodes with Kadeploy, optionally into a VLAN
version_added: 0.1.0
description:
  - Replaces C(kadeploy3 -e ENV -f NODES -k [--vlan N]).
  - Idempotent per job, environment and nodes - a node whose latest deployment of O(environment)
    during the current job ended OK is not deployed again, unless O(force=true).
  - Nodes whose deployment ended KO are deployed again, up to O(max_attempts) deployments per node;
    nodes still KO after that fail the task, with every node's result returned.
  - One deployment per site, with all the nodes that need it.
  - With O(wait=true) (default) the task waits until no node is being deployed; the play output
    shows the deployment status and elapsed time (action plugin).
  - The nodes must belong to a running job of the user with the C(deploy) type.
  - Before anything is deployed, in check mode too, the environment is looked up at each site
    (C(GET /sites/{site}/environments), what C(kaenv3 -l) lists) for the nodes' architecture and
    O(version); a typo fails with the closest names. An environment given by URL is not checked.
  - A failure after a deployment was started reports C(changed=true) and lists it in RV(done).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes
attributes:
  check_mode:
    support: full
    details: Reports which nodes would be deployed (RV(would_deploy)).
  diff_mode:
    support: full
  idempotent:
    support: full
    details: Not with O(force=true), which deploys every time.
options:
  nodes:
    description:
      - Nodes to deploy, short names (with O(site)), V(node.site) or FQDNs.
      - An empty list is refused (it usually comes from a job that has no nodes yet).
    type: list
    elements: str
    required: true
  site:
    description: Site of nodes given by short name.
    type: str
  environment:
    description: Environment name (V(debian12-nfs)), V(name@owner), or the URL of an environment description.
    type: str
    required: true
  version:
    description: Environment version; the latest when unset.
    type: int
  key:
    description:
      - SSH public key (content, one or more C(authorized_keys) lines, or an http(s) URL) to install for root.
      - Every line must be an SSH public key (C(ssh-ed25519 AAAA... comment)). A private key is refused
        and never sent, because the API shows a deployment's key to every user of the site.
    type: str
  key_file:
    description:
      - File (on the host running the module) holding the SSH public key to install (a C(.pub) file).
      - Checked like O(key); a private key file is refused and never sent.
    type: path
  vlan:
    description:
      - Deploy the nodes straight into this VLAN (their primary interface stays in it).
      - V(DEFAULT) means the production network, as when unset.
    type: str
  job_id:
    description:
      - OAR job holding the nodes (at their site). Found among the user's running jobs when unset.
    type: int
  force:
    description: Deploy even nodes already deployed with O(environment) in this job.
    type: bool
    default: false
  max_attempts:
    description: Deployments per node before a KO node is given up.
    type: int
    default: 3
  wait:
    description:
      - Wait until the deployments are over (and KO nodes redeployed).
      - The action plugin does the waiting, running the module again between pauses of 10 to 30 seconds.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before failing, at least 1 (checked before any deployment starts).
    type: int
    default: 1800
seealso:
  - module: g5k.testbed.oar_job
  - module: g5k.testbed.kavlan_vlan
  - module: g5k.testbed.kadeploy_environment_info
"""

EXAMPLES = r"""
- name: Deploy Debian into the job's VLAN (kadeploy3 -f $OAR_NODEFILE -k -a --vlan 4)
  g5k.testbed.kadeploy:
    nodes: "{{ job.jobs[0].nodes }}"
    environment: debian12-nfs
    key_file: ~/.ssh/id_ed25519.pub
    vlan: "{{ job.jobs[0].vlans[0] }}"
  register: deployed

- name: Redeploy whatever the nodes run
  g5k.testbed.kadeploy:
    nodes: [parasilo-1, parasilo-2]
    site: rennes
    environment: debian12-min
    force: true
"""

RETURN = r"""
nodes:
  description: Per node (FQDN), the state of its latest deployment of O(environment) in the job.
  returned: success
  type: dict
  sample:
    parasilo-1.rennes.grid5000.fr: {state: OK, attempts: 1, deployment: D-967b6741}
would_deploy:
  description: Nodes deployed (or, in check mode, that would be deployed) by this task run.
  returned: success
  type: list
  elements: str
  sample: ["parasilo-2.rennes.grid5000.fr"]
deployments:
  description: Uids of the deployments this task created.
  returned: success
  type: list
  elements: str
  sample: ["D-967b6741-5bde-4023-a071-a4cf28da4d"]
ok_nodes:
  description: Nodes whose deployment ended OK.
  returned: success
  type: list
  elements: str
  sample: ["parasilo-1.rennes.grid5000.fr"]
failed_nodes:
  description: Nodes still KO after O(max_attempts) deployments.
  returned: success
  type: list
  elements: str
  sample: []
pending:
  description: True while a node is being deployed or waits for a new attempt.
  returned: success
  type: bool
  sample: false
done:
  description: What the task wrote on the platform (deployments started), with every step of O(wait=true).
  returned: when the task wrote something, and on failure
  type: list
  elements: str
  sample: ["started deployment D-967b6741 of debian12-min on parasilo-1.rennes.grid5000.fr at rennes"]
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 6
"""

from collections import OrderedDict
from functools import partial


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError, path_of
from ansible_collections.g5k.testbed.plugins.module_utils.deployments import deployment_matches, node_states
from ansible_collections.g5k.testbed.plugins.module_utils.environments import check_environment
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import active_jobs, api_user, read_job
from ansible_collections.g5k.testbed.plugins.module_utils.polling import check_wait_timeout, wait_argument_spec
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import ReferenceCatalog
from ansible_collections.g5k.testbed.plugins.module_utils.ssh_public_keys import check_public_keys
from ansible_collections.g5k.testbed.plugins.module_utils.unsure_writes import lost_note, write_or_read_back
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import node_fqdn, split_node_name


def read_key(params):
    """The public key(s) to send, checked: a private key must never reach the API."""
    if params["key_file"]:
        try:
            with open(params["key_file"]) as handle:
                text, source = handle.read(), "key_file %s" % params["key_file"]
        except (IOError, OSError, UnicodeDecodeError) as exc:
            raise G5kInputError("cannot read key_file %s: %s" % (params["key_file"], exc))
    elif params["key"] is None or params["key"].strip().startswith(("http://", "https://")):
        return params["key"]  # an URL is fetched by Kadeploy
    else:
        text, source = params["key"], "key"
    try:
        return "\n".join(check_public_keys(text, source))
    except ValueError as exc:
        raise G5kInputError(str(exc))


def job_of(client, site, user, job_id, fqdns):
    if job_id is not None:
        job = read_job(client, site, job_id)
        if user and job.get("user") not in (None, user):
            raise G5kInputError("job %s at %s belongs to %s, not to %s" % (job_id, site, job.get("user"), user))
    else:
        jobs = [j for j in active_jobs(client, site, user) if set(fqdns) & set(j.get("assigned_nodes") or [])]
        if not jobs:
            raise G5kInputError("no active job of %s at %s holds %s" % (user, site, ", ".join(fqdns)))
        if len(jobs) > 1:
            raise G5kInputError("the nodes are spread over jobs %s at %s: give job_id" % (
                ", ".join(str(j["uid"]) for j in jobs), site))
        job = jobs[0]
    missing = sorted(set(fqdns) - set(job.get("assigned_nodes") or []))
    if missing:
        raise G5kInputError("nodes not in job %s at %s: %s" % (job["uid"], site, ", ".join(missing)))
    if job.get("state") != "running":
        raise G5kInputError("job %s at %s is %s, not running" % (job["uid"], site, job.get("state")))
    if "deploy" not in (job.get("types") or []):
        raise G5kInputError("job %s at %s is not a deploy job: reserve it with types: [deploy]" % (job["uid"], site))
    return job


def prepare(client, params):
    """Everything checked before any deployment (check mode too): sites, VLAN, nodes, the
    environment for the nodes' architecture, then the job holding the nodes."""
    catalog = ReferenceCatalog(client)
    user = api_user(client)
    if not params["nodes"]:
        raise G5kInputError("nodes is empty: give the nodes to deploy (an empty list is often a job that has no nodes yet)")
    grouped = OrderedDict()
    for name in params["nodes"]:
        try:
            short, site = split_node_name(name, params["site"])
        except ValueError as exc:
            raise G5kInputError(str(exc))
        grouped.setdefault(site, [])
        fqdn = node_fqdn(short, site)
        if fqdn not in grouped[site]:
            grouped[site].append(fqdn)
    plans = []
    for site, fqdns in grouped.items():
        catalog.oar_site(site, "Kadeploy")
        if params["vlan"] is not None and str(params["vlan"]) not in catalog.vlan_kinds(site):
            raise G5kInputError("VLAN %s does not exist at %s" % (params["vlan"], site))
        arches = set()
        for fqdn in fqdns:
            arches.add((catalog.node(site, fqdn.split(".")[0]).get("architecture") or {}).get("platform_type"))
        for arch in sorted(arches, key=str):
            check_environment(client, site, params["environment"], params["version"], arch)
        plans.append({"site": site, "fqdns": fqdns, "job": job_of(client, site, user, params["job_id"], fqdns)})
    return user, plans


def list_deployments(client, site, user):
    return client.list_items(path_of("sites", site, "deployments"), "list deployments at %s" % site, {"user": user})


def started_after_listing(client, site, user, params, nodes, known_uids):
    """The deployment a submission whose answer was lost started: the user's deployment of the
    environment on exactly these nodes that was not listed before the submission; None if none."""
    started = [d for d in list_deployments(client, site, user)
               if d.get("uid") not in known_uids and sorted(d.get("nodes") or []) == sorted(nodes)
               and deployment_matches(d, params["environment"], params["version"], params["vlan"], None)]
    return started[-1] if started else None


def step(module, client, user, plans, key, force, done):
    """Read the nodes' deployment state, start the deployments that are due; returns the summary."""
    params = module.params
    summary = {"nodes": {}, "would_deploy": [], "deployments": [], "changed": False, "before": {}}
    for plan in plans:
        listing = list_deployments(client, plan["site"], user)
        history = [d for d in listing if deployment_matches(d, params["environment"], params["version"], params["vlan"],
                                                            plan["job"].get("started_at"))]
        states = node_states(history, plan["fqdns"])
        summary["before"].update((f, s["state"]) for f, s in states.items())
        if force:
            due = [f for f in plan["fqdns"] if states[f]["state"] != "deploying"]
        else:
            due = [f for f in plan["fqdns"] if states[f]["state"] == "none"
                   or (states[f]["state"] == "KO" and states[f]["attempts"] < params["max_attempts"])]
        if due and not module.check_mode:
            body = {"nodes": due, "environment": params["environment"]}
            if params["version"] is not None:
                body["version"] = params["version"]
            if key:
                body["key"] = key
            if params["vlan"] is not None:
                body["vlan"] = int(params["vlan"]) if str(params["vlan"]).isdigit() else params["vlan"]
            created, lost = write_or_read_back(
                partial(client.post, path_of("sites", plan["site"], "deployments"), body,
                        "deploy %s on %d nodes at %s" % (params["environment"], len(due), plan["site"])),
                partial(started_after_listing, client, plan["site"], user, params, due, [d.get("uid") for d in listing]))
            created = created or {}
            summary["deployments"].append(created.get("uid"))
            done.record("started deployment %s of %s on %s at %s%s" % (
                created.get("uid"), params["environment"], ", ".join(due), plan["site"], lost_note(lost)))
            if lost:
                module.warn(done.lines[-1])
            for fqdn in due:
                states[fqdn] = {"state": "deploying", "attempts": states[fqdn]["attempts"] + 1,
                                "deployment": created.get("uid")}
        summary["would_deploy"].extend(due)
        summary["changed"] = summary["changed"] or bool(due)
        summary["nodes"].update(states)
    nodes = summary["nodes"]
    summary["ok_nodes"] = sorted(f for f, s in nodes.items() if s["state"] == "OK")
    summary["failed_nodes"] = sorted(f for f, s in nodes.items()
                                     if s["state"] == "KO" and s["attempts"] >= params["max_attempts"])
    summary["pending"] = any(s["state"] == "deploying" or (s["state"] in ("none", "KO") and f not in summary["failed_nodes"])
                             for f, s in nodes.items())
    return summary


def work(module, client, done):
    """One step: start the deployments that are due and report the nodes' states. Waiting
    (wait=true) is the action plugin's loop, which runs this step again and shows the progress."""
    params = module.params
    if params["vlan"] is not None and str(params["vlan"]).strip().upper() == "DEFAULT":
        params["vlan"] = None  # the production network is what Kadeploy does without a VLAN
    if params["max_attempts"] < 1:
        raise G5kInputError("max_attempts must be at least 1")
    check_wait_timeout(params["wait_timeout"])
    key = read_key(params)
    user, plans = prepare(client, params)
    result = step(module, client, user, plans, key, params["force"], done)
    before = result.pop("before")
    if result["failed_nodes"]:
        result["msg"] = ("nodes still KO after %d deployments: %s; this task counts every deployment of the job and "
                         "will not try them again: once the nodes or the platform are fixed, run it with force: true "
                         "(or a higher max_attempts)" % (params["max_attempts"], ", ".join(result["failed_nodes"])))
        module.fail_json(done=done.lines, **result)
    if module._diff:
        result["diff"] = {"before": before, "after": dict(
            (f, "deployed with %s" % params["environment"] if f in result["would_deploy"] else before[f]) for f in before)}
    return result


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            nodes=dict(type="list", elements="str", required=True),
            site=dict(type="str"),
            environment=dict(type="str", required=True),
            version=dict(type="int"),
            key=dict(type="str", no_log=False),
            key_file=dict(type="path", no_log=False),
            vlan=dict(type="str"),
            job_id=dict(type="int"),
            force=dict(type="bool", default=False),
            max_attempts=dict(type="int", default=3),
            **wait_argument_spec(True, 1800)
        ),
        mutually_exclusive=[("key", "key_file")],
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module, client, done))


if __name__ == "__main__":
    main()
