"""oar_job against the emulator: check/real/real/check pattern, release, refusals that create nothing."""

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from fault_harness import set_faults  # noqa: E402
from g5k_module_harness import (  # noqa: E402
    api,
    assert_pattern,
    emulator_for,
    playbook_process,
    playbook_report,
    playbook_results,
    run_playbook,
    run_task,
)


@pytest.fixture(scope="module")
def emulator():
    with emulator_for(nodes=4) as running:
        yield running


def active_jobs(emulator, name):
    listing = api(emulator.url, "GET", "/sites/rennes/jobs?user=jdoe&state=waiting,launching,running&name=" + name)
    return [j for j in listing["items"] if j.get("name") == name]


def test_reserve_pattern_then_release_pattern(emulator):
    job = dict(job_name="pattern", job_clusters=[{"name": "parasilo", "nodes": 1}], job_vlan="kavlan",
               job_subnet_prefix=22)
    result = assert_pattern("reserve", emulator.url, **job)
    entry = result["jobs"][0]
    assert entry["state"] == "running" and len(entry["nodes"]) == 1
    assert len(entry["vlans"]) == 1 and len(entry["subnets"]) == 1
    assert len(active_jobs(emulator, "pattern")) == 1
    assert_pattern("reserve", emulator.url, job_state="absent", job_wait=False, **job)
    assert active_jobs(emulator, "pattern") == []


def test_multi_site_job(emulator, tmp_path):
    args = {"name": "grid", "wait": True, "wait_timeout": 120, "sites": [
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}], "vlan": "kavlan-global"},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]}
    result = run_task("oar_job", args, emulator.url, tmp_path=tmp_path)
    assert not result.get("failed"), result.get("msg")
    assert [j["site"] for j in result["jobs"]] == ["rennes", "nancy"]
    assert all(j["state"] == "running" for j in result["jobs"])
    assert run_task("oar_job", args, emulator.url, tmp_path=tmp_path)["changed"] is False
    released = run_task("oar_job", dict(args, state="absent", wait=False), emulator.url, tmp_path=tmp_path)
    assert released["changed"] is True


def test_multi_site_failure_rolls_back(emulator, tmp_path):
    args = {"name": "rollback", "sites": [
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}]},
        {"site": "nancy", "resources": "{cluster='gros'}/nodes=2+{cluster='gros'}/nodes=2"}]}
    result = run_task("oar_job", args, emulator.url, tmp_path=tmp_path)
    assert result.get("failed"), result
    assert "at nancy failed" in result["msg"] and "rolled back" in result["msg"]
    assert active_jobs(emulator, "rollback") == []
    # a job was submitted (then deleted): the task did write, and says what
    assert result["changed"] is True
    uid = result["done"][0].split()[2]
    assert result["done"] == ["submitted job %s at rennes" % uid, "deleted job %s at rennes again (rollback)" % uid]


def test_same_name_other_resources_is_kept_with_a_warning(emulator, tmp_path):
    args = {"name": "kept", "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}], "walltime": "1:00",
            "wait": True, "wait_timeout": 120}
    first = run_task("oar_job", args, emulator.url, tmp_path=tmp_path)
    assert not first.get("failed"), first.get("msg")
    other = run_task("oar_job", dict(args, clusters=[{"name": "parasilo", "nodes": 2}], walltime="3:00"),
                     emulator.url, tmp_path=tmp_path)
    assert other["changed"] is False and not other.get("failed")
    assert other["jobs"][0]["uid"] == first["jobs"][0]["uid"]
    assert other["jobs"][0]["differences"] == ["walltime: the job has 1:00:00, the task asks for 3:00:00",
                                               "nodes: the job has 1 of parasilo, the task asks for 2 of parasilo"]
    assert any("is kept as it is" in warning for warning in other["warnings"])
    assert len(active_jobs(emulator, "kept")) == 1
    run_task("oar_job", dict(args, state="absent", wait=False), emulator.url, tmp_path=tmp_path)


def test_job_info_lists_my_jobs_across_sites_with_the_walltime_left(emulator, tmp_path):
    args = {"name": "seen", "wait": True, "wait_timeout": 120, "walltime": "2:00", "sites": [
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}], "vlan": "kavlan"},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]}
    reserved = run_task("oar_job", args, emulator.url, tmp_path=tmp_path)
    assert not reserved.get("failed"), reserved.get("msg")
    info = run_task("oar_job_info", {"sites": ["rennes", "nancy"], "name": "seen"}, emulator.url, tmp_path=tmp_path)
    assert info["changed"] is False
    assert [(j["site"], j["uid"], j["state"]) for j in info["jobs"]] == [
        (j["site"], j["uid"], "running") for j in reserved["jobs"]]
    assert info["jobs"][0]["vlans"] == reserved["jobs"][0]["vlans"] and info["jobs"][1]["nodes"]
    assert all(7200 - 120 < j["walltime_left"] <= 7200 for j in info["jobs"])
    theirs = run_task("oar_job_info", {"sites": ["rennes"], "name": "seen"}, emulator.url, user="asmith",
                      tmp_path=tmp_path)
    assert theirs["jobs"] == []
    run_task("oar_job", dict(args, state="absent", wait=False), emulator.url, tmp_path=tmp_path)


def one_job_play(tmp_path, name):
    """A play reserving job ``name`` on every host of the inventory, without run_once."""
    play = [{"name": "parallel", "hosts": "all", "gather_facts": False, "tasks": [{"name": "Reserve", "g5k.testbed.oar_job": {
        "name": name, "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}],
        "api_uri": "{{ g5k_api_uri }}", "api_username": "{{ g5k_user }}", "api_password": "{{ g5k_password }}"}}]}]
    path = tmp_path / ("parallel-%s.yml" % name)
    path.write_text(yaml.safe_dump(play))
    return str(path)


@pytest.fixture
def slow_api(emulator):
    """API latency 0.3 s: tasks running at once all list the jobs before any has created one."""
    set_faults(emulator, latency=0.3)
    yield emulator
    set_faults(emulator, latency=0)


def test_a_play_on_three_hosts_without_run_once_makes_one_job(slow_api, tmp_path):
    report = playbook_report(playbook_process(one_job_play(tmp_path, "trio"), slow_api.url, hosts="a,b,c"))
    results = [report[host]["Reserve"] for host in "abc"]
    assert [r.get("failed") for r in results] == [None] * 3, [r.get("msg") for r in results]
    assert sorted(r["changed"] for r in results) == [False, False, True]
    jobs = active_jobs(slow_api, "trio")
    assert len(jobs) == 1 and all(r["jobs"][0]["uid"] == jobs[0]["uid"] for r in results)


def test_three_runs_at_once_make_one_job_and_one_change(slow_api, tmp_path):
    path = one_job_play(tmp_path, "concurrent")
    processes = [playbook_process(path, slow_api.url) for _ in range(3)]
    results = [playbook_results(process)["Reserve"] for process in processes]
    assert [r.get("failed") for r in results] == [None] * 3, [r.get("msg") for r in results]
    assert sorted(r["changed"] for r in results) == [False, False, True]
    jobs = active_jobs(slow_api, "concurrent")
    assert len(jobs) == 1 and all(r["jobs"][0]["uid"] == jobs[0]["uid"] for r in results)
