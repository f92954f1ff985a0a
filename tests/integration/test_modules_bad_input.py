"""Bad input against the emulator: each case fails with a clear message and changes nothing.

The table below is the integration half of the bad-input list, over every API module and the
inventory plugin (module ``inventory``: an inventory source run by ansible-inventory); the unit
tests hold more cases (tests/unit/plugins/modules/test_*.py, BAD_INPUTS tables). Special
``api_uri`` values point at a misbehaving server instead of the emulator: ``@html`` (a login
page), ``@redirect`` (a 302 to another host, which must get no request), ``@shape:<text>``
(200 answers holding ``<text>``).
"""

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from g5k_module_harness import PASSWORDS, ROOT, api, emulator_for, run_playbook, run_task  # noqa: E402

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n"


@pytest.fixture(scope="module")
def platform():
    """jdoe holds 2 parasilo nodes + a routed VLAN (no subnet); asmith holds another parasilo node."""
    with emulator_for(nodes=4) as emulator:
        mine = run_playbook("reserve", emulator.url, job_name="mine",
                            job_clusters=[{"name": "parasilo", "nodes": 2}], job_vlan="kavlan")["Under test"]
        theirs = run_playbook("reserve", emulator.url, user="asmith", job_name="theirs",
                              job_clusters=[{"name": "parasilo", "nodes": 1}])["Under test"]
        assert not mine.get("failed") and not theirs.get("failed"), (mine, theirs)
        for _ in range(2):  # two jobs named dup, as parallel runs made them before issue 21
            dup = api(emulator.url, "POST", "/sites/rennes/jobs",
                      {"name": "dup", "resources": "{type='kavlan-local'}/vlan=1,walltime=1:00:00", "command": "sleep 1d"})
            deadline = time.monotonic() + 60
            while dup["state"] != "running":  # running before the first snapshot, so states stay put
                assert time.monotonic() < deadline, dup
                time.sleep(0.2)
                dup = api(emulator.url, "GET", "/sites/rennes/jobs/%s" % dup["uid"])
        yield emulator, mine["jobs"][0], theirs["jobs"][0]


def snapshot(url):
    jobs = api(url, "GET", "/sites/rennes/jobs?state=waiting,launching,running")["items"]
    membership = api(url, "GET", "/sites/rennes/vlans/nodes")["items"]
    deployments = api(url, "GET", "/sites/rennes/deployments")["items"]
    return (sorted((j["uid"], j["state"]) for j in jobs), sorted((m["uid"], str(m["vlan"])) for m in membership),
            len(deployments))


def other_vlan(job):
    return "5" if job["vlans"][0] != "5" else "6"


