"""OAR jobs through the API: submission, refusals, states moved by time, allocation, deletion."""
from __future__ import annotations

import datetime
import zoneinfo

import pytest

from api_client import ASMITH

KAVLAN3 = "{cluster='parasilo'}/nodes=3+{type='kavlan'}/vlan=1,walltime=1:00:00"
JOB_KEYS = {"assigned_nodes", "command", "directory", "events", "links", "message", "mode", "project",
            "properties", "queue", "resources_by_type", "scheduled_at", "started_at", "state",
            "submitted_at", "types", "uid", "user", "user_uid", "walltime"}


def paris(seconds_from_now: float, clock) -> str:
    moment = datetime.datetime.fromtimestamp(clock.now + seconds_from_now, zoneinfo.ZoneInfo("Europe/Paris"))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def test_submit_answers_201_with_location_and_the_full_job(api):
    answer = api.submit(KAVLAN3, types=["deploy"], name="exp")
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert answer.headers["location"].endswith(f"/stable/sites/rennes/jobs/{job['uid']}")
    assert JOB_KEYS <= set(job) and job["name"] == "exp"
    assert job["walltime"] == 3600 and job["types"] == ["deploy"] and job["user"] == "jdoe"
    assert {"rel": "self", "href": f"/stable/sites/rennes/jobs/{job['uid']}",
            "type": "application/vnd.grid5000.item+json"} in job["links"]


def test_states_go_waiting_launching_running_then_walltime_ends_the_job(api):
    job = api.submit("nodes=2,walltime=0:10:00").json()
    assert job["state"] == "waiting" and job["assigned_nodes"] == [] and job["started_at"] is None
    job = api.get(f"/sites/rennes/jobs/{job['uid']}").json()
    assert job["state"] == "launching" and job["assigned_nodes"] == [
        "parasilo-1.rennes.grid5000.fr", "parasilo-2.rennes.grid5000.fr"]
    api.clock.advance(api.platform.config.launch_delay)
    running = api.get(f"/sites/rennes/jobs/{job['uid']}").json()
    assert running["state"] == "running" and running["started_at"] is not None
    assert len(running["resources_by_type"]["cores"]) == 32
    api.clock.advance(600)
    ended = api.get(f"/sites/rennes/jobs/{job['uid']}").json()
    assert ended["state"] == "terminated" and "stopped_at" in ended
    assert ended["events"][-1]["type"] == "WALLTIME"


def test_vlan_and_subnets_are_allocated_and_never_shared(api):
    first = api.running_job("{type='kavlan'}/vlan=1+slash_22=2+nodes=1")
    second = api.running_job("{type='kavlan'}/vlan=1+slash_22=1+nodes=1")
    assert first["resources_by_type"]["vlans"] == ["4"] and second["resources_by_type"]["vlans"] == ["5"]
    assert first["resources_by_type"]["subnets"] == ["10.156.0.0/22", "10.156.4.0/22"]
    assert second["resources_by_type"]["subnets"] == ["10.156.8.0/22"]
    assert not set(first["assigned_nodes"]) & set(second["assigned_nodes"])


def test_slash_18_is_sixteen_aligned_slash_22(api):
    job = api.running_job("slash_22=1+slash_18=1")
    subnets = job["resources_by_type"]["subnets"]
    assert subnets[0] == "10.156.0.0/22" and subnets[1] == "10.156.64.0/22" and len(subnets) == 17


def test_local_and_global_vlans_come_from_their_ranges(api):
    local = api.running_job("{type='kavlan-local'}/vlan=1+nodes=1")
    global_ = api.running_job("{type='kavlan-global'}/vlan=1+nodes=1")
    assert local["resources_by_type"]["vlans"] == ["1"]
    assert global_["resources_by_type"]["vlans"] == ["16"]
    refused = api.submit("{type='kavlan-global'}/vlan=1")  # only one global VLAN per site
    assert refused.status_code == 201 and refused.json()["state"] == "waiting"


