"""Behaviour of g5k.testbed.iperf3 (scenario molecule/default): a server answering on its bound
address, and the measurement the side effect made (JSON report and CSV on the controller).

Runs with testinfra's native podman backend (test-infra.md: much faster than through Ansible).
"""

import csv
import json
import os
import pathlib

import pytest

SERVER = "podman://mipf-server"
CLIENT = "podman://mipf-client"
testinfra_hosts = [SERVER]

SERVER_ADDRESS = "10.231.59.10"
CLIENT_ADDRESS = "10.231.59.11"
PORT = 5202
DURATION = 3
RUN_DIR = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "run"


@pytest.fixture(scope="module")
def report():
    return json.loads((RUN_DIR / "pair-1.json").read_text())


def test_server_service_runs_and_starts_at_boot(host):
    service = host.service("iperf3-bench.service")
    assert service.is_running
    assert service.is_enabled


def test_server_listens_only_on_its_bound_address(host):
    assert host.socket(f"tcp://{SERVER_ADDRESS}:{PORT}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{PORT}").is_listening
    assert not host.socket(f"tcp://127.0.0.1:{PORT}").is_listening


def test_client_has_iperf3_but_no_server(host):
    client = host.get_host(CLIENT)
    assert client.package("iperf3").is_installed
    assert not client.service("iperf3-bench.service").is_running


def test_report_is_a_measurement_from_the_client_to_the_server(report):
    assert "error" not in report
    connected = report["start"]["connected"]
    assert len(connected) == 2  # iperf3_streams
    assert {(c["local_host"], c["remote_host"], c["remote_port"]) for c in connected} == {
        (CLIENT_ADDRESS, SERVER_ADDRESS, PORT)
    }
    assert report["start"]["test_start"]["duration"] == DURATION
    assert report["end"]["sum_received"]["bits_per_second"] > 0


def test_csv_has_one_row_per_interval_with_throughput(report):
    with (RUN_DIR / "iperf3.csv").open(newline="") as csv_file:
        rows = list(csv.DictReader(csv_file))
    assert len(rows) == len(report["intervals"]) >= DURATION
    assert [row["pair"] for row in rows] == ["1"] * len(rows)
    assert all(float(row["bits_per_second"]) > 0 for row in rows)
    assert [float(row["end"]) for row in rows] == sorted(float(row["end"]) for row in rows)


def test_throughput_plot_is_a_png():
    assert (RUN_DIR / "throughput.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
