"""Faults during a VLAN move (kavlan_vlan): 503 bursts, dropped connections, answers lost after
KaVLAN moved the nodes. After each: no node is in a VLAN the task's result does not report,
and a re-run converges."""

import pytest

from fault_harness import assert_vlans_as_reported, fast_emulator, hits_left, reserve, run_one, set_rules

pytestmark = pytest.mark.slow


@pytest.fixture
def job():
    """An emulator and a running job of jdoe with 2 nodes and a routed VLAN."""
    with fast_emulator() as emulator:
        reserved = reserve(emulator, "move")
        yield emulator, sorted(reserved["assigned_nodes"]), str(reserved["resources_by_type"]["vlans"][0])


def move(tmp_path, emulator, nodes, vlan):
    return run_one(tmp_path, emulator, "Move", "kavlan_vlan", {"nodes": nodes, "vlan": vlan})


def set_membership_rule(emulator, vlan, fault, count):
    set_rules(emulator, {"fault": fault, "method": "POST", "path": "/sites/rennes/vlans/%s/nodes" % vlan,
                         "count": count})


def assert_converged(tmp_path, emulator, nodes, vlan):
    set_rules(emulator)
    rerun = move(tmp_path, emulator, nodes, vlan)
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun["after"] == dict((n, vlan) for n in nodes)
    assert_vlans_as_reported(emulator, rerun, nodes)
    assert move(tmp_path, emulator, nodes, vlan)["changed"] is False


@pytest.mark.parametrize("fault", ["error", "drop", "lost_answer"])
def test_a_short_fault_on_the_move_is_retried(tmp_path, job, fault):
    emulator, nodes, vlan = job
    set_membership_rule(emulator, vlan, fault, 2)
    result = move(tmp_path, emulator, nodes, vlan)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["after"] == dict((n, vlan) for n in nodes)
    assert hits_left(emulator) == [0]  # both faults were met
    assert_vlans_as_reported(emulator, result, nodes)


def test_a_503_burst_longer_than_the_retries_fails_with_nothing_moved(tmp_path, job):
    emulator, nodes, vlan = job
    set_membership_rule(emulator, vlan, "error", 20)
    result = move(tmp_path, emulator, nodes, vlan)
    assert result.get("failed") and result["changed"] is False
    assert "move 2 interfaces into VLAN %s at rennes failed" % vlan in result["msg"] and "HTTP 503" in result["msg"]
    assert_vlans_as_reported(emulator, result, nodes)  # nothing moved, nothing reported
    assert_converged(tmp_path, emulator, nodes, vlan)


def test_answers_lost_every_time_still_report_where_the_nodes_are(tmp_path, job):
    emulator, nodes, vlan = job
    set_membership_rule(emulator, vlan, "lost_answer", 20)
    result = move(tmp_path, emulator, nodes, vlan)
    assert result.get("failed")
    assert result["changed"] is True
    assert_vlans_as_reported(emulator, result, nodes)


def test_after_answers_lost_every_time_a_rerun_converges(tmp_path, job):
    emulator, nodes, vlan = job
    set_membership_rule(emulator, vlan, "lost_answer", 20)
    assert move(tmp_path, emulator, nodes, vlan).get("failed")
    assert_converged(tmp_path, emulator, nodes, vlan)
