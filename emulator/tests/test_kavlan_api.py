"""KaVLAN endpoints: catalogue, membership, rights, the node's-site rule, DHCP, job end."""
from __future__ import annotations

import threading

from api_client import ASMITH, JDOE, basic

R = "rennes.grid5000.fr"
N = "nancy.grid5000.fr"


def test_vlan_list_has_kinds_and_id_ranges_of_the_site(api):
    listing = api.get("/sites/rennes/vlans").json()
    kinds = {v["uid"]: v["type"] for v in listing["items"]}
    assert kinds == {"DEFAULT": "NULL", "1": "kavlan-local", "2": "kavlan-local", "3": "kavlan-local",
                     "4": "kavlan", "5": "kavlan", "6": "kavlan", "7": "kavlan", "8": "kavlan", "9": "kavlan",
                     "14": "kavlan-global-remote", "16": "kavlan-global"}
    assert listing["total"] == 12
    rels = {l["rel"]: l["href"] for l in listing["items"][4]["links"]}
    assert rels["dhcpd"] == "/stable/sites/rennes/vlans/4/dhcpd"
    nancy = {v["uid"]: v["type"] for v in api.get("/sites/nancy/vlans").json()["items"]}
    assert nancy["14"] == "kavlan-global" and nancy["16"] == "kavlan-global-remote"


def test_one_vlan_and_out_of_range_ids(api):
    answer = api.get("/sites/rennes/vlans/DEFAULT")
    assert answer.json()["type"] == "NULL" and answer.headers["cache-control"] == "max-age=60, public"
    for bad in ("200", "10", "0", "abc"):
        missing = api.get(f"/sites/rennes/vlans/{bad}")
        assert missing.status_code == 404 and missing.text == f"Vlan {bad} does not exist"
    assert api.post("/sites/rennes/vlans/42/nodes", [f"parasilo-1.{R}"]).status_code == 404


def test_a_node_lost_in_vlan_moves_is_moved_with_its_port_cut_off(api):
    job = api.running_job("{cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1")
    vlan = job["resources_by_type"]["vlans"][0]
    lost, kept = sorted(job["assigned_nodes"])
    api.client.put("/_emulator/faults", json={"nodes_lost_in_vlan_move": [lost.split(".")[0]]})
    assert api.client.get("/_emulator/faults").json()["nodes_lost_in_vlan_move"] == [lost.split(".")[0]]
    moved = api.post(f"/sites/rennes/vlans/{vlan}/nodes", [lost, kept, lost.replace(".", "-eth1.", 1)])
    # KaVLAN reports success (the platform does not know the node is lost): both of its ports are cut off
    assert {r["status"] for r in moved.json().values()} == {"success"}
    assert api.fabric.calls[-1] == ("set_vlan", "rennes", [lost, kept, lost.replace(".", "-eth1.", 1)], vlan,
                                    [lost, lost.replace(".", "-eth1.", 1)])
    api.client.put("/_emulator/faults", json={"nodes_lost_in_vlan_move": []})
    api.post("/sites/rennes/vlans/DEFAULT/nodes", [lost])
    assert api.fabric.calls[-1] == ("set_vlan", "rennes", [lost], "DEFAULT")
    assert api.client.put("/_emulator/faults", json={"nodes_lost_in_vlan_move": "parasilo-1"}).status_code == 400


def test_every_kavlan_interface_starts_in_default(api):
    items = api.get("/sites/rennes/vlans/nodes").json()["items"]
    assert {(i["uid"], i["vlan"]) for i in items} >= {(f"parasilo-1.{R}", "DEFAULT"), (f"parasilo-1-eth1.{R}", "DEFAULT")}
    assert len(items) == 8  # 4 nodes x (eth0, eth1); eth2 and the BMC are not KaVLAN ports
    assert api.get(f"/sites/rennes/vlans/nodes/parasilo-9.{R}").text == f"Unknown node 'parasilo-9.{R}'."


