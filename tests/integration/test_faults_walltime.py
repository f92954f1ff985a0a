"""The job's walltime ends mid-play: the nodes go back to DEFAULT with the job, the next task
fails saying the nodes are no longer in an active job, and a re-run with a longer walltime
reserves a new job (one, not two) and converges."""

import pytest

from fault_harness import (
    KEY,
    assert_no_duplicate_job,
    assert_vlans_as_reported,
    fast_emulator,
    play,
    run_playbook,
    vlans_outside_default,
)

pytestmark = pytest.mark.slow
NAME = "short"


def whole_play(tmp_path, walltime, pause):
    nodes, vlan = "{{ reserved.jobs[0].nodes }}", "{{ reserved.jobs[0].vlans[0] }}"
    return play(tmp_path, "reserve move wait deploy %s" % walltime.replace(":", "-"), [
        {"name": "Reserve", "register": "reserved", "g5k.testbed.oar_job": {
            "name": NAME, "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 2}], "vlan": "kavlan",
            "walltime": walltime, "types": ["deploy"], "wait": True, "wait_timeout": 120}},
        {"name": "Move", "g5k.testbed.kavlan_vlan": {"nodes": nodes, "vlan": vlan}},
        {"name": "Experiment", "ansible.builtin.pause": {"seconds": pause}},
        {"name": "Deploy", "g5k.testbed.kadeploy": {
            "nodes": nodes, "environment": "debian12-min", "key": KEY, "vlan": vlan, "wait_timeout": 300}},
    ])


def test_walltime_expiry_mid_play_fails_clearly_and_a_rerun_converges(tmp_path):
    with fast_emulator() as emulator:
        results = run_playbook(whole_play(tmp_path, "0:00:15", 15), emulator.url)
        first_job = results["Reserve"]["jobs"][0]
        nodes = first_job["nodes"]
        assert not results["Move"].get("failed"), results["Move"].get("msg")
        deploy = results["Deploy"]
        assert deploy.get("failed") and deploy["changed"] is False
        assert "no active job of jdoe at rennes holds" in deploy["msg"] and nodes[0] in deploy["msg"]
        # the job ended, and with it the nodes' stay in the VLAN
        assert assert_no_duplicate_job(emulator, NAME) is None
        assert vlans_outside_default(emulator, nodes) == {}

        longer = whole_play(tmp_path, "1:00", 0)
        rerun = run_playbook(longer, emulator.url)
        failures = dict((name, r.get("msg")) for name, r in rerun.items() if r.get("failed"))
        assert not failures
        job = assert_no_duplicate_job(emulator, NAME)
        assert job["uid"] == rerun["Reserve"]["jobs"][0]["uid"] != first_job["uid"]
        new_nodes = rerun["Reserve"]["jobs"][0]["nodes"]
        assert_vlans_as_reported(emulator, rerun["Move"], new_nodes)
        assert rerun["Deploy"]["ok_nodes"] == new_nodes
        again = run_playbook(longer, emulator.url)
        assert dict((name, r["changed"]) for name, r in again.items() if name != "Experiment") == {
            "Reserve": False, "Move": False, "Deploy": False}
