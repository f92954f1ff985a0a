"""The emulator refuses, on every write route of the API, to let a user (or an anonymous caller)
touch another user's jobs, nodes, VLANs and deployments, and the refusal changes nothing."""

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from fault_harness import KEY, fast_config, set_faults
from g5k_emulator.testing import running_emulator

PASSWORDS = {"jdoe": "jdoe-secret", "asmith": "asmith-secret"}


def call(emulator, method, path, body=None, user="jdoe"):
    """(HTTP status, text) of one API request as ``user`` (None: no credentials)."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if user:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, PASSWORDS[user])).encode()).decode()
    request = urllib.request.Request(emulator.url + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def ok(emulator, method, path, body=None, user="jdoe"):
    status, text = call(emulator, method, path, body, user)
    assert 200 <= status < 300, (method, path, status, text)
    return json.loads(text) if text.strip() else None


def running_job(emulator, user, resources):
    job = ok(emulator, "POST", "/sites/rennes/jobs", {"resources": resources, "command": "sleep 3600",
                                                       "name": user + "-job", "types": ["deploy"]}, user)
    deadline = time.monotonic() + 60
    while job["state"] != "running":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = ok(emulator, "GET", "/sites/rennes/jobs/%s" % job["uid"], user=user)
    return job


@pytest.fixture(scope="module")
def site():
    """jdoe's running job (2 nodes, a routed VLAN holding them, a deployment still running) and
    asmith's (1 node, another routed VLAN)."""
    with running_emulator(config=fast_config()) as emulator:
        owner = running_job(emulator, "jdoe", "{cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1,walltime=1:00")
        other = running_job(emulator, "asmith", "{cluster='parasilo'}/nodes=1+{type='kavlan'}/vlan=1,walltime=1:00")
        nodes, vlan = owner["assigned_nodes"], str(owner["resources_by_type"]["vlans"][0])
        ok(emulator, "POST", "/sites/rennes/vlans/%s/nodes" % vlan, nodes)
        set_faults(emulator, slow_deployment=600)  # stays running while the test tries to cancel it
        deployment = ok(emulator, "POST", "/sites/rennes/deployments",
                        {"nodes": nodes, "environment": "debian12-min", "key": KEY})
        yield {"emulator": emulator, "job": owner["uid"], "nodes": nodes, "vlan": vlan,
               "deployment": deployment["uid"], "other_nodes": other["assigned_nodes"],
               "other_vlan": str(other["resources_by_type"]["vlans"][0])}


def snapshot(emulator):
    """What a write could change: jobs (state, walltime), VLAN membership, deployments."""
    jobs = ok(emulator, "GET", "/sites/rennes/jobs?state=waiting,launching,running")["items"]
    members = ok(emulator, "GET", "/sites/rennes/vlans/nodes")["items"]
    deployed = ok(emulator, "GET", "/sites/rennes/deployments")["items"]
    return {"jobs": sorted((j["uid"], j["state"], j["walltime"]) for j in jobs),
            "vlans": sorted((m["uid"], str(m["vlan"])) for m in members),
            "deployments": sorted((d["uid"], d["status"], tuple(d["nodes"])) for d in deployed)}


# Each write an intruder might try: (what, method, path, body), with {placeholders} from the site.
INTRUSIONS = [
    ("delete the job", "DELETE", "/sites/rennes/jobs/{job}", None),
    ("extend the job's walltime", "POST", "/sites/rennes/jobs/{job}/walltime", {"walltime": "+1:00:00"}),
    ("move the job's nodes back to DEFAULT", "POST", "/sites/rennes/vlans/DEFAULT/nodes", "{nodes}"),
    ("stop the DHCP of the job's VLAN", "PUT", "/sites/rennes/vlans/{vlan}/dhcpd", {"action": "stop"}),
    ("grant itself the job's VLAN", "PUT", "/sites/rennes/vlans/{vlan}/users/{intruder}", None),
    ("revoke the owner's VLAN", "DELETE", "/sites/rennes/vlans/{vlan}/users/jdoe", None),
    ("deploy the job's nodes", "POST", "/sites/rennes/deployments",
     {"nodes": "{nodes}", "environment": "debian12-min", "key": KEY}),
    ("cancel the job's deployment", "DELETE", "/sites/rennes/deployments/{deployment}", None),
]
# Writes mixing the intruder's own resources with the owner's: only a user has resources.
WITH_OWN_RESOURCES = [
    ("move the job's nodes into the intruder's VLAN", "POST", "/sites/rennes/vlans/{other_vlan}/nodes", "{nodes}"),
    ("move the intruder's node into the job's VLAN", "POST", "/sites/rennes/vlans/{vlan}/nodes", "{other_nodes}"),
    ("deploy the intruder's node into the job's VLAN", "POST", "/sites/rennes/deployments",
     {"nodes": "{other_nodes}", "environment": "debian12-min", "key": KEY, "vlan": "{vlan}"}),
]
CASES = ([pytest.param("asmith", *i, id="another user: " + i[0]) for i in INTRUSIONS + WITH_OWN_RESOURCES] +
         [pytest.param(None, *i, id="anonymous: " + i[0]) for i in INTRUSIONS])


def filled(value, site, intruder):
    if isinstance(value, dict):
        return dict((k, filled(v, site, intruder)) for k, v in value.items())
    if value in ("{nodes}", "{other_nodes}"):
        return site[value[1:-1]]
    if isinstance(value, str):
        return value.format(intruder=intruder or "anonymous", **site)
    return value


@pytest.mark.parametrize("intruder, what, method, path, body", CASES)
def test_another_users_write_is_refused_and_changes_nothing(site, intruder, what, method, path, body):
    emulator = site["emulator"]
    before = snapshot(emulator)
    status, text = call(emulator, method, filled(path, site, intruder), filled(body, site, intruder), intruder)
    assert status in (401, 403), "%s: %s %s answered %s: %s" % (what, method, path, status, text)
    assert snapshot(emulator) == before


def test_the_owner_can_do_what_the_intruders_could_not(site):
    """The refusals above are about who asks: the same writes from the owner are accepted."""
    emulator = site["emulator"]
    ok(emulator, "PUT", "/sites/rennes/vlans/%s/dhcpd" % site["vlan"], {"action": "stop"})
    ok(emulator, "DELETE", "/sites/rennes/deployments/%s" % site["deployment"])
    ok(emulator, "POST", "/sites/rennes/vlans/DEFAULT/nodes", site["nodes"])
    assert all(str(m["vlan"]) == "DEFAULT" for m in ok(emulator, "GET", "/sites/rennes/vlans/nodes")["items"]
               if m["uid"] in site["nodes"])
