"""Modules against careless and hostile input and a misbehaving API (issue 21): keys that are no
public key, lists given for text, duplicate jobs, lost answers to deletions, YAML walltime
numbers, subnets outside the site, answers of the wrong shape."""

import ipaddress

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.vlan_addresses import guest_blocks
from ansible_collections.g5k.testbed.plugins.modules import g5k_subnet, kadeploy, oar_job, oar_job_info
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import KadeploySite, OarSite, running_job, script_jobs, script_site, site_doc

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


# ---- D1: kadeploy sends only SSH public keys ---------------------------------------------------

@pytest.fixture
def deploy_site(fake_api):
    from g5k_environments import script_environments
    script_site(fake_api, "rennes", {"parasilo": 4})
    job = running_job(100, "rennes", ["parasilo-1"], vlans=["4"])
    job["types"] = ["deploy"]
    script_jobs(fake_api, "rennes", [job])
    script_environments(fake_api, "rennes")
    return KadeploySite(fake_api, "rennes")


def deploy_args(**extra):
    return dict(AUTH, nodes=["parasilo-1"], site="rennes", environment="debian12-nfs", **extra)


@pytest.mark.parametrize("key, message", [
    ("hello world", "key line 1 is not an SSH public key (expected 'ssh-ed25519 AAAA... comment'"),
    ("ssh-ed25519 !!!notbase64 me", "the ssh-ed25519 key's data is damaged"),
    ("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIG5rZXk me", "the ssh-rsa key's data is damaged"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
     "key is a PRIVATE key: it was not sent"),
    ("   ", "key is empty"),
])
def test_a_key_that_is_no_public_key_is_never_sent(fake_api, deploy_site, key, message):
    result = fails(kadeploy, deploy_args(key=key))
    assert message in result["msg"] and result["changed"] is False
    assert not fake_api.requests("POST")
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in result["msg"]


def test_a_private_key_file_is_refused_and_its_content_never_shown(fake_api, deploy_site, key_pair):
    result = fails(kadeploy, deploy_args(key_file=str(key_pair)))
    assert "key_file %s is a PRIVATE key: it was not sent" % key_pair in result["msg"]
    assert "key_file: ~/.ssh/id_ed25519.pub" in result["msg"]
    assert not fake_api.requests("POST")
    secret_line = key_pair.read_text().splitlines()[1]
    assert secret_line not in repr(result)


def test_a_public_key_file_with_several_keys_is_sent_whole(fake_api, deploy_site, key_pair, tmp_path):
    keys = tmp_path / "authorized_keys"
    public = (key_pair.parent / "id_ed25519.pub").read_text().strip()
    keys.write_text("# mine\n%s\n\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5rZXk other@host\n" % public)
    ok(kadeploy, deploy_args(key_file=str(keys), wait=False))
    assert fake_api.requests("POST")[0].body["key"] == public + "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5rZXk other@host"


def test_a_key_url_is_left_to_kadeploy(fake_api, deploy_site):
    ok(kadeploy, deploy_args(key="https://example.invalid/me.pub", wait=False))
    assert fake_api.requests("POST")[0].body["key"] == "https://example.invalid/me.pub"


# ---- D19: after max_attempts, the message names force ------------------------------------------

def test_nodes_ko_after_max_attempts_name_force(fake_api, deploy_site):
    fake_api.json("GET", "/sites/rennes/deployments", {"total": 2, "offset": 0, "items": [
        {"uid": "D-%d" % n, "user": "jdoe", "environment": "debian12-nfs", "nodes": ["parasilo-1.rennes.grid5000.fr"],
         "status": "error", "created_at": 1700000000 + n, "result": {}} for n in (1, 2)]})
    result = fails(kadeploy, deploy_args(max_attempts=2))
    assert "nodes still KO after 2 deployments: parasilo-1.rennes.grid5000.fr" in result["msg"]
    assert "run it with force: true" in result["msg"]
    assert not fake_api.requests("POST")


# ---- D13: text options given a list or a mapping -----------------------------------------------

@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 4})
    return OarSite(fake_api, "rennes")


def job_args(**extra):
    merged = dict(AUTH, name="exp", site="rennes", clusters=[{"name": "parasilo", "nodes": 1}], walltime="1:00")
    merged.update(extra)
    return dict((k, v) for k, v in merged.items() if v is not None)


