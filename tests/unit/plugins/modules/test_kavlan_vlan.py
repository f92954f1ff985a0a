"""kavlan_vlan against a scripted KaVLAN: plan, one request per (site, VLAN), verification, errors."""

import pytest

from ansible_collections.g5k.testbed.plugins.modules import kavlan_vlan
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import KavlanSite, running_job, script_jobs, script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}


def fqdn(short, site="rennes"):
    return "%s.%s.grid5000.fr" % (short, site)


@pytest.fixture
def rennes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 4})
    script_jobs(fake_api, "rennes", [running_job(1, "rennes", ["parasilo-1", "parasilo-2", "parasilo-3"], vlans=["4"])])
    names = [fqdn("parasilo-%d" % i) for i in range(1, 5)] + [fqdn("parasilo-%d-eth1" % i) for i in range(1, 5)]
    return KavlanSite(fake_api, "rennes", names)


def args(**extra):
    merged = dict(AUTH, nodes=["parasilo-1", "parasilo-2"], site="rennes", vlan="4")
    merged.update(extra)
    return dict((k, v) for k, v in merged.items() if v is not None)


def test_check_mode_predicts_and_changes_nothing(fake_api, rennes):
    result = ok(kavlan_vlan, args(), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["moves"] == [{"site": "rennes", "vlan": "4", "interfaces": [fqdn("parasilo-1"), fqdn("parasilo-2")]}]
    assert result["diff"]["after"] == {fqdn("parasilo-1"): "4", fqdn("parasilo-2"): "4"}
    assert rennes.membership[fqdn("parasilo-1")] == "DEFAULT"
    assert not fake_api.requests("POST", "/sites/rennes/vlans/4/nodes")


def test_move_then_no_op(fake_api, rennes):
    result = ok(kavlan_vlan, args())
    assert result["changed"] is True
    assert result["before"] == {fqdn("parasilo-1"): "DEFAULT", fqdn("parasilo-2"): "DEFAULT"}
    assert result["after"] == {fqdn("parasilo-1"): "4", fqdn("parasilo-2"): "4"}
    assert fake_api.requests("POST", "/sites/rennes/vlans/4/nodes")[0].body == [fqdn("parasilo-1"), fqdn("parasilo-2")]
    first = result["nodes"][0]
    assert first == {"name": "parasilo-1", "site": "rennes", "device": "eth0", "interface": fqdn("parasilo-1"),
                     "vlan": "4", "hostname": "parasilo-1-kavlan-4.rennes.grid5000.fr", "ip": "10.24.0.1"}
    assert result["vlan_type"] == {"rennes": "kavlan"}
    again = ok(kavlan_vlan, args())
    assert again["changed"] is False and again["moves"] == []
    assert len(fake_api.requests("POST", "/sites/rennes/vlans/4/nodes")) == 1
    back = ok(kavlan_vlan, args(vlan="default", nodes=[fqdn("parasilo-1")]))
    assert back["changed"] and rennes.membership[fqdn("parasilo-1")] == "DEFAULT"
    assert back["nodes"][0]["hostname"] == fqdn("parasilo-1")


def test_a_given_interface_is_moved_by_its_kavlan_name(fake_api, rennes):
    result = ok(kavlan_vlan, args(device="eno2", nodes=["parasilo-3.rennes"]))
    assert result["moves"][0]["interfaces"] == [fqdn("parasilo-3-eth1")]
    assert result["nodes"][0]["hostname"] == "parasilo-3-eth1-kavlan-4.rennes.grid5000.fr"
    assert rennes.membership[fqdn("parasilo-3")] == "DEFAULT"


def test_unchanged_answer_is_verified_and_a_lie_fails(fake_api, rennes):
    rennes.answers[fqdn("parasilo-2")] = {"status": "unchanged", "message": "Node already in vlan"}
    result = fails(kavlan_vlan, args())
    assert "interfaces not in VLAN 4 after the request" in result["msg"]
    assert "parasilo-2.rennes.grid5000.fr (in DEFAULT)" in result["msg"]


def test_unchanged_answer_for_a_node_really_there_is_success(fake_api, rennes):
    rennes.membership[fqdn("parasilo-2")] = "4"
    result = ok(kavlan_vlan, args())
    assert result["changed"] is True
    assert result["moves"][0]["interfaces"] == [fqdn("parasilo-1")]


def test_failure_answer_names_node_and_message(fake_api, rennes):
    rennes.answers[fqdn("parasilo-1")] = {"status": "failure", "message": "Switch port locked"}
    result = fails(kavlan_vlan, args())
    assert "parasilo-1.rennes.grid5000.fr: Switch port locked" in result["msg"]


def test_retry_then_success_on_the_move(fake_api, rennes):
    handler = fake_api.routes[("POST", "/sites/rennes/vlans/4/nodes")]
    replies = [Reply(503, text="Service Unavailable")]
    fake_api.on("POST", "/sites/rennes/vlans/4/nodes", handler=lambda call: replies.pop() if replies else handler(call))
    result = ok(kavlan_vlan, args())
    assert result["changed"] and len(fake_api.requests("POST", "/sites/rennes/vlans/4/nodes")) == 2


def test_api_error_is_reported_with_path_and_body(fake_api, rennes):
    fake_api.on("POST", "/sites/rennes/vlans/4/nodes", Reply(403, text="Not enough privileges on Kavlan resources"))
    result = fails(kavlan_vlan, args())
    assert "POST /sites/rennes/vlans/4/nodes returned HTTP 403: Not enough privileges" in result["msg"]


def test_global_vlan_is_set_on_each_nodes_site(fake_api, rennes):
    script_jobs(fake_api, "rennes", [running_job(1, "rennes", ["parasilo-1"], vlans=["16"])])
    script_site(fake_api, "nancy", {"gros": 2})
    script_jobs(fake_api, "nancy", [running_job(2, "nancy", ["gros-1", "gros-2"])])
    nancy = KavlanSite(fake_api, "nancy", [fqdn("gros-1", "nancy"), fqdn("gros-2", "nancy")])
    result = ok(kavlan_vlan, args(nodes=["parasilo-1", "gros-1.nancy.grid5000.fr", "gros-2.nancy"], vlan="16"))
    assert [(m["site"], m["vlan"]) for m in result["moves"]] == [("rennes", "16"), ("nancy", "16")]
    assert nancy.membership[fqdn("gros-1", "nancy")] == "16"
    assert result["vlan_type"] == {"rennes": "kavlan-global", "nancy": "kavlan-global-remote"}
    assert result["nodes"][1]["hostname"] == "gros-1-kavlan-16.nancy.grid5000.fr"
    assert not fake_api.requests("POST", "/sites/rennes/vlans/16/nodes")[0].body.count(fqdn("gros-1", "nancy"))


def test_requests_do_not_grow_with_the_number_of_nodes(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 32})
    nodes = ["parasilo-%d" % i for i in range(1, 33)]
    script_jobs(fake_api, "rennes", [running_job(1, "rennes", nodes, vlans=["4"])])
    KavlanSite(fake_api, "rennes", [fqdn(n) for n in nodes])
    two = ok(kavlan_vlan, args(nodes=nodes[:2]))["api_requests"]
    fake_api.calls.clear()
    script_site(fake_api, "rennes", {"parasilo": 32})
    all_32 = ok(kavlan_vlan, args(nodes=nodes[2:]))["api_requests"]
    assert two == all_32 == 7


