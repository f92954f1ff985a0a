"""playbooks/kavlan_global.yml on the emulated site: bad input changes nothing, check mode
predicts the reservations, a node of rennes and one of nancy deployed into rennes' global VLAN
answer each other's pings across the sites; a second run changes nothing."""
import pytest
import yaml
from playbook_harness import (active_jobs, all_succeeded, assert_stopped_before_anything_changed, changed,
                              failure_messages, job_site, nothing_changed, run_playbook, task_results)

pytestmark = pytest.mark.fabric

JOB = "d-kavlan-global-test"


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    yield from job_site(fabric_site, tmp_path_factory, JOB)


def play(site, *options):
    return run_playbook("kavlan_global", site["url"], site["dir"], "-e", "kavlan_global_job_name=" + JOB,
                        "-e", "kavlan_global_key_file=%s.pub" % site["key"],
                        "-e", "ansible_ssh_private_key_file=%s" % site["key"],
                        "-e", "kavlan_global_nodes_per_site=1",
                        "-e", "kavlan_global_output_dir=%s/results" % site["dir"], *options)


def all_jobs(site):
    return active_jobs(site["url"], "rennes", JOB) + active_jobs(site["url"], "nancy", JOB)


@pytest.mark.parametrize("option, says", [
    ('{"kavlan_global_sites": {"rennes": "parasilo", "nancy": "gro"}}', "unknown cluster 'gro'"),
    ('{"kavlan_global_sites": {"rennes": "parasilo"}}', "kavlan_global_sites (two sites or more"),
    ("kavlan_global_nodes_per_site=40", "40 nodes of cluster parasilo requested"),
    ("kavlan_global_environment=debian12-mni", "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
])
def test_bad_input_stops_before_anything_changes(site, option, says):
    assert_stopped_before_anything_changed(play(site, "-e", option), says)
    assert all_jobs(site) == []


def test_check_then_ping_across_sites_then_nothing_to_change(site):
    predicted = play(site, "--check")
    assert all_succeeded(predicted), predicted["stats"]
    assert changed(predicted) == 1          # the reservations; the rest needs the nodes OAR allocates
    assert all_jobs(site) == []

    first = play(site)
    assert all_succeeded(first), (first["stats"], failure_messages(first))
    [summary] = task_results(first, "Print the summary")
    shown = summary["localhost"]["msg"]
    assert shown["vlan"] == "16"                                  # rennes' global VLAN
    sites = sorted(name.split(".")[1] for name in shown["nodes"])
    assert sites == ["nancy", "rennes"] and all("-kavlan-16." in name for name in shown["nodes"])
    [pings] = task_results(first, "Ping every node of the other sites inside the VLAN")
    for host, result in pings.items():
        [ping] = result["results"]                                # the one node of the other site
        assert ping["rc"] == 0 and ping["item"].split(".")[1] != host.split(".")[1]
    [jobs] = [f for f in (site["dir"] / "results").iterdir()]
    assert yaml.safe_load(jobs.read_text())["pings_answered_across_sites"] == 2

    again = play(site)
    assert nothing_changed(again), again["stats"]
    assert nothing_changed(play(site, "--check"))
    assert len(all_jobs(site)) == 2