@pytest.mark.parametrize("extra, message", [
    (dict(name=["a", "b"]), "name must be text, got a list (['a', 'b']): quote it, or give one value"),
    (dict(name={"x": 1}), "name must be text, got a mapping ({'x': 1})"),
    (dict(queue=["default"]), "queue must be text, got a list"),
    (dict(types=[["deploy"]]), "types must be a list of text, an item is a list: flatten it"),
])
def test_a_list_or_mapping_for_text_is_refused(fake_api, rennes, extra, message):
    result = fails(oar_job, job_args(**extra))
    assert message in result["msg"] and result["changed"] is False
    assert rennes.jobs == {} and not fake_api.calls


# ---- D17: walltime numbers YAML made -----------------------------------------------------------

@pytest.mark.parametrize("walltime, message", [
    (5400, 'YAML reads an unquoted 1:30:00 as 5400 (base 60), which OAR would take as 5400 hours. Quote what you '
           'wrote: walltime: "90:00" or walltime: "1:30:00"'),
    (1.5, 'OAR takes no decimal hours: for 1.5 hours write walltime: "1:30"'),
    (True, "walltime is True, not text"),
])
def test_a_walltime_number_is_told_the_text_to_write(fake_api, rennes, walltime, message):
    result = fails(oar_job, job_args(walltime=walltime))
    assert message in result["msg"] and rennes.jobs == {}


def test_the_walltime_the_hint_gives_is_accepted(fake_api, rennes):
    assert ok(oar_job, job_args(walltime="1:30"))["jobs"][0]["walltime"] is not None


# ---- D3: duplicates are named with the way out, and state=absent removes them ------------------

def test_duplicates_are_named_with_the_way_to_remove_them_and_absent_removes_all(fake_api, rennes):
    for uid in (7, 8, 9):
        rennes.add(running_job(uid, "rennes", ["parasilo-%d" % (uid - 6)], name="exp"))
    refused = fails(oar_job, job_args())
    assert ("3 active jobs named 'exp' of jdoe at rennes (7, 8, 9), made outside one task (parallel runs, or a play "
            "on several hosts without run_once): delete them all with this task and state: absent, or keep one by "
            "deleting the others (oardel 8 9)") in refused["msg"]
    gone = ok(oar_job, job_args(state="absent"))
    assert gone["changed"] is True and sorted(j["uid"] for j in gone["jobs"]) == [7, 8, 9]
    assert gone["done"] == ["deleted job 7 at rennes", "deleted job 8 at rennes", "deleted job 9 at rennes"]
    assert all(job["state"] == "terminated" for job in rennes.jobs.values())
    assert ok(oar_job, job_args())["changed"] is True  # one new job now


# ---- D18: a lost answer to a DELETE is read back -----------------------------------------------

def test_a_delete_whose_answers_are_all_lost_is_read_back(fake_api, rennes):
    rennes.add(running_job(7, "rennes", ["parasilo-1"], name="exp"))

    def lost(call):
        rennes.delete(7)  # OAR acted, the answer never came
        return Reply(no_answer="Connection reset by peer")
    fake_api.on("DELETE", "/sites/rennes/jobs/7", handler=lost)
    result = ok(oar_job, job_args(state="absent"))
    assert result["changed"] is True
    assert result["done"] == ["deleted job 7 at rennes (no answer to DELETE /sites/rennes/jobs/7: found by reading back)"]
    assert len(fake_api.requests("DELETE")) == 5  # 1 + api_retries


def test_a_delete_that_did_nothing_fails_without_claiming_a_change(fake_api, rennes):
    rennes.add(running_job(7, "rennes", ["parasilo-1"], name="exp"))
    fake_api.on("DELETE", "/sites/rennes/jobs/7", Reply(no_answer="Connection refused"))
    result = fails(oar_job, job_args(state="absent", api_retries=0))
    assert "DELETE /sites/rennes/jobs/7 got no HTTP answer" in result["msg"] and result["changed"] is False
    assert rennes.jobs[7]["state"] == "running"


# ---- D6: a lost submission answer whose read back fails ----------------------------------------

