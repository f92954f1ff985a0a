"""The action plugins that show progress: step loop, accumulated results, timeout, check mode."""

from unittest import mock

import pytest

from ansible_collections.g5k.testbed.plugins.action import kadeploy as kadeploy_action
from ansible_collections.g5k.testbed.plugins.action import oar_job as oar_job_action
from ansible_collections.g5k.testbed.plugins.plugin_utils import module_polling


class Clock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def make_action(plugin, args, steps, check_mode=False):
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode)
    context = mock.MagicMock(check_mode=check_mode)
    action = plugin.ActionModule(task, mock.MagicMock(), context, mock.MagicMock(), mock.MagicMock(), mock.MagicMock())
    sent = []

    def execute(module_name, module_args, task_vars):
        sent.append((module_name, dict(module_args)))
        return dict(steps.pop(0)) if len(steps) > 1 else dict(steps[0])
    action._execute_module = execute
    return action, sent


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(module_polling.time, "time", fake.time)
    monkeypatch.setattr(module_polling.time, "sleep", fake.sleep)
    return fake


@pytest.fixture
def shown(monkeypatch):
    lines = []
    monkeypatch.setattr(module_polling.display, "display", lambda msg, *a, **k: lines.append(msg))
    return lines


def job(state):
    return {"uid": 7, "site": "rennes", "state": state}


def test_oar_job_waits_step_by_step_and_shows_state(clock, shown):
    steps = [{"changed": True, "pending": True, "jobs": [job("waiting")], "diff": {"before": {}, "after": {}}},
             {"changed": False, "pending": True, "jobs": [job("launching")]},
             {"changed": False, "pending": False, "jobs": [job("running")]}]
    action, sent = make_action(oar_job_action, {"name": "x", "site": "rennes", "wait": True}, steps)
    result = action.run(task_vars={})
    assert result["changed"] is True and result["jobs"][0]["state"] == "running"
    assert result["diff"] == {"before": {}, "after": {}}
    assert all(name == "g5k.testbed.oar_job" and args["wait"] is False for name, args in sent)
    assert len(sent) == 3
    assert shown[0] == "g5k.testbed.oar_job: job 7 at rennes is waiting (OAR has not scheduled it yet) (0s elapsed)"
    assert shown[1].startswith("g5k.testbed.oar_job: job 7 at rennes is launching (5s elapsed)")
    assert "running" in shown[-1]


def test_timeout_fails_with_the_last_state_and_why_the_job_waits(clock, shown):
    waiting = dict(job("waiting"), scheduled_at=1700003600, message="R=8,W=2:0:0,J=B,N=x (Karma=0.000,quota_ok)")
    steps = [{"changed": True, "pending": True, "jobs": [waiting]}]
    action, sent = make_action(oar_job_action, {"name": "x", "site": "rennes", "wait": True, "wait_timeout": 20}, steps)
    result = action.run(task_vars={})
    assert result["failed"] and result["msg"] == (
        "timeout after 20s: job 7 at rennes is waiting (OAR plans to start it at 2023-11-14 23:13:20 UTC; "
        "OAR says: R=8,W=2:0:0,J=B,N=x (Karma=0.000,quota_ok))")
    assert result["changed"] is True


def test_a_release_names_the_sites_without_a_job(clock, shown):
    no_job = {"uid": None, "site": "nancy", "state": "absent"}
    steps = [{"changed": True, "pending": True, "jobs": [job("running"), no_job]},
             {"changed": False, "pending": False, "jobs": [job("terminated"), no_job]}]
    action, sent = make_action(oar_job_action, {"name": "x", "sites": [], "state": "absent", "wait": True}, steps)
    action.run(task_vars={})
    assert shown[-1].startswith("g5k.testbed.oar_job: job 7 at rennes is terminated, no job named x at nancy (")
    assert not [line for line in shown if "None" in line]


def test_a_later_step_that_fails_keeps_the_first_steps_change(clock, shown):
    steps = [{"changed": True, "pending": True, "jobs": [job("waiting")]},
             {"failed": True, "changed": False, "msg": "job(s) ended before running: 7 at rennes is error"}]
    action, sent = make_action(oar_job_action, {"name": "x", "site": "rennes", "wait": True}, steps)
    result = action.run(task_vars={})
    assert result["failed"] and result["changed"] is True and "ended before running" in result["msg"]


def test_without_wait_or_in_check_mode_the_module_runs_once(clock, shown):
    for args, check in (({"name": "x", "site": "rennes"}, False), ({"name": "x", "site": "rennes", "wait": True}, True)):
        action, sent = make_action(oar_job_action, args, [{"changed": True, "pending": True, "jobs": []}], check_mode=check)
        action.run(task_vars={})
        assert len(sent) == 1 and sent[0][1] == dict(args, wait=args.get("wait", False), wait_timeout=900)
    assert shown == []


