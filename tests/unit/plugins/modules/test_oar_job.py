"""oar_job against scripted OAR sites: create, no-op, delete, multi-site rollback, waiting, errors."""

import pytest

from ansible_collections.g5k.testbed.plugins.modules import oar_job
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import OarSite, running_job, script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}


@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 4})
    return OarSite(fake_api, "rennes")


@pytest.fixture
def nancy(fake_api):
    script_site(fake_api, "nancy", {"gros": 2})
    return OarSite(fake_api, "nancy", first_uid=500, nodes=["gros-1"])


def args(**extra):
    merged = dict(AUTH, name="exp", site="rennes", clusters=[{"name": "parasilo", "nodes": 2}], vlan="kavlan",
                  types=["deploy"], walltime="2:00")
    merged.update(extra)
    return dict((k, v) for k, v in merged.items() if v is not None)


def test_check_mode_reports_the_job_it_would_submit(fake_api, rennes):
    result = ok(oar_job, args(), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["jobs"][0]["uid"] is None
    assert result["jobs"][0]["resources"] == "{cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1,walltime=02:00:00"
    assert result["diff"] == {"before": {"rennes": "absent"}, "after": {"rennes": "waiting"}}
    assert not fake_api.requests("POST")


def test_create_then_reuse_by_name(fake_api, rennes):
    result = ok(oar_job, args())
    assert result["changed"] is True
    sent = fake_api.requests("POST", "/sites/rennes/jobs")[0].body
    assert sent == {"name": "exp", "types": ["deploy"], "command": "sleep 31536000",
                    "resources": "{cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1,walltime=02:00:00"}
    job = result["jobs"][0]
    assert (job["uid"], job["state"], job["vlans"]) == (100, "running", ["4"])
    assert job["nodes"] == ["parasilo-1.rennes.grid5000.fr", "parasilo-2.rennes.grid5000.fr"]
    again = ok(oar_job, args())
    assert again["changed"] is False and again["jobs"][0]["uid"] == 100
    assert len(fake_api.requests("POST", "/sites/rennes/jobs")) == 1
    check_again = ok(oar_job, args(), check_mode=True)
    assert check_again["changed"] is False


def test_absent_deletes_then_is_a_no_op(fake_api, rennes):
    ok(oar_job, args())
    check = ok(oar_job, args(state="absent"), check_mode=True)
    assert check["changed"] is True and not fake_api.requests("DELETE")
    gone = ok(oar_job, args(state="absent"), diff=True)
    assert gone["changed"] is True
    assert gone["diff"]["before"] == {"rennes": "running"}
    assert len(fake_api.requests("DELETE", "/sites/rennes/jobs/100")) == 1
    assert ok(oar_job, args(state="absent"))["changed"] is False


def test_two_active_jobs_with_the_name_is_an_ambiguity_error(fake_api, rennes):
    rennes.add(running_job(7, "rennes", ["parasilo-1"], name="exp"))
    rennes.add(running_job(8, "rennes", ["parasilo-2"], name="exp", state="waiting"))
    result = fails(oar_job, args())
    assert "2 active jobs named 'exp' of jdoe at rennes (7, 8)" in result["msg"]
    assert not fake_api.requests("POST")


def test_another_users_job_with_the_name_is_not_adopted(fake_api, rennes):
    rennes.add(running_job(7, "rennes", ["parasilo-1"], name="exp", user="asmith"))
    result = ok(oar_job, args())
    assert result["changed"] is True and result["jobs"][0]["uid"] == 100


def test_multi_site_failure_rolls_back_created_jobs(fake_api, rennes, nancy):
    nancy.submit_reply = Reply(400, text="Request to oarapi failed with status 400: There are not enough resources")
    result = fails(oar_job, dict(AUTH, name="grid", sites=[
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}]},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]))
    assert "submit job grid at nancy failed: POST /sites/nancy/jobs returned HTTP 400" in result["msg"]
    assert "not enough resources" in result["msg"]
    assert "rolled back the jobs this task had created: 100 at rennes" in result["msg"]
    assert rennes.jobs[100]["state"] == "terminated"


def test_rollback_waits_until_oar_has_ended_the_deleted_job(fake_api, rennes, nancy):
    rennes.reads_until_killed = 2  # still "running" on the two reads that follow the DELETE
    nancy.submit_reply = Reply(400, text="Request to oarapi failed with status 400: There are not enough resources")
    result = fails(oar_job, dict(AUTH, name="grid", sites=[
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}]},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]))
    assert "rolled back the jobs this task had created: 100 at rennes)" in result["msg"]
    assert rennes.jobs[100]["state"] == "terminated"
    deleted_at = fake_api.calls.index(fake_api.requests("DELETE", "/sites/rennes/jobs/100")[0])
    reads_after = [c for c in fake_api.calls[deleted_at:] if c.method == "GET" and c.path == "/sites/rennes/jobs/100"]
    assert len(reads_after) == 3


