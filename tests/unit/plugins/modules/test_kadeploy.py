"""kadeploy against a scripted Kadeploy: deploy, no-op, force, bounded redeploy of KO nodes, errors."""

import pytest

from ansible_collections.g5k.testbed.plugins.modules import kadeploy
from g5k_environments import script_environments
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import KadeploySite, running_job, script_jobs, script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}
N1, N2 = "parasilo-1.rennes.grid5000.fr", "parasilo-2.rennes.grid5000.fr"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def deploy_job(**extra):
    job = running_job(100, "rennes", ["parasilo-1", "parasilo-2"], vlans=["4"])
    job["types"] = ["deploy"]
    job.update(extra)
    return job


@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 4})
    script_jobs(fake_api, "rennes", [deploy_job()])
    fake_api.json("GET", "/sites/rennes/jobs/100", deploy_job())
    script_environments(fake_api, "rennes")
    return KadeploySite(fake_api, "rennes")


def deploy(extra=None, **kwargs):
    """What the action plugin does with wait=true: one step, then steps without force until
    nothing is pending; returns the last step's result, with changed over all the steps."""
    result = ok(kadeploy, args(**(extra or {})), **kwargs)
    changed = result["changed"]
    while result["pending"]:
        result = ok(kadeploy, args(**dict(extra or {}, force=False)), **kwargs)
        changed = changed or result["changed"]
    return dict(result, changed=changed)