def test_a_lost_submission_whose_read_back_fails_is_reported_as_a_possible_change(fake_api, rennes):
    listings = []

    def listing(call):
        listings.append(call)
        return rennes.list(call) if len(listings) == 1 else Reply(503, text="Service Unavailable")

    def lost(call):
        rennes.submit(call)
        return Reply(no_answer="Connection reset by peer")
    fake_api.on("GET", "/sites/rennes/jobs", handler=listing)
    fake_api.on("POST", "/sites/rennes/jobs", handler=lost)
    result = fails(oar_job, job_args(api_retries=0))
    assert result["changed"] is True and len(rennes.jobs) == 1
    assert "no job was created" not in result["msg"] and "so it MAY have done it" in result["msg"]
    assert result["done"] == ["maybe: POST /sites/rennes/jobs (submit job exp at rennes), not confirmed"]


# ---- D5: answers of the wrong shape ------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [("[1,2,3]", "JSON list [1, 2, 3]"), ('"hello"', 'JSON str "hello"'),
                                         ("", "an empty answer"), ("null", "an empty answer")])
def test_a_site_listing_of_the_wrong_shape_is_named_not_a_crash(fake_api, text, shown):
    fake_api.on("GET", "/sites/rennes", Reply(200, text=text))
    fake_api.on("GET", "/sites", Reply(200, text=text))
    result = fails(oar_job_info, dict(AUTH, sites=["rennes"]))
    assert "returned HTTP 200: expected a JSON object, got %s" % shown in result["msg"]
    assert "has no attribute" not in result["msg"] and "known sites are " not in result["msg"]


# ---- D9, D10: g5k_subnet -----------------------------------------------------------------------

@pytest.fixture
def subnet_site(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 2})
    fake_api.json("GET", "/sites/rennes/servers/dns", {"uid": "dns", "network_adapters": {"default": {"ip": "172.16.111.118"}}})


@pytest.mark.parametrize("subnets, count, message", [
    (["10.0.0.0/8"], None, "10.0.0.0/8 is outside the site's subnet range 10.156.0.0/14"),
    (["192.168.1.0/24"], None, "192.168.1.0/24 is outside the site's subnet range"),
    (["fe80::/64"], None, "fe80::/64 is not an IPv4 subnet"),
    (["10.156.0.0/14"], None, "262142 addresses asked at once (10.156.0.0/14): at most 65536 are returned per task"),
    (["10.156.0.0/14"], 70000, "70000 addresses asked at once"),
])
def test_subnets_outside_the_site_or_too_many_pairs_are_refused(fake_api, subnet_site, subnets, count, message):
    result = fails(g5k_subnet, dict(AUTH, site="rennes", subnets=subnets, count=count))
    assert message in result["msg"]


def test_a_vlans_guest_blocks_are_expanded_with_the_vlans_gateway_and_netmask(fake_api, subnet_site):
    """vm_fleet in a routed VLAN gives guests addresses of the VLAN's blocks 13-30 (kavlan_info)."""
    vlan = site_doc("rennes")["kavlans"]["5"]
    block = guest_blocks(vlan["network"], "kavlan")[0]
    result = ok(g5k_subnet, dict(AUTH, site="rennes", subnets=[block], count=2))
    assert [pair["ip"] for pair in result["addresses"]] == [
        str(ipaddress.ip_network(block)[1]), str(ipaddress.ip_network(block)[2])]
    assert result["network"]["network"] == vlan["network"] and result["network"]["gateway"] == vlan["gateway"]
    assert result["network"]["netmask"] == "255.255.192.0"
    # production's network is not a VLAN the guests of a subnet reservation take addresses from
    production = fails(g5k_subnet, dict(AUTH, site="rennes", subnets=["172.16.96.0/24"]))
    assert "172.16.96.0/24 is outside the site's subnet range 10.156.0.0/14 and the networks of VLAN 1" in production["msg"]


def test_a_slice_of_the_whole_site_range_is_fine(fake_api, subnet_site):
    result = ok(g5k_subnet, dict(AUTH, site="rennes", subnets=["10.156.0.0/14"], count=2, offset=262140))
    assert result["addresses"] == [{"ip": "10.159.255.253", "mac": "00:16:3E:9F:FF:FD"},
                                   {"ip": "10.159.255.254", "mac": "00:16:3E:9F:FF:FE"}]
