"""Kadeploy endpoints: create/list/get/refresh/cancel, status machine, OK/KO, rights, faults."""
from __future__ import annotations

import dataclasses
import time

from api_client import ASMITH

from g5k_emulator import environments

DEPLOYMENT_KEYS = {"created_at", "disable_bootloader_install", "disable_disk_partitioning", "environment",
                   "ignore_nodes_deploying", "links", "nodes", "site_uid", "status", "uid", "updated_at",
                   "user_uid"}


def wait_final(api, uid: str, timeout: float = 60.0) -> dict:
    # a wait, not a speed check: generous, since CI runs other suites beside this one
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = api.get(f"/sites/rennes/deployments/{uid}").json()
        if doc["status"] in ("terminated", "error", "canceled"):
            return doc
        time.sleep(0.02)
    raise AssertionError(f"deployment {uid} still {doc['status']} after {timeout}s")


def deploy(api, nodes, user=None, **fields):
    body = {"nodes": nodes, "environment": "debian12-min", "key": "ssh-ed25519 AAAA test", **fields}
    return api.post("/sites/rennes/deployments", body, **({"user": user} if user else {}))


def test_deployment_completes_with_per_node_results(api):
    job = api.running_job("nodes=2", types=["deploy"])
    answer = deploy(api, job["assigned_nodes"])
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert DEPLOYMENT_KEYS <= set(created) and created["status"] in ("waiting", "processing", "terminated")
    assert created["uid"].startswith("D-") and answer.headers["location"].endswith(created["uid"])
    done = wait_final(api, created["uid"])
    assert done["status"] == "terminated"
    assert done["result"] == {n: {"macro": None, "micro": None, "state": "OK"} for n in job["assigned_nodes"]}
    assert ("deploy", "rennes", job["assigned_nodes"], "debian12-min", "ssh-ed25519 AAAA test", None) in api.fabric.calls
    listing = api.get("/sites/rennes/deployments", params={"user": "jdoe", "status": "terminated"}).json()
    assert [d["uid"] for d in listing["items"]] == [created["uid"]]
    assert api.put(f"/sites/rennes/deployments/{created['uid']}", {}).status_code == 204


def test_deploying_into_a_vlan_moves_the_primary_interfaces(api):
    job = api.running_job("nodes=1+{type='kavlan'}/vlan=1", types=["deploy"])
    vlan = job["resources_by_type"]["vlans"][0]
    done = wait_final(api, deploy(api, job["assigned_nodes"], vlan=int(vlan)).json()["uid"])
    assert done["vlan"] == vlan and done["status"] == "terminated"
    assert api.get(f"/sites/rennes/vlans/nodes/{job['assigned_nodes'][0]}").json()["vlan"] == vlan


def test_nodes_not_booting_are_ko_and_failing_deployments_end_in_error(api):
    job = api.running_job("nodes=2", types=["deploy"])
    api.client.put("/_emulator/faults", json={"nodes_not_booting": ["parasilo-2"]})
    done = wait_final(api, deploy(api, job["assigned_nodes"]).json()["uid"])
    assert done["status"] == "terminated"
    assert [r["state"] for r in done["result"].values()] == ["OK", "KO"]
    api.client.put("/_emulator/faults", json={"failing_deployment": True, "nodes_not_booting": []})
    failed = wait_final(api, deploy(api, job["assigned_nodes"]).json()["uid"])
    assert failed["status"] == "error" and "fault injected" in failed["output"]


def test_a_fabric_exception_is_a_failed_deployment(api):
    job = api.running_job("nodes=1", types=["deploy"])
    api.fabric.fail_with = RuntimeError("podman: image localhost/g5k-node:bookworm not found")
    done = wait_final(api, deploy(api, job["assigned_nodes"]).json()["uid"])
    assert done["status"] == "error" and "image localhost/g5k-node:bookworm not found" in done["output"]
    assert all(r["state"] == "KO" for r in done["result"].values())


def test_rights_and_bad_input(api):
    plain = api.running_job("nodes=1")  # no deploy type
    assert deploy(api, plain["assigned_nodes"]).status_code == 403
    theirs = api.running_job("nodes=1", user=ASMITH, types=["deploy"])
    refused = deploy(api, theirs["assigned_nodes"])
    assert refused.status_code == 403 and "rights to deploy" in refused.text
    mine = api.running_job("nodes=1", types=["deploy"])
    assert api.post("/sites/rennes/deployments", {"nodes": mine["assigned_nodes"], "environment": "x"},
                    user=None).status_code == 403
    unknown = deploy(api, ["parasilo-99.rennes.grid5000.fr"])
    assert unknown.status_code == 400 and "unknown node" in unknown.text
    kavlan_name = deploy(api, ["parasilo-1-kavlan-4.rennes.grid5000.fr"])
    assert kavlan_name.status_code == 400
    assert api.post("/sites/rennes/deployments", {"nodes": mine["assigned_nodes"]}).text.startswith(
        "The deployment you are trying to submit is not valid: environment can't be blank")
    assert api.post("/sites/rennes/deployments", {"nodes": [], "environment": "debian12-min"}).status_code == 400
    bad_env = api.post("/sites/rennes/deployments", {"nodes": mine["assigned_nodes"], "environment": "debian 12"})
    assert bad_env.status_code == 400 and "Invalid environment specification" in bad_env.text
    unregistered = api.post("/sites/rennes/deployments",
                            {"nodes": mine["assigned_nodes"], "environment": "centos7"})
    assert unregistered.status_code == 400
    assert "Invalid environment specification -- Unknown environment 'centos7'" in unregistered.text
    not_my_vlan = deploy(api, mine["assigned_nodes"], vlan=4)
    assert not_my_vlan.status_code == 403
    assert deploy(api, mine["assigned_nodes"], vlan=77).status_code == 400
    assert api.post("/sites/bordeaux/deployments", {"nodes": ["bordemer-1.bordeaux.grid5000.fr"],
                                                    "environment": "debian12-min"}).status_code == 404


