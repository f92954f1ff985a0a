"""playbooks/iperf3.yml on the emulated site with its fabric (real nodes, bridges, DHCP), as user
asmith on nodes reserved without deployment (root through sudo-g5k): bad input and check mode
change nothing, a 5-second run with 1 pair and with 2 pairs writes the JSON, CSV and both plots,
Prometheus holds every node's samples for the run, the benchmark crosses the VLAN's bridge and not
production's, setup a second time changes nothing, backup fetches a snapshot and destroy leaves no
job. The same play on guests (iperf3_platform=guests: vm_fleet's Debian + cloud-init guests on two
deployed nodes) measures, is monitored and changes nothing the second time. Fits in 4 rennes
nodes; each test releases its job."""
import csv
import glob
import json
import math
import os
import struct
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from fabric_harness import api_call, release_jobs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "plugins" / "modules"))
from kvm_guest_host import guest_image  # noqa: E402  (kvm_guest's boot test image, cached once per machine)

pytestmark = pytest.mark.fabric

BIN = ROOT / ".venv" / "bin"
PLAYBOOK = ROOT / "playbooks" / "iperf3.yml"
USER, PASSWORD = "asmith", "asmith-secret"
JOB_PREFIX = "asmith-iperf3-test-"
DURATION = 5
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "-o", "BatchMode=yes"]


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    where = tmp_path_factory.mktemp("iperf3")
    yield {"url": fabric_site.url, "key": fabric_site.user_key(USER), "dir": where}
    for key in ("1", "2", GUESTS):
        release_jobs(fabric_site.url, USER, JOB_PREFIX + key)


GUESTS = "guests"                   # the key (job name suffix, results folder) of the guests run


def play(site, pairs, *options, key=None):
    key = key or str(pairs)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               G5K_API_URI=site["url"], G5K_API_USERNAME=USER, G5K_API_PASSWORD=PASSWORD)
    command = [str(BIN / "ansible-playbook"), str(PLAYBOOK),
               "-e", "iperf3_job_name=%s%s" % (JOB_PREFIX, key), "-e", "iperf3_pairs=%d" % pairs,
               "-e", "iperf3_duration=%d" % DURATION, "-e", "iperf3_results_dir=%s" % results_dir(site, key),
               "-e", "ansible_ssh_private_key_file=%s" % site["key"],
               "-e", "ansible_ssh_common_args='%s'" % " ".join(SSH_OPTIONS), *options]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500, cwd=site["dir"])
    lines = done.stdout.splitlines()
    assert "{" in lines, done.stdout + done.stderr
    return json.loads("\n".join(lines[lines.index("{"):]))


def results_dir(site, key):
    return site["dir"] / ("results-%s" % key)


def succeeded(report):
    return all(stats["failures"] == 0 and stats["unreachable"] == 0 for stats in report["stats"].values())


def failures(report):
    return [(host, task["task"]["name"], result.get("msg")) for p in report["plays"] for task in p["tasks"]
            for host, result in task["hosts"].items() if result.get("failed") or result.get("unreachable")]


def task_results(report, name):
    """Per run of the task called `name` (roles' tasks as `role : name`), its results by host."""
    return [task["hosts"] for p in report["plays"] for task in p["tasks"]
            if task["task"]["name"] == name or task["task"]["name"].endswith(" : " + name)]


def jobs(site, key):
    query = urllib.parse.urlencode({"user": USER, "state": "waiting,launching,running",
                                    "name": JOB_PREFIX + str(key)})
    return api_call(site["url"], "GET", "/sites/rennes/jobs?" + query, USER)["items"]


def run_dirs(site, key):
    return sorted(Path(p) for p in glob.glob(str(results_dir(site, key) / "run-*")))