def test_multi_site_success_returns_each_site(fake_api, rennes, nancy):
    result = ok(oar_job, dict(AUTH, name="grid", sites=[
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}], "vlan": "kavlan-global"},
        {"site": "nancy", "nodes": ["gros-1"], "subnet_prefix": 22}]))
    assert [(j["site"], j["uid"]) for j in result["jobs"]] == [("rennes", 100), ("nancy", 500)]
    assert fake_api.requests("POST", "/sites/nancy/jobs")[0].body["resources"] == \
        "{network_address in ('gros-1.nancy.grid5000.fr')}/nodes=1+slash_22=1,walltime=01:00:00"
    assert result["jobs"][1]["subnets"] == ["10.156.0.0/22", "10.156.4.0/22"]


def test_one_step_submits_and_reports_a_waiting_job_as_pending(fake_api, rennes):
    rennes.start_state = "waiting"
    result = ok(oar_job, args(wait=True, wait_timeout=60))  # waiting is the action plugin's loop
    assert result["changed"] is True and result["pending"] is True
    assert result["jobs"][0]["state"] == "waiting"
    assert len(fake_api.requests("GET", "/sites/rennes/jobs/100")) == 1
    rennes.jobs[100]["state"] = "running"
    again = ok(oar_job, args(wait=True))
    assert again["changed"] is False and again["pending"] is False


def test_raw_resources_and_reservation_are_sent_as_given(fake_api, rennes):
    ok(oar_job, args(clusters=None, vlan=None, resources="{cluster='parasilo'}/nodes=1", reservation="2030-01-02 03:04",
                     project="lab", queue="production"))
    body = fake_api.requests("POST", "/sites/rennes/jobs")[0].body
    assert body["resources"] == "{cluster='parasilo'}/nodes=1,walltime=02:00:00"
    assert body["reservation"] == "2030-01-02 03:04:00"
    assert (body["project"], body["queue"]) == ("lab", "production")
    assert "command" not in body


BAD_INPUTS = [
    ("unknown site", dict(site="lile"), "unknown site 'lile'"),
    ("unknown cluster", dict(clusters=[{"name": "paravance", "nodes": 1}]), "unknown cluster 'paravance' at rennes"),
    ("more nodes than the cluster has", dict(clusters=[{"name": "parasilo", "nodes": 9}]), "9 nodes of cluster parasilo requested, it has 4"),
    ("unknown named node", dict(clusters=None, nodes=["parasilo-12"]), "unknown node parasilo-12 at rennes"),
    ("node of another site", dict(clusters=None, nodes=["gros-1.nancy"]), "node gros-1.nancy is not at site rennes"),
    ("malformed walltime", dict(walltime="2h"), "walltime '2h' is malformed"),
    ("zero walltime", dict(walltime="0:00"), "is zero"),
    ("malformed reservation date", dict(reservation="tomorrow 8am"), "reservation date 'tomorrow 8am' is malformed"),
    ("impossible reservation date", dict(reservation="2026-13-01 10:00:00"), "is malformed"),
    ("subnet size out of range", dict(subnet_prefix=24), "subnet_prefix 24 is out of range"),
    ("raw and structured resources", dict(resources="nodes=1"), "do not combine it with clusters, vlan"),
    ("nothing to reserve", dict(clusters=None, vlan=None), "nothing to reserve"),
    ("Slurm site", dict(site="bordeaux"), "site bordeaux is scheduled by slurm, not OAR"),
    ("no credentials and no USER", dict(api_username=None, api_password=None), "cannot tell whose jobs"),
    ("API refuses the job (422)", dict(), "HTTP 422: The job you are trying to submit is not valid"),
    ("empty name", dict(name=""), "name is empty"),
    ("blank name", dict(name="   "), "name is empty"),
    ("name with a newline", dict(name="exp\nrm"), "holds a control character"),
    ("name with surrounding spaces", dict(name=" exp"), "starts or ends with spaces"),
    ("name longer than OAR keeps", dict(name="x" * 300), "name is 300 characters long: OAR keeps at most 100"),
    ("zero subnets", dict(subnet_prefix=22, subnet_count=0), "subnet_count is 0: it must be at least 1"),
    ("zero VLANs", dict(vlan_count=0), "vlan_count is 0: it must be at least 1"),
    ("zero nodes of a cluster", dict(clusters=[{"name": "parasilo", "nodes": 0}]),
     "0 nodes of cluster parasilo requested: give at least 1"),
    ("unquoted YAML walltime 2:00 (the int 120)", dict(walltime=120), "walltime is the number 120, not text"),
    ("walltime as a float", dict(walltime=1.5), "walltime is the number 1.5, not text"),
]


