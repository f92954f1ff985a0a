"""kadeploy, g5k_subnet, kavlan_info and kavlan_dhcp against the emulator."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from g5k_module_harness import api, assert_pattern, emulator_for, run_playbook, run_task, task_result  # noqa: E402


@pytest.fixture(scope="module")
def platform():
    with emulator_for(nodes=4) as emulator:
        job = run_playbook("reserve", emulator.url, job_name="net", job_clusters=[{"name": "parasilo", "nodes": 3}],
                           job_vlan="kavlan", job_subnet_prefix=22)["Under test"]
        assert not job.get("failed"), job.get("msg")
        yield emulator, job["jobs"][0]


def test_deploy_pattern_into_the_vlan(platform):
    emulator, job = platform
    nodes = job["nodes"][:2]
    result = assert_pattern("kadeploy", emulator.url, deploy_nodes=nodes, deploy_vlan=job["vlans"][0])
    assert result["would_deploy"] == []
    assert sorted(result["ok_nodes"]) == sorted(nodes)
    deployments = api(emulator.url, "GET", "/sites/rennes/deployments")["items"]
    assert len(deployments) == 1 and str(deployments[0].get("vlan")) == job["vlans"][0]


def test_ko_node_is_retried_then_reported(platform):
    emulator, job = platform
    node = job["nodes"][2]
    control = emulator.url.rsplit("/stable", 1)[0] + "/_emulator"
    api(control, "PUT", "/faults", {"nodes_not_booting": [node.split(".")[0]]})
    try:
        result = task_result(run_playbook("kadeploy", emulator.url, deploy_nodes=[node], deploy_attempts=2), "Under test")
    finally:
        api(control, "PUT", "/faults", {"nodes_not_booting": []})
    assert result.get("failed")
    assert "nodes still KO after 2 deployments: %s" % node in result["msg"]
    assert result["nodes"][node]["attempts"] == 2
    mine = [d for d in api(emulator.url, "GET", "/sites/rennes/deployments")["items"] if node in d["nodes"]]
    assert len(mine) == 2


def test_subnet_info_and_dhcp(platform):
    emulator, job = platform
    vlan = job["vlans"][0]
    for check in (True, False, False, True):
        results = run_playbook("network_reads", emulator.url, check=check, job_name="net", job_id=job["uid"], vlan_id=vlan)
        assert not any(r.get("failed") for r in results.values()), results
        assert results["Subnet"]["changed"] is False and results["Info"]["changed"] is False
        # the API cannot tell whether the DHCP server already ran: every run reports the request
        assert results["DHCP"]["changed"] is True and results["DHCP"]["state_known"] is False
    subnet = results["Subnet"]
    assert subnet["subnets"] == job["subnets"] and subnet["total"] == 1022
    first = subnet["addresses"][0]
    assert first["mac"] == "00:16:3E:%02X:%02X:%02X" % tuple(int(x) for x in first["ip"].split(".")[1:])
    assert subnet["network"]["netmask"] == "255.252.0.0"
    info = results["Info"]["vlans"]
    assert [v["id"] for v in info] == [vlan] and info[0]["type"] == "kavlan"


def test_environment_typo_is_found_in_check_mode_before_any_deployment(platform):
    emulator, job = platform
    before = len(api(emulator.url, "GET", "/sites/rennes/deployments")["items"])
    for check in (True, False):
        result = task_result(run_playbook("kadeploy", emulator.url, check=check, deploy_nodes=job["nodes"][:1],
                                          deploy_environment="debian12-mni"), "Under test")
        assert result.get("failed") and "did you mean debian12-min" in result["msg"], result.get("msg")
        assert result["changed"] is False
    assert len(api(emulator.url, "GET", "/sites/rennes/deployments")["items"]) == before


def test_environment_info_lists_what_kadeploy_accepts(platform, tmp_path):
    emulator, job = platform
    found = run_task("kadeploy_environment_info", {"site": "rennes", "name": "debian12-min"}, emulator.url,
                     tmp_path=tmp_path)
    assert found["changed"] is False and [e["name"] for e in found["environments"]] == ["debian12-min"]
    assert isinstance(found["environments"][0]["version"], int) and found["environments"][0]["arch"] == "x86_64"
    assert run_task("kadeploy_environment_info", {"site": "rennes", "name": "debian12-mni"}, emulator.url,
                    tmp_path=tmp_path)["environments"] == []
