"""Faults during a job submission (oar_job): 503 bursts, dropped connections, and the answer lost
after OAR created the job. Each ends in success after retries or a clear failure, a re-run
converges, and there is never more than one job with the play's name."""

import pytest

from fault_harness import api, assert_no_duplicate_job, fast_emulator, hits_left, run_one, set_faults, set_rules

pytestmark = pytest.mark.slow
SUBMIT = {"method": "POST", "path": "/sites/rennes/jobs"}


def reserve_args(name):
    return {"name": name, "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 2}], "vlan": "kavlan",
            "walltime": "1:00", "types": ["deploy"], "wait": True, "wait_timeout": 120}


def reserve(tmp_path, emulator, name):
    return run_one(tmp_path, emulator, "Reserve", "oar_job", reserve_args(name))


@pytest.fixture
def emulator():
    with fast_emulator() as running:
        yield running


def assert_converged(tmp_path, emulator, name):
    """A re-run without faults ends with the one running job; the run after it changes nothing."""
    first = reserve(tmp_path, emulator, name)
    assert not first.get("failed"), first.get("msg")
    again = reserve(tmp_path, emulator, name)
    assert not again.get("failed") and again["changed"] is False, again
    job = assert_no_duplicate_job(emulator, name)
    assert job["state"] == "running" and again["jobs"][0]["uid"] == job["uid"] == first["jobs"][0]["uid"]


def test_a_503_burst_on_reads_is_retried(tmp_path, emulator):
    set_faults(emulator, error_burst=3)
    result = reserve(tmp_path, emulator, "burst")
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["jobs"][0]["state"] == "running"
    assert set_faults(emulator)["error_burst"] == 0  # the burst was really met
    assert assert_no_duplicate_job(emulator, "burst")["uid"] == result["jobs"][0]["uid"]


def test_a_503_on_the_submission_fails_clearly_then_a_rerun_converges(tmp_path, emulator):
    set_rules(emulator, dict(SUBMIT, fault="error"))
    result = reserve(tmp_path, emulator, "refused")
    assert result.get("failed") and result["changed"] is False
    assert "submit job refused at rennes failed: POST /sites/rennes/jobs returned HTTP 503" in result["msg"]
    assert assert_no_duplicate_job(emulator, "refused") is None
    assert_converged(tmp_path, emulator, "refused")


def test_a_dropped_submission_leaves_no_job_or_reports_the_one_it_made(tmp_path, emulator):
    set_rules(emulator, dict(SUBMIT, fault="drop"))
    result = reserve(tmp_path, emulator, "dropped")
    job = assert_no_duplicate_job(emulator, "dropped")
    if result.get("failed"):  # OAR never saw the request: nothing was written, and the task says so
        assert job is None and result["changed"] is False
        assert "POST /sites/rennes/jobs got no HTTP answer" in result["msg"]
    else:
        assert result["jobs"][0]["uid"] == job["uid"]
    assert_converged(tmp_path, emulator, "dropped")


def test_an_answer_lost_after_oar_created_the_job_is_reported(tmp_path, emulator):
    set_rules(emulator, dict(SUBMIT, fault="lost_answer"))
    result = reserve(tmp_path, emulator, "lost")
    job = assert_no_duplicate_job(emulator, "lost")
    assert job is not None  # the platform acted
    assert result["changed"] is True
    reported = str(result["jobs"][0]["uid"]) if not result.get("failed") else result["msg"]
    assert str(job["uid"]) in reported


def test_after_an_answer_lost_a_rerun_adopts_the_job_without_a_duplicate(tmp_path, emulator):
    set_rules(emulator, dict(SUBMIT, fault="lost_answer"))
    reserve(tmp_path, emulator, "adopted")
    created = assert_no_duplicate_job(emulator, "adopted")
    rerun = reserve(tmp_path, emulator, "adopted")
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun["changed"] is False and rerun["jobs"][0]["uid"] == created["uid"]
    assert assert_no_duplicate_job(emulator, "adopted")["uid"] == created["uid"]


def test_a_lost_submission_answer_with_a_failing_read_back_says_the_job_may_exist(tmp_path, emulator):
    # the first listing (is there a job already?) passes; the answer to the POST is lost after OAR
    # created the job; every listing after it (the read back) fails
    set_rules(emulator, {"fault": "none", "method": "GET", "path": "/sites/rennes/jobs", "count": 1},
              dict(SUBMIT, fault="lost_answer"),
              {"fault": "error", "method": "GET", "path": "/sites/rennes/jobs", "count": 50})
    result = run_one(tmp_path, emulator, "Reserve", "oar_job", dict(reserve_args("unsure"), wait=False, api_retries=1))
    set_rules(emulator)
    job = assert_no_duplicate_job(emulator, "unsure")
    assert job is not None  # OAR made it
    assert result.get("failed") and result["changed"] is True, result
    assert "no job was created" not in result["msg"]
    assert "so it MAY have done it" in result["msg"] and "POST /sites/rennes/jobs got no HTTP answer" in result["msg"]
    assert any(line.startswith("maybe: POST /sites/rennes/jobs") for line in result["done"]), result["done"]
    assert_converged(tmp_path, emulator, "unsure")


def test_lost_answers_to_every_delete_are_settled_by_reading_the_job_back(tmp_path, emulator):
    created = reserve(tmp_path, emulator, "doomed")
    assert not created.get("failed"), created.get("msg")
    uid = created["jobs"][0]["uid"]
    set_rules(emulator, {"fault": "lost_answer", "method": "DELETE", "path": "/sites/rennes/jobs/%s" % uid, "count": 3})
    result = run_one(tmp_path, emulator, "Release", "oar_job",
                     {"name": "doomed", "site": "rennes", "state": "absent", "api_retries": 2})
    assert hits_left(emulator) == [0]  # every DELETE answer was lost
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["done"] == ["deleted job %s at rennes (no answer to DELETE /sites/rennes/jobs/%s: found by reading back)"
                              % (uid, uid)]
    assert any("found by reading back" in w for w in result.get("warnings", []))
    job = api(emulator.url, "GET", "/sites/rennes/jobs/%s" % uid)
    assert job["state"] == "terminated" or any(e["type"] == "FRAG_JOB_REQUEST" for e in job["events"]), job