# (label, module, args builder(url, mine, theirs), expected fragment of the message)
CASES = [
    ("Slurm site", "oar_job", lambda u, m, t: {"name": "x", "site": "bordeaux", "clusters": [{"name": "bordemer"}]},
     "site bordeaux is scheduled by slurm, not OAR"),
    ("unknown site", "oar_job", lambda u, m, t: {"name": "x", "site": "atlantis", "nodes": ["a-1"]}, "unknown site 'atlantis'"),
    ("unknown cluster", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "clusters": [{"name": "nope"}]},
     "unknown cluster 'nope' at rennes"),
    ("too many nodes", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 40}]},
     "40 nodes of cluster parasilo requested, it has 4"),
    ("malformed walltime", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": "2 hours"},
     "walltime '2 hours' is malformed"),
    ("malformed reservation date", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "reservation": "next monday"},
     "reservation date 'next monday' is malformed"),
    ("missing credentials", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_username": None,
                                                        "api_password": None, "_user": None},
     "the request was anonymous"),
    ("wrong password", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_password": "bad"},
     "HTTP 401"),
    ("https:// to a plain HTTP server", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan",
                                                                    "api_uri": u.replace("http://", "https://"),
                                                                    "api_retries": 0},
     "answered in plain HTTP, not TLS: use an http:// api_uri"),
    ("empty job name", "oar_job", lambda u, m, t: {"name": "", "site": "rennes", "vlan": "kavlan"}, "name is empty"),
    ("job name with a newline", "oar_job", lambda u, m, t: {"name": "a\nb", "site": "rennes", "vlan": "kavlan"},
     "holds a control character"),
    ("300-character job name", "oar_job", lambda u, m, t: {"name": "n" * 300, "site": "rennes", "vlan": "kavlan"},
     "name is 300 characters long"),
    ("zero subnets", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "subnet_prefix": 22, "subnet_count": 0},
     "subnet_count is 0: it must be at least 1"),
    ("zero VLANs", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "vlan_count": 0},
     "vlan_count is 0: it must be at least 1"),
    ("zero nodes of a cluster", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes",
                                                            "clusters": [{"name": "parasilo", "nodes": 0}]},
     "0 nodes of cluster parasilo requested: give at least 1"),
    ("unquoted walltime 2:00 (YAML reads 120)", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": 120},
     "walltime is the number 120, not text"),
    ("wrong credentials inside api_uri", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_username": None, "api_password": None,
                      "api_uri": u.replace("http://", "http://jdoe:hunter2x@")},
     "HTTP 401"),
    ("a 200 answer that is not JSON", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_uri": "@html"},
     "the answer is not JSON (text/html"),
    ("routed VLAN for nodes of two sites", "kavlan_vlan",
     lambda u, m, t: {"nodes": m["nodes"] + ["gros-1.nancy"], "vlan": m["vlans"][0]},
     "is a VLAN of each site"),
    ("no nodes to move", "kavlan_vlan", lambda u, m, t: {"nodes": [], "vlan": m["vlans"][0]}, "nodes is empty"),
    ("no nodes to deploy", "kadeploy", lambda u, m, t: {"nodes": [], "environment": "debian12-min"}, "nodes is empty"),
    ("environment typo", "kadeploy", lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-mni"},
     "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
    ("environment version that does not exist", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "version": 1},
     "environment 'debian12-min' has no version 1 at rennes"),
    ("DHCP without a state", "kavlan_dhcp", lambda u, m, t: {"site": "rennes", "vlan": m["vlans"][0]},
     "missing required arguments: state"),
    ("more addresses than the subnets hold", "g5k_subnet",
     lambda u, m, t: {"site": "rennes", "subnets": ["10.156.4.0/22"], "count": 5000},
     "5000 addresses asked from offset 0, but 10.156.4.0/22 hold 1022 usable addresses"),
    ("VLAN id out of range", "kavlan_vlan", lambda u, m, t: {"nodes": m["nodes"], "vlan": "42"}, "VLAN 42 does not exist at rennes"),
    ("VLAN not in the job", "kavlan_vlan", lambda u, m, t: {"nodes": m["nodes"], "vlan": other_vlan(m)}, "is not in a job of jdoe"),
    ("node of another user", "kavlan_vlan", lambda u, m, t: {"nodes": t["nodes"], "vlan": m["vlans"][0]},
     "not in an active job of jdoe at rennes"),
    ("unknown node", "kavlan_vlan", lambda u, m, t: {"nodes": ["parasilo-77.rennes"], "vlan": m["vlans"][0]},
     "unknown node parasilo-77 at rennes"),
    ("deploy outside a job", "kadeploy", lambda u, m, t: {"nodes": t["nodes"], "environment": "debian12-min"},
     "no active job of jdoe at rennes holds"),
    ("deploy with an unknown job id", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "job_id": 987654}, "job 987654 does not exist at rennes"),
    ("DHCP of a VLAN not held", "kavlan_dhcp", lambda u, m, t: {"site": "rennes", "vlan": other_vlan(m), "state": "stopped"},
     "is not in an active job of jdoe"),
    ("subnets of a job without any", "g5k_subnet", lambda u, m, t: {"site": "rennes", "job_id": m["uid"]}, "holds no subnet"),
] + [
    # ---- issue 21: oar_job ----
    ("job name as a list", "oar_job", lambda u, m, t: {"name": ["a", "b"], "site": "rennes", "vlan": "kavlan"},
     "name must be text, got a list (['a', 'b'])"),
    ("job name as a mapping", "oar_job", lambda u, m, t: {"name": {"x": 1}, "site": "rennes", "vlan": "kavlan"},
     "name must be text, got a mapping"),
    ("unquoted walltime 1:30:00 (YAML reads 5400)", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": 5400},
     'Quote what you wrote: walltime: "90:00" or walltime: "1:30:00"'),
    ("walltime 1.5", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": 1.5},
     'for 1.5 hours write walltime: "1:30"'),
    ("walltime yes", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": True},
     "walltime is True, not text"),
    ("walltime past 64 bits", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": "99999999999999999999"},
     "returned HTTP 400"),
    ("api_uri with a fragment", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "state": "absent", "api_uri": u + "#x"},
     "holds a query (?...) or a fragment (#...)"),
    ("api_uri with a query", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "state": "absent", "api_uri": u + "?x=1"},
     "holds a query (?...) or a fragment (#...)"),
    ("api_uri with a broken IPv6 literal", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "api_uri": "http://[::1/stable"},
     "cannot be read (Invalid IPv6 URL)"),
    ("api_uri port 99999", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "api_uri": "http://127.0.0.1:99999/stable"},
     "Port out of range"),
    ("api_uri ftp", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "api_uri": "ftp://127.0.0.1/stable"},
     "api_uri must start with http:// or https://"),
    ("api_uri without /stable", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan",
                                                            "api_uri": u[:-len("/stable")]},
     "It ends with the API version, as in https://api.grid5000.fr/stable"),
    ("api_timeout 0", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "api_timeout": 0}, "api_timeout is 0"),
    ("api_timeout -1", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "api_timeout": -1}, "api_timeout is -1"),
    ("api_retries -1", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "api_retries": -1}, "api_retries is -1"),
    ("missing ca_path", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "ca_path": "/nonexistent/ca.pem"},
     "ca_path /nonexistent/ca.pem cannot be read"),
    ("ca_path that is not PEM", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "ca_path": str(ROOT / "README.md")},
     "holds no PEM certificate"),
    ("redirect to another host", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan",
                                                             "api_uri": "@redirect"},
     "returned HTTP 302: redirected to http://127.0.0.2:"),
    ("answer of list shape", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan",
                                                         "api_uri": "@shape:[1,2,3]"},
     "expected a JSON object, got JSON list [1, 2, 3]"),
    ("answer of string shape", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan",
                                                           "api_uri": '@shape:"hello"'},
     'expected a JSON object, got JSON str "hello"'),
    ("empty 200 answer", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_uri": "@shape:"},
     "expected a JSON object, got an empty answer"),
    ("null 200 answer", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_uri": "@shape:null"},
     "expected a JSON object, got an empty answer"),
    ("wait_timeout -5", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "wait": True,
                                                    "wait_timeout": -5},
     "wait_timeout is -5: give the seconds to wait, at least 1"),
    ("wait_timeout not a number", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "wait": True,
                                                              "wait_timeout": "soon"},
     "wait_timeout"),
    ("wait not a boolean", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "wait": "maybe"},
     "to bool"),
    ("unknown state", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "state": "gone"},
     "value of state must be one of: present, absent"),
    ("site and sites", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "sites": [{"site": "nancy"}]},
     "mutually exclusive: site|sites"),
    ("neither site nor sites", "oar_job", lambda u, m, t: {"name": "x"}, "one of the following is required: site, sites"),
    ("unknown VLAN kind", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan-remote"},
     "value of vlan must be one of"),
    ("subnet size out of range", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "subnet_prefix": 15},
     "subnet_prefix 15 is out of range"),
    ("raw and structured resources", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "resources": "nodes=1"}, "do not combine it with vlan"),
    ("nothing to reserve", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes"}, "nothing to reserve"),
    ("impossible reservation date", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "reservation": "2026-13-01 10:00:00"}, "is malformed"),
    ("one site twice", "oar_job", lambda u, m, t: {"name": "x", "sites": [{"site": "rennes", "vlan": "kavlan"},
                                                                          {"site": "rennes", "vlan": "kavlan"}]},
     "site rennes appears twice in sites"),
    ("sites with top-level resources", "oar_job",
     lambda u, m, t: {"name": "x", "vlan": "kavlan", "sites": [{"site": "rennes", "vlan": "kavlan"}]},
     "with sites, give clusters, nodes, vlan"),
    ("types holding a list", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "types": [["deploy"]]},
     "types must be a list of text"),
    ("job name with surrounding spaces", "oar_job", lambda u, m, t: {"name": " x", "site": "rennes", "vlan": "kavlan"},
     "starts or ends with spaces"),
    ("node of another site", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "nodes": ["gros-1.nancy"]},
     "node gros-1.nancy is not at site rennes"),
    ("unknown named node", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "nodes": ["parasilo-77"]},
     "unknown node parasilo-77 at rennes"),
    ("duplicate jobs made elsewhere", "oar_job", lambda u, m, t: {"name": "dup", "site": "rennes", "vlan": "kavlan-local"},
     "delete them all with this task and state: absent"),
    # ---- issue 21: kadeploy ----
    ("private key as key", "kadeploy", lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "key": PRIVATE_KEY},
     "key is a PRIVATE key: it was not sent"),
    ("private key file as key_file", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "key_file": "@private_key"},
     "is a PRIVATE key: it was not sent"),
    ("key that is no key", "kadeploy", lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "key": "hello world"},
     "key line 1 is not an SSH public key"),
    ("damaged public key", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "key": "ssh-ed25519 AAAA me@laptop"},
     "the ssh-ed25519 key's data is damaged"),
    ("missing key_file", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "key_file": "/nonexistent/id.pub"},
     "cannot read key_file /nonexistent/id.pub"),
    ("key and key_file", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "key": "x", "key_file": "/nonexistent/id.pub"},
     "mutually exclusive: key|key_file"),
    ("max_attempts 0", "kadeploy", lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "max_attempts": 0},
     "max_attempts must be at least 1"),
    ("kadeploy wait_timeout -5", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "wait_timeout": -5}, "wait_timeout is -5"),
    ("deployment VLAN the site lacks", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "vlan": "40"}, "VLAN 40 does not exist at rennes"),
    ("job of another user", "kadeploy",
     lambda u, m, t: {"nodes": t["nodes"], "environment": "debian12-min", "job_id": t["uid"]}, "belongs to asmith"),
    ("environment as a list", "kadeploy", lambda u, m, t: {"nodes": m["nodes"], "environment": ["debian12-min"]},
     "environment must be text, got a list"),
    ("kadeploy through a redirect", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "api_uri": "@redirect"}, "redirected to http://127.0.0.2:"),
    # ---- issue 21: kavlan_vlan, kavlan_dhcp, kavlan_info ----
    ("VLAN id as a list", "kavlan_vlan", lambda u, m, t: {"nodes": m["nodes"], "vlan": [m["vlans"][0]]},
     "vlan must be text, got a list"),
    ("nodes holding a list", "kavlan_vlan", lambda u, m, t: {"nodes": [m["nodes"]], "vlan": m["vlans"][0]},
     "nodes must be a list of text"),
    ("VLAN move with a fragment in api_uri", "kavlan_vlan",
     lambda u, m, t: {"nodes": m["nodes"], "vlan": m["vlans"][0], "api_uri": u + "#x"}, "holds a query (?...) or a fragment"),
    ("VLAN move through a redirect", "kavlan_vlan",
     lambda u, m, t: {"nodes": m["nodes"], "vlan": m["vlans"][0], "api_uri": "@redirect"}, "redirected to http://127.0.0.2:"),
    ("DHCP state on", "kavlan_dhcp", lambda u, m, t: {"site": "rennes", "vlan": m["vlans"][0], "state": "on"},
     "value of state must be one of: started, stopped"),
    ("DHCP at an unknown site", "kavlan_dhcp", lambda u, m, t: {"site": "atlantis", "vlan": "4", "state": "stopped"},
     "unknown site 'atlantis'"),
    ("DHCP with api_timeout 0", "kavlan_dhcp",
     lambda u, m, t: {"site": "rennes", "vlan": m["vlans"][0], "state": "stopped", "api_timeout": 0}, "api_timeout is 0"),
    ("VLANs of an unknown site", "kavlan_info", lambda u, m, t: {"site": "atlantis"}, "unknown site 'atlantis'"),
    ("VLAN read with api_timeout abc", "kavlan_info", lambda u, m, t: {"site": "rennes", "api_timeout": "abc"},
     "cannot be converted to an int"),
    ("VLAN read of list shape", "kavlan_info", lambda u, m, t: {"site": "rennes", "api_uri": "@shape:[1,2,3]"},
     "expected a JSON object, got JSON list"),
    ("VLAN read through a redirect", "kavlan_info", lambda u, m, t: {"site": "rennes", "api_uri": "@redirect"},
     "redirected to http://127.0.0.2:"),
    # ---- issue 21: kadeploy_environment_info, oar_job_info ----
    ("environments of an unknown site", "kadeploy_environment_info", lambda u, m, t: {"site": "atlantis"},
     "unknown site 'atlantis'"),
    ("environments through a redirect", "kadeploy_environment_info", lambda u, m, t: {"site": "rennes", "api_uri": "@redirect"},
     "redirected to http://127.0.0.2:"),
    ("environment name as a mapping", "kadeploy_environment_info", lambda u, m, t: {"site": "rennes", "name": {"a": 1}},
     "name must be text, got a mapping"),
    ("jobs of an unknown site", "oar_job_info", lambda u, m, t: {"sites": ["atlantis"]}, "unknown site 'atlantis'"),
    ("job states in the wrong case", "oar_job_info", lambda u, m, t: {"sites": ["rennes"], "states": ["Running"]},
     "value of states must be one or more of"),
    ("jobs read of string shape", "oar_job_info", lambda u, m, t: {"sites": ["rennes"], "api_uri": '@shape:"hello"'},
     'expected a JSON object, got JSON str "hello"'),
    ("jobs read with a query in api_uri", "oar_job_info", lambda u, m, t: {"sites": ["rennes"], "api_uri": u + "?x=1"},
     "holds a query (?...) or a fragment"),
    # ---- issue 20: reference_nodes_info ----
    ("nodes of an unknown site", "reference_nodes_info", lambda u, m, t: {"site": "atlantis", "vlan": "4"},
     "unknown site 'atlantis'"),
    ("nodes in a VLAN the site does not have", "reference_nodes_info", lambda u, m, t: {"site": "rennes", "vlan": "42"},
     "VLAN 42 is not a VLAN of site rennes in the Reference API"),
    ("nodes in a VLAN that is no id", "reference_nodes_info", lambda u, m, t: {"site": "rennes", "vlan": "four"},
     "vlan 'four' is not a VLAN id"),
    ("nodes of an unknown cluster", "reference_nodes_info",
     lambda u, m, t: {"site": "rennes", "vlan": "4", "clusters": ["nope"]}, "unknown cluster 'nope' at rennes"),
    ("nodes read through a redirect", "reference_nodes_info",
     lambda u, m, t: {"site": "rennes", "vlan": "4", "api_uri": "@redirect"}, "redirected to http://127.0.0.2:"),
    ("nodes read of list shape", "reference_nodes_info",
     lambda u, m, t: {"site": "rennes", "vlan": "4", "api_uri": "@shape:[1,2,3]"}, "expected a JSON object, got JSON list"),
    # ---- issue 21: g5k_subnet ----
    ("a /8 of subnets", "g5k_subnet", lambda u, m, t: {"site": "rennes", "subnets": ["10.0.0.0/8"]},
     "10.0.0.0/8 is outside the site's subnet range"),
    ("subnets outside the site range", "g5k_subnet", lambda u, m, t: {"site": "rennes", "subnets": ["192.168.1.0/24"]},
     "192.168.1.0/24 is outside the site's subnet range"),
    ("IPv6 subnets", "g5k_subnet", lambda u, m, t: {"site": "rennes", "subnets": ["fe80::/64"]}, "fe80::/64 is not an IPv4 subnet"),
    ("the whole site range without count", "g5k_subnet", lambda u, m, t: {"site": "rennes", "subnets": ["10.156.0.0/14"]},
     "262142 addresses asked at once (10.156.0.0/14): at most 65536 are returned per task"),
    ("too large a count", "g5k_subnet", lambda u, m, t: {"site": "rennes", "subnets": ["10.156.0.0/14"], "count": 70000},
     "70000 addresses asked at once"),
    ("subnet that is no CIDR", "g5k_subnet", lambda u, m, t: {"site": "rennes", "subnets": ["not-a-cidr"]},
     "is not an IPv4 CIDR"),
    ("subnets of an unknown job name", "g5k_subnet", lambda u, m, t: {"site": "rennes", "job_name": "nope"},
     "no active job named 'nope' at rennes"),
    ("job id and subnets", "g5k_subnet", lambda u, m, t: {"site": "rennes", "job_id": 1, "subnets": ["10.156.4.0/22"]},
     "mutually exclusive: job_id|job_name|subnets"),
    ("offset past the addresses", "g5k_subnet",
     lambda u, m, t: {"site": "rennes", "subnets": ["10.156.4.0/22"], "offset": 5000}, "offset 5000 is past the 1022"),
    # ---- issue 21: the inventory plugin ----
    ("inventory job_states typo", "inventory", lambda u, m, t: {"sites": ["rennes"], "job_states": ["runing"]},
     "job_states: 'runing' is not an OAR job state"),
    ("inventory api_uri fragment", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_uri": u + "#x"},
     "holds a query (?...) or a fragment"),
    ("inventory broken IPv6 literal", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_uri": "http://[::1/stable"},
     "Invalid IPv6 URL"),
    ("inventory api_timeout 0", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_timeout": 0}, "api_timeout is 0"),
    ("inventory missing ca_path", "inventory", lambda u, m, t: {"sites": ["rennes"], "ca_path": "/nonexistent/ca.pem"},
     "ca_path /nonexistent/ca.pem cannot be read"),
    ("inventory redirect", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_uri": "@redirect"},
     "redirected to http://127.0.0.2:"),
    ("inventory answer of list shape", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_uri": "@shape:[1,2,3]"},
     "expected a JSON object, got JSON list"),
    ("inventory malformed job reference", "inventory", lambda u, m, t: {"jobs": ["rennes:abc"]},
     "give a job id (1234567) or <site>:<job id>"),
    ("inventory without /stable", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_uri": u[:-len("/stable")]},
     "It ends with the API version"),
    ("inventory wrong password", "inventory", lambda u, m, t: {"sites": ["rennes"], "api_password": "bad"}, "HTTP 401"),
]


