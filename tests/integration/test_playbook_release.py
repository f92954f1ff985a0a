"""playbooks/release.yml on the emulated site: the jobs of a name on two sites (one holding a
routed VLAN with a node in it) are deleted and the node is back in DEFAULT; check mode predicts
and changes nothing; a second run finds nothing and changes nothing; no name is refused."""
import time

import pytest
from fabric_harness import api_call, release_jobs
from playbook_harness import (active_jobs, all_succeeded, changed, failure_messages, nothing_changed,
                              run_playbook, task_results, vlan_of)

pytestmark = pytest.mark.fabric

JOB = "d-release-test"


def submit(url, site, resources):
    job = api_call(url, "POST", f"/sites/{site}/jobs",
                   body={"resources": resources + ",walltime=0:30:00", "command": "sleep 3600", "name": JOB})
    deadline = time.monotonic() + 120
    while job["state"] != "running":
        assert time.monotonic() < deadline, f"job {job['uid']} at {site} never ran: {job['state']}"
        time.sleep(1)
        job = api_call(url, "GET", f"/sites/{site}/jobs/{job['uid']}")
    return job


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    url = fabric_site.url
    release_jobs(url, name=JOB)
    rennes = submit(url, "rennes", "{cluster='parasilo'}/nodes=1+{type='kavlan'}/vlan=1")
    submit(url, "nancy", "{cluster='gros'}/nodes=1")
    node = rennes["assigned_nodes"][0]
    vlan = rennes["resources_by_type"]["vlans"][0]
    api_call(url, "POST", f"/sites/rennes/vlans/{vlan}/nodes", body=[node])
    assert vlan_of(url, "rennes", node) == str(vlan)
    yield {"url": url, "dir": tmp_path_factory.mktemp("release"), "node": node}
    release_jobs(url, name=JOB)


def play(site, *options):
    return run_playbook("release", site["url"], site["dir"], *options)


def test_no_name_is_refused(site):
    report = play(site)
    assert report["stats"]["localhost"]["failures"] == 1
    assert any("Name the jobs to release" in m for m in failure_messages(report))
    assert len(active_jobs(site["url"], "rennes", JOB)) == 1


def test_check_then_release_then_nothing_to_change(site):
    predicted = play(site, "--check", "-e", "release_job_names=" + JOB)
    assert all_succeeded(predicted) and changed(predicted) == 2      # the VLAN move, the deletions
    assert len(active_jobs(site["url"], "rennes", JOB)) == 1 and len(active_jobs(site["url"], "nancy", JOB)) == 1
    assert vlan_of(site["url"], "rennes", site["node"]) != "DEFAULT"

    released = play(site, "-e", "release_job_names=other-name," + JOB)
    assert all_succeeded(released), failure_messages(released)
    assert active_jobs(site["url"], "rennes", JOB) == [] and active_jobs(site["url"], "nancy", JOB) == []
    assert vlan_of(site["url"], "rennes", site["node"]) == "DEFAULT"
    [summary] = task_results(released, "Print the summary")
    assert sorted(summary["localhost"]["msg"]["released"])[0].startswith("nancy job ")
    assert summary["localhost"]["msg"]["back_in_default"] == [site["node"]]
    assert summary["localhost"]["msg"]["not_found"] == ["other-name"]

    again = play(site, "-e", "release_job_names=" + JOB)
    assert nothing_changed(again), again["stats"]