def args(**extra):
    merged = dict(AUTH, nodes=["parasilo-1", "parasilo-2"], site="rennes", environment="debian12-nfs",
                  key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5rZXk test@host", vlan="4")
    merged.update(extra)
    return dict((k, v) for k, v in merged.items() if v is not None)


def test_check_mode_says_what_would_be_deployed(fake_api, rennes):
    result = ok(kadeploy, args(), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["would_deploy"] == [N1, N2]
    assert result["diff"]["after"][N1] == "deployed with debian12-nfs"
    assert not fake_api.requests("POST")


def test_one_step_starts_the_deployment_and_reports_it_pending(fake_api, rennes):
    result = ok(kadeploy, args())
    assert result["changed"] is True and result["pending"] is True
    assert result["nodes"][N1] == {"state": "deploying", "attempts": 1, "deployment": "D-1"}
    assert len(fake_api.requests("POST", "/sites/rennes/deployments")) == 1


def test_deploy_waits_then_second_run_is_a_no_op(fake_api, rennes):
    result = deploy()
    assert result["changed"] is True
    body = fake_api.requests("POST", "/sites/rennes/deployments")[0].body
    assert body == {"nodes": [N1, N2], "environment": "debian12-nfs", "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5rZXk test@host", "vlan": 4}
    assert result["ok_nodes"] == [N1, N2] and result["failed_nodes"] == []
    assert result["nodes"][N1] == {"state": "OK", "attempts": 1, "deployment": "D-1"}
    again = deploy()
    assert again["changed"] is False and again["would_deploy"] == []
    assert len(fake_api.requests("POST")) == 1
    assert ok(kadeploy, args(), check_mode=True)["changed"] is False


def test_another_environment_or_force_deploys_again(fake_api, rennes):
    deploy()
    assert deploy(dict(environment="debian12-min"))["changed"] is True
    forced = ok(kadeploy, args(force=True))
    assert forced["changed"] is True and forced["deployments"] == ["D-3"]


def test_ko_nodes_are_redeployed_a_bounded_number_of_times(fake_api, rennes):
    rennes.ko = {N2: 1}
    result = deploy()
    bodies = [c.body["nodes"] for c in fake_api.requests("POST", "/sites/rennes/deployments")]
    assert bodies == [[N1, N2], [N2]]
    assert result["nodes"][N2]["attempts"] == 2 and result["nodes"][N2]["state"] == "OK"


def test_nodes_still_ko_after_max_attempts_fail_with_per_node_results(fake_api, rennes):
    rennes.ko = {N2: 5}
    with pytest.raises(AssertionError, match="nodes still KO after 2 deployments"):
        deploy(dict(max_attempts=2))
    result = fails(kadeploy, args(max_attempts=2))
    assert "nodes still KO after 2 deployments: " + N2 in result["msg"]
    assert result["ok_nodes"] == [N1]
    assert len(fake_api.requests("POST")) == 2


def test_key_file_is_read(fake_api, rennes, key_pair):
    deploy(dict(key=None, key_file=str(key_pair) + ".pub"))
    assert fake_api.requests("POST")[0].body["key"] == (key_pair.parent / "id_ed25519.pub").read_text().strip()


def test_deployment_error_from_the_api_is_reported(fake_api, rennes):
    fake_api.on("POST", "/sites/rennes/deployments",
                Reply(400, text="Cannot launch deployment: Invalid environment specification -- nope"))
    result = fails(kadeploy, args())
    assert "POST /sites/rennes/deployments returned HTTP 400: Cannot launch deployment" in result["msg"]


BAD_INPUTS = [
    ("node outside the job", dict(nodes=["parasilo-3"]), "no active job of jdoe at rennes holds"),
    ("job id that does not exist", dict(job_id=999), "job 999 does not exist at rennes"),
    ("job of another user", dict(job_id=101), "belongs to asmith"),
    ("job without the deploy type", dict(job_id=102), "not a deploy job"),
    ("VLAN the site does not have", dict(vlan="40"), "VLAN 40 does not exist at rennes"),
    ("unreadable key file", dict(key=None, key_file="/nonexistent/id.pub"), "cannot read key_file"),
    ("max_attempts below one", dict(max_attempts=0), "max_attempts must be at least 1"),
    ("no nodes at all", dict(nodes=[]), "nodes is empty"),
    ("environment typo", dict(environment="debian12-mni"), "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min or"),
    ("environment nobody has", dict(environment="windows-xp"), "its environments are debian12-min, debian12-nfs"),
    ("environment version that does not exist", dict(environment="debian12-min", version=3),
     "environment 'debian12-min' has no version 3 at rennes: its versions are 2026010100, 2025060100"),
    ("environment of another owner", dict(environment="debian12-min@asmith"), "does not exist at rennes for user asmith"),
]


@pytest.mark.parametrize("label, extra, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_refused_before_deploying(fake_api, rennes, label, extra, message):
    fake_api.on("GET", "/sites/rennes/jobs/999", Reply(404, text="Couldn't find OAR::Job with 'job_id'=999"))
    fake_api.json("GET", "/sites/rennes/jobs/101", deploy_job(uid=101, user="asmith"))
    fake_api.json("GET", "/sites/rennes/jobs/102", deploy_job(uid=102, types=[]))
    result = fails(kadeploy, args(**extra))
    assert message in result["msg"]
    assert not fake_api.requests("POST")


def test_nodes_spread_over_two_jobs_is_ambiguous(fake_api, rennes):
    other = deploy_job(uid=101)
    other["assigned_nodes"] = [N2]
    first = deploy_job()
    first["assigned_nodes"] = [N1]
    script_jobs(fake_api, "rennes", [first, other])
    result = fails(kadeploy, args())
    assert "the nodes are spread over jobs 100, 101 at rennes: give job_id" in result["msg"]
    assert not fake_api.requests("POST")


def test_listing_deployments_is_retried(fake_api, rennes):
    listing = fake_api.routes[("GET", "/sites/rennes/deployments")]
    flaky = [Reply(500, text="Internal Server Error")]
    fake_api.on("GET", "/sites/rennes/deployments", handler=lambda call: flaky.pop(0) if flaky else listing(call))
    assert deploy()["ok_nodes"] == [N1, N2]


def test_default_vlan_means_no_vlan(fake_api, rennes):
    ok(kadeploy, args(vlan="DEFAULT"))
    assert "vlan" not in fake_api.requests("POST", "/sites/rennes/deployments")[0].body


def test_environment_is_checked_in_check_mode_too(fake_api, rennes):
    result = fails(kadeploy, args(environment="debian12-mni"), check_mode=True)
    assert "did you mean debian12-min or debian12-nfs?" in result["msg"] and result["changed"] is False
    assert not fake_api.requests("GET", "/sites/rennes/deployments")


def test_environment_built_for_another_architecture_is_refused(fake_api, rennes):
    nodes = fake_api.routes[("GET", "/sites/rennes/clusters/parasilo/nodes")][0].body
    for node in nodes["items"]:
        node["architecture"] = {"platform_type": "x86_64"}
    result = fails(kadeploy, args(environment="ubuntu2404-arm"))
    assert "environment 'ubuntu2404-arm' at rennes is built for aarch64, not for x86_64 (the nodes' architecture)" \
        in result["msg"]
    assert not fake_api.requests("POST")
    assert fake_api.requests("GET", "/sites/rennes/environments")[0].query["name"] == "ubuntu2404-arm"


def test_an_environment_given_by_url_is_left_to_kadeploy(fake_api, rennes):
    result = ok(kadeploy, args(environment="http://public.rennes.grid5000.fr/~jdoe/my-env.yaml"))
    assert result["changed"] is True and not fake_api.requests("GET", "/sites/rennes/environments")


def test_a_failure_after_a_deployment_reports_changed_and_what_was_started(fake_api, rennes):
    script_site(fake_api, "nancy", {"gros": 2})
    nancy_job = running_job(500, "nancy", ["gros-1"])
    nancy_job["types"] = ["deploy"]
    script_jobs(fake_api, "nancy", [nancy_job])
    script_environments(fake_api, "nancy")
    KadeploySite(fake_api, "nancy")
    fake_api.on("POST", "/sites/nancy/deployments", Reply(503, text="Kadeploy server unavailable"))
    result = fails(kadeploy, args(nodes=["parasilo-1", "gros-1.nancy"]))
    assert "POST /sites/nancy/deployments returned HTTP 503" in result["msg"]
    assert result["changed"] is True
    assert result["done"] == ["started deployment D-1 of debian12-nfs on %s at rennes" % N1]