def test_busy_nodes_keep_a_job_waiting_until_they_are_freed(api):
    holder = api.running_job("nodes=4")
    waiting = api.submit("nodes=1").json()
    assert waiting["state"] == "waiting" and waiting["assigned_nodes"] == []
    assert api.delete(f"/sites/rennes/jobs/{holder['uid']}").status_code == 202
    api.clock.advance(api.platform.config.delete_delay)
    assert api.get(f"/sites/rennes/jobs/{waiting['uid']}").json()["state"] == "launching"


def test_unsatisfiable_requests_are_refused_with_oar_text(api):
    answer = api.submit("{cluster='parasilo'}/nodes=5")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert "failed with status 400: There are not enough resources for your request" in answer.text
    assert api.submit("{cluster='nope'}/nodes=1").status_code == 400
    assert api.submit("{type='kavlan'}/vlan=7").status_code == 400  # 6 routed VLANs only


def test_malformed_resource_strings_are_refused(api):
    for resources in ("nodes=", "{cluster=}/nodes=1", "{cluster='a'/nodes=1", "foo=2", "nodes=two",
                      "cluster=1/nodes=2", "nodes=1,walltime=soon", "{colour='red'}/nodes=1", "vlan=1"):
        answer = api.submit(resources)
        assert answer.status_code == 400, resources
        assert "Bad resource request" in answer.text or "Bad walltime" in answer.text, answer.text


def test_named_nodes_and_properties_select_nodes(api):
    job = api.running_job("{network_address in ('parasilo-3.rennes.grid5000.fr')}/nodes=1")
    assert job["assigned_nodes"] == ["parasilo-3.rennes.grid5000.fr"]
    other = api.running_job("nodes=1", properties="host not in ('parasilo-1.rennes.grid5000.fr')")
    assert other["assigned_nodes"] == ["parasilo-2.rennes.grid5000.fr"]
    answer = api.submit("{network_address='parasilo-9.rennes.grid5000.fr'}/nodes=1")
    assert answer.status_code == 400 and "not enough resources" in answer.text


def test_invalid_jobs_are_refused_by_the_api(api):
    assert api.post("/sites/rennes/jobs", {"resources": "nodes=1"}).text.startswith(
        "The job you are trying to submit is not valid: Command can't be blank")
    assert api.post("/sites/rennes/jobs", ["nodes=1"]).status_code == 400
    assert api.post("/sites/rennes/jobs", {"command": "x", "types": "deploy,x y"}).status_code == 400
    assert api.post("/sites/rennes/jobs", {"command": "x", "queue": "vip"}).status_code == 400
    answer = api.client.post("/stable/sites/rennes/jobs", content="resources=nodes=1",
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      "Authorization": "Basic amRvZTpqZG9lLXNlY3JldA=="})
    assert answer.status_code == 415
    broken = api.client.post("/stable/sites/rennes/jobs", content="{not json",
                             headers={"Content-Type": "application/json",
                                      "Authorization": "Basic amRvZTpqZG9lLXNlY3JldA=="})
    assert broken.status_code == 400 and "not valid JSON" in broken.text


def test_anonymous_writes_are_forbidden_but_reads_allowed(api):
    answer = api.submit("nodes=1", user=None)
    assert answer.status_code == 403 and answer.text == "You are not authorized to access this resource"
    assert api.get("/sites/rennes/jobs").status_code == 200


def test_advance_reservation_waits_for_its_date(api):
    job = api.post("/sites/rennes/jobs", {"resources": "nodes=2,walltime=1", "reservation": paris(3600, api.clock)}).json()
    assert job["state"] == "waiting" and job["scheduled_at"] >= api.clock.now + 3599
    api.clock.advance(1800)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "waiting"
    api.clock.advance(1801)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "launching"
    api.clock.advance(api.platform.config.launch_delay)
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["state"] == "running"


