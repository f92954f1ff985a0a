"""Targeted fault rules (/_emulator/faults/rules): errors, drops and answers lost after the
platform acted, hitting only the requests a rule names."""
from __future__ import annotations

import base64
import http.client
import json
import urllib.parse

import pytest
from api_client import JDOE, make_config

from g5k_emulator import config
from g5k_emulator.testing import running_emulator

RULES = "/_emulator/faults/rules"
SUBMIT = {"resources": "nodes=1", "command": "sleep 3600", "name": "faulty"}


def set_rules(api, *rules):
    answer = api.client.put(RULES, json={"rules": list(rules)})
    assert answer.status_code == 200, answer.text
    return answer.json()["rules"]


def jobs_named(api, name):
    return [j for j in api.get("/sites/rennes/jobs", user=JDOE).json()["items"] if j["name"] == name]


def test_an_error_rule_hits_only_its_method_and_path(api):
    set_rules(api, {"fault": "error", "method": "post", "path": "/sites/*/jobs", "count": 2})
    assert api.get("/sites/rennes/jobs", user=JDOE).status_code == 200  # a GET of that path is not hit
    refused = api.post("/sites/rennes/jobs", SUBMIT)
    assert refused.status_code == 503 and "fault injected" in refused.text
    assert jobs_named(api, "faulty") == []  # the platform did nothing
    assert api.client.get(RULES).json()["rules"] == [
        {"fault": "error", "method": "POST", "path": "/sites/*/jobs", "count": 1}]
    assert api.post("/sites/rennes/jobs", SUBMIT).status_code == 503
    assert api.post("/sites/rennes/jobs", SUBMIT).status_code == 201  # the rule is used up
    assert len(jobs_named(api, "faulty")) == 1


def test_a_none_rule_spares_the_first_requests_from_the_rules_after_it(api):
    set_rules(api, {"fault": "none", "method": "GET", "path": "/sites/rennes/jobs", "count": 2},
              {"fault": "error", "method": "GET", "path": "/sites/rennes/jobs", "count": 1})
    assert [api.get("/sites/rennes/jobs", user=JDOE).status_code for _ in range(4)] == [200, 200, 503, 200]


def test_a_dropped_request_is_never_acted_on(api):
    set_rules(api, {"fault": "drop", "method": "POST", "path": "/sites/rennes/jobs"})
    with pytest.raises(ConnectionAbortedError):
        api.post("/sites/rennes/jobs", SUBMIT)
    assert jobs_named(api, "faulty") == []


def test_a_lost_answer_comes_after_the_platform_acted(api):
    set_rules(api, {"fault": "lost_answer", "method": "POST", "path": "/sites/rennes/jobs"})
    with pytest.raises(ConnectionAbortedError):
        api.post("/sites/rennes/jobs", SUBMIT)
    assert len(jobs_named(api, "faulty")) == 1  # created, though the client saw no answer
    assert api.client.get(RULES).json()["rules"][0]["count"] == 0


def test_a_targeted_fault_leaves_the_untargeted_counters_alone(api):
    set_rules(api, {"fault": "drop", "path": "/sites"})
    api.client.put("/_emulator/faults", json={"error_burst": 1})
    with pytest.raises(ConnectionAbortedError):
        api.get("/sites", user=JDOE)
    assert api.get("/sites", user=JDOE).status_code == 503  # the burst comes next
    assert api.get("/sites", user=JDOE).status_code == 200


def test_the_counters_are_untargeted_rules_of_the_same_list(api):
    set_rules(api, {"fault": "lost_answer", "method": "POST", "path": "/sites/rennes/jobs"})
    body = api.client.put("/_emulator/faults", json={"error_burst": 2, "drop_connections": 1}).json()
    assert body["rules"] == [{"fault": "lost_answer", "method": "POST", "path": "/sites/rennes/jobs", "count": 1},
                             {"fault": "error", "method": None, "path": None, "count": 2},
                             {"fault": "drop", "method": None, "path": None, "count": 1}]
    assert (body["error_burst"], body["drop_connections"]) == (2, 1)
    assert api.client.get(RULES).json()["rules"] == body["rules"]
    assert api.get("/sites", user=JDOE).status_code == 503
    changed = api.client.put("/_emulator/faults", json={"error_burst": 5}).json()  # replaces its rule
    assert [(r["fault"], r["count"]) for r in changed["rules"]] == [("lost_answer", 1), ("drop", 1), ("error", 5)]
    assert set_rules(api) == [] and api.client.get("/_emulator/faults").json()["error_burst"] == 0