def png_size(path):
    """(width, height) from the PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def check_results(run_dir, pairs):
    """The run's JSON, CSV and plots are there and say the same thing; returns run.json."""
    run = json.loads((run_dir / "run.json").read_text())
    assert len(run["pairs"]) == pairs and run["duration"] == DURATION
    with (run_dir / "iperf3.csv").open() as table:
        rows = list(csv.DictReader(table))
    for pair in range(1, pairs + 1):
        report = json.loads((run_dir / ("pair-%d.json" % pair)).read_text())
        assert "error" not in report, report["error"]
        mine = [row for row in rows if row["pair"] == str(pair)]
        # one row per periodic report, every one with traffic
        assert len(mine) == len(report["intervals"]) >= DURATION
        assert all(float(row["bits_per_second"]) > 0 for row in mine)
        assert float(mine[-1]["end"]) == pytest.approx(DURATION, abs=0.5)
        connected = report["start"]["connected"][0]
        assert connected["remote_port"] == 5201
        assert report["start"]["test_start"]["duration"] == DURATION
        # the client sent from its own address to its pair's server (the VLAN's, with the second NIC)
        assert connected["local_host"] != connected["remote_host"]
    assert len(rows) == sum(1 for row in rows if row["pair"] in {str(p) for p in range(1, pairs + 1)})
    for plot in ("throughput.png", "nic-traffic.png"):
        width, height = png_size(run_dir / plot)
        assert (width, height) == (900, 450), plot
    return run


def collector_samples(run):
    """{instance: samples of `up` during the run's window} from the collector's HTTP API."""
    window = math.ceil(run["window_end"] - run["window_start"])
    query = urllib.parse.urlencode({"query": 'count_over_time(up{job="node"}[%ds])' % window,
                                    "time": run["window_end"]})
    with urllib.request.urlopen("%s/api/v1/query?%s" % (run["collector"], query), timeout=30) as answer:
        result = json.loads(answer.read())["data"]["result"]
    return {series["metric"]["instance"]: int(series["value"][1]) for series in result}


def host_ports(site, node):
    """{device: host end of the node's veth} (each is a port of the bridge of its VLAN)."""
    peers = subprocess.run(["ssh", "-i", str(site["key"]), *SSH_OPTIONS, "%s@%s" % (USER, node),
                            "cat /sys/class/net/eth0/iflink /sys/class/net/eth1/iflink"],
                           capture_output=True, text=True, timeout=60, check=True).stdout.split()
    by_index = {Path(p, "ifindex").read_text().strip(): Path(p).name for p in glob.glob("/sys/class/net/*")}
    return {"eth0": by_index[peers[0]], "eth1": by_index[peers[1]]}


def port_bytes(port):
    statistics = Path("/sys/class/net", port, "statistics")
    return int((statistics / "rx_bytes").read_text()) + int((statistics / "tx_bytes").read_text())


def bridge_of(port):
    return os.path.basename(os.readlink(Path("/sys/class/net", port, "master")))


def test_bad_input_stops_before_anything_changes(site):
    typo = play(site, 1, "-e", "iperf3_platform=guest")
    assert typo["stats"]["localhost"]["failures"] == 1
    failed = task_results(typo, "Check the inputs before anything changes")[0]["localhost"]
    assert "iperf3_platform (nodes or guests)" in failed["msg"]
    no_image = play(site, 1, "-e", "iperf3_platform=guests")
    assert no_image["stats"]["localhost"]["failures"] == 1
    failed = task_results(no_image, "Check the guests' inputs before anything changes")[0]["localhost"]
    assert "iperf3_guest_image an existing qcow2 image with iperf3 and prometheus-node-exporter" in failed["msg"]
    assert jobs(site, 1) == [] and jobs(site, GUESTS) == []


def test_check_mode_before_anything_exists_predicts_the_setup(site):
    predicted = play(site, 1, "--check")
    assert succeeded(predicted), failures(predicted)
    assert list(predicted["stats"]) == ["localhost"]       # no node known before OAR allocates them
    assert predicted["stats"]["localhost"]["changed"] == 2   # the reservation and the run's folder
    # the job role's reservation (vm_fleet's, for guests, is skipped)
    reserve = [hosts for hosts in task_results(predicted, "Reserve the nodes and wait for the job to start (oarsub)")
               if not hosts["localhost"].get("skipped")]
    assert reserve[0]["localhost"]["jobs"][0]["resources"].startswith("{cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1")
    plan = task_results(predicted, "Show the plan")[0]["localhost"]["msg"]
    assert "2 parasilo nodes and a kavlan VLAN, no deployment" in plan[0]
    assert "prometheus-node-exporter on each, prometheus on the first node" in plan[1]
    assert "1 pair(s), 5 s, 1 stream(s), over eth1 in VLAN (reserved)" in plan[2]
    assert jobs(site, 1) == [] and run_dirs(site, 1) == []