def test_conflicting_reservation_is_refused_with_could_run_at(api):
    api.running_job("nodes=4,walltime=2")
    answer = api.post("/sites/rennes/jobs", {"resources": "nodes=1,walltime=1", "reservation": paris(3600, api.clock)})
    assert answer.status_code == 400
    assert "Reservation not valid --> KO (This reservation could run at " in answer.text
    later = api.post("/sites/rennes/jobs", {"resources": "nodes=4,walltime=1", "reservation": paris(7300, api.clock)})
    assert later.status_code == 201


def test_bad_or_old_reservation_dates_are_refused(api):
    bad = api.post("/sites/rennes/jobs", {"resources": "nodes=1", "reservation": "tomorrow"})
    assert bad.status_code == 400 and bad.text.startswith("Syntax error in reservation start date")
    assert api.post("/sites/rennes/jobs", {"resources": "nodes=1", "reservation": 1700000000}).status_code == 400
    old = api.post("/sites/rennes/jobs", {"resources": "nodes=1", "reservation": paris(-3600, api.clock)})
    assert old.status_code == 400 and "Reservation too old" in old.text


def test_delete_is_asynchronous_and_owner_only(api):
    job = api.running_job("nodes=1")
    path = f"/sites/rennes/jobs/{job['uid']}"
    assert api.delete(path, user=ASMITH).status_code == 403
    assert api.delete(path, user=None).status_code == 403
    answer = api.delete(path)
    assert answer.status_code == 202 and answer.text == ""
    assert answer.headers["x-oar-info"] == (f"Deleting the job = {job['uid']} ...REGISTERED. "
                                            f"The job(s) [ {job['uid']} ] will be deleted in a near future.")
    assert api.get(path).json()["state"] == "running"
    api.clock.advance(api.platform.config.delete_delay)
    assert api.get(path).json()["state"] == "terminated"
    again = api.delete(path)
    assert again.status_code == 400 and "This job was already killed" in again.text


def test_deleting_a_waiting_job_ends_it_in_error(api):
    api.running_job("nodes=4")
    waiting = api.submit("nodes=1").json()
    assert api.delete(f"/sites/rennes/jobs/{waiting['uid']}").status_code == 202
    assert api.get(f"/sites/rennes/jobs/{waiting['uid']}").json()["state"] == "error"  # nothing to kill


def test_unknown_jobs_sites_and_the_slurm_site(api):
    assert api.get("/sites/rennes/jobs/999").status_code == 404
    assert api.get("/sites/rennes/jobs/999").text == "Couldn't find OAR::Job with 'job_id'=999"
    assert api.delete("/sites/rennes/jobs/999").text == "Job id '999' cannot be found."
    slurm = api.post("/sites/bordeaux/jobs", {"command": "x"})
    assert slurm.status_code == 404 and "slurm" in slurm.text and "OAR" in slurm.text
    assert api.get("/sites/bordeaux/jobs").status_code == 404
    assert api.get("/sites/atlantis/jobs").status_code == 404


def test_list_filters_orders_and_paginates(api):
    uids = [api.submit("nodes=1", name=f"job{i}").json()["uid"] for i in range(3)]
    asmith = api.submit("nodes=1", user=ASMITH, name="theirs").json()["uid"]
    listing = api.get("/sites/rennes/jobs").json()
    assert [j["uid"] for j in listing["items"]] == [asmith, *reversed(uids)]
    assert listing["total"] == 4 and "assigned_nodes" not in listing["items"][0]
    mine = api.get("/sites/rennes/jobs", params={"user": "jdoe", "name": "job1"}).json()
    assert [j["uid"] for j in mine["items"]] == [uids[1]]
    page = api.get("/sites/rennes/jobs", params={"limit": 2, "offset": 1}).json()
    assert [j["uid"] for j in page["items"]] == [uids[2], uids[1]] and page["offset"] == 1
    with_resources = api.get("/sites/rennes/jobs", params={"resources": "yes", "job_id": uids[0]}).json()
    assert with_resources["items"][0]["assigned_nodes"] == ["parasilo-1.rennes.grid5000.fr"]
    api.delete(f"/sites/rennes/jobs/{uids[0]}")
    api.clock.advance(5)
    active = api.get("/sites/rennes/jobs", params={"state": "waiting,launching,running"}).json()
    assert uids[0] not in [j["uid"] for j in active["items"]] and active["total"] == 3
    assert api.get("/sites/rennes/jobs", params={"limit": "x"}).status_code == 400
    assert api.get("/sites/rennes/jobs", params={"state": ","}).json()["total"] == 4