def test_set_nodes_vlan_reports_success_unchanged_failure_and_reads_back(api):
    job = api.running_job("{cluster='parasilo'}/nodes=3+{type='kavlan'}/vlan=1")
    vlan = job["resources_by_type"]["vlans"][0]
    names = job["assigned_nodes"][:2]
    first = api.post(f"/sites/rennes/vlans/{vlan}/nodes", names)
    assert first.json() == {n: {"status": "success", "message": "Successfully added to vlan"} for n in names}
    assert api.fabric.calls[-1] == ("set_vlan", "rennes", names, vlan)
    second = api.post(f"/sites/rennes/vlans/{vlan}/nodes", [names[0], f"{job['assigned_nodes'][2]}", "ghost.rennes.grid5000.fr"])
    assert second.json() == {
        names[0]: {"status": "unchanged", "message": "Node already in vlan"},
        job["assigned_nodes"][2]: {"status": "success", "message": "Successfully added to vlan"},
        "ghost.rennes.grid5000.fr": {"status": "failure", "message": "Unknown node"}}
    members = {i["uid"] for i in api.get(f"/sites/rennes/vlans/{vlan}/nodes").json()["items"]}
    assert members == set(job["assigned_nodes"])
    assert api.get(f"/sites/rennes/vlans/nodes/{names[0]}").json()["vlan"] == vlan
    back = api.post("/sites/rennes/vlans/DEFAULT/nodes", [names[0]])
    assert back.json()[names[0]]["status"] == "success"
    assert api.get(f"/sites/rennes/vlans/nodes/{names[0]}").json()["vlan"] == "DEFAULT"


def test_secondary_interfaces_move_on_their_own(api):
    job = api.running_job("nodes=1+{type='kavlan-local'}/vlan=1")
    eth1 = job["assigned_nodes"][0].replace(".rennes", "-eth1.rennes")
    assert api.post("/sites/rennes/vlans/1/nodes", [eth1]).json()[eth1]["status"] == "success"
    assert api.get(f"/sites/rennes/vlans/nodes/{job['assigned_nodes'][0]}").json()["vlan"] == "DEFAULT"
    assert api.get(f"/sites/rennes/vlans/nodes/{eth1}").json()["vlan"] == "1"


def test_rights_need_a_running_job_holding_the_vlan_and_the_nodes(api):
    mine = api.running_job("nodes=1+{type='kavlan'}/vlan=1")
    theirs = api.running_job("nodes=1+{type='kavlan'}/vlan=1", user=ASMITH)
    my_vlan, their_vlan = mine["resources_by_type"]["vlans"][0], theirs["resources_by_type"]["vlans"][0]
    no_vlan = api.post(f"/sites/rennes/vlans/{their_vlan}/nodes", mine["assigned_nodes"])
    assert no_vlan.status_code == 403 and no_vlan.text.startswith("Not enough privileges on Kavlan resources")
    not_my_node = api.post(f"/sites/rennes/vlans/{my_vlan}/nodes", theirs["assigned_nodes"])
    assert not_my_node.status_code == 403
    assert api.post(f"/sites/rennes/vlans/DEFAULT/nodes", theirs["assigned_nodes"]).status_code == 403
    assert api.post(f"/sites/rennes/vlans/{my_vlan}/nodes", mine["assigned_nodes"], user=None).status_code == 403
    assert not [c for c in api.fabric.calls if c[0] == "set_vlan"]


def test_write_endpoints_insist_on_json_and_a_node_list(api):
    job = api.running_job("nodes=1+{type='kavlan'}/vlan=1")
    vlan = job["resources_by_type"]["vlans"][0]
    as_form = api.client.post(f"/stable/sites/rennes/vlans/{vlan}/nodes", content=job["assigned_nodes"][0],
                              headers={**basic(JDOE), "Content-Type": "text/plain"})
    assert as_form.status_code == 415
    for body in ([], {"nodes": job["assigned_nodes"]}, "x"):
        answer = api.post(f"/sites/rennes/vlans/{vlan}/nodes", body)
        assert answer.status_code == 422 and answer.text == "Missing node list"


def test_global_vlan_is_set_on_the_site_of_the_nodes(api):
    rennes = api.running_job("{type='kavlan-global'}/vlan=1+nodes=1")
    nancy = api.running_job("nodes=1", site="nancy")
    gros = nancy["assigned_nodes"][0]
    wrong_site = api.post("/sites/rennes/vlans/16/nodes", [gros])
    assert wrong_site.json() == {gros: {"status": "failure", "message": "Unknown node"}}
    right_site = api.post("/sites/nancy/vlans/16/nodes", [gros])
    assert right_site.json()[gros]["status"] == "success"
    assert api.fabric.calls[-1] == ("set_vlan", "nancy", [gros], "16")
    assert api.post("/sites/rennes/vlans/16/nodes", rennes["assigned_nodes"]).status_code == 200
    assert {i["uid"] for i in api.get("/sites/nancy/vlans/16/nodes").json()["items"]} == {gros}
    # the job ends: members on every site go back to DEFAULT
    api.delete(f"/sites/rennes/jobs/{rennes['uid']}")
    api.clock.advance(api.platform.config.delete_delay)
    assert api.get(f"/sites/nancy/vlans/nodes/{gros}").json()["vlan"] == "DEFAULT"
    assert ("set_vlan", "nancy", [gros], "DEFAULT") in api.fabric.calls


