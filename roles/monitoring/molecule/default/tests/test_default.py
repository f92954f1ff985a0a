"""Behaviour of g5k.testbed.monitoring (scenario molecule/default): node agents answering, the
collector ready and scraping both of them, and the snapshot the side effect fetched.

Runs with testinfra's native podman backend (test-infra.md: much faster than through Ansible).
"""

import json
import os
import pathlib
import tarfile

import pytest

COLLECTOR = "podman://mmon-collector"
testinfra_hosts = [COLLECTOR, "podman://mmon-target"]

TARGETS = {"10.231.60.10:9100", "10.231.60.11:9100"}
PROMETHEUS = "http://127.0.0.1:9090"
SNAPSHOT_DIR = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "snapshots"


def http_get(host, url):
    """Body of a GET from inside the node (the image has python3, not curl)."""
    result = host.run(
        "python3 -c 'import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' %s",
        url,
    )
    assert result.rc == 0, f"GET {url} failed: {result.stderr}"
    return result.stdout


@pytest.fixture
def collector(host):
    if host.backend.get_pytest_id() != COLLECTOR:
        pytest.skip("collector only")
    return host


def test_node_agent_runs_and_starts_at_boot(host):
    service = host.service("prometheus-node-exporter.service")
    assert service.is_running
    assert service.is_enabled


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_agent_answers_metrics(host, target):
    body = http_get(host, f"http://{target}/metrics")
    assert "node_network_receive_bytes_total{device=\"eth0\"}" in body


def test_prometheus_is_ready(collector):
    assert "Ready" in http_get(collector, f"{PROMETHEUS}/-/ready")


def test_prometheus_scrapes_both_targets(collector):
    answer = json.loads(http_get(collector, f"{PROMETHEUS}/api/v1/targets?state=active"))
    targets = {t["labels"]["instance"]: t["health"] for t in answer["data"]["activeTargets"]}
    assert targets == dict.fromkeys(TARGETS, "up")


def test_prometheus_holds_samples_of_both_targets(collector):
    # Only our targets' series: for up to 5 minutes after the role's restart, `up` also shows
    # the last sample of the package's default self-scrape (localhost:9090), which ran before.
    answer = json.loads(http_get(collector, f"{PROMETHEUS}/api/v1/query?query=up"))
    samples = {r["metric"]["instance"]: r["value"][1] for r in answer["data"]["result"]}
    assert {instance: samples.get(instance) for instance in TARGETS} == dict.fromkeys(TARGETS, "1"), samples


def test_snapshot_archive_was_fetched_and_removed_from_the_collector(collector):
    archives = list(SNAPSHOT_DIR.glob("prometheus-snapshot-*.tar.gz"))
    assert len(archives) == 1
    with tarfile.open(archives[0]) as archive:
        names = archive.getnames()
    # A TSDB snapshot is a folder of blocks (chunks, index, meta.json), possibly only the head's.
    assert any(name.endswith("/meta.json") for name in names), names
    assert collector.run("ls /var/lib/prometheus/metrics2/snapshots").stdout.strip() == ""
    assert not collector.file(f"/var/lib/prometheus/{archives[0].name}").exists