@pytest.mark.parametrize("label, extra, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_refused_and_nothing_is_created(fake_api, rennes, monkeypatch, label, extra, message):
    monkeypatch.delenv("USER", raising=False)
    fake_api.on("GET", "/sites/lile", Reply(404, text="not found"))
    fake_api.json("GET", "/sites", {"total": 2, "items": [{"uid": "rennes"}, {"uid": "bordeaux"}]})
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    fake_api.on("GET", "/sites/rennes/clusters/paravance/nodes", Reply(404, text="not found"))
    if "422" in label:
        rennes.submit_reply = Reply(422, text="The job you are trying to submit is not valid: bad types")
    result = fails(oar_job, args(**extra))
    assert message in result["msg"]
    assert result["changed"] is False
    assert rennes.jobs == {}


def test_a_job_that_ends_in_error_fails_the_task(fake_api, rennes):
    rennes.start_state = "error"
    result = fails(oar_job, args())
    assert "job(s) ended before running: 100 at rennes is error" in result["msg"]


def test_reads_are_retried_then_succeed_and_the_submission_is_sent_once(fake_api, rennes, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    listing = fake_api.routes[("GET", "/sites/rennes/jobs")]
    flaky = [Reply(502, text="Bad Gateway"), Reply(no_answer="Connection reset by peer")]
    fake_api.on("GET", "/sites/rennes/jobs", handler=lambda call: flaky.pop(0) if flaky else listing(call))
    result = ok(oar_job, args())
    assert result["changed"] and len(fake_api.requests("POST", "/sites/rennes/jobs")) == 1
    assert len(fake_api.requests("GET", "/sites/rennes/jobs")) == 3


def test_submission_failing_with_5xx_is_not_retried(fake_api, rennes):
    rennes.submit_reply = Reply(503, text="Service Unavailable")
    result = fails(oar_job, args())
    assert "HTTP 503: Service Unavailable" in result["msg"] and "no job was created by this task" in result["msg"]
    assert len(fake_api.requests("POST", "/sites/rennes/jobs")) == 1


@pytest.fixture
def warnings(monkeypatch):
    shown = []
    monkeypatch.setattr(oar_job.G5kModule, "warn", lambda self, text: shown.append(text))
    return shown


def test_an_existing_job_with_other_resources_is_kept_with_a_warning_and_a_diff(fake_api, rennes, warnings):
    ok(oar_job, args())
    result = ok(oar_job, args(walltime="4:00", clusters=[{"name": "parasilo", "nodes": 3}], vlan=None), diff=True)
    assert result["changed"] is False
    assert result["jobs"][0]["differences"] == [
        "walltime: the job has 1:00:00, the task asks for 4:00:00",
        "nodes: the job has 2 of parasilo, the task asks for 3 of parasilo",
        "vlans: the job has 4 (kavlan), the task asks for none"]
    assert len(warnings) == 1 and "job 100 named 'exp' at rennes is kept as it is" in warnings[0]
    assert result["diff"]["before"]["rennes"] == {"job": 100, "state": "running", "walltime": "1:00:00",
                                                  "nodes": "2 of parasilo", "vlans": "4 (kavlan)"}
    assert result["diff"]["after"]["rennes"]["walltime"] == "4:00:00"
    assert len(fake_api.requests("POST", "/sites/rennes/jobs")) == 1


def test_the_same_request_again_has_no_differences_and_no_warning(fake_api, rennes, warnings):
    ok(oar_job, args(walltime="1:00:00"))
    again = ok(oar_job, args(walltime="1:00:00"))
    assert again["jobs"][0]["differences"] == [] and warnings == []


def test_a_failure_after_a_submission_reports_changed_and_what_was_done(fake_api, rennes, nancy):
    nancy.submit_reply = Reply(400, text="Request to oarapi failed with status 400: There are not enough resources")
    result = fails(oar_job, dict(AUTH, name="grid", sites=[
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}]},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]))
    assert result["changed"] is True
    assert result["done"] == ["submitted job 100 at rennes", "deleted job 100 at rennes again (rollback)"]


def test_a_failure_after_a_deletion_reports_changed(fake_api, rennes, nancy):
    ok(oar_job, dict(AUTH, name="grid", sites=[
        {"site": "rennes", "clusters": [{"name": "parasilo", "nodes": 1}]},
        {"site": "nancy", "clusters": [{"name": "gros", "nodes": 1}]}]))
    fake_api.on("DELETE", "/sites/nancy/jobs/500", Reply(500, text="OAR is down"))
    result = fails(oar_job, dict(AUTH, name="grid", state="absent", api_retries=0,
                                 sites=[{"site": "rennes"}, {"site": "nancy"}]))
    assert "DELETE /sites/nancy/jobs/500 returned HTTP 500" in result["msg"]
    assert result["changed"] is True and result["done"] == ["deleted job 100 at rennes"]
