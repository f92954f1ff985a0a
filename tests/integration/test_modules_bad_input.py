"""Bad input against the emulator: each case fails with a clear message and changes nothing.

The table below is the integration half of the bad-input list; the unit tests hold more cases
(tests/unit/plugins/modules/test_*.py, BAD_INPUTS tables).
"""

import contextlib
import http.server
import json
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from g5k_module_harness import api, emulator_for, run_playbook, run_task  # noqa: E402


@pytest.fixture(scope="module")
def platform():
    """jdoe holds 2 parasilo nodes + a routed VLAN (no subnet); asmith holds another parasilo node."""
    with emulator_for(nodes=4) as emulator:
        mine = run_playbook("reserve", emulator.url, job_name="mine",
                            job_clusters=[{"name": "parasilo", "nodes": 2}], job_vlan="kavlan")["Under test"]
        theirs = run_playbook("reserve", emulator.url, user="asmith", job_name="theirs",
                              job_clusters=[{"name": "parasilo", "nodes": 1}])["Under test"]
        assert not mine.get("failed") and not theirs.get("failed"), (mine, theirs)
        yield emulator, mine["jobs"][0], theirs["jobs"][0]


def snapshot(url):
    jobs = api(url, "GET", "/sites/rennes/jobs?state=waiting,launching,running")["items"]
    membership = api(url, "GET", "/sites/rennes/vlans/nodes")["items"]
    deployments = api(url, "GET", "/sites/rennes/deployments")["items"]
    return (sorted((j["uid"], j["state"]) for j in jobs), sorted((m["uid"], str(m["vlan"])) for m in membership),
            len(deployments))


def other_vlan(job):
    return "5" if job["vlans"][0] != "5" else "6"


