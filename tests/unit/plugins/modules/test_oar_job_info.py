"""oar_job_info (oarstat) and kadeploy_environment_info (kaenv3 -l): read-only, across sites."""

import pytest

from ansible_collections.g5k.testbed.plugins.modules import kadeploy_environment_info, oar_job_info
from g5k_environments import script_environments
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import running_job, script_jobs, script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}
NOW = 1700001000


@pytest.fixture
def platform(fake_api, monkeypatch):
    monkeypatch.setattr(oar_job_info.time, "time", lambda: NOW)
    script_site(fake_api, "rennes", {"parasilo": 4})
    script_site(fake_api, "nancy", {"gros": 2})
    fake_api.json("GET", "/sites", {"total": 3, "items": [{"uid": "bordeaux"}, {"uid": "nancy"}, {"uid": "rennes"}]})
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    mine = running_job(12, "rennes", ["parasilo-1", "parasilo-2"], vlans=["4"], subnets=["10.156.4.0/22"], name="exp")
    waiting = running_job(13, "rennes", [], name="later", state="waiting")
    waiting.update(started_at=None, scheduled_at=1700009000)
    theirs = running_job(14, "rennes", ["parasilo-3"], name="exp", user="asmith")
    script_jobs(fake_api, "rennes", [theirs, waiting, mine])
    script_jobs(fake_api, "nancy", [running_job(3, "nancy", ["gros-1"], name="exp")])
    fake_api.json("GET", "/sites/rennes/jobs/14", theirs)
    fake_api.on("GET", "/sites/rennes/jobs/99", Reply(404, text="Couldn't find OAR::Job with 'job_id'=99"))


def test_my_jobs_on_every_oar_site_with_the_walltime_left(fake_api, platform):
    result = ok(oar_job_info, AUTH, check_mode=True)
    assert result["changed"] is False
    assert [(j["site"], j["uid"], j["state"]) for j in result["jobs"]] == [
        ("nancy", 3, "running"), ("rennes", 12, "running"), ("rennes", 13, "waiting")]
    job = result["jobs"][1]
    assert job["nodes"] == ["parasilo-1.rennes.grid5000.fr", "parasilo-2.rennes.grid5000.fr"]
    assert (job["vlans"], job["subnets"], job["user"]) == (["4"], ["10.156.4.0/22"], "jdoe")
    assert job["walltime_left"] == 1700000000 + 3600 - NOW
    assert result["jobs"][2]["walltime_left"] is None and result["jobs"][2]["scheduled_at"] == 1700009000
    assert not fake_api.requests("GET", "/sites/bordeaux/jobs")
    assert all(c.query["user"] == "jdoe" for c in fake_api.requests("GET", "/sites/rennes/jobs"))


def test_by_name_on_given_sites(fake_api, platform):
    result = ok(oar_job_info, dict(AUTH, sites=["rennes"], name="exp"))
    assert [j["uid"] for j in result["jobs"]] == [12]
    assert not fake_api.requests("GET", "/sites/nancy/jobs")


def test_every_user(fake_api, platform):
    result = ok(oar_job_info, dict(AUTH, sites=["rennes"], user="*", name="exp"))
    assert [(j["uid"], j["user"]) for j in result["jobs"]] == [(12, "jdoe"), (14, "asmith")]
    assert "user" not in fake_api.requests("GET", "/sites/rennes/jobs")[0].query


def test_one_job_by_id(fake_api, platform):
    result = ok(oar_job_info, dict(AUTH, sites=["rennes"], job_id=14))
    assert [(j["uid"], j["user"], j["walltime_left"]) for j in result["jobs"]] == [(14, "asmith", 2600)]


@pytest.mark.parametrize("extra, message", [
    (dict(job_id=14), "job_id needs exactly one site in sites"),
    (dict(job_id=14, sites=["rennes", "nancy"]), "job_id needs exactly one site in sites"),
    (dict(job_id=99, sites=["rennes"]), "job 99 does not exist at rennes"),
    (dict(sites=["bordeaux"]), "site bordeaux is scheduled by slurm, not OAR"),
    (dict(name=""), "name is empty"),
    (dict(states=["dreaming"]), "value of states must be one or more of"),
    (dict(api_username=None, api_password=None), "cannot tell whose jobs to list"),
])
def test_bad_input(fake_api, platform, monkeypatch, extra, message):
    monkeypatch.delenv("USER", raising=False)
    result = fails(oar_job_info, dict(AUTH, **extra))
    assert message in result["msg"] and not result.get("changed")


def test_environments_of_a_site(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 1})
    script_environments(fake_api, "rennes")
    result = ok(kadeploy_environment_info, dict(AUTH, site="rennes", name="debian12-min"), check_mode=True)
    assert result["changed"] is False
    assert [(e["name"], e["arch"], e["version"]) for e in result["environments"]] == [
        ("debian12-min", "aarch64", 2026010100), ("debian12-min", "x86_64", 2026010100)]
    assert set(result["environments"][0]) == {"uid", "name", "version", "arch", "alias", "description", "os",
                                              "visibility", "user", "destructive"}
    every = ok(kadeploy_environment_info, dict(AUTH, site="rennes", name="debian12-min@deploy", arch="x86_64",
                                               latest_only=False))
    assert [e["version"] for e in every["environments"]] == [2026010100, 2025060100]
    assert fake_api.requests("GET", "/sites/rennes/environments")[-1].query == {
        "name": "debian12-min", "user": "deploy", "arch": "x86_64", "latest_only": "no", "limit": "500", "offset": "0"}
    assert ok(kadeploy_environment_info, dict(AUTH, site="rennes", name="nope"))["environments"] == []


def test_environments_of_a_slurm_site_are_refused(fake_api):
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    assert "not OAR" in fails(kadeploy_environment_info, dict(AUTH, site="bordeaux"))["msg"]
