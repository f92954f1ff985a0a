"""What a user of the emulated site does by hand with curl: reserve jobs and move nodes between
VLANs over plain HTTP (urllib), with the default user jdoe. Shared by the inventory integration
tests and benchmarks/inventory_scale.py, which must not depend on the modules under test."""

import base64
import json
import time
import urllib.request

USER, PASSWORD = "jdoe", "jdoe-secret"


def api(url, method="GET", body=None):
    token = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Basic " + token, "Accept": "application/json",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def reserve(base_url, site, resources, name, timeout=120):
    """Submit a job and wait until it runs; the job document."""
    job = api("%s/sites/%s/jobs" % (base_url, site), "POST",
              {"resources": resources, "command": "sleep 3600", "name": name, "types": ["deploy"]})
    deadline = time.time() + timeout
    while job["state"] != "running":
        if time.time() > deadline:
            raise AssertionError("job %s never ran: %s" % (job["uid"], job["state"]))
        time.sleep(0.5)
        job = api("%s/sites/%s/jobs/%s" % (base_url, site, job["uid"]))
    return job


def move(base_url, site, vlan, nodes):
    """Put nodes into a VLAN (on the nodes' site); fails unless every node succeeded."""
    answer = api("%s/sites/%s/vlans/%s/nodes" % (base_url, site, vlan), "POST", list(nodes))
    failed = dict((n, v) for n, v in answer.items() if v["status"] not in ("success", "unchanged"))
    if failed:
        raise AssertionError("moving nodes into VLAN %s at %s failed: %s" % (vlan, site, failed))
    return answer