# (label, module, args builder(url, mine, theirs), expected fragment of the message)
CASES = [
    ("Slurm site", "oar_job", lambda u, m, t: {"name": "x", "site": "bordeaux", "clusters": [{"name": "bordemer"}]},
     "site bordeaux is scheduled by slurm, not OAR"),
    ("unknown site", "oar_job", lambda u, m, t: {"name": "x", "site": "atlantis", "nodes": ["a-1"]}, "unknown site 'atlantis'"),
    ("unknown cluster", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "clusters": [{"name": "nope"}]},
     "unknown cluster 'nope' at rennes"),
    ("too many nodes", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "clusters": [{"name": "parasilo", "nodes": 40}]},
     "40 nodes of cluster parasilo requested, it has 4"),
    ("malformed walltime", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": "2 hours"},
     "walltime '2 hours' is malformed"),
    ("malformed reservation date", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "reservation": "next monday"},
     "reservation date 'next monday' is malformed"),
    ("missing credentials", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_username": None,
                                                        "api_password": None, "_user": None},
     "the request was anonymous"),
    ("wrong password", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_password": "bad"},
     "HTTP 401"),
    ("https:// to a plain HTTP server", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan",
                                                                    "api_uri": u.replace("http://", "https://"),
                                                                    "api_retries": 0},
     "answered in plain HTTP, not TLS: use an http:// api_uri"),
    ("empty job name", "oar_job", lambda u, m, t: {"name": "", "site": "rennes", "vlan": "kavlan"}, "name is empty"),
    ("job name with a newline", "oar_job", lambda u, m, t: {"name": "a\nb", "site": "rennes", "vlan": "kavlan"},
     "holds a control character"),
    ("300-character job name", "oar_job", lambda u, m, t: {"name": "n" * 300, "site": "rennes", "vlan": "kavlan"},
     "name is 300 characters long"),
    ("zero subnets", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "subnet_prefix": 22, "subnet_count": 0},
     "subnet_count is 0: it must be at least 1"),
    ("zero VLANs", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "vlan_count": 0},
     "vlan_count is 0: it must be at least 1"),
    ("zero nodes of a cluster", "oar_job", lambda u, m, t: {"name": "x", "site": "rennes",
                                                            "clusters": [{"name": "parasilo", "nodes": 0}]},
     "0 nodes of cluster parasilo requested: give at least 1"),
    ("unquoted walltime 2:00 (YAML reads 120)", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "walltime": 120},
     "walltime is the number 120, not text"),
    ("wrong credentials inside api_uri", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_username": None, "api_password": None,
                      "api_uri": u.replace("http://", "http://jdoe:hunter2x@")},
     "HTTP 401"),
    ("a 200 answer that is not JSON", "oar_job",
     lambda u, m, t: {"name": "x", "site": "rennes", "vlan": "kavlan", "api_uri": "@html"},
     "the answer is not JSON (text/html"),
    ("routed VLAN for nodes of two sites", "kavlan_vlan",
     lambda u, m, t: {"nodes": m["nodes"] + ["gros-1.nancy"], "vlan": m["vlans"][0]},
     "is a VLAN of each site"),
    ("no nodes to move", "kavlan_vlan", lambda u, m, t: {"nodes": [], "vlan": m["vlans"][0]}, "nodes is empty"),
    ("no nodes to deploy", "kadeploy", lambda u, m, t: {"nodes": [], "environment": "debian12-min"}, "nodes is empty"),
    ("environment typo", "kadeploy", lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-mni"},
     "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
    ("environment version that does not exist", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "version": 1},
     "environment 'debian12-min' has no version 1 at rennes"),
    ("DHCP without a state", "kavlan_dhcp", lambda u, m, t: {"site": "rennes", "vlan": m["vlans"][0]},
     "missing required arguments: state"),
    ("more addresses than the subnets hold", "g5k_subnet",
     lambda u, m, t: {"site": "rennes", "subnets": ["10.156.4.0/22"], "count": 5000},
     "5000 addresses asked from offset 0, but 10.156.4.0/22 hold 1022 usable addresses"),
    ("VLAN id out of range", "kavlan_vlan", lambda u, m, t: {"nodes": m["nodes"], "vlan": "42"}, "VLAN 42 does not exist at rennes"),
    ("VLAN not in the job", "kavlan_vlan", lambda u, m, t: {"nodes": m["nodes"], "vlan": other_vlan(m)}, "is not in a job of jdoe"),
    ("node of another user", "kavlan_vlan", lambda u, m, t: {"nodes": t["nodes"], "vlan": m["vlans"][0]},
     "not in an active job of jdoe at rennes"),
    ("unknown node", "kavlan_vlan", lambda u, m, t: {"nodes": ["parasilo-77.rennes"], "vlan": m["vlans"][0]},
     "unknown node parasilo-77 at rennes"),
    ("deploy outside a job", "kadeploy", lambda u, m, t: {"nodes": t["nodes"], "environment": "debian12-min"},
     "no active job of jdoe at rennes holds"),
    ("deploy with an unknown job id", "kadeploy",
     lambda u, m, t: {"nodes": m["nodes"], "environment": "debian12-min", "job_id": 987654}, "job 987654 does not exist at rennes"),
    ("DHCP of a VLAN not held", "kavlan_dhcp", lambda u, m, t: {"site": "rennes", "vlan": other_vlan(m), "state": "stopped"},
     "is not in an active job of jdoe"),
    ("subnets of a job without any", "g5k_subnet", lambda u, m, t: {"site": "rennes", "job_id": m["uid"]}, "holds no subnet"),
]


@contextlib.contextmanager
def html_server():
    """What a proxy or login page does: 200 with an HTML page, for any path."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            page = b"<html><body><h1>Please log in</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/stable" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize("label, module, build, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly_and_changes_nothing(platform, tmp_path, monkeypatch, label, module, build, fragment):
    emulator, mine, theirs = platform
    monkeypatch.delenv("USER", raising=False)
    args = build(emulator.url, mine, theirs)
    html = contextlib.ExitStack()
    if args.get("api_uri") == "@html":
        args["api_uri"] = html.enter_context(html_server())
    user = args.pop("_user", "jdoe")
    if user is None:
        monkeypatch.setenv("USER", "jdoe")  # a frontend login, but no API credentials
    before = snapshot(emulator.url)
    with html:
        result = run_task(module, args, emulator.url, user=user, tmp_path=tmp_path)
    assert result.get("failed"), result
    assert fragment in result["msg"], result["msg"]
    assert result.get("changed") is False
    assert "hunter2x" not in json.dumps(result)  # a password inside api_uri is never shown
    assert snapshot(emulator.url) == before