def changed_setup_tasks(report):
    """{(host, task name)} that changed (or would change) in the setup plays."""
    setup_plays = {"Set up the nodes (as root through sudo-g5k) or the guests (as root)", "Set up the collector"}
    # role tasks are named "<role> : <task>"
    return {(host, task["task"]["name"].split(" : ")[-1]) for p in report["plays"] if p["play"]["name"] in setup_plays
            for task in p["tasks"] for host, result in task["hosts"].items() if result.get("changed")}


def test_one_pair_runs_over_the_vlan_then_setup_changes_nothing_and_destroy_releases(site):
    reserved = play(site, 1, "--tags", "reserve")
    assert succeeded(reserved), failures(reserved)
    predicted = play(site, 1, "--check", "--tags", "setup")
    assert succeeded(predicted), failures(predicted)
    first = play(site, 1)
    assert succeeded(first), failures(first)
    # Check mode predicted the setup, except the two steps it cannot take: the lease renewal (a
    # command) and starting or restarting a unit whose file is not written yet. A package install
    # is predicted by a message (apt cannot run in check mode without python3-apt).
    unpredictable = {"Bring the benchmark interface up in its VLAN (a DHCP lease there)",
                     "Start the iperf3 server and start it at boot", "Restart the iperf3 server",
                     "Restart Prometheus"}
    prediction = "Report the packages a real run would install"
    installs = {"Install the missing packages of iperf3", "Install the missing packages of prometheus-node-exporter",
                "Install the missing packages of prometheus"}
    predicted_tasks = changed_setup_tasks(predicted)
    first_tasks = changed_setup_tasks(first)
    for host, name in predicted_tasks:
        if name == prediction:
            assert {(host, install) for install in installs} & first_tasks, host
        else:
            assert (host, name) in first_tasks, (host, name)
    assert {name for _, name in first_tasks - predicted_tasks} <= unpredictable | installs
    assert len(jobs(site, 1)) == 1
    [run_dir] = run_dirs(site, 1)
    run = check_results(run_dir, 1)
    assert run["network"] == "vlan" and run["device"] == "eth1"
    server, client = run["pairs"][0]
    samples = collector_samples(run)
    assert set(samples) == {server + ":9100", client + ":9100"}
    assert min(samples.values()) >= DURATION, samples
    [snapshot] = glob.glob(str(results_dir(site, 1) / "snapshots" / "prometheus-snapshot-*.tar.gz"))
    with tarfile.open(snapshot) as archive:
        assert any(name.endswith("/index") for name in archive.getnames())   # a TSDB block

    # The benchmark goes through the VLAN's bridge, monitoring and SSH through production's.
    ports = {node: host_ports(site, node) for node in (server, client)}
    for node_ports in ports.values():
        assert bridge_of(node_ports["eth1"]) == "g5kb-rennes-%s" % run["vlan"]
        assert bridge_of(node_ports["eth0"]) == "g5kb-rennes-p"
    before = {(node, dev): port_bytes(port) for node, node_ports in ports.items() for dev, port in node_ports.items()}
    bench = play(site, 1, "--tags", "bench")
    after = {key: port_bytes(ports[key[0]][key[1]]) for key in before}
    assert succeeded(bench), failures(bench)
    second_run = run_dirs(site, 1)[-1]
    assert second_run != run_dir
    check_results(second_run, 1)
    sent = json.loads((second_run / "pair-1.json").read_text())["end"]["sum_sent"]["bytes"]
    vlan_bytes = sum(after[key] - before[key] for key in before if key[1] == "eth1")
    production_bytes = sum(after[key] - before[key] for key in before if key[1] == "eth0")
    assert vlan_bytes >= sent > 0
    assert production_bytes < sent / 100, (production_bytes, sent)

    again = play(site, 1, "--tags", "setup")
    assert succeeded(again), failures(again)
    assert all(stats["changed"] == 0 for stats in again["stats"].values()), again["stats"]

    destroy = play(site, 1, "--tags", "destroy")
    assert succeeded(destroy), failures(destroy)
    assert jobs(site, 1) == []