def test_vlan_of_a_list_of_nodes_drops_unknown_names(api):
    answer = api.post("/sites/rennes/vlans/nodes", [f"parasilo-2.{R}", "nobody.rennes.grid5000.fr", f"parasilo-2-eth1.{R}"])
    assert [(i["uid"], i["vlan"]) for i in answer.json()["items"]] == [
        (f"parasilo-2.{R}", "DEFAULT"), (f"parasilo-2-eth1.{R}", "DEFAULT")]


def test_users_endpoints_follow_running_jobs(api):
    assert api.get("/sites/rennes/vlans/users").json()["items"] == []
    job = api.running_job("nodes=1+{type='kavlan-local'}/vlan=1")
    assert [(u["uid"], u["vlans"]) for u in api.get("/sites/rennes/vlans/users").json()["items"]] == [("jdoe", ["1"])]
    assert api.get("/sites/rennes/vlans/users/jdoe").json()["vlans"] == ["1"]
    assert api.get("/sites/rennes/vlans/users/asmith").json()["vlans"] == []
    assert api.get("/sites/rennes/vlans/1/users/jdoe").json()["status"] == "authorized"
    assert api.get("/sites/rennes/vlans/1/users/asmith").json()["status"] == "unauthorized"
    assert [u["uid"] for u in api.get("/sites/rennes/vlans/1/users").json()["items"]] == ["jdoe"]
    assert api.put("/sites/rennes/vlans/1/users/asmith", {}).status_code == 403
    api.delete(f"/sites/rennes/jobs/{job['uid']}")
    api.clock.advance(1)
    assert api.get("/sites/rennes/vlans/1/users/jdoe").json()["status"] == "unauthorized"


def test_dhcpd_start_stop_and_refusals(api):
    job = api.running_job("nodes=1+{type='kavlan'}/vlan=1")
    vlan = job["resources_by_type"]["vlans"][0]
    path = f"/sites/rennes/vlans/{vlan}/dhcpd"
    started = api.put(path, {"action": "start"})
    assert started.status_code == 204 and started.text == ""
    assert api.fabric.calls[-1] == ("set_dhcp", "rennes", vlan, True)
    assert api.put(path, {"action": "stop"}).status_code == 204
    assert api.fabric.calls[-1] == ("set_dhcp", "rennes", vlan, False)
    invalid = api.put(path, {"action": "restart"})
    assert invalid.status_code == 422 and invalid.text == "An action ('start' or 'stop') should be provided"
    assert api.put(path, {"action": "start"}, user=None).status_code == 403
    assert api.put(path, {"action": "start"}, user=ASMITH).status_code == 403
    assert api.put("/sites/rennes/vlans/DEFAULT/dhcpd", {"action": "start"}).status_code == 403
    not_allowed = api.get(path)
    assert not_allowed.status_code == 405 and not_allowed.headers["content-type"].startswith("text/plain")
    assert api.client.put(f"/stable{path}", content="action=start",
                          headers={**basic(JDOE), "Content-Type": "application/x-www-form-urlencoded"}).status_code == 415


def test_fabric_failure_is_an_error_and_changes_nothing(api):
    job = api.running_job("nodes=1+{type='kavlan'}/vlan=1")
    vlan = job["resources_by_type"]["vlans"][0]
    api.fabric.fail_with = RuntimeError("bridge br-rennes-4 is missing")
    answer = api.post(f"/sites/rennes/vlans/{vlan}/nodes", job["assigned_nodes"])
    assert answer.status_code == 500 and "bridge br-rennes-4 is missing" in answer.text
    assert api.get(f"/sites/rennes/vlans/nodes/{job['assigned_nodes'][0]}").json()["vlan"] == "DEFAULT"
    assert api.put(f"/sites/rennes/vlans/{vlan}/dhcpd", {"action": "start"}).status_code == 500


def test_job_end_puts_nodes_back_in_default_and_restarts_the_dhcp_the_user_stopped(api):
    job = api.running_job("nodes=2+{type='kavlan'}/vlan=2,walltime=0:05:00")
    vlan, other = job["resources_by_type"]["vlans"]
    api.post(f"/sites/rennes/vlans/{vlan}/nodes", job["assigned_nodes"])
    api.put(f"/sites/rennes/vlans/{vlan}/dhcpd", {"action": "stop"})   # kavlan -d: their own DHCP
    api.clock.advance(300)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "terminated"
    assert api.get(f"/sites/rennes/vlans/{vlan}/nodes").json()["items"] == []
    network_calls = [call for call in api.fabric.calls if call[0] in ("set_dhcp", "set_vlan")]
    assert network_calls[-2:] == [("set_dhcp", "rennes", vlan, True),   # the platform's default
                                  ("set_vlan", "rennes", sorted(job["assigned_nodes"]), "DEFAULT")]
    assert ("set_dhcp", "rennes", other, True) not in api.fabric.calls  # never stopped: untouched
    assert ("set_vlan", "rennes", sorted(job["assigned_nodes"]), "DEFAULT") in api.fabric.calls