def test_kadeploy_accumulates_deployments_and_forces_only_the_first_step(clock, shown):
    node = "parasilo-1.rennes.grid5000.fr"
    steps = [{"changed": True, "pending": True, "deployments": ["D-1"], "would_deploy": [node],
              "nodes": {node: {"state": "deploying"}}},
             {"changed": True, "pending": True, "deployments": ["D-2"], "would_deploy": [node],
              "nodes": {node: {"state": "deploying"}}},
             {"changed": False, "pending": False, "deployments": [], "would_deploy": [], "nodes": {node: {"state": "OK"}}}]
    action, sent = make_action(kadeploy_action, {"nodes": [node], "environment": "e", "force": True}, steps)
    result = action.run(task_vars={})
    assert result["deployments"] == ["D-1", "D-2"] and result["would_deploy"] == [node]
    assert result["changed"] is True
    assert [step_args["force"] for name, step_args in sent] == [True, False, False]
    assert shown[0] == "g5k.testbed.kadeploy: e on 1 nodes: 1 deploying (parasilo-1) (0s elapsed)"
    assert shown[-1].startswith("g5k.testbed.kadeploy: e on 1 nodes: 1 OK (parasilo-1)")


def test_kadeploy_that_deployed_nothing_says_so(clock, shown):
    nodes = dict(("parasilo-%d.rennes.grid5000.fr" % i, {"state": "OK"}) for i in (1, 2, 3))
    steps = [{"changed": False, "pending": False, "deployments": [], "would_deploy": [], "nodes": nodes}]
    action, sent = make_action(kadeploy_action, {"nodes": sorted(nodes), "environment": "debian12-min"}, steps)
    action.run(task_vars={})
    assert shown == ["g5k.testbed.kadeploy: nothing deployed, debian12-min already ran on the nodes in this job: "
                     "3 OK (parasilo-1, parasilo-2, parasilo-3) (0s elapsed)"]


# ---- issue 21: options converted once, every step's warnings and done lines kept ------------------

@pytest.mark.parametrize("given, wait, timeout", [
    ({"wait": "no"}, False, 900), ({"wait": "yes", "wait_timeout": "20"}, True, 20), ({"wait": 1, "wait_timeout": 20.0}, True, 20)])
def test_wait_options_are_converted_like_the_module_does(clock, shown, given, wait, timeout):
    steps = [{"changed": True, "pending": False, "jobs": [job("running")]}]
    action, sent = make_action(oar_job_action, dict({"name": "x", "site": "rennes"}, **given), steps)
    result = action.run(task_vars={})
    assert not result.get("failed"), result
    assert len(sent) == 1 and (sent[0][1]["wait_timeout"]) == timeout
    assert sent[0][1]["wait"] is False  # a waiting run's steps do not wait themselves, a run without wait neither
    assert bool(shown) is wait  # only a waiting run shows progress


@pytest.mark.parametrize("given, message", [
    ({"wait": True, "wait_timeout": -5}, "wait_timeout is -5: give the seconds to wait, at least 1 (or wait: false)"),
    ({"wait": True, "wait_timeout": 0}, "wait_timeout is 0"),
    ({"wait": True, "wait_timeout": "soon"}, "wait_timeout"),
    ({"wait": "maybe"}, "wait"),
])
def test_unusable_wait_options_are_refused_before_the_module_runs(clock, shown, given, message):
    action, sent = make_action(oar_job_action, dict({"name": "x", "site": "rennes"}, **given),
                               [{"changed": True, "pending": False, "jobs": []}])
    result = action.run(task_vars={})
    assert result["failed"] and result["changed"] is False and message in result["msg"]
    assert sent == []  # nothing submitted


def test_every_steps_warnings_and_done_lines_are_kept(clock, shown):
    lost = "submitted job 7 at rennes (no answer to POST /sites/rennes/jobs: found by reading back)"
    steps = [{"changed": True, "pending": True, "jobs": [job("waiting")], "warnings": [lost], "done": [lost]},
             {"changed": False, "pending": True, "jobs": [job("launching")]},
             {"changed": False, "pending": False, "jobs": [job("running")], "warnings": ["later"]}]
    action, sent = make_action(oar_job_action, {"name": "x", "site": "rennes", "wait": True}, steps)
    result = action.run(task_vars={})
    assert result["warnings"] == [lost, "later"] and result["done"] == [lost]


def test_a_failing_kadeploy_wait_keeps_the_first_steps_done_lines(clock, shown):
    started = "started deployment D-1 of e on parasilo-1.rennes.grid5000.fr at rennes"
    steps = [{"changed": True, "pending": True, "deployments": ["D-1"], "done": [started], "nodes": {}},
             {"failed": True, "changed": False, "msg": "nodes still KO after 1 deployments", "done": [], "nodes": {}}]
    action, sent = make_action(kadeploy_action, {"nodes": ["parasilo-1"], "environment": "e"}, steps)
    result = action.run(task_vars={})
    assert result["failed"] and result["changed"] is True and result["done"] == [started]


def test_oar_job_steps_hold_the_job_name_lock(clock, shown, monkeypatch, tmp_path):
    from ansible_collections.g5k.testbed.plugins.action import oar_job as module
    held = []
    monkeypatch.setattr(module, "job_name_lock", lambda name: held.append(name) or module_polling.contextlib.nullcontext())
    action, sent = make_action(oar_job_action, {"name": "x", "site": "rennes", "wait": True},
                               [{"changed": True, "pending": True, "jobs": [job("waiting")]},
                                {"changed": False, "pending": False, "jobs": [job("running")]}])
    action.run(task_vars={})
    assert held == ["x", "x"]
