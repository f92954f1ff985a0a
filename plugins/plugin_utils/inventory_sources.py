# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the g5k inventory reads from the API, as one cacheable document (PRIVATE).

The inventory plugin caches this document (raw API answers, trimmed to the fields it reads) and
builds hosts from it, so a cached run sends no request at all.

Public API (stable):

- ``DATA_FORMAT``: version of the document; a cache holding another version is a miss.
- ``JobSelection(sites, jobs, job_names, states, user)``: which jobs make the inventory; ``states``
  are checked by ``check_job_states(states)`` (lower-cased; ``G5kInputError`` for one OAR does not have).
  ``jobs`` items are ``"<uid>"`` or ``"<site>:<uid>"``; with neither ``jobs`` nor ``job_names``
  every job of ``user`` in ``states`` is taken. ``key()`` identifies the selection in the cache.
- ``parse_job_ref(value)`` -> ``(site or None, uid string)``; raises ``G5kInputError``.
- ``fetch_inventory_data(client, selection, on_forbidden)`` -> ``{"format", "selection", "sites":
  {site: {"site", "jobs", "nodes", "interfaces", "vlan_types", "local_vlan_gateways"}},
  "skipped_sites": {site: reason}}``. Sites are read one after the other, and an HTTP 403 on any
  request about a site (its document, jobs, nodes, VLANs) calls ``on_forbidden(site, error)``: it
  raises to stop, or returns to leave that whole site out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiError, G5kInputError, path_of
from ansible_collections.g5k.testbed.plugins.module_utils.kavlan_api import read_membership
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import ACTIVE_STATES, FINAL_STATES, active_jobs
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import (
    DEFAULT_VLAN,
    LOCAL_VLAN_TYPE,
    cluster_of,
    split_node_name,
)

DATA_FORMAT = 1
_JOB_KEYS = ("uid", "name", "user", "state", "assigned_nodes", "walltime", "started_at", "types")
_NODE_KEYS = ("uid", "architecture", "main_memory", "supported_job_types", "kavlan")
_ADAPTER_KEYS = ("device", "name", "mac", "ip", "mounted", "mountable", "management", "kavlan", "interface",
                 "network_address", "enabled")
_SITE_KEYS = ("uid", "scheduler", "g5ksubnet", "kavlans")


class JobSelection:
    def __init__(self, sites=None, jobs=None, job_names=None, states=("running",), user=None):
        self.sites = list(sites or [])
        self.jobs = [parse_job_ref(j) for j in jobs or []]
        self.job_names = list(job_names or [])
        self.states = check_job_states(states)
        self.user = user

    def key(self):
        return {"sites": sorted(self.sites), "jobs": sorted("%s:%s" % (s or "", u) for s, u in self.jobs),
                "job_names": sorted(self.job_names), "states": sorted(self.states), "user": self.user}


def check_job_states(states):
    """OAR states as the API writes them (lower case); an unknown one would silently match nothing."""
    known = ACTIVE_STATES + FINAL_STATES
    checked = []
    for state in states or []:
        text = str(state).strip().lower()
        if text not in known:
            raise G5kInputError("job_states: %r is not an OAR job state: use %s" % (state, ", ".join(known)))
        checked.append(text)
    return checked


def parse_job_ref(value):
    text = str(value).strip()
    site, dummy, uid = text.rpartition(":")
    if not uid.isdigit() or (site and not site.replace("-", "").isalnum()):
        raise G5kInputError("job %r: give a job id (1234567) or <site>:<job id> (rennes:1234567)" % (value,))
    return (site or None), uid


def _trim(doc, keys):
    return dict((k, doc[k]) for k in keys if k in doc)


def _trim_job(job):
    trimmed = _trim(job, _JOB_KEYS)
    by_type = job.get("resources_by_type") or {}
    trimmed["vlans"] = [str(v) for v in by_type.get("vlans") or []]
    trimmed["subnets"] = list(by_type.get("subnets") or [])
    return trimmed


def _trim_node(node):
    trimmed = _trim(node, _NODE_KEYS)
    trimmed["network_adapters"] = [_trim(a, _ADAPTER_KEYS) for a in node.get("network_adapters") or []]
    return trimmed


def _oar_sites(client):
    sites = client.list_items("/sites", "list sites")
    return sorted(s["uid"] for s in sites if s.get("scheduler", "oar") == "oar")


def _site_doc(client, site):
    doc = client.get(path_of("sites", site), "read site %s" % site, missing_ok=True)
    if doc is None:
        known = sorted(s["uid"] for s in client.list_items("/sites", "list sites"))
        raise G5kInputError("unknown site %r: known sites are %s" % (site, ", ".join(known)))
    if doc.get("scheduler", "oar") != "oar":
        raise G5kInputError("site %s is scheduled by %s, not OAR: it has no OAR jobs to make an inventory from"
                            % (site, doc.get("scheduler")))
    return doc


