"""reference_nodes_info: the nodes' names, MACs and addresses in a VLAN, from Reference API node
documents (the real ones of /work/shared/reference-data, served by the fake API)."""

import base64
import json

import pytest
from g5k_emulator.testing import real_reference_data

from ansible_collections.g5k.testbed.plugins.modules import reference_nodes_info
from g5k_fake_api import BASE, Reply
from g5k_module_runner import fails, ok
from g5k_reference import script_site

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw"}
NODES_PATH = "/sites/rennes/clusters/parasilo/nodes"


def real_node(name):
    with open(real_reference_data() / name, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def rennes(fake_api):
    """rennes as g5k_reference scripts it, with parasilo's nodes the real parasilo-1 and -2 documents."""
    script_site(fake_api, "rennes", {"parasilo": 2})
    docs = [real_node("rennes__clusters__parasilo__nodes__parasilo-%d.json" % n) for n in (2, 1)]
    fake_api.json("GET", NODES_PATH, {"total": 2, "offset": 0, "items": docs})
    return dict((d["uid"], d) for d in docs)


def mac_of(doc, device):
    return next(a["mac"] for a in doc["network_adapters"] if a["device"] == device)


@pytest.mark.parametrize("check_mode", [False, True])
def test_primary_adapters_in_a_routed_vlan(fake_api, rennes, check_mode):
    result = ok(reference_nodes_info, dict(AUTH, site="rennes", vlan="4", clusters=["parasilo"]), check_mode=check_mode)
    assert result["changed"] is False
    assert result["vlan"] == {"id": "4", "network": "10.24.0.0/18", "gateway": "10.24.63.254"}
    assert result["hosts"] == [
        {"node": "parasilo-1", "device": "eth0", "name": "parasilo-1-kavlan-4",
         "hostname": "parasilo-1-kavlan-4.rennes.grid5000.fr", "mac": "ec:f4:bb:d0:f9:d8", "ip": "10.24.7.1"},
        {"node": "parasilo-2", "device": "eth0", "name": "parasilo-2-kavlan-4",
         "hostname": "parasilo-2-kavlan-4.rennes.grid5000.fr", "mac": mac_of(rennes["parasilo-2"], "eth0").lower(),
         "ip": "10.24.7.2"},
    ]
    assert result["left_out"] == []
    # reads only: the site (which describes its VLANs), one request for the cluster's nodes
    assert [(c.method, c.path) for c in fake_api.calls] == [("GET", "/sites/rennes"), ("GET", NODES_PATH)]
    assert result["api_requests"] == 2


def test_every_cluster_and_every_adapter_kavlan_can_move(fake_api, rennes):
    result = ok(reference_nodes_info, dict(AUTH, site="rennes", vlan="kavlan-4", interfaces="all"))
    assert [(h["name"], h["mac"], h["ip"]) for h in result["hosts"]] == [
        ("parasilo-1-eth1-kavlan-4", "ec:f4:bb:d0:f9:da", "10.24.8.1"),
        ("parasilo-1-kavlan-4", "ec:f4:bb:d0:f9:d8", "10.24.7.1"),
        ("parasilo-2-eth1-kavlan-4", mac_of(rennes["parasilo-2"], "eth1").lower(), "10.24.8.2"),
        ("parasilo-2-kavlan-4", mac_of(rennes["parasilo-2"], "eth0").lower(), "10.24.7.2"),
    ]
    assert len(fake_api.requests("GET", "/sites/rennes/clusters")) == 1


def test_the_sites_own_global_vlan_and_the_production_network(fake_api, rennes):
    own = ok(reference_nodes_info, dict(AUTH, site="rennes", vlan="16"))
    assert own["vlan"] == {"id": "16", "network": "10.27.192.0/18", "gateway": "10.27.255.254"}
    assert [h["ip"] for h in own["hosts"]] == ["10.27.225.1", "10.27.225.2"]
    production = ok(reference_nodes_info, dict(AUTH, site="rennes", vlan="default"))
    assert production["vlan"] == {"id": "DEFAULT", "network": "172.16.96.0/20", "gateway": "172.16.111.254"}
    assert [(h["hostname"], h["ip"]) for h in production["hosts"]] == [
        ("parasilo-1.rennes.grid5000.fr", "172.16.97.1"), ("parasilo-2.rennes.grid5000.fr", "172.16.97.2")]


def test_adapters_that_cannot_be_served_are_named(fake_api, rennes):
    rennes["parasilo-2"]["network_adapters"][0]["kavlan"] = False
    result = ok(reference_nodes_info, dict(AUTH, site="rennes", vlan="4", clusters=["parasilo"]))
    assert [h["node"] for h in result["hosts"]] == ["parasilo-1"]
    assert result["left_out"] == [{"node": "parasilo-2", "device": "eth0",
                                   "reason": "adapter eth0 cannot be moved by KaVLAN (kavlan: false)"}]


BAD_INPUTS = [
    ("VLAN the site does not have", {"vlan": "42"},
     "VLAN 42 is not a VLAN of site rennes in the Reference API (its VLANs: 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, or DEFAULT)"),
    ("another site's global VLAN", {"vlan": "14"}, "another site's global VLAN is described by that site"),
    ("VLAN that is no id", {"vlan": "four"}, "vlan 'four' is not a VLAN id"),
    ("VLAN 0", {"vlan": "0"}, "vlan '0' is not a VLAN id"),
    ("unknown cluster", {"vlan": "4", "clusters": ["nope"]}, "unknown cluster 'nope' at rennes: its clusters are parasilo"),
    ("empty site", {"vlan": "4", "site": " "}, "site is empty"),
    ("site as a list", {"vlan": "4", "site": ["rennes"]}, "site must be text, got a list"),
    ("no VLAN", {"vlan": None}, "missing required arguments: vlan"),
    ("interfaces not primary or all", {"vlan": "4", "interfaces": "eth0"}, "value of interfaces must be one of: primary, all"),
]


@pytest.mark.parametrize("label, extra, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_reads_no_node(fake_api, rennes, label, extra, message):
    fake_api.on("GET", "/sites/rennes/clusters/nope/nodes", Reply(404, text="not found"))
    args = dict(AUTH, site="rennes")
    args.update(extra)
    result = fails(reference_nodes_info, dict((k, v) for k, v in args.items() if v is not None))
    assert message in result["msg"]
    assert not result.get("changed")
    assert not fake_api.requests("GET", NODES_PATH)


def test_unknown_site_lists_the_known_ones(fake_api, rennes):
    fake_api.on("GET", "/sites/lile", Reply(404, text="not found"))
    fake_api.json("GET", "/sites", {"total": 1, "offset": 0, "items": [{"uid": "rennes"}]})
    assert "unknown site 'lile': known sites are rennes" in fails(
        reference_nodes_info, dict(AUTH, site="lile", vlan="4"))["msg"]


def test_api_errors_are_retried_then_named(fake_api, rennes, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    fake_api.on("GET", NODES_PATH, Reply(503, text="busy"), Reply(200, {"total": 0, "offset": 0, "items": []}))
    assert ok(reference_nodes_info, dict(AUTH, site="rennes", vlan="4", clusters=["parasilo"]))["hosts"] == []
    assert len(fake_api.requests("GET", NODES_PATH)) == 2
    fake_api.on("GET", NODES_PATH, Reply(500, text="boom"))
    msg = fails(reference_nodes_info, dict(AUTH, site="rennes", vlan="4", clusters=["parasilo"], api_retries=1))["msg"]
    assert "list nodes of cluster parasilo at rennes failed: GET %s returned HTTP 500: boom" % NODES_PATH in msg


def test_credentials_only_from_the_config_file(fake_api, rennes, tmp_path, monkeypatch):
    # no option and no G5K_API_* variable (the fake_api fixture clears them): only the file
    conf = tmp_path / "python-grid5000.yaml"
    conf.write_text('uri: %s\nusername: fileuser\npassword: "s3cr#t"\n' % BASE)
    conf.chmod(0o600)
    monkeypatch.setenv("G5K_API_CONFIG", str(conf))
    result = ok(reference_nodes_info, {"site": "rennes", "vlan": "4", "clusters": ["parasilo"]})
    assert [h["ip"] for h in result["hosts"]] == ["10.24.7.1", "10.24.7.2"]
    headers = [dict((k.lower(), v) for k, v in c.headers.items()) for c in fake_api.calls]
    assert set(base64.b64decode(h["authorization"].split()[1]).decode() for h in headers) == {"fileuser:s3cr#t"}
    assert "s3cr#t" not in json.dumps(result)