def test_membership_survives_a_restart(api_factory, tmp_path):
    first = api_factory(state_dir=tmp_path / "kept")
    job = first.running_job("nodes=1+{type='kavlan'}/vlan=1")
    vlan = job["resources_by_type"]["vlans"][0]
    first.post(f"/sites/rennes/vlans/{vlan}/nodes", job["assigned_nodes"])
    second = api_factory(state_dir=tmp_path / "kept", clock=first.clock)
    assert second.get(f"/sites/rennes/vlans/nodes/{job['assigned_nodes'][0]}").json()["vlan"] == vlan


def test_kavlan_is_refused_on_the_slurm_site(api):
    answer = api.get("/sites/bordeaux/vlans")
    assert answer.status_code == 404 and "slurm" in answer.text and "KaVLAN" in answer.text
    assert api.post("/sites/bordeaux/vlans/4/nodes", ["bordemer-1.bordeaux.grid5000.fr"]).status_code == 404


def test_a_running_job_opens_its_nodes_and_local_vlan_gateway_to_its_user_until_it_ends(api):
    job = api.running_job("nodes=1+{type='kavlan-local'}/vlan=1,walltime=0:05:00")
    node = job["assigned_nodes"][0].split(".")[0]
    gateway = f"kavlan-{job['resources_by_type']['vlans'][0]}"
    assert ("set_access", "rennes", {node: ["jdoe"], gateway: ["jdoe"]}) in api.fabric.calls
    deploy = api.running_job("nodes=1", user=ASMITH, types=["deploy"])
    other = deploy["assigned_nodes"][0].split(".")[0]
    assert ("set_access", "rennes", {other: []}) in api.fabric.calls     # root only: kadeploy's key
    api.clock.advance(300)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "terminated"
    assert [call for call in api.fabric.calls if call[0] == "set_access"][-1] == \
        ("set_access", "rennes", {node: [], gateway: []})


def test_the_nodes_of_an_ended_deploy_job_return_to_the_standard_environment_before_reuse(api):
    job = api.running_job("nodes=4,walltime=0:05:00", types=["deploy"])
    assert api.delete(f"/sites/rennes/jobs/{job['uid']}").status_code == 202
    api.clock.advance(api.platform.config.delete_delay)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "terminated"
    for worker in api.platform.workers:
        worker.join(10)
    assert ("deploy", "rennes", sorted(job["assigned_nodes"]), "debian12-std", None, "DEFAULT") in api.fabric.calls
    assert api.running_job("nodes=4")["assigned_nodes"] == job["assigned_nodes"]   # free again


def test_nodes_being_returned_to_the_standard_environment_are_not_allocated(api):
    release = threading.Event()
    returned = api.fabric.deploy

    def slow_return(*args):
        release.wait(10)
        return returned(*args)
    api.fabric.deploy = slow_return
    job = api.running_job("nodes=4,walltime=0:05:00", types=["deploy"])
    api.clock.advance(300)                                            # walltime: the job ends
    status = api.get("/sites/rennes/status").json()["nodes"]
    assert {n["hard"] for n in status.values()} == {"suspected"}
    waiting = api.submit("nodes=1").json()
    api.clock.advance(api.platform.config.launch_delay)
    assert api.get(f"/sites/rennes/jobs/{waiting['uid']}").json()["state"] == "waiting"
    release.set()
    for worker in api.platform.workers:
        worker.join(10)
    api.clock.advance(api.platform.config.launch_delay)
    assert api.get(f"/sites/rennes/jobs/{waiting['uid']}").json()["state"] in ("launching", "running")
    assert job["assigned_nodes"][0] in api.get("/sites/rennes/status").json()["nodes"]


def test_nodes_a_user_was_root_on_are_reinstalled_when_the_job_ends(api):
    job = api.running_job("nodes=2,walltime=0:05:00")
    first, second = (fqdn.split(".")[0] for fqdn in job["assigned_nodes"])
    api.fabric.rooted = {first}                             # sudo-g5k ran on the first only
    api.clock.advance(300)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "terminated"
    for worker in api.platform.workers:
        worker.join(10)
    assert ("root_used", "rennes", [first, second]) in api.fabric.calls
    assert ("deploy", "rennes", [f"{first}.rennes.grid5000.fr"], "debian12-std", None, "DEFAULT") in api.fabric.calls
    assert not [c for c in api.fabric.calls if c[0] == "deploy" and f"{second}.rennes.grid5000.fr" in c[2]]
