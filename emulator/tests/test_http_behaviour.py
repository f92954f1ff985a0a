"""What every answer shares: media types, links, pretty printing, auth, plain-text errors,
the Reference API routes and run-time fault injection."""
from __future__ import annotations

import dataclasses
import json
import time

import pytest

from api_client import JDOE, basic, make_config


def test_reference_routes_serve_the_generated_documents_with_links(api):
    sites = api.get("/sites").json()
    assert [s["uid"] for s in sites["items"]] == ["rennes", "nancy", "bordeaux"]
    rennes = api.get("/sites/rennes").json()
    assert rennes["kavlans"]["4"]["network"] == "10.24.0.0/18"
    rels = {l["rel"] for l in rennes["links"]}
    assert {"self", "parent", "clusters", "servers", "jobs", "vlans", "deployments"} <= rels
    assert "jobs" not in {l["rel"] for l in api.get("/sites/bordeaux").json()["links"]}
    assert [c["uid"] for c in api.get("/sites/rennes/clusters").json()["items"]] == ["parasilo"]
    nodes = api.get("/sites/rennes/clusters/parasilo/nodes").json()
    assert nodes["total"] == 4 and nodes["items"][0]["uid"] == "parasilo-1"
    node = api.get("/sites/nancy/clusters/gros/nodes/gros-2").json()
    assert node["network_adapters"][1]["network_address"] == "gros-2-eth1.nancy.grid5000.fr"
    assert api.get("/sites/rennes/servers/dns").json()["network_adapters"]["default"]["ip"]
    assert {s["uid"] for s in api.get("/sites/rennes/servers").json()["items"]} == {"kavlan-1", "kavlan-2", "kavlan-3", "dns"}
    for missing in ("/sites/paris", "/sites/rennes/clusters/nope", "/sites/rennes/clusters/parasilo/nodes/parasilo-9",
                    "/sites/rennes/servers/nope", "/sites/rennes/nothing-here"):
        answer = api.get(missing)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/plain"), missing


def test_media_types_follow_the_accept_header(api):
    default = api.get("/sites/rennes")
    assert default.headers["content-type"] == "application/vnd.grid5000.item+json; charset=utf-8"
    assert api.get("/sites").headers["content-type"] == "application/vnd.grid5000.collection+json; charset=utf-8"
    asked = api.get("/sites/rennes", headers={"Accept": "application/json"})
    assert asked.headers["content-type"] == "application/json; charset=utf-8"


def test_pretty_and_version_prefixes(api):
    pretty = api.get("/sites/rennes/servers/dns", params={"pretty": "yes"})
    assert pretty.text.startswith("{\n  ") and json.loads(pretty.text)["uid"] == "dns"
    via_sid = api.client.get("/sid/sites/rennes").json()
    assert {l["href"] for l in via_sid["links"]} >= {"/sid/sites/rennes"}


def test_wrong_credentials_are_401_with_a_challenge(api):
    wrong = api.get("/sites/rennes/jobs", user=("jdoe", "nope"))
    assert wrong.status_code == 401 and "basic" in wrong.headers["www-authenticate"].lower()
    assert api.get("/sites/rennes", user=("nobody", "x")).status_code == 401
    garbled = api.client.get("/stable/sites", headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401
    assert api.client.get("/stable/sites", headers={"Authorization": "Bearer abc"}).status_code == 401
    assert api.get("/sites/rennes/jobs", user=JDOE).status_code == 200


def test_error_burst_then_recovery(api):
    assert api.client.put("/_emulator/faults", json={"error_burst": 2}).json()["error_burst"] == 2
    first, second, third = (api.get("/sites") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["content-type"].startswith("text/plain")
    assert api.client.get("/_emulator/faults").json()["error_burst"] == 0


def test_latency_is_added_to_api_answers(api):
    api.client.put("/_emulator/faults", json={"latency": 0.3})
    started = time.monotonic()
    api.get("/sites")
    assert time.monotonic() - started >= 0.3
    api.client.put("/_emulator/faults", json={"latency": 0})
    started = time.monotonic()
    api.client.get("/_emulator/faults")
    assert time.monotonic() - started < 0.3


def test_dropped_connection_in_process_raises(api):
    api.client.put("/_emulator/faults", json={"drop_connections": 1})
    with pytest.raises(ConnectionAbortedError):
        api.get("/sites")
    assert api.get("/sites").status_code == 200


def test_fault_control_rejects_bad_values(api):
    for body in ({"error_burst": "many"}, {"explode": True}, {"latency": -1}, {"nodes_not_booting": "x"},
                 {"drop_connections": -1}, {"rules": "x"}, {"rules": [{"fault": "error", "count": 0}]}):
        answer = api.client.put("/_emulator/faults", json=body)
        assert answer.status_code == 400, body
    assert api.client.get("/_emulator/faults").json()["rules"] == []  # nothing half applied
    assert api.client.put("/_emulator/faults", content="x", headers={"Content-Type": "text/plain"}).status_code == 415


def test_no_authorization_header_means_anonymous_everywhere(api):
    assert api.client.get("/stable/sites/rennes/vlans").status_code == 200
    assert api.client.post("/stable/sites/rennes/vlans/nodes", json=["parasilo-1.rennes.grid5000.fr"]).status_code == 403
    assert api.client.post("/stable/sites/rennes/jobs", json={"command": "x"},
                           headers=basic(("asmith", "asmith-secret"))).status_code == 201


def test_user_header_of_the_internal_proxy_only_when_trusted(api_factory):
    closed = api_factory()
    header = {"X-Api-User-CN": "jdoe"}
    assert closed.client.post("/stable/sites/rennes/jobs", json={"command": "x"}, headers=header).status_code == 403
    trusting = api_factory(config=dataclasses.replace(make_config(), trust_user_header=True))
    created = trusting.client.post("/stable/sites/rennes/jobs", json={"command": "x"}, headers=header)
    assert created.status_code == 201 and created.json()["user"] == "jdoe"
    unknown = trusting.client.get("/stable/sites", headers={"X-Api-User-CN": "mallory"})
    assert unknown.status_code == 401
