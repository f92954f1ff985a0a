"""Compatibility: the unmodified python-grid5000 client (PyPI) against a real emulator process."""
from __future__ import annotations

import time

import pytest
from grid5000 import Grid5000
from grid5000.exceptions import Grid5000CreateError, Grid5000DeleteError, Grid5000GetError

from g5k_emulator.testing import running_emulator

CONFIG = {"sites": {"rennes": {"clusters": {"parasilo": {"nodes": 4}}},
                    "nancy": {"clusters": {"gros": {"nodes": 2}}},
                    "bordeaux": {"scheduler": "slurm", "clusters": {"bordemer": {"nodes": 1}}}},
          "users": [{"login": "jdoe", "password": "jdoe-secret"}, {"login": "asmith", "password": "asmith-secret"}],
          "launch_delay": 0.2, "delete_delay": 0.1, "deployment_delay": 0.2}


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(CONFIG) as running:
        yield running


@pytest.fixture(scope="module")
def gk(emulator):
    with Grid5000(uri=emulator.url, username="jdoe", password="jdoe-secret") as client:
        yield client


def wait_for(refreshable, attr: str, wanted: tuple[str, ...], timeout: float = 60.0):
    # a wait, not a speed check: generous, since CI runs other suites beside this one
    deadline = time.monotonic() + timeout
    while getattr(refreshable, attr) not in wanted:
        assert time.monotonic() < deadline, f"still {getattr(refreshable, attr)} after {timeout}s"
        time.sleep(0.1)
        refreshable.refresh()
    return refreshable


def test_reserve_routed_vlan_and_three_nodes_move_them_read_back_and_delete(gk):
    site = gk.sites["rennes"]
    job = site.jobs.create({"name": "compat-kavlan", "types": ["deploy"], "command": "sleep 3600",
                            "resources": "{cluster='parasilo'}/nodes=3+{type='kavlan'}/vlan=1,walltime=1:00:00"})
    wait_for(job, "state", ("running",))
    nodes = job.assigned_nodes
    vlan_id = job.resources_by_type["vlans"][0]
    assert len(nodes) == 3 and site.vlans[vlan_id].type == "kavlan"

    answer = site.vlans[vlan_id].nodes.submit(nodes)
    assert {n: a["status"] for n, a in answer.items()} == {n: "success" for n in nodes}
    assert sorted(n.uid for n in site.vlans[vlan_id].nodes.list()) == sorted(nodes)
    assert {v.uid: v.vlan for v in site.vlansnodes.submit(nodes)} == {n: vlan_id for n in nodes}
    again = site.vlans[vlan_id].nodes.submit(nodes)
    assert {a["status"] for a in again.values()} == {"unchanged"}

    job.delete()
    wait_for(job, "state", ("terminated", "error"))
    assert {v.vlan for v in site.vlansnodes.submit(nodes)} == {"DEFAULT"}


def test_jobs_create_refresh_list_and_delete(gk):
    site = gk.sites["rennes"]
    job = site.jobs.create({"name": "compat-list", "command": "sleep 60", "resources": "nodes=1"})
    assert job.state in ("waiting", "launching", "running")
    found = site.jobs.list(name="compat-list", state="waiting,launching,running", user="jdoe")
    assert [j.uid for j in found] == [job.uid]
    job.refresh()
    assert job.uid == site.jobs[job.uid].uid
    job.delete()
    wait_for(job, "state", ("terminated", "error"))
    assert site.jobs.list(name="compat-list", state="waiting,launching,running") == []


def test_vlans_list_users_and_one_vlan(gk):
    site = gk.sites["rennes"]
    types = {v.uid: v.type for v in site.vlans.list()}
    assert types["DEFAULT"] == "NULL" and types["1"] == "kavlan-local" and types["9"] == "kavlan"
    assert types["16"] == "kavlan-global" and types["14"] == "kavlan-global-remote"
    assert site.vlansusers["jdoe"].uid == "jdoe"
    assert site.vlans["4"].users["jdoe"].status == "unauthorized"


def test_deployment_create_and_refresh_until_terminated(gk):
    site = gk.sites["rennes"]
    job = site.jobs.create({"types": ["deploy"], "command": "sleep 60", "resources": "nodes=2"})
    wait_for(job, "state", ("running",))
    deployment = site.deployments.create({"nodes": job.assigned_nodes, "environment": "debian12-min",
                                          "key": "ssh-ed25519 AAAA compat"})
    wait_for(deployment, "status", ("terminated", "error"))
    assert deployment.status == "terminated"
    assert {n: r["state"] for n, r in deployment.result.items()} == {n: "OK" for n in job.assigned_nodes}
    assert deployment.uid in [d.uid for d in site.deployments.list()]
    job.delete()


def test_reference_api_through_the_client(gk):
    assert [s.uid for s in gk.sites.list()] == ["rennes", "nancy", "bordeaux"]
    cluster = gk.sites["rennes"].clusters["parasilo"]
    nodes = cluster.nodes.list()
    assert [n.uid for n in nodes] == ["parasilo-1", "parasilo-2", "parasilo-3", "parasilo-4"]
    assert nodes[0].network_adapters[0]["network_address"] == "parasilo-1.rennes.grid5000.fr"
    assert gk.sites["rennes"].servers["dns"].network_adapters["default"]["ip"]
    assert gk.sites["bordeaux"].scheduler == "slurm"
    assert gk.root.get().uid == "grid5000"


def test_errors_carry_status_and_the_platform_text(gk, emulator):
    site = gk.sites["rennes"]
    with pytest.raises(Grid5000CreateError) as refused:
        site.jobs.create({"command": "x", "resources": "{cluster='parasilo'}/nodes=9"})
    assert refused.value.response_code == 400
    assert "There are not enough resources for your request" in refused.value.error_message
    with pytest.raises(Grid5000GetError) as missing:
        site.jobs[987654]
    assert missing.value.response_code == 404
    job = site.jobs.create({"command": "sleep 60", "resources": "nodes=1"})
    with Grid5000(uri=emulator.url, username="asmith", password="asmith-secret") as other:
        with pytest.raises(Grid5000DeleteError) as forbidden:
            other.sites["rennes"].jobs[job.uid].delete()
    assert forbidden.value.response_code == 403
    with pytest.raises(Grid5000GetError) as slurm:
        gk.sites["bordeaux"].vlans["4"]
    assert slurm.value.response_code == 404
    job.delete()
