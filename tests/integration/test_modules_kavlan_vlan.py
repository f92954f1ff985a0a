"""kavlan_vlan against the emulator: pattern, constant request count for N=2 and N=32, global VLAN."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from g5k_module_harness import (  # noqa: E402
    CountingProxy,
    api,
    assert_pattern,
    emulator_for,
    run_playbook,
    run_task,
    task_result,
)


def reserve(url, name, **job):
    result = task_result(run_playbook("reserve", url, job_name=name, **job), "Under test")
    assert not result.get("failed"), result.get("msg")
    return result["jobs"]


def vlan_of(url, site, fqdn):
    return str(api(url, "GET", "/sites/%s/vlans/nodes/%s" % (site, fqdn))["vlan"])


@pytest.fixture(scope="module")
def big_platform():
    with emulator_for(nodes=34) as emulator:
        yield emulator


def test_pattern_and_back_to_default(big_platform):
    url = big_platform.url
    job = reserve(url, "pattern", job_clusters=[{"name": "parasilo", "nodes": 2}], job_vlan="kavlan")[0]
    vlan = job["vlans"][0]
    result = assert_pattern("kavlan_vlan", url, vlan_nodes=job["nodes"], vlan_id=vlan)
    assert [vlan_of(url, "rennes", n) for n in job["nodes"]] == [vlan, vlan]
    assert result["nodes"][0]["hostname"].endswith("-kavlan-%s.rennes.grid5000.fr" % vlan)
    assert result["nodes"][0]["ip"]
    assert_pattern("kavlan_vlan", url, vlan_nodes=job["nodes"], vlan_id="DEFAULT")
    assert [vlan_of(url, "rennes", n) for n in job["nodes"]] == ["DEFAULT", "DEFAULT"]
    run_playbook("reserve", url, job_name="pattern", job_state="absent", job_wait=False)


def test_request_count_does_not_depend_on_the_number_of_nodes(big_platform):
    url = big_platform.url
    job = reserve(url, "scale", job_clusters=[{"name": "parasilo", "nodes": 32}], job_vlan="kavlan")[0]
    vlan, nodes = job["vlans"][0], job["nodes"]
    assert len(nodes) == 32
    counts = {}
    with CountingProxy(url) as proxy:
        for size in (2, 32):
            run_playbook("kavlan_vlan", url, vlan_nodes=nodes[:size], vlan_id="DEFAULT")
            del proxy.requests[:]
            result = task_result(run_playbook("kavlan_vlan", proxy.url, vlan_nodes=nodes[:size], vlan_id=vlan), "Under test")
            assert result["changed"] and not result.get("failed"), result.get("msg")
            counts[size] = list(proxy.requests)
    print("requests for N=2: %d, N=32: %d" % (len(counts[2]), len(counts[32])))
    assert len(counts[2]) == len(counts[32])
    assert [r for r in counts[32] if r[0] == "POST" and r[1].endswith("/%s/nodes" % vlan)] == \
        [("POST", "/sites/rennes/vlans/%s/nodes" % vlan)]
    assert all(vlan_of(url, "rennes", n) == vlan for n in nodes)
    run_playbook("reserve", url, job_name="scale", job_state="absent", job_wait=False)


def test_global_vlan_moves_nodes_of_both_sites(big_platform, tmp_path):
    from g5k_module_harness import run_task
    url = big_platform.url
    args = {"name": "global", "wait": True, "wait_timeout": 120, "types": ["deploy"], "sites": [
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}], "vlan": "kavlan-global"},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]}
    jobs = run_task("oar_job", args, url, tmp_path=tmp_path)["jobs"]
    vlan = jobs[0]["vlans"][0]
    nodes = jobs[0]["nodes"] + jobs[1]["nodes"]
    result = assert_pattern("kavlan_vlan", url, vlan_nodes=nodes, vlan_id=vlan)
    assert result["vlan_type"] == {"rennes": "kavlan-global", "nancy": "kavlan-global-remote"}
    assert vlan_of(url, "nancy", jobs[1]["nodes"][0]) == vlan
    assert result["nodes"][1]["hostname"] == "%s-kavlan-%s.nancy.grid5000.fr" % (jobs[1]["nodes"][0].split(".")[0], vlan)
    run_task("oar_job", dict(args, state="absent", wait=False), url, tmp_path=tmp_path)


def test_multi_site_move_failing_on_the_second_site_reports_changed_and_what_moved(big_platform, tmp_path):
    """A global VLAN over rennes and nancy; nancy's KaVLAN fails (fault rule): rennes moved stays moved,
    and the task says so (changed, done) instead of "unchanged"."""
    url = big_platform.url
    jobs = run_task("oar_job", {
        "name": "two-sites", "wait": True, "wait_timeout": 120, "types": ["deploy"], "sites": [
            {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}], "vlan": "kavlan-global"},
            {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]}, url, tmp_path=tmp_path)
    assert not jobs.get("failed"), jobs.get("msg")
    rennes_job, nancy_job = jobs["jobs"]
    vlan = rennes_job["vlans"][0]
    control = url.rsplit("/stable", 1)[0] + "/_emulator/faults/rules"
    api(control, "PUT", "", {"rules": [{"fault": "error", "method": "POST", "path": "/sites/nancy/vlans/*/nodes",
                                         "count": 5}]})
    try:
        result = run_task("kavlan_vlan", {"nodes": rennes_job["nodes"] + nancy_job["nodes"], "vlan": vlan,
                                          "api_retries": 0}, url, tmp_path=tmp_path)
    finally:
        api(control, "PUT", "", {"rules": []})
    assert result.get("failed") and "POST /sites/nancy/vlans/%s/nodes returned HTTP 503" % vlan in result["msg"]
    assert result["changed"] is True
    assert result["done"] == ["moved into VLAN %s at rennes: %s" % (vlan, rennes_job["nodes"][0])]
    assert vlan_of(url, "rennes", rennes_job["nodes"][0]) == vlan
    assert vlan_of(url, "nancy", nancy_job["nodes"][0]) == "DEFAULT"
    run_task("kavlan_vlan", {"nodes": rennes_job["nodes"], "vlan": "DEFAULT"}, url, tmp_path=tmp_path)
    run_task("oar_job", {"name": "two-sites", "sites": [{"site": "rennes"}, {"site": "nancy"}], "state": "absent"},
             url, tmp_path=tmp_path)

