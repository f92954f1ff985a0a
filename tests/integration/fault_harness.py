"""What the fault tests (test_faults_*.py) share: an emulator with short delays, the fault
controls of g5k-emulator (one list of fault rules; error_burst and drop_connections are its untargeted
rules; see emulator/g5k_emulator/faults.py),
plays written on the fly, and the invariants checked after every fault:

- no duplicate job: at most one active job with the play's name;
- no node in a VLAN the play's result does not report: the API's VLAN membership of the job's
  nodes is what the kavlan_vlan result says (``after`` on success; the ``done`` lines of a
  failure, with every other node still in DEFAULT).
"""

import contextlib
import json
import re
import sys
import time
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
# run_playbook and task_result are used by the tests through this module
from g5k_module_harness import api, platform_config, run_playbook, task_result  # noqa: E402
from g5k_emulator.testing import running_emulator  # noqa: E402

SITE = "rennes"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5rZXk faults@test"
MOVED_LINE = re.compile(r"^moved into VLAN (?P<vlan>\S+) at (?P<site>\S+): (?P<names>.+)$")


def fast_config(nodes=4):
    """The default platform with short delays, so that faults, not waiting, make up a test's time."""
    return dict(platform_config(nodes), launch_delay=0.2, delete_delay=0.1)


@contextlib.contextmanager
def fast_emulator(nodes=4, state_dir=None):
    with running_emulator(config=fast_config(nodes), state_dir=state_dir) as emulator:
        yield emulator


def _control(emulator, method, path, body=None):
    base = emulator.url[:-len("/stable")]
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def set_rules(emulator, *rules):
    """Targeted faults, e.g. {"fault": "lost_answer", "method": "POST", "path": "/sites/rennes/jobs"}."""
    return _control(emulator, "PUT", "/_emulator/faults/rules", {"rules": list(rules)})["rules"]


def hits_left(emulator):
    """How many requests each targeted rule will still hit."""
    return [rule["count"] for rule in _control(emulator, "GET", "/_emulator/faults/rules")["rules"]]


def set_faults(emulator, **faults):
    """Fault settings merged in (error_burst, drop_connections, nodes_not_booting, ...); the whole state."""
    return _control(emulator, "PUT", "/_emulator/faults", faults)


def clear_faults(emulator):
    set_rules(emulator)
    set_faults(emulator, error_burst=0, drop_connections=0, latency=0, nodes_not_booting=[],
               failing_deployment=False, slow_deployment=0)


def play(tmp_path, name, tasks):
    """A one-play playbook on localhost with the connection settings in module_defaults; its path."""
    body = [{"name": name, "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/g5k.testbed.g5k": {
                 "api_uri": "{{ g5k_api_uri }}", "api_username": "{{ g5k_user }}",
                 "api_password": "{{ g5k_password }}"}},
             "tasks": tasks}]
    path = Path(tmp_path) / (name.replace(" ", "_") + ".yml")
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


def run_one(tmp_path, emulator, task_name, module, args):
    """One task of the collection in a play; its result."""
    path = play(tmp_path, "one " + module, [{"name": task_name, "g5k.testbed." + module: args}])
    return task_result(run_playbook(path, emulator.url), task_name)


def reserve(emulator, name, nodes=2, vlan="kavlan", walltime="1:00:00"):
    """A running deploy job with nodes and a VLAN, made over plain HTTP (not by the module under test)."""
    resources = "{cluster='parasilo'}/nodes=%d%s,walltime=%s" % (nodes, "+{type='%s'}/vlan=1" % vlan if vlan else "",
                                                                walltime)
    job = api(emulator.url, "POST", "/sites/%s/jobs" % SITE,
              {"resources": resources, "command": "sleep 3600", "name": name, "types": ["deploy"]})
    deadline = time.monotonic() + 60
    while job["state"] != "running":
        assert time.monotonic() < deadline, "job %s never ran: %s" % (job["uid"], job["state"])
        time.sleep(0.2)
        job = api(emulator.url, "GET", "/sites/%s/jobs/%s" % (SITE, job["uid"]))
    return job


def active_jobs(emulator, name):
    listing = api(emulator.url, "GET", "/sites/%s/jobs?user=jdoe&state=waiting,launching,running" % SITE)
    return [j for j in listing["items"] if j.get("name") == name]


def assert_no_duplicate_job(emulator, name):
    """The one active job named ``name``, or None; fails if there are several."""
    jobs = active_jobs(emulator, name)
    assert len(jobs) <= 1, "duplicate jobs named %s: %s" % (name, [j["uid"] for j in jobs])
    return jobs[0] if jobs else None


def vlans_outside_default(emulator, nodes):
    """{node: vlan} of the given interfaces the API has outside DEFAULT."""
    listing = api(emulator.url, "GET", "/sites/%s/vlans/nodes" % SITE)
    return dict((item["uid"], str(item["vlan"])) for item in listing["items"]
                if item["uid"] in nodes and str(item["vlan"]) != "DEFAULT")


def reported_vlans(result):
    """{node: vlan} outside DEFAULT as a kavlan_vlan result reports it, failed or not."""
    if "after" in result:
        return dict((n, v) for n, v in result["after"].items() if v != "DEFAULT")
    reported = {}
    for line in result.get("done") or []:
        match = MOVED_LINE.match(line)
        if match and match.group("vlan") != "DEFAULT":
            reported.update((n, match.group("vlan")) for n in match.group("names").split(", "))
    return reported


def assert_vlans_as_reported(emulator, result, nodes):
    actual = vlans_outside_default(emulator, nodes)
    assert actual == reported_vlans(result), (
        "the API has %s outside DEFAULT, the result reports %s (msg: %s)" % (actual, reported_vlans(result),
                                                                             result.get("msg")))


def deployments(emulator):
    return api(emulator.url, "GET", "/sites/%s/deployments?user=jdoe" % SITE)["items"]
