"""playbooks/vm_fleet.yml on the emulated site (real nodes, libvirt + QEMU TCG inside them):
2 hypervisors x 3 tiny guests from a placement file in the tutorial's format. Bad input changes
nothing; check mode predicts; every guest answers at its subnet address and got it from its own
hypervisor's DHCP; a guest that takes another IP or MAC no longer reaches its peers; a second
run changes nothing; the same placement in YAML with one more guest, at a declared address, starts
it there and leaves the others where they were. Then 4 guests placed by capacity in a routed VLAN,
on the VLAN's addresses."""
import base64
import csv
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from fabric_harness import release_jobs

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "unit" / "plugins" / "modules"))
from kvm_guest_host import built_image  # noqa: E402  (guest images cached once per machine)

pytestmark = pytest.mark.fabric

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PLAYBOOK = ROOT / "playbooks" / "vm_fleet.yml"
IMAGE_SCRIPT = ROOT / "scripts" / "build-vm-fleet-guest-image"
USER, PASSWORD = "jdoe", "jdoe-secret"
JOB = "vm-fleet-test"
POOL = "/var/lib/libvirt/images/g5k"
GUESTS_PER_HOST = 3


def api(url, path):
    token = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
    request = urllib.request.Request(url + path, headers={"Authorization": "Basic " + token,
                                                          "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def free_nodes(url, count):
    """Nodes of parasilo nobody holds now (the shared development site has other users' jobs)."""
    nodes = api(url, "/sites/rennes/status")["nodes"]
    free = [name for name, node in nodes.items() if node["hard"] == "alive" and not node["reservations"]]
    free.sort(key=lambda name: int(name.split(".")[0].split("-")[1]))
    if len(free) < count:
        pytest.skip("fewer than %d free rennes nodes: %s" % (count, free))
    return free[-count:]


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    where = tmp_path_factory.mktemp("vm-fleet")
    key = where / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    image = built_image(str(IMAGE_SCRIPT))   # once per machine and version of the script
    hypervisors = free_nodes(fabric_site.url, 2)
    guests = ["vm%02d" % n for n in range(2 * GUESTS_PER_HOST)]
    placement = where / "placement.txt"
    placement.write_text(
        "#list of nodes\n" + "".join("%s 2 1024 1\n" % h for h in hypervisors)
        + "#list of VMs\n" + "".join("%s 1 96 1 2147483647\n" % g for g in guests)
        + "#initial configuration\n"
        + "".join("%s %s\n" % (h, " ".join(guests[i::2])) for i, h in enumerate(hypervisors))
        + "#end of configuration\n")
    yield {"url": fabric_site.url, "key": key, "dir": where, "placement": placement, "image": image,
           "hypervisors": hypervisors, "results": where / "results"}
    release_jobs(fabric_site.url, USER, name=JOB)


def play(site, *options, placement=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               G5K_API_URI=site["url"], G5K_API_USERNAME=USER, G5K_API_PASSWORD=PASSWORD)
    command = [str(BIN / "ansible-playbook"), str(PLAYBOOK),
               "-e", "vm_fleet_job_name=%s" % JOB,
               "-e", "vm_fleet_placement=%s" % (placement or site["placement"]),
               "-e", "vm_fleet_base_image=%s" % site["image"],
               "-e", "vm_fleet_key_file=%s.pub" % site["key"],
               "-e", "vm_fleet_results_dir=%s" % site["results"],
               # libvirt inside the emulated nodes' containers (the hypervisor role's molecule settings)
               "-e", '{"vm_fleet_qemu_conf": {"namespaces": [], "cgroup_controllers": []}}',
               "-e", "ansible_ssh_private_key_file=%s" % site["key"], *options]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500, cwd=site["dir"])
    lines = done.stdout.splitlines()
    assert "{" in lines, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads("\n".join(lines[lines.index("{"):]))


def task_results(report, name):
    return [task["hosts"] for p in report["plays"] for task in p["tasks"] if task["task"]["name"] == name]


def failures(report):
    return [(host, task["task"]["name"], result.get("msg")) for p in report["plays"] for task in p["tasks"]
            for host, result in task["hosts"].items() if result.get("failed") or result.get("unreachable")]


def my_jobs(site):
    return [job for job in api(site["url"], "/sites/rennes/jobs?user=jdoe&state=waiting,launching,running")["items"]
            if job["name"] == JOB]


def on_node(site, node, command, stdin=None, timeout=120):
    return subprocess.run(["ssh", "-i", str(site["key"]), "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@" + node, command],
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def guest_console(site, node, guest, command):
    """Type `command` into the root shell on a guest's serial console (through its pty on the
    hypervisor): the channel works whatever the guest does to its network."""
    # QEMU reads a pty only while a client holds it open (it polls for one about once a second)
    done = on_node(site, node, "(sleep 2; printf '%%s\\n' %s; sleep 3) > \"$(virsh ttyconsole %s)\""
                   % (shlex.quote(command), guest))
    assert done.returncode == 0, done.stderr


def console_marker(site, node, guest, marker, timeout=120):
    """The last line `marker...` the guest printed on its serial console (its log on the
    hypervisor); whole lines only, so the console's echo of a typed command never matches."""
    deadline = time.monotonic() + timeout
    while True:
        log = on_node(site, node, "cat %s/%s.console.log" % (POOL, guest)).stdout
        pattern = re.compile(re.escape(marker) + r"[^\s;]*(?: \S+=[^\s;]+)*")
        found = [line.strip() for line in log.replace("\r", "").splitlines() if pattern.fullmatch(line.strip())]
        if found or time.monotonic() > deadline:
            return found[-1] if found else None
        time.sleep(3)


def guests_table(site):
    with open(site["results"] / "guests.csv") as table:
        return list(csv.DictReader(table))


def node_address(node):
    return subprocess.run(["getent", "hosts", node], capture_output=True, text=True, check=True).stdout.split()[0]


def test_bad_input_stops_before_anything_is_reserved(site, tmp_path):
    missing = play(site, placement=tmp_path / "nothing.txt")
    assert missing["stats"]["localhost"]["failures"] == 1
    failed = task_results(missing, "Check the inputs before anything changes")[0]["localhost"]
    assert "vm_fleet_placement (an existing placement file" in failed["msg"]

    twice = tmp_path / "twice.yml"
    twice.write_text("placement: {parasilo-1: [vm-a], parasilo-2: [vm-a]}\n")
    placed_twice = play(site, placement=twice)
    assert placed_twice["stats"]["localhost"]["failures"] == 1
    failed = task_results(placed_twice, "Read the placement (the filter fails with what to fix)")[0]["localhost"]
    assert "vm-a is placed twice" in failed["msg"]

    no_memory = tmp_path / "no-memory.yml"
    no_memory.write_text("guests: [{name: vm-a, memory: 0}]\nplacement: {parasilo-1: [vm-a]}\n")
    failed = task_results(play(site, placement=no_memory),
                          "Read the placement (the filter fails with what to fix)")[0]["localhost"]
    assert "memory of guest vm-a must be a whole number of at least 1, got 0" in failed["msg"]

    local_vlan = play(site, "-e", "vm_fleet_vlan=kavlan-local")
    assert local_vlan["stats"]["localhost"]["failures"] == 1
    failed = task_results(local_vlan, "Check the inputs before anything changes")[0]["localhost"]
    assert "now 'kavlan-local': a local VLAN, reached only through its gateway, is not supported" in failed["msg"]
    assert my_jobs(site) == []


def test_check_then_run_then_nothing_to_change(site):
    predicted = play(site, "--check")
    assert predicted["stats"]["localhost"]["failures"] == 0
    # the results folder and the reservation; the nodes (and all that happens on them) come with the job
    assert predicted["stats"]["localhost"]["changed"] == 2
    assert not site["results"].exists()
    assert my_jobs(site) == []

    first = play(site)
    assert all(s["failures"] == 0 and s["unreachable"] == 0 for s in first["stats"].values()), failures(first)
    fqdns = sorted(site["hypervisors"])
    assert sorted(h for h in first["stats"] if h != "localhost") == fqdns
    rows = guests_table(site)
    assert len(rows) == 2 * GUESTS_PER_HOST
    assert all(row["answered_after_s"] for row in rows), rows
    # every host's guests reach the inventory (add_host runs once a play, not once a host)
    counts = task_results(first, "Show the counts")[0]["localhost"]["msg"]
    assert "%d guests in the inventory" % (2 * GUESTS_PER_HOST) in counts, counts
    assert all(row["leased_by_own_hypervisor"] == "True" for row in rows), rows
    summary = (site["results"] / "summary.md").read_text()
    assert "answered (pinged from their hypervisor): 6; missing: 0" in summary
    phases = json.loads((site["results"] / "phases.json").read_text())
    assert list(phases) == ["reserved", "deployed", "hypervisors", "image", "started", "answered"]

    again = play(site)
    assert all(s["changed"] == 0 and s["failures"] == 0 for s in again["stats"].values()), again["stats"]
    predicted_again = play(site, "--check")
    assert all(s["changed"] == 0 and s["failures"] == 0 for s in predicted_again["stats"].values())
    assert len(my_jobs(site)) == 1


def test_each_guest_got_its_address_from_its_own_hypervisor(site):
    rows = guests_table(site)
    assert rows, "the fleet test did not run"
    for row in rows:
        line = console_marker(site, row["hypervisor"], row["name"], "G5K-FLEET-DHCP")
        assert line, "%s printed no DHCP lease" % row["name"]
        fields = dict(item.split("=", 1) for item in line.split()[1:])
        # guests.csv writes MACs as g5k_subnet does (capitals), the guest prints them in lower case
        assert fields["ip"] == row["ip"] and fields["mac"] == row["mac"].lower(), (row, line)
        # the server that answered is the guest's own hypervisor, not the site's DHCP or the other host
        assert fields["server"] == node_address(row["hypervisor"]), (row, line)


def test_a_guest_that_takes_another_ip_or_mac_cannot_reach_its_peers(site):
    rows = guests_table(site)
    guest = rows[0]
    peer = next(row for row in rows if row["hypervisor"] != guest["hypervisor"])
    node, ip = guest["hypervisor"], guest["ip"]
    gateway = on_node(site, node, "grep -h '^dhcp-option=option:router' /etc/g5k-guest-dhcp/dnsmasq.conf")
    gateway = gateway.stdout.strip().split(",")[-1]
    spoofed_ip = ".".join(ip.split(".")[:3] + [str((int(ip.split(".")[3]) + 200) % 250 + 1)])
    restore = ("ip link set eth0 down; ip link set eth0 address %s; ip link set eth0 up; ip addr flush dev eth0; "
               "ip addr add %s/14 dev eth0; ip route replace default via %s" % (guest["mac"], ip, gateway))

    def attempt(label, change):
        guest_console(site, node, guest["name"], "%s; sleep 1; if ping -c 3 -W 2 %s >/dev/null 2>&1; then "
                      "echo %s-reached; else echo %s-blocked; fi; %s"
                      % (change, peer["ip"], label, label, restore))
        return console_marker(site, node, guest["name"], label + "-", timeout=90)

    # each spoofing attempt is followed by one with the guest's own addresses: the peer answers
    # again, so "blocked" came from the filter, not from a guest left broken
    assert attempt("G5K-FLEET-OWN-1", "true") == "G5K-FLEET-OWN-1-reached"
    assert attempt("G5K-FLEET-OTHER-IP", "ip addr flush dev eth0; ip addr add %s/14 dev eth0; "
                   "ip route replace default via %s" % (spoofed_ip, gateway)) == "G5K-FLEET-OTHER-IP-blocked"
    assert attempt("G5K-FLEET-OWN-2", "true") == "G5K-FLEET-OWN-2-reached"
    assert attempt("G5K-FLEET-OTHER-MAC", "ip link set eth0 down; ip link set eth0 address 00:16:3e:ee:ee:ee; "
                   "ip link set eth0 up; ip addr add %s/14 dev eth0; ip route replace default via %s"
                   % (ip, gateway)) == "G5K-FLEET-OTHER-MAC-blocked"
    assert attempt("G5K-FLEET-OWN-3", "true") == "G5K-FLEET-OWN-3-reached"


def test_a_guest_with_a_declared_address_answers_there(site, tmp_path):
    """The placement again, in YAML, plus vm-fixed at a declared address of the job's subnet (its
    last one): vm-fixed answers there and was leased it by its hypervisor; the six others keep their
    addresses (the fleet layout skips declared ones, as the inventory plugin does)."""
    before = dict((row["name"], (row["ip"], row["mac"])) for row in guests_table(site))
    assert len(before) == 2 * GUESTS_PER_HOST, "the fleet test did not run"
    job = api(site["url"], "/sites/rennes/jobs/%s" % my_jobs(site)[0]["uid"])
    subnet = ipaddress.ip_network(sorted(job["resources_by_type"]["subnets"])[0])
    fixed_ip = str(subnet.broadcast_address - 1)
    guests = ["vm%02d" % n for n in range(2 * GUESTS_PER_HOST)]
    hypervisors = site["hypervisors"]
    placement = tmp_path / "placement.yml"
    placement.write_text(yaml.safe_dump({
        "guests": guests + [{"name": "vm-fixed", "ip": fixed_ip}],
        "placement": dict((h, guests[i::2] + (["vm-fixed"] if i == 0 else [])) for i, h in enumerate(hypervisors))}))
    report = play(site, placement=placement)
    assert all(s["failures"] == 0 and s["unreachable"] == 0 for s in report["stats"].values()), failures(report)
    rows = dict((row["name"], row) for row in guests_table(site))
    fixed = rows.pop("vm-fixed")
    assert (fixed["ip"], fixed["hypervisor"]) == (fixed_ip, hypervisors[0]), fixed
    assert fixed["answered_after_s"] and fixed["leased_by_own_hypervisor"] == "True", fixed
    line = console_marker(site, fixed["hypervisor"], "vm-fixed", "G5K-FLEET-DHCP")
    fields = dict(item.split("=", 1) for item in line.split()[1:]) if line else {}
    assert fields.get("ip") == fixed_ip and fields.get("server") == node_address(hypervisors[0]), line
    assert dict((name, (row["ip"], row["mac"])) for name, row in rows.items()) == before


AUTO_JOB = "vm-fleet-auto-test"


def test_guests_placed_by_capacity_in_a_routed_vlan_boot_and_answer(site):
    """No placement file, and a routed VLAN: 4 guests over 2 nodes OAR picks, by their facts (2 CPU
    threads each here, one vCPU a guest: 2 guests a node); the nodes are deployed into the VLAN and
    the guests take addresses of the VLAN's network (not of a subnet, which is the production
    network's), leased by their own hypervisor there. (Bandwidth limits are not tried on this
    site: libvirt applies them with tc's htb + sfq qdiscs and police action, and this machine's
    kernel has neither sfq nor the police action.)"""
    results = site["dir"] / "auto-results"
    auto = dict(site, results=results)
    try:
        report = play(auto, "-e", "vm_fleet_job_name=" + AUTO_JOB, "-e", "vm_fleet_placement=",
                      "-e", "vm_fleet_guest_count=4", "-e", "vm_fleet_hypervisor_count=2", "-e", "vm_fleet_vlan=kavlan")
        assert all(s["failures"] == 0 and s["unreachable"] == 0 for s in report["stats"].values()), failures(report)
        job = next(j for j in api(site["url"], "/sites/rennes/jobs?user=jdoe&state=running")["items"]
                   if j["name"] == AUTO_JOB)
        job = api(site["url"], "/sites/rennes/jobs/%s" % job["uid"])
        vlans = [str(v) for v in job["resources_by_type"].get("vlans", [])]
        assert len(vlans) == 1 and not job["resources_by_type"].get("subnets"), job["resources_by_type"]
        vlan = vlans[0]
        network = ipaddress.ip_network(api(site["url"], "/sites/rennes")["kavlans"][vlan]["network"])
        placement = yaml.safe_load((results / "placement.yml").read_text())
        hosts = sorted(placement["placement"])
        assert len(hosts) == 2 and sorted(len(guests) for guests in placement["placement"].values()) == [2, 2]
        assert all(re.fullmatch(r"parasilo-\d+-kavlan-%s\.rennes\.grid5000\.fr" % vlan, h) for h in hosts), hosts
        # every guest of the placement made has the play's size, and boots with it
        assert all((g["vcpus"], g["memory"]) == (1, 96) for g in placement["guests"]), placement["guests"]
        rows = guests_table(auto)
        assert len(rows) == 4 and all(row["answered_after_s"] for row in rows), rows
        assert all(row["leased_by_own_hypervisor"] == "True" for row in rows), rows
        assert {row["hypervisor"] for row in rows} == set(hosts)
        info = on_node(site, rows[0]["hypervisor"], "virsh dominfo %s" % rows[0]["name"]).stdout
        assert re.search(r"^Max memory:\s+98304 KiB$", info, re.M) and re.search(r"^CPU\(s\):\s+1$", info, re.M), info
        for row in rows:
            # the VLAN's block for guests (EnOSlib's convention): from its 13th /23, clear of the nodes
            assert ipaddress.ip_address(row["ip"]) in network, (row, network)
            assert int(ipaddress.ip_address(row["ip"])) >= int(network.network_address) + 13 * 512, row
            line = console_marker(site, row["hypervisor"], row["name"], "G5K-FLEET-DHCP")
            fields = dict(item.split("=", 1) for item in line.split()[1:]) if line else {}
            assert fields.get("ip") == row["ip"] and fields.get("server") == node_address(row["hypervisor"]), (row, line)
            # the lease carries the VLAN's netmask (udhcpc prints it as a prefix length)
            assert fields.get("mask") == str(network.prefixlen), (row, line)
        assert list(json.loads((results / "phases.json").read_text()))[:3] == ["reserved", "deployed", "placed"]
    finally:
        release_jobs(site["url"], USER, name=AUTO_JOB)