# Bad inputs: each gives a clear message and sends no change request.
BAD_INPUTS = [
    ("unknown site", dict(site="lile"), "unknown site 'lile'"),
    ("unknown cluster", dict(nodes=["paravance-1"]), "unknown cluster 'paravance' at rennes"),
    ("unknown node", dict(nodes=["parasilo-9"]), "unknown node parasilo-9 at rennes"),
    ("not a node name", dict(nodes=["parasilo"]), "expected <cluster>-<number>"),
    ("short name without site", dict(site=None), "has no site"),
    ("VLAN id out of range", dict(vlan="42"), "VLAN 42 does not exist at rennes"),
    ("VLAN id not a number", dict(vlan="four"), "neither a VLAN id nor DEFAULT"),
    ("VLAN not in the user's job", dict(vlan="5"), "VLAN 5 (kavlan) is not in a job of jdoe at rennes"),
    ("node of another user", dict(nodes=["parasilo-4"]), "not in an active job of jdoe at rennes"),
    ("interface that does not exist", dict(device="eth9"), "has no interface eth9"),
    ("interface KaVLAN cannot move", dict(device="eth2"), "cannot be moved by KaVLAN"),
    ("Slurm site", dict(nodes=["bordemer-1.bordeaux"]), "site bordeaux is scheduled by slurm, not OAR"),
    ("username without password", dict(api_password=None), "no password"),
    ("no nodes at all", dict(nodes=[]), "nodes is empty"),
    ("routed VLAN id for nodes of two sites", dict(nodes=["parasilo-1", "gros-1.nancy"]),
     "VLAN 4 is a VLAN of each site (kavlan at nancy, kavlan at rennes), not one VLAN spanning rennes and nancy"),
]


