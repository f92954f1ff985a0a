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
    assert shown[0] == "g5k.testbed.oar_job: job 7 at rennes is waiting (0s elapsed)"
    assert shown[1].startswith("g5k.testbed.oar_job: job 7 at rennes is launching (5s elapsed)")
    assert "running" in shown[-1]


def test_timeout_fails_with_the_last_state(clock, shown):
    steps = [{"changed": True, "pending": True, "jobs": [job("waiting")]}]
    action, sent = make_action(oar_job_action, {"name": "x", "site": "rennes", "wait": True, "wait_timeout": 20}, steps)
    result = action.run(task_vars={})
    assert result["failed"] and result["msg"] == "timeout after 20s: job 7 at rennes is waiting"
    assert result["changed"] is True


def test_without_wait_or_in_check_mode_the_module_runs_once(clock, shown):
    for args, check in (({"name": "x", "site": "rennes"}, False), ({"name": "x", "site": "rennes", "wait": True}, True)):
        action, sent = make_action(oar_job_action, args, [{"changed": True, "pending": True, "jobs": []}], check_mode=check)
        action.run(task_vars={})
        assert len(sent) == 1 and sent[0][1] == args
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
    assert shown[0] == "g5k.testbed.kadeploy: 1 deploying (0s elapsed)"
    assert shown[-1].startswith("g5k.testbed.kadeploy: 1 OK")
