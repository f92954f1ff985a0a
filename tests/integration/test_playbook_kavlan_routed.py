"""playbooks/kavlan_routed.yml on the emulated site with its fabric (real nodes, bridges, DHCP):
bad input changes nothing, check mode predicts the first run, the nodes answer inside the VLAN,
and a second run changes nothing."""
import base64
import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
from fabric_harness import api_call, release_jobs

pytestmark = pytest.mark.fabric

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PLAYBOOK = ROOT / "playbooks" / "kavlan_routed.yml"
USER, PASSWORD = "jdoe", "jdoe-secret"
JOB = "kavlan-tutorial"                 # the playbook's default job name


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    where = tmp_path_factory.mktemp("kavlan-routed")
    key = where / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    release_jobs(fabric_site.url, name=JOB)
    yield {"url": fabric_site.url, "key": key, "dir": where}
    # by name: other tests on a shared site may hold jobs of the same user
    release_jobs(fabric_site.url, name=JOB)


def play(site, *options):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               G5K_API_URI=site["url"], G5K_API_USERNAME=USER, G5K_API_PASSWORD=PASSWORD)
    command = [str(BIN / "ansible-playbook"), str(PLAYBOOK),
               "-e", "kavlan_routed_key_file=%s.pub" % site["key"],
               "-e", "ansible_ssh_private_key_file=%s" % site["key"], *options]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=site["dir"])
    lines = done.stdout.splitlines()
    report = json.loads("\n".join(lines[lines.index("{"):]))
    return report


def changed(report, host="localhost"):
    return report["stats"][host]["changed"]


def task_results(report, name):
    return [task["hosts"] for p in report["plays"] for task in p["tasks"] if task["task"]["name"] == name]


def jobs(site):
    token = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    request = urllib.request.Request(site["url"] + "/sites/rennes/jobs?user=jdoe&state=waiting,launching,running&name=" + JOB,
                                     headers={"Authorization": "Basic " + token, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["items"]


def test_bad_input_stops_before_anything_changes(site):
    report = play(site, "-e", "kavlan_routed_nodes=1")
    assert report["stats"]["localhost"]["failures"] == 1
    failed = task_results(report, "Check the inputs before anything changes")[0]["localhost"]
    assert "kavlan_routed_nodes (2 or more)" in failed["msg"]
    assert jobs(site) == []


# The job role's preflight: OAR's answer and the environment are checked before the reservation.
@pytest.mark.parametrize("variable, value, says", [
    ("kavlan_routed_environment", "debian12-mni", "did you mean debian12-min"),
    ("kavlan_routed_walltime", "2:99", "walltime"),
    ("kavlan_routed_cluster", "parasillo", "parasillo"),
])
def test_the_job_is_checked_before_it_is_reserved(site, variable, value, says):
    report = play(site, "-e", "%s=%s" % (variable, value))
    assert report["stats"]["localhost"]["failures"] == 1
    failed = [result for p in report["plays"] for task in p["tasks"]
              for result in task["hosts"].values() if result.get("failed")]
    messages = [item["msg"] for item in failed[0].get("results", [failed[0]]) if item.get("failed")]
    assert len(failed) == 1 and says in " ".join(messages), failed
    assert changed(report) == 0
    assert jobs(site) == []


def test_check_then_run_then_nothing_to_change(site):
    predicted = play(site, "--check")
    assert predicted["stats"]["localhost"]["failures"] == 0
    # the reservation is predicted; the VLAN to start DHCP in and the nodes to deploy are only
    # known once OAR has allocated them, so those steps show as skipped
    assert changed(predicted) == 1
    assert predicted["stats"]["localhost"]["skipped"] == 4     # DHCP, deploy, read members, add hosts
    assert jobs(site) == []

    first = play(site)
    assert all(stats["failures"] == 0 and stats["unreachable"] == 0 for stats in first["stats"].values()), \
        first["stats"]
    assert changed(first) == 3                           # job, DHCP, deployment
    # the job's nodes and VLAN (other tests may hold nodes and VLANs of the shared site)
    [listed] = jobs(site)
    job = api_call(site["url"], "GET", "/sites/rennes/jobs/%s" % listed["uid"])
    vlan = int(job["resources_by_type"]["vlans"][0])
    assert 4 <= vlan <= 9                                # a routed VLAN
    uids = sorted(node.split(".")[0] for node in job["assigned_nodes"])
    nodes = sorted(host for host in first["stats"] if host != "localhost")
    assert len(uids) == 3 and nodes == ["%s-kavlan-%d.rennes.grid5000.fr" % (uid, vlan) for uid in uids]
    shown = task_results(first, "Show what the node holds")[0]
    for host, result in shown.items():
        reference = api_call(site["url"], "GET", "/sites/rennes/clusters/parasilo/nodes/" + host.split("-kavlan-")[0])
        ip = reference["kavlan"]["eth0"]["kavlan-%d" % vlan]
        assert "['%s/18']" % ip in result["msg"], result["msg"]   # only its VLAN address

    again = play(site)
    assert all(stats["changed"] == 0 and stats["failures"] == 0 for stats in again["stats"].values()), again["stats"]
    assert changed(play(site, "--check")) == 0
    assert len(jobs(site)) == 1