@pytest.mark.parametrize("label, extra, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_refused_before_any_change(fake_api, rennes, label, extra, message):
    script_site(fake_api, "nancy", {"gros": 2})
    script_jobs(fake_api, "nancy", [running_job(2, "nancy", ["gros-1"], vlans=["4"])])
    fake_api.on("GET", "/sites/lile", Reply(404, text="not found"))
    fake_api.json("GET", "/sites", {"total": 2, "items": [{"uid": "rennes"}, {"uid": "bordeaux"}]})
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    fake_api.on("GET", "/sites/rennes/clusters/paravance/nodes", Reply(404, text="not found"))
    result = fails(kavlan_vlan, args(**extra))
    assert message in result["msg"]
    assert result["changed"] is False
    assert not [c for c in fake_api.calls if c.method in ("PUT", "DELETE") or
                (c.method == "POST" and c.path != "/sites/rennes/vlans/nodes")]


def test_the_same_node_named_twice_is_moved_once(fake_api, rennes):
    result = ok(kavlan_vlan, args(nodes=["parasilo-1", "parasilo-1.rennes.grid5000.fr", "PARASILO-1.rennes"]))
    assert result["moves"][0]["interfaces"] == [fqdn("parasilo-1")]
    assert len(result["nodes"]) == 1


def test_multi_site_failure_after_one_site_moved_reports_changed_and_the_move(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 2})
    script_jobs(fake_api, "rennes", [running_job(1, "rennes", ["parasilo-1"], vlans=["16"])])
    rennes = KavlanSite(fake_api, "rennes", [fqdn("parasilo-1")])
    script_site(fake_api, "nancy", {"gros": 2})
    script_jobs(fake_api, "nancy", [running_job(2, "nancy", ["gros-1"])])
    KavlanSite(fake_api, "nancy", [fqdn("gros-1", "nancy")],
               answers={fqdn("gros-1", "nancy"): {"status": "failure", "message": "Switch port locked"}})
    result = fails(kavlan_vlan, args(nodes=["parasilo-1", "gros-1.nancy"], vlan="16"))
    assert "gros-1.nancy.grid5000.fr: Switch port locked" in result["msg"]
    assert result["changed"] is True
    assert result["done"] == ["moved into VLAN 16 at rennes: parasilo-1.rennes.grid5000.fr"]
    assert rennes.membership[fqdn("parasilo-1")] == "16"


def test_a_lie_after_a_real_move_reports_changed(fake_api, rennes):
    rennes.answers[fqdn("parasilo-2")] = {"status": "unchanged", "message": "Node already in vlan"}
    result = fails(kavlan_vlan, args())
    assert result["changed"] is True and result["done"] == ["moved into VLAN 4 at rennes: parasilo-1.rennes.grid5000.fr"]


def test_nodes_of_two_sites_go_back_to_default_together(fake_api, rennes):
    script_site(fake_api, "nancy", {"gros": 2})
    script_jobs(fake_api, "nancy", [running_job(2, "nancy", ["gros-1"])])
    nancy = KavlanSite(fake_api, "nancy", [fqdn("gros-1", "nancy")])
    nancy.membership[fqdn("gros-1", "nancy")] = "14"
    rennes.membership[fqdn("parasilo-1")] = "4"
    result = ok(kavlan_vlan, args(nodes=["parasilo-1", "gros-1.nancy"], vlan="DEFAULT"))
    assert [m["site"] for m in result["moves"]] == ["rennes", "nancy"]