@contextlib.contextmanager
def html_server():
    """What a proxy or login page does: 200 with an HTML page, for any path."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            page = b"<html><body><h1>Please log in</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/stable" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def serving(handler_class, host="127.0.0.1"):
    server = http.server.ThreadingHTTPServer((host, 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://%s:%d" % (host, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def redirect_server():
    """A server answering 302 to a second server on 127.0.0.2, which records what reaches it."""
    reached = []

    class Target(Quiet):
        def do_GET(self):
            reached.append(dict(self.headers))
            self.answer(200, b"{}", [("Content-Type", "application/json")])
        do_POST = do_PUT = do_DELETE = do_GET

    with serving(Target, "127.0.0.2") as target:
        class Redirect(Quiet):
            def do_GET(self):
                self.answer(302, headers=[("Location", target + self.path)])
            do_POST = do_PUT = do_DELETE = do_GET

        with serving(Redirect) as url:
            yield url + "/stable"
    assert reached == [], "the redirect target got requests: %s" % reached


@contextlib.contextmanager
def shape_server(text):
    """A server answering every request 200 with ``text`` as JSON."""
    class Shape(Quiet):
        def do_GET(self):
            self.answer(200, text.encode(), [("Content-Type", "application/json")])
        do_POST = do_PUT = do_DELETE = do_GET

    with serving(Shape) as url:
        yield url + "/stable"


def misbehaving_server(stack, api_uri):
    """The URL of the server an ``@...`` api_uri names, started on ``stack``; others unchanged."""
    if api_uri == "@html":
        return stack.enter_context(html_server())
    if api_uri == "@redirect":
        return stack.enter_context(redirect_server())
    if isinstance(api_uri, str) and api_uri.startswith("@shape:"):
        return stack.enter_context(shape_server(api_uri[len("@shape:"):]))
    return api_uri


def run_inventory(config, api_uri, user, tmp_path):
    """ansible-inventory --list on a g5k source of ``config``; its result as a failed task's."""
    source = tmp_path / "bad.g5k.yml"
    source.write_text(yaml.safe_dump(dict({"plugin": "g5k.testbed.g5k", "api_uri": api_uri, "api_username": user,
                                           "api_password": PASSWORDS[user], "api_retries": 0}, **config)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true",
               G5K_API_CONFIG=str(tmp_path / "no-python-grid5000.yaml"), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_NOCOLOR="1")
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-inventory"), "-i", str(source), "--list"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    return {"failed": done.returncode != 0, "changed": False, "msg": " ".join((done.stdout + done.stderr).split())}


@pytest.fixture(scope="module")
def private_key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return str(path)


@pytest.mark.parametrize("label, module, build, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly_and_changes_nothing(platform, private_key_file, tmp_path, monkeypatch, label, module,
                                                     build, fragment):
    emulator, mine, theirs = platform
    monkeypatch.delenv("USER", raising=False)
    args = build(emulator.url, mine, theirs)
    if args.get("key_file") == "@private_key":
        args["key_file"] = private_key_file
    servers = contextlib.ExitStack()
    user = args.pop("_user", "jdoe")
    if user is None:
        monkeypatch.setenv("USER", "jdoe")  # a frontend login, but no API credentials
    before = snapshot(emulator.url)
    with servers:
        if "api_uri" in args:
            args["api_uri"] = misbehaving_server(servers, args["api_uri"])
        if module == "inventory":
            result = run_inventory(args, args.pop("api_uri", emulator.url), user, tmp_path)
        else:
            result = run_task(module, args, emulator.url, user=user, tmp_path=tmp_path)
    assert result.get("failed"), result
    assert fragment in result["msg"], result["msg"]
    assert result.get("changed") is False
    shown = json.dumps(result)
    assert "hunter2x" not in shown and "jdoe-secret" not in shown  # a password is never shown
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in shown  # nor a private key
    assert snapshot(emulator.url) == before


def test_the_table_covers_every_module_and_the_inventory_with_at_least_100_cases():
    modules = set(case[1] for case in CASES)
    shipped = set(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py")) - {"kvm_guest"}
    assert shipped | {"inventory"} <= modules, (shipped | {"inventory"}) - modules
    assert len(CASES) >= 100, len(CASES)