def test_jobs_survive_a_restart(api_factory, tmp_path):
    first = api_factory(state_dir=tmp_path / "kept")
    job = first.running_job("nodes=2+{type='kavlan'}/vlan=1")
    second = api_factory(state_dir=tmp_path / "kept", clock=first.clock)
    again = second.get(f"/sites/rennes/jobs/{job['uid']}").json()
    assert again["state"] == "running" and again["assigned_nodes"] == job["assigned_nodes"]
    assert second.submit("nodes=3").json()["state"] == "waiting"  # its nodes are still held


def test_status_shows_busy_nodes_and_their_reservations(api):
    job = api.running_job("{network_address='parasilo-2.rennes.grid5000.fr'}/nodes=1")
    nodes = api.get("/sites/rennes/status").json()["nodes"]
    assert nodes["parasilo-2.rennes.grid5000.fr"]["soft"] == "busy"
    assert nodes["parasilo-2.rennes.grid5000.fr"]["reservations"][0]["uid"] == job["uid"]
    assert nodes["parasilo-1.rennes.grid5000.fr"] == {"hard": "alive", "soft": "free", "comment": "", "reservations": []}
    assert set(api.get("/sites/nancy/clusters/gros/status").json()["nodes"]) == {
        "gros-1.nancy.grid5000.fr", "gros-2.nancy.grid5000.fr"}
    assert api.get("/sites/rennes/clusters/nope/status").status_code == 404
    assert api.get("/sites/bordeaux/status").status_code == 404


def test_job_ids_are_numbered_per_site(api):
    """Each site has its own OAR server: rennes and nancy both count from their own first job."""
    first = api.running_job("nodes=1")
    second = api.running_job("nodes=1")
    at_nancy = api.running_job("nodes=1", site="nancy")
    assert second["uid"] == first["uid"] + 1
    assert at_nancy["uid"] == first["uid"]  # the same number names two different jobs
    assert api.get(f"/sites/nancy/jobs/{at_nancy['uid']}").json()["assigned_nodes"] == [
        "gros-1.nancy.grid5000.fr"]
    assert api.get(f"/sites/rennes/jobs/{first['uid']}").json()["assigned_nodes"] == [
        "parasilo-1.rennes.grid5000.fr"]
    assert api.delete(f"/sites/nancy/jobs/{at_nancy['uid']}").status_code == 202
    api.clock.advance(api.platform.config.delete_delay)
    assert api.get(f"/sites/rennes/jobs/{first['uid']}").json()["state"] == "running"


def test_walltime_change_grows_until_the_next_job_and_shrinks_at_once(api):
    job = api.running_job("nodes=1,walltime=1:00:00")
    path = f"/sites/rennes/jobs/{job['uid']}/walltime"
    status = api.get(path).json()
    assert (status["walltime"], status["possible"], status["granted"]) == ("1:0:0", "UNLIMITED", "0:0:0")
    answer = api.post(path, {"walltime": "+0:30"})
    assert answer.status_code == 202, answer.text
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["walltime"] == 5400
    # a reservation of the same node 2 h from now limits the growth to what is free before it
    later = api.post("/sites/rennes/jobs", {"resources": "{network_address='parasilo-1.rennes.grid5000.fr'}"
                                                         "/nodes=1,walltime=1:00:00",
                                            "reservation": paris(7200, api.clock)})
    assert later.status_code == 201, later.text
    assert api.get(path).json()["possible"] == "0:30:0"
    assert api.post(path, {"walltime": "+2:00", "whole": True}).status_code == 202
    assert api.get(path).json()["pending"] == "2:0:0"
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["walltime"] == 5400
    assert api.post(path, {"walltime": "+2:00"}).status_code == 202
    status = api.get(path).json()
    assert (status["walltime"], status["granted"], status["pending"]) == ("2:0:0", "1:0:0", "1:30:0")
    assert api.post(path, {"walltime": "1:00:00"}).status_code == 202
    assert api.get(f"/sites/rennes/jobs/{job['uid']}").json()["walltime"] == 3600


