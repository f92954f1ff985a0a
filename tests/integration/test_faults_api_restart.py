"""The API restarts mid-playbook: the emulator process is stopped while a deployment runs and
started again on the same state directory and port. The play rides it out (retries, then a
redeployment of the deployment the restart cut), and a re-run changes nothing."""

import threading
import time
import urllib.parse

import pytest

from fault_harness import (
    KEY,
    assert_no_duplicate_job,
    assert_vlans_as_reported,
    deployments,
    fast_config,
    play,
    run_playbook,
    set_faults,
)
from g5k_emulator.testing import running_emulator

pytestmark = pytest.mark.slow
NAME = "restart"


def whole_play(tmp_path):
    nodes, vlan = "{{ reserved.jobs[0].nodes }}", "{{ reserved.jobs[0].vlans[0] }}"
    return play(tmp_path, "reserve move deploy", [
        {"name": "Reserve", "register": "reserved", "g5k.testbed.oar_job": {
            "name": NAME, "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 2}], "vlan": "kavlan",
            "walltime": "1:00", "types": ["deploy"], "wait": True, "wait_timeout": 120}},
        {"name": "Move", "g5k.testbed.kavlan_vlan": {"nodes": nodes, "vlan": vlan}},
        {"name": "Deploy", "g5k.testbed.kadeploy": {
            "nodes": nodes, "environment": "debian12-min", "key": KEY, "vlan": vlan,
            "wait_timeout": 300}},
    ])


# kadeploy's action polls 10 s after it started the deployment: staying down longer than that
# makes sure the play meets a stopped API (connection refused) and has to retry.
DOWNTIME = 11


def wait_for_a_running_deployment(emulator, runner, timeout=120):
    """The monotonic time at which a deployment was first seen running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runner.is_alive():
        if any(d["status"] in ("waiting", "processing") for d in deployments(emulator)):
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError("no deployment started within %d s (the play ended: %s)" % (timeout, not runner.is_alive()))


def test_a_restart_during_the_deployment_is_ridden_out(tmp_path):
    path = whole_play(tmp_path)
    state = tmp_path / "state"
    outcome = {}
    with running_emulator(config=fast_config(), state_dir=state) as first:
        port = urllib.parse.urlsplit(first.url).port
        set_faults(first, slow_deployment=30)  # long enough to restart in the middle of it
        runner = threading.Thread(target=lambda: outcome.update(results=run_playbook(path, first.url)), daemon=True)
        runner.start()
        started = wait_for_a_running_deployment(first, runner)
    # stopped: the play's requests now find nobody listening, until the restart below
    time.sleep(max(0, started + DOWNTIME - time.monotonic()))
    with running_emulator(config=fast_config(), state_dir=state, extra_args=("--port", str(port))) as second:
        runner.join(600)
        assert not runner.is_alive()
        results = outcome["results"]
        failures = dict((name, r.get("msg")) for name, r in results.items() if r.get("failed"))
        assert not failures
        nodes = results["Reserve"]["jobs"][0]["nodes"]
        assert results["Deploy"]["ok_nodes"] == nodes
        cut, redone = sorted(deployments(second), key=lambda d: d["created_at"])
        assert cut["status"] == "error" and "interrupted" in cut.get("output", "")
        assert redone["status"] == "terminated" and sorted(redone["nodes"]) == nodes
        assert assert_no_duplicate_job(second, NAME)["uid"] == results["Reserve"]["jobs"][0]["uid"]
        assert_vlans_as_reported(second, results["Move"], nodes)
        rerun = run_playbook(path, second.url)
        assert dict((name, r["changed"]) for name, r in rerun.items()) == {
            "Reserve": False, "Move": False, "Deploy": False}
        assert len(deployments(second)) == 2
