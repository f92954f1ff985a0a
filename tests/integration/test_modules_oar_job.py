"""oar_job against the emulator: check/real/real/check pattern, release, refusals that create nothing."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from g5k_module_harness import api, assert_pattern, emulator_for, run_playbook, run_task  # noqa: E402


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