def test_two_pairs_run_at_once_and_are_monitored(site):
    first = play(site, 2, "-e", "iperf3_streams=2")
    assert succeeded(first), failures(first)
    [run_dir] = run_dirs(site, 2)
    run = check_results(run_dir, 2)
    assert run["streams"] == 2
    nodes = {node for pair in run["pairs"] for node in pair}
    assert len(nodes) == 4
    samples = collector_samples(run)
    assert set(samples) == {node + ":9100" for node in nodes}
    assert min(samples.values()) >= DURATION, samples
    for pair in (1, 2):
        report = json.loads((run_dir / ("pair-%d.json" % pair)).read_text())
        assert len(report["start"]["connected"]) == 2                        # two streams
        # the pairs overlapped in time: both started before the other ended
        assert report["start"]["timestamp"]["timesecs"] < run["window_start"] + DURATION + 2
    destroy = play(site, 2, "--tags", "destroy")
    assert succeeded(destroy), failures(destroy)
    assert jobs(site, 2) == []


def test_on_guests_the_same_play_measures_and_is_monitored_then_setup_changes_nothing(site):
    """iperf3_platform=guests, 1 pair: vm_fleet reserves and deploys 2 nodes, starts a Debian +
    cloud-init guest on each (iperf3 and the node agent are in the image), the server on one and
    its client on the other; Prometheus runs on the first hypervisor and scrapes the guests."""
    image = guest_image()
    options = ["-e", "iperf3_platform=guests", "-e", "iperf3_guest_image=%s" % image,
               "-e", "vm_fleet_key_file=%s.pub" % site["key"],
               # libvirt inside the emulated nodes' containers (the hypervisor role's molecule settings)
               "-e", '{"vm_fleet_qemu_conf": {"namespaces": [], "cgroup_controllers": []}}']
    first = play(site, 1, *options, key=GUESTS)
    assert succeeded(first), failures(first)
    [run_dir] = run_dirs(site, GUESTS)
    run = check_results(run_dir, 1)
    assert run["network"] == "production" and run["device"] == "eth0"
    with (results_dir(site, GUESTS) / "fleet" / "guests.csv").open() as table:
        guests = {row["name"]: row for row in csv.DictReader(table)}
    server, client = run["pairs"][0]
    assert {server, client} == set(guests)
    # across two hypervisors, each guest leased by its own
    assert guests[server]["hypervisor"] != guests[client]["hypervisor"]
    assert all(row["leased_by_own_hypervisor"] == "True" for row in guests.values()), guests
    report = json.loads((run_dir / "pair-1.json").read_text())
    connected = report["start"]["connected"][0]
    assert (connected["local_host"], connected["remote_host"]) == (guests[client]["ip"], guests[server]["ip"])
    assert run["collector"] == "http://%s:9090" % guests[server]["hypervisor"] or \
        run["collector"] == "http://%s:9090" % guests[client]["hypervisor"]
    samples = collector_samples(run)
    assert set(samples) == {guests[server]["ip"] + ":9100", guests[client]["ip"] + ":9100"}
    assert min(samples.values()) >= DURATION, samples

    again = play(site, 1, *options, "--tags", "setup", key=GUESTS)
    assert succeeded(again), failures(again)
    assert all(stats["changed"] == 0 for stats in again["stats"].values()), again["stats"]

    destroy = play(site, 1, *options, "--tags", "destroy", key=GUESTS)
    assert succeeded(destroy), failures(destroy)
    assert jobs(site, GUESTS) == []