def test_rules_and_counters_from_the_configuration_file(api_factory):
    faults = {"error_burst": 1, "rules": [{"fault": "error", "method": "POST", "path": "/sites/*/jobs"}]}
    configured = api_factory(config=make_config(faults=config.faults_from_mapping(faults)))
    assert [(r["fault"], r["path"], r["count"]) for r in configured.client.get(RULES).json()["rules"]] == [
        ("error", "/sites/*/jobs", 1), ("error", None, 1)]
    assert configured.get("/sites", user=JDOE).status_code == 503  # the burst
    assert configured.get("/sites", user=JDOE).status_code == 200
    assert configured.post("/sites/rennes/jobs", SUBMIT).status_code == 503  # the targeted rule
    assert configured.post("/sites/rennes/jobs", SUBMIT).status_code == 201


def test_rules_apply_under_every_version_prefix_and_never_to_control_routes(api):
    set_rules(api, {"fault": "error", "path": "/sites", "count": 3})
    assert api.client.get("/3.0/sites").status_code == 503
    assert api.client.get("/sid/sites").status_code == 503
    assert api.client.get("/_emulator/faults").status_code == 200
    assert api.client.get(RULES).json()["rules"][0]["count"] == 1


def test_a_put_replaces_the_rules_and_an_empty_list_clears_them(api):
    set_rules(api, {"fault": "error"}, {"fault": "drop", "path": "/sites/*"})
    assert [r["fault"] for r in set_rules(api, {"fault": "lost_answer"})] == ["lost_answer"]
    assert set_rules(api) == []
    assert api.get("/sites", user=JDOE).status_code == 200


@pytest.mark.parametrize("body, names", [
    ({"rules": [{"fault": "meltdown"}]}, "rules[0].fault"),
    ({"rules": [{"fault": "error", "count": 0}]}, "rules[0].count"),
    ({"rules": [{"fault": "error", "count": True}]}, "rules[0].count"),
    ({"rules": [{"fault": "error", "path": 3}]}, "rules[0].path"),
    ({"rules": [{"fault": "error", "when": "now"}]}, "unknown keys ['when']"),
    ({"rules": ["error"]}, "rules[0]: expected a mapping"),
    ({"faults": []}, 'expected {"rules"'),
])
def test_bad_rules_are_refused_and_the_old_ones_kept(api, body, names):
    set_rules(api, {"fault": "error", "path": "/nowhere"})
    answer = api.client.put(RULES, json=body)
    assert answer.status_code == 400 and names in answer.text
    assert [r["path"] for r in api.client.get(RULES).json()["rules"]] == ["/nowhere"]


def test_rules_route_refuses_other_methods_and_bad_json(api):
    assert api.client.delete(RULES).status_code == 405
    json_type = {"Content-Type": "application/json"}
    assert api.client.put(RULES, content=b"{not json", headers=json_type).status_code == 400
    assert api.client.put(RULES, content=b'{"rules": []}').status_code == 415  # as /_emulator/faults


def test_a_lost_answer_over_a_real_socket(tmp_path):
    config = {"sites": {"rennes": {"clusters": {"parasilo": {"nodes": 2}}}},
              "users": [{"login": "jdoe", "password": "jdoe-secret"}], "launch_delay": 0.2}
    auth = {"Authorization": "Basic " + base64.b64encode(b"jdoe:jdoe-secret").decode(),
            "Content-Type": "application/json"}
    with running_emulator(config) as emulator:
        base = urllib.parse.urlsplit(emulator.url)

        def request(method, path, body=None):
            connection = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
            try:
                connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=auth)
                answer = connection.getresponse()
                return answer.status, answer.read()
            finally:
                connection.close()

        rule = {"fault": "lost_answer", "method": "POST", "path": "/sites/rennes/jobs"}
        assert request("PUT", RULES, {"rules": [rule]})[0] == 200
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            request("POST", "/stable/sites/rennes/jobs", SUBMIT)
        status, body = request("GET", "/stable/sites/rennes/jobs")
        assert status == 200
        assert [j["name"] for j in json.loads(body)["items"]] == ["faulty"]
