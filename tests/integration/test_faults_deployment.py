"""Faults during a deployment (kadeploy): 503 and lost answers on the submission, dropped
connections while waiting, nodes that never boot (KO). Each ends in success after retries or
a clear failure naming the nodes, and a re-run converges without deploying OK nodes again."""

import pytest

from fault_harness import (
    KEY,
    deployments,
    fast_emulator,
    hits_left,
    reserve,
    run_one,
    set_faults,
    set_rules,
    vlans_outside_default,
)

pytestmark = pytest.mark.slow
SUBMIT = {"method": "POST", "path": "/sites/rennes/deployments"}


@pytest.fixture
def job():
    """An emulator and a running deploy job of jdoe with 2 nodes."""
    with fast_emulator() as emulator:
        yield emulator, sorted(reserve(emulator, "deploy", vlan=None)["assigned_nodes"])


def deploy(tmp_path, emulator, nodes, max_attempts=3):
    return run_one(tmp_path, emulator, "Deploy", "kadeploy", {
        "nodes": nodes, "environment": "debian12-min", "key": KEY, "max_attempts": max_attempts,
        "wait_timeout": 300})


def assert_converged(tmp_path, emulator, nodes):
    set_rules(emulator)
    result = deploy(tmp_path, emulator, nodes)
    assert not result.get("failed"), result.get("msg")
    assert result["ok_nodes"] == nodes
    again = deploy(tmp_path, emulator, nodes)
    assert again["changed"] is False and again["ok_nodes"] == nodes and again["would_deploy"] == []
    assert vlans_outside_default(emulator, nodes) == {}  # no VLAN asked for, none used


def test_a_503_on_the_submission_fails_clearly_then_a_rerun_converges(tmp_path, job):
    emulator, nodes = job
    set_rules(emulator, dict(SUBMIT, fault="error"))
    result = deploy(tmp_path, emulator, nodes)
    assert result.get("failed") and result["changed"] is False
    assert "deploy debian12-min on 2 nodes at rennes failed: POST /sites/rennes/deployments returned HTTP 503" \
        in result["msg"]
    assert deployments(emulator) == []
    assert_converged(tmp_path, emulator, nodes)
    assert len(deployments(emulator)) == 1


def test_connections_dropped_while_waiting_are_retried(tmp_path, job):
    emulator, nodes = job
    set_rules(emulator, {"fault": "drop", "method": "GET", "path": "/sites/rennes/deployments", "count": 2})
    result = deploy(tmp_path, emulator, nodes)
    assert not result.get("failed"), result.get("msg")
    assert result["ok_nodes"] == nodes and hits_left(emulator) == [0]
    assert len(deployments(emulator)) == 1


def test_an_answer_lost_after_kadeploy_started_is_reported(tmp_path, job):
    emulator, nodes = job
    set_rules(emulator, dict(SUBMIT, fault="lost_answer"))
    result = deploy(tmp_path, emulator, nodes)
    assert len(deployments(emulator)) == 1  # the platform acted
    assert result["changed"] is True


def test_after_an_answer_lost_a_rerun_deploys_nothing_twice(tmp_path, job):
    emulator, nodes = job
    set_rules(emulator, dict(SUBMIT, fault="lost_answer"))
    deploy(tmp_path, emulator, nodes)
    assert len(deployments(emulator)) == 1
    assert_converged(tmp_path, emulator, nodes)
    assert len(deployments(emulator)) == 1  # the re-run found the deployment the lost answer hid


def test_a_node_that_never_boots_fails_by_name_and_a_rerun_redeploys_only_it(tmp_path, job):
    emulator, nodes = job
    good, bad = nodes
    set_faults(emulator, nodes_not_booting=[bad.split(".")[0]])
    result = deploy(tmp_path, emulator, nodes, max_attempts=2)
    assert result.get("failed") and result["changed"] is True
    assert result["failed_nodes"] == [bad] and result["ok_nodes"] == [good]
    assert bad in result["msg"] and "KO after 2 deployments" in result["msg"]
    assert sorted(n for d in deployments(emulator) for n in d["nodes"]) == sorted([good, bad, bad])
    set_faults(emulator, nodes_not_booting=[])
    assert deploy(tmp_path, emulator, nodes, max_attempts=2)["failed_nodes"] == [bad]  # attempts are bounded
    rerun = deploy(tmp_path, emulator, nodes, max_attempts=3)
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun["would_deploy"] == [bad] and rerun["ok_nodes"] == nodes
    assert deploy(tmp_path, emulator, nodes, max_attempts=3)["changed"] is False