def test_walltime_change_refusals(api):
    job = api.running_job("nodes=1,walltime=1:00:00")
    path = f"/sites/rennes/jobs/{job['uid']}/walltime"
    assert api.post(path, {"walltime": "+1:00"}, user=ASMITH).status_code == 403
    assert api.post(path, {"walltime": "+1:00"}, user=None).status_code == 403
    bad = api.post(path, {"walltime": "+1h"})
    assert bad.status_code == 400 and "expected [+|-]hours[:minutes[:seconds]]" in bad.text
    assert api.post(path, {}).status_code == 400
    api.clock.advance(600)
    too_short = api.post(path, {"walltime": "0:05"})
    assert too_short.status_code == 400 and "not after the time already run" in too_short.text
    assert api.get("/sites/rennes/jobs/999/walltime").status_code == 404
    api.running_job("nodes=3")
    waiting = api.submit("nodes=1").json()
    refused = api.post(f"/sites/rennes/jobs/{waiting['uid']}/walltime", {"walltime": "+1:00"})
    assert refused.status_code == 400 and "not running" in refused.text


def test_the_site_dhcp_serves_the_subnets_of_the_running_jobs(api):
    first = api.running_job("slash_22=1+nodes=1,walltime=0:10:00")
    assert api.fabric.calls[-1] == ("set_subnets", "rennes", first["resources_by_type"]["subnets"])
    second = api.running_job("slash_22=1+nodes=1,walltime=0:20:00")
    both = sorted(first["resources_by_type"]["subnets"] + second["resources_by_type"]["subnets"])
    assert api.fabric.calls[-1] == ("set_subnets", "rennes", both)
    api.clock.advance(600)                                  # the first job's walltime is over
    assert api.get(f"/sites/rennes/jobs/{first['uid']}").json()["state"] == "terminated"
    assert ("set_subnets", "rennes", second["resources_by_type"]["subnets"]) in api.fabric.calls


HUGE = "99999999999999999999"  # past SQLite's 64-bit integers


@pytest.mark.parametrize("body", [
    {"command": "x", "resources": "nodes=1,walltime=" + HUGE},
    {"command": "x", "resources": "nodes=1", "walltime": HUGE},
    {"command": "x", "resources": "nodes=1", "walltime": int(HUGE)},
    {"command": "x", "resources": "nodes=1,walltime=%s:00:00" % HUGE},
    {"command": "x", "resources": "nodes=" + HUGE},
    {"command": "x", "resources": "{type='kavlan'}/vlan=" + HUGE},
    {"command": "x", "resources": "slash_22=" + HUGE},
    {"command": "x", "resources": "nodes=1", "walltime": -1},
    {"command": "x", "resources": "nodes=1", "walltime": 1.5e300},
], ids=["walltime in resources", "walltime text", "walltime int", "walltime hours", "node count", "vlan count",
        "subnet count", "negative walltime", "float walltime"])
def test_unreadable_numbers_are_400_with_the_api_text_never_500(api, body):
    answer = api.post("/sites/rennes/jobs", body)
    assert answer.status_code == 400, answer.text
    assert answer.text.startswith(("The job you are trying to submit is not valid", "Request to http://oar-api")), answer.text
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", ["/sites/rennes/jobs/" + HUGE, "/sites/rennes/deployments/" + HUGE,
                                  "/sites/rennes/vlans/" + HUGE])
def test_unreadable_ids_and_paging_are_client_errors(api, path):
    assert 400 <= api.get(path).status_code < 500