def _job_by_uid(client, site, uid):
    return client.get(path_of("sites", site, "jobs", uid), "read job %s at %s" % (uid, site), missing_ok=True)


def _check_user(selection):
    if (selection.job_names or not selection.jobs) and not selection.user:
        # without a user filter the API would list everybody's jobs
        raise G5kInputError("no user to find jobs of: set the user option, api_username, or $USER")


def _site_jobs(client, selection, site):
    """The selected jobs of one site, by uid; jobs given with this site that it lacks are an error,
    jobs given without a site are looked for here (fetch_inventory_data checks they exist once)."""
    chosen = {}
    for where, uid in selection.jobs:
        if where not in (None, site):
            continue
        job = _job_by_uid(client, site, uid)
        if job:
            chosen[str(uid)] = job
        elif where == site:
            raise G5kInputError("job %s was not found at %s" % (uid, site))
    names = selection.job_names or ([None] if not selection.jobs else [])
    for name in names:
        for job in active_jobs(client, site, selection.user, name):
            if job.get("state") in selection.states:
                chosen.setdefault(str(job["uid"]), job)
    return [chosen[uid] for uid in sorted(chosen, key=int)]


def _check_unsited_jobs(selection, jobs_by_site):
    """A job given without a site must be at exactly one of the sites read."""
    for where, uid in selection.jobs:
        if where is not None:
            continue
        found = [site for site, jobs in sorted(jobs_by_site.items()) if any(str(j.get("uid")) == uid for j in jobs)]
        if not found:
            raise G5kInputError("job %s was not found at %s" % (uid, ", ".join(sorted(jobs_by_site)) or "any OAR site"))
        if len(found) > 1:
            raise G5kInputError("job id %s exists at %s: write it <site>:%s" % (uid, " and ".join(found), uid))


def _site_data(client, site, site_doc, jobs):
    data = {"site": _trim(site_doc, _SITE_KEYS), "jobs": [_trim_job(j) for j in jobs], "nodes": {},
            "interfaces": {}, "vlan_types": {}, "local_vlan_gateways": {}}
    shorts = set()
    for job in jobs:
        for name in job.get("assigned_nodes") or []:
            shorts.add(split_node_name(name, site)[0])
    if not shorts:
        return data
    for cluster in sorted(set(cluster_of(s) for s in shorts)):
        page = client.get(path_of("sites", site, "clusters", cluster, "nodes"),
                          "list nodes of cluster %s at %s" % (cluster, site)) or {}
        for node in page.get("items", []):
            if node.get("uid") in shorts:
                data["nodes"][node["uid"]] = _trim_node(node)
    names = sorted(a["network_address"] for n in data["nodes"].values() for a in n["network_adapters"]
                   if a.get("kavlan") and a.get("network_address"))
    if names:
        data["interfaces"] = read_membership(client, site, set(names))
    in_vlans = set(v for v in data["interfaces"].values() if v != DEFAULT_VLAN)
    if in_vlans:
        items = client.list_items(path_of("sites", site, "vlans"), "list VLANs of %s" % site)
        data["vlan_types"] = dict((str(i["uid"]), i.get("type")) for i in items)
    for vlan in sorted(in_vlans):
        if data["vlan_types"].get(vlan) == LOCAL_VLAN_TYPE:
            server = client.get(path_of("sites", site, "servers", "kavlan-%s" % vlan),
                                "read the gateway of local VLAN %s at %s" % (vlan, site), missing_ok=True) or {}
            ip = ((server.get("network_adapters") or {}).get("default") or {}).get("ip")
            if ip:
                data["local_vlan_gateways"][vlan] = ip
    return data


def fetch_inventory_data(client, selection, on_forbidden):
    result = {"format": DATA_FORMAT, "selection": selection.key(), "sites": {}, "skipped_sites": {}}
    _check_user(selection)
    sites = list(selection.sites)
    if not sites and (selection.job_names or not selection.jobs or any(s is None for s, dummy in selection.jobs)):
        sites = _oar_sites(client)
    sites = sorted(set(sites) | set(s for s, dummy in selection.jobs if s))
    jobs_by_site = {}
    for site in sites:
        # every request about one site under one rule (aws_ec2's strict_permissions, per region)
        try:
            site_doc = _site_doc(client, site)
            jobs_by_site[site] = _site_jobs(client, selection, site)
            result["sites"][site] = _site_data(client, site, site_doc, jobs_by_site[site])
        except G5kApiError as exc:
            if exc.status != 403:
                raise
            on_forbidden(site, exc)
            jobs_by_site.pop(site, None)
            result["skipped_sites"][site] = str(exc)
    _check_unsited_jobs(selection, jobs_by_site)
    return result
