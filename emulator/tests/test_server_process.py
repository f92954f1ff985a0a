"""The real server: `g5k-emulator serve` as a subprocess through testing.running_emulator."""
from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from g5k_emulator.testing import running_emulator

FAST = {"sites": {"rennes": {"clusters": {"parasilo": {"nodes": 4}}},
                  "nancy": {"clusters": {"gros": {"nodes": 2}}}},
        "users": [{"login": "jdoe", "password": "jdoe-secret"}],
        "launch_delay": 0.2, "delete_delay": 0.1, "deployment_delay": 0.1}
AUTH = "Basic " + base64.b64encode(b"jdoe:jdoe-secret").decode()


def call(method: str, url: str, body=None) -> tuple[int, dict, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": AUTH, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def test_serve_announces_its_url_and_answers(tmp_path):
    with running_emulator(FAST, state_dir=tmp_path / "state") as emulator:
        assert emulator.url.startswith("http://127.0.0.1:") and emulator.url.endswith("/stable")
        status, headers, body = call("GET", f"{emulator.url}/sites/rennes")
        assert status == 200 and json.loads(body)["uid"] == "rennes"
        assert emulator.config.launch_delay == 0.2 and (tmp_path / "state" / "emulator.sqlite3").exists()
        pid = emulator.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped by PID on exit


def test_state_survives_a_restart_of_the_process(tmp_path):
    state = tmp_path / "state"
    with running_emulator(FAST, state_dir=state) as emulator:
        status, headers, body = call("POST", f"{emulator.url}/sites/rennes/jobs",
                                     {"resources": "nodes=2+{type='kavlan'}/vlan=1", "command": "sleep 1d"})
        assert status == 201, body
        uid = json.loads(body)["uid"]
        assert headers["location"] == f"{emulator.url}/sites/rennes/jobs/{uid}"
    with running_emulator(FAST, state_dir=state) as emulator:
        status, _, body = call("GET", f"{emulator.url}/sites/rennes/jobs/{uid}")
        assert status == 200 and json.loads(body)["resources_by_type"]["vlans"] == ["4"]


def test_dropped_connection_closes_the_socket_without_an_answer():
    with running_emulator(FAST) as emulator:
        base = urllib.parse.urlsplit(emulator.url)
        control = urllib.request.Request(f"{base.scheme}://{base.netloc}/_emulator/faults", method="PUT",
                                         data=b'{"drop_connections": 1}', headers={"Content-Type": "application/json"})
        urllib.request.urlopen(control, timeout=10).read()
        connection = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
        connection.request("GET", "/stable/sites")
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            connection.getresponse()
        assert call("GET", f"{emulator.url}/sites")[0] == 200


def test_bad_configuration_stops_serve_with_a_message(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("sites: {rennes: {clusters: {parasilo: {nodes: 0}}}}\n")
    result = subprocess.run([sys.executable, "-m", "g5k_emulator.cli", "serve", "--config", str(bad),
                             "--port", "0", "--state-dir", str(tmp_path / "s")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "sites.rennes.clusters.parasilo.nodes" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stop_signals_end_the_server_with_status_0(tmp_path, stop):
    process = subprocess.Popen([sys.executable, "-m", "g5k_emulator.cli", "serve", "--port", "0",
                                "--state-dir", str(tmp_path / "s")], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("g5k-emulator: serving http://127.0.0.1:") and line.rstrip().endswith("/stable")
        process.send_signal(stop)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