def test_cancel_only_while_running_and_only_by_its_owner(api):
    api.platform.config = dataclasses.replace(api.platform.config, deployment_delay=0.5)
    job = api.running_job("nodes=1", types=["deploy"])
    uid = deploy(api, job["assigned_nodes"]).json()["uid"]
    assert api.delete(f"/sites/rennes/deployments/{uid}", user=ASMITH).status_code == 403
    assert api.delete(f"/sites/rennes/deployments/{uid}").status_code == 202
    assert wait_final(api, uid)["status"] == "canceled"
    time.sleep(0.6)  # the worker finishing later must not overwrite the cancellation
    assert api.get(f"/sites/rennes/deployments/{uid}").json()["status"] == "canceled"
    assert api.delete(f"/sites/rennes/deployments/{uid}").status_code == 400
    assert api.get("/sites/rennes/deployments/D-nope").status_code == 404


def test_deployments_cut_by_a_restart_end_in_error(api_factory, tmp_path):
    first = api_factory(state_dir=tmp_path / "kept")
    job = first.running_job("nodes=1", types=["deploy"])
    with first.platform.store.transaction() as db:  # a deployment left processing by a crash
        db.execute("INSERT INTO deployments (uid, site, user, seq, created_at, updated_at, status, nodes, "
                   "environment, params) VALUES ('D-cut', 'rennes', 'jdoe', 99, 0, 0, 'processing', ?, "
                   "'debian12-min', '{}')", (f'["{job["assigned_nodes"][0]}"]',))
    second = api_factory(state_dir=tmp_path / "kept", clock=first.clock)
    cut = second.get("/sites/rennes/deployments/D-cut").json()
    assert cut["status"] == "error" and "interrupted" in cut["output"]


def test_without_vlan_a_node_is_deployed_in_the_vlan_it_is_in(api):
    job = api.running_job("nodes=2+{type='kavlan'}/vlan=1", types=["deploy"])
    vlan = job["resources_by_type"]["vlans"][0]
    moved, stayed = job["assigned_nodes"]
    api.post(f"/sites/rennes/vlans/{vlan}/nodes", [moved])
    done = wait_final(api, deploy(api, job["assigned_nodes"]).json()["uid"])
    assert done["status"] == "terminated"
    deploys = [c for c in api.fabric.calls if c[0] == "deploy"]
    assert ("deploy", "rennes", [moved], "debian12-min", "ssh-ed25519 AAAA test", vlan) in deploys
    assert ("deploy", "rennes", [stayed], "debian12-min", "ssh-ed25519 AAAA test", None) in deploys


def test_environments_are_listed_as_kaenv3_does_and_filtered_by_name(api):
    listing = api.get("/sites/rennes/environments").json()
    names = {env["name"] for env in listing["items"]}
    assert {"debian12-min", "debian12-nfs", "debian12-std"} <= names and listing["total"] == len(names)
    env = next(e for e in listing["items"] if e["name"] == "debian12-nfs")
    assert {"uid", "name", "alias", "version", "arch", "user", "visibility", "description", "links"} <= set(env)
    assert env["arch"] == "x86_64" and env["visibility"] == "public" and isinstance(env["version"], int)
    by_alias = api.get("/sites/rennes/environments", params={"name": "debian12-x64-nfs"}).json()["items"]
    assert [e["name"] for e in by_alias] == ["debian12-nfs"]
    assert api.get("/sites/rennes/environments", params={"name": "debian13-nope"}).json()["items"] == []
    one = api.get(f"/sites/rennes/environments/{env['uid']}")
    assert one.status_code == 200 and one.json()["name"] == "debian12-nfs"
    assert api.get("/sites/rennes/environments/nope").status_code == 404
    assert api.get("/sites/rennes/environments", params={"latest_only": "maybe"}).status_code == 400
    assert api.get("/sites/bordeaux/environments").status_code == 404   # a Slurm site has no Kadeploy
    # every listed name is one POST /deployments accepts
    assert all(environments.check(name) == name for name in names)
