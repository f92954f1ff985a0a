"""g5k_subnet: subnets of a job, site settings, IP/MAC slices, errors."""

import pytest

from ansible_collections.g5k.testbed.plugins.modules import g5k_subnet
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import running_job, script_jobs, script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}


@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 2})
    job = running_job(42, "rennes", ["parasilo-1"], subnets=["10.156.8.0/22", "10.156.4.0/22"], name="vms")
    script_jobs(fake_api, "rennes", [job])
    fake_api.json("GET", "/sites/rennes/jobs/42", job)
    fake_api.json("GET", "/sites/rennes/servers/dns", {"uid": "dns", "network_adapters": {"default": {"ip": "172.16.111.118"}}})


def test_subnets_of_a_named_job(fake_api, rennes):
    result = ok(g5k_subnet, dict(AUTH, site="rennes", job_name="vms", count=2, offset=1), check_mode=True)
    assert result["changed"] is False
    assert result["job_id"] == 42
    assert result["subnets"] == ["10.156.4.0/22", "10.156.8.0/22"]
    assert result["summary"] == ["10.156.4.0/22", "10.156.8.0/22"]
    assert result["network"]["netmask"] == "255.252.0.0" and result["network"]["gateway"] == "10.159.255.254"
    assert result["dns"] == "172.16.111.118"
    assert result["total"] == 2044
    assert result["addresses"] == [{"ip": "10.156.4.2", "mac": "00:16:3E:9C:04:02"},
                                   {"ip": "10.156.4.3", "mac": "00:16:3E:9C:04:03"}]
    assert not [c for c in fake_api.calls if c.method != "GET"]


def test_job_by_id_and_given_subnets(fake_api, rennes):
    assert ok(g5k_subnet, dict(AUTH, site="rennes", job_id=42, count=0))["total"] == 2044
    planned = ok(g5k_subnet, dict(AUTH, site="rennes", subnets=["10.156.0.0/22"], count=1))
    assert planned["job_id"] is None and planned["addresses"][0]["ip"] == "10.156.0.1"


@pytest.mark.parametrize("extra, message", [
    (dict(job_id=7), "job 7 does not exist at rennes"),
    (dict(job_name="nope"), "no active job named 'nope' at rennes"),
    (dict(job_name=""), "name is empty"),
    (dict(subnets=["10.156.0.0/33"]), "subnets:"),
    (dict(subnets=["10.156.0.0/22"], offset=-1), "must not be negative"),
    (dict(subnets=["10.156.0.0/22"], count=-1), "must not be negative"),
    (dict(site="bordeaux", job_id=1), "site bordeaux is scheduled by slurm"),
    (dict(subnets=["10.156.0.0/22"], count=5000),
     "5000 addresses asked from offset 0, but 10.156.0.0/22 hold 1022 usable addresses"),
    (dict(subnets=["10.156.0.0/22"], count=2, offset=1021), "2 addresses asked from offset 1021"),
    (dict(subnets=["10.156.0.0/22"], offset=2000), "offset 2000 is past the 1022 usable addresses"),
])
def test_bad_input(fake_api, rennes, extra, message):
    fake_api.on("GET", "/sites/rennes/jobs/7", Reply(404, text="Couldn't find OAR::Job with 'job_id'=7"))
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    result = fails(g5k_subnet, dict(dict(AUTH, site="rennes"), **extra))
    assert message in result["msg"]


def test_job_without_subnet(fake_api, rennes):
    fake_api.json("GET", "/sites/rennes/jobs/43", running_job(43, "rennes", ["parasilo-2"]))
    assert "holds no subnet" in fails(g5k_subnet, dict(AUTH, site="rennes", job_id=43))["msg"]


def test_two_active_jobs_with_the_name_is_ambiguous(fake_api, rennes):
    twins = [running_job(42, "rennes", ["parasilo-1"], subnets=["10.156.4.0/22"], name="vms"),
             running_job(43, "rennes", ["parasilo-2"], subnets=["10.156.8.0/22"], name="vms")]
    script_jobs(fake_api, "rennes", twins)
    assert "2 active jobs named 'vms' of jdoe at rennes (42, 43)" in fails(g5k_subnet, dict(AUTH, site="rennes", job_name="vms"))["msg"]
