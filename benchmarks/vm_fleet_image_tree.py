#!/usr/bin/env python3
"""Base image to 4 and 16 hosts: tree copy (a host that has it serves the next ones, as
playbooks/vm_fleet.yml does) against straight copy (every host fetches from one server), measured
between network namespaces on this machine; then a projection for 10240 guests on 512 hosts.

    sudo .venv/bin/python benchmarks/vm_fleet_image_tree.py [--size-mib 48] [--rate-mbit 160]
        [--fleet-phases vm-fleet-results/phases.json --fleet-guests-per-host 3]

How it is measured: one namespace per host plus one for the server (the controller in the
playbook), each with a veth on one private bridge (10.250.231.0/24) and its egress limited by a
token bucket (`tc tbf`, --rate-mbit) standing in for a node's NIC: without a limit the copies
would only measure this machine's memory bandwidth. Each namespace serves its directory over
HTTP (python3 -m http.server) and fetches with curl. Straight: the N hosts fetch from the server
at once. Tree (fan-out 1, the playbook's default): round 0 the server gives host 0 the image,
then in each round every host holding it serves one that does not (1, 2, 4, 8 ... holders).
Every copy's SHA-256 is checked. Writes benchmarks/results/vm_fleet_image_tree.{json,md}.
Needs root (namespaces, tc); nothing leaves the machine; everything it creates is removed.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
# The collection as `make collection` links it: the tree's rounds are the playbook's own.
sys.path.insert(0, os.path.join(HERE, os.pardir, ".build", "collections"))
from ansible_collections.g5k.testbed.plugins.filter.fleet_image_tree import image_tree_rounds  # noqa: E402
RESULTS = os.path.join(HERE, "results")
NET = "10.250.231."
PORT = 8731
GOAL_SECONDS = 600


def sh(*command, check=True):
    return subprocess.run(command, check=check, capture_output=True, text=True)


class Fabric:
    """Namespaces ns 0 (server) .. n (hosts) on one bridge, each serving its own directory."""

    def __init__(self, hosts, rate_mbit, workdir):
        self.tag = "vmft%d" % (os.getpid() % 100000)
        self.bridge = self.tag + "b"
        self.names = ["%s-%d" % (self.tag, i) for i in range(hosts + 1)]
        self.dirs = [os.path.join(workdir, str(i)) for i in range(hosts + 1)]
        self.servers = []
        self.rate_mbit = rate_mbit

    def __enter__(self):
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "link", "set", self.bridge, "up")
        for index, name in enumerate(self.names):
            os.makedirs(self.dirs[index], exist_ok=True)
            sh("ip", "netns", "add", name)
            outer = "%sv%d" % (self.tag, index)
            sh("ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", name)
            sh("ip", "link", "set", outer, "master", self.bridge, "up")
            sh("ip", "netns", "exec", name, "ip", "addr", "add", self.ip(index) + "/24", "dev", "eth0")
            sh("ip", "netns", "exec", name, "ip", "link", "set", "eth0", "up")
            sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
            sh("ip", "netns", "exec", name, "tc", "qdisc", "add", "dev", "eth0", "root", "tbf",
               "rate", "%dmbit" % self.rate_mbit, "burst", "256kb", "latency", "100ms")
            self.servers.append(subprocess.Popen(
                ["ip", "netns", "exec", name, sys.executable, "-m", "http.server", "--bind", self.ip(index),
                 "--directory", self.dirs[index], str(PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for index in range(len(self.names)):
            self._wait_serving(index)
        return self

    def _wait_serving(self, index):
        deadline = time.monotonic() + 30
        while sh("ip", "netns", "exec", self.names[index], "curl", "-s", "-o", "/dev/null",
                 "http://%s:%d/" % (self.ip(index), PORT), check=False).returncode != 0:
            assert time.monotonic() < deadline, "server of %s did not start" % self.names[index]
            time.sleep(0.2)

    def __exit__(self, *exc):
        for server in self.servers:
            server.terminate()
        for server in self.servers:
            server.wait(timeout=10)
        for name in self.names:
            sh("ip", "netns", "delete", name, check=False)
        sh("ip", "link", "delete", self.bridge, check=False)

    @staticmethod
    def ip(index):
        return NET + str(index + 1)

    def clear(self):
        for directory in self.dirs[1:]:
            for entry in os.listdir(directory):
                os.remove(os.path.join(directory, entry))

    def fetch(self, receiver, sender):
        """Host `receiver` pulls the image from `sender` (indexes into the namespaces)."""
        part = os.path.join(self.dirs[receiver], "image.part")
        sh("ip", "netns", "exec", self.names[receiver], "curl", "-sf", "-o", part,
           "http://%s:%d/image" % (self.ip(sender), PORT))
        os.rename(part, os.path.join(self.dirs[receiver], "image"))


def straight(fabric, hosts):
    started = time.monotonic()
    with ThreadPoolExecutor(hosts) as pool:
        list(pool.map(lambda host: fabric.fetch(host, 0), range(1, hosts + 1)))
    return time.monotonic() - started, 1


def tree(fabric, hosts, fanout):
    """Namespace 0 is the server, hosts are 1..n; the rounds are the playbook's (fleet_image_tree)."""
    started = time.monotonic()
    fabric.fetch(1, 0)
    rounds = image_tree_rounds(list(range(hosts)), fanout)
    for pulls in rounds:
        with ThreadPoolExecutor(len(pulls)) as pool:
            list(pool.map(lambda pull: fabric.fetch(pull[0] + 1, pull[1] + 1), pulls.items()))
    return time.monotonic() - started, 1 + len(rounds)


def check_copies(fabric, hosts, digest):
    for index in range(1, hosts + 1):
        with open(os.path.join(fabric.dirs[index], "image"), "rb") as copy:
            assert hashlib.sha256(copy.read()).hexdigest() == digest, "copy on host %d differs" % index


def projection(per_round, size_mib, rate_mbit, fleet):
    """10240 guests on 512 hosts, once the nodes are deployed; every assumption is in `assumptions`."""
    hosts, guests = 512, 10240
    wire = size_mib * 8 / rate_mbit                      # seconds the bytes of one copy take on the wire
    overhead = max(0.0, per_round - wire)                 # per-round cost beyond the bytes (connect, start)
    real_image_mib, real_nic_mbit = 450, 10000            # kvm_guest's Debian test image; a 10 GbE node
    rounds = 1 + math.ceil(math.log2(hosts))             # controller -> host 0, then doubling
    image = rounds * (real_image_mib * 8 / real_nic_mbit + overhead + 2.0)   # + 2 s: scp/ssh setup
    forks = 64
    batches = math.ceil(hosts / forks)
    setup_per_host = fleet.get("hypervisors", 240.0)
    start_per_guest = fleet.get("started_per_guest", 3.0)
    boot = 60.0                                           # guests booting under KVM, answering pings
    phases = {
        "hypervisor setup": setup_per_host * (1 + 0.1 * (batches - 1)),
        "image tree": image,
        "start guests": (guests / hosts) * start_per_guest * (1 + 0.1 * (batches - 1)),
        "boot + sweep": boot,
    }
    return {
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
        "total_s": round(sum(phases.values()), 1),
        "goal_s": GOAL_SECONDS,
        "assumptions": [
            "nodes already deployed (Kadeploy's ~10 minutes of the tutorial are outside the goal)",
            "%d rounds of tree copy: controller -> first host, then holders double (fan-out 1)" % rounds,
            "image %d MiB on 10 GbE nodes: %.2f s on the wire per round, plus the per-round overhead measured "
            "here (%.1f s) and 2 s for scp's SSH handshake" % (real_image_mib, real_image_mib * 8 / real_nic_mbit,
                                                                overhead),
            "Ansible forks=%d: 512 hosts are %d batches per task; each extra batch adds 10%% to a phase "
            "(tasks are short next to the per-host work, which runs on every host at once)" % (forks, batches),
            "hypervisor setup per host: %.0f s (%s)" % (setup_per_host, "measured by the fleet run"
                                                        if "hypervisors" in fleet else "assumed"),
            "guest define + start: %.1f s per guest in one kvm_guest call (%s), 20 guests per host"
            % (start_per_guest, "measured by the fleet run, TCG" if "started_per_guest" in fleet else "assumed"),
            "boot + sweep: %.0f s for guests to boot under KVM and answer their hypervisor's pings (assumed)"
            % boot,
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=48)
    parser.add_argument("--rate-mbit", type=int, default=160)
    parser.add_argument("--hosts", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--fleet-phases", help="phases.json of a vm_fleet.yml run (per-host costs)")
    parser.add_argument("--fleet-guests-per-host", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces, tc)", file=sys.stderr)
        return 2
    fleet = {}
    if args.fleet_phases:
        with open(args.fleet_phases) as phases:
            measured = json.load(phases)
        fleet = {"hypervisors": measured["hypervisors"],
                 "started_per_guest": measured["started"] / args.fleet_guests_per_host}
    workdir = tempfile.mkdtemp(prefix="vm-fleet-tree-")
    results = {"size_mib": args.size_mib, "rate_mbit": args.rate_mbit, "runs": []}
    try:
        image = os.urandom(args.size_mib * 1024 * 1024)
        digest = hashlib.sha256(image).hexdigest()
        for hosts in args.hosts:
            with Fabric(hosts, args.rate_mbit, workdir) as fabric:
                with open(os.path.join(fabric.dirs[0], "image"), "wb") as source:
                    source.write(image)
                for method in ("straight", "tree"):
                    fabric.clear()
                    seconds, rounds = straight(fabric, hosts) if method == "straight" else tree(fabric, hosts, 1)
                    check_copies(fabric, hosts, digest)
                    results["runs"].append({"hosts": hosts, "method": method, "seconds": round(seconds, 2),
                                            "rounds": rounds})
                    print("%2d hosts %-8s %6.1f s (%d rounds)" % (hosts, method, seconds, rounds), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    by = {(r["hosts"], r["method"]): r for r in results["runs"]}
    for hosts in args.hosts:
        results["tree_speedup_%d" % hosts] = round(by[hosts, "straight"]["seconds"] / by[hosts, "tree"]["seconds"], 2)
    biggest = max(args.hosts)
    per_round = by[biggest, "tree"]["seconds"] / by[biggest, "tree"]["rounds"]
    results["projection_512_hosts_10240_guests"] = projection(per_round, args.size_mib, args.rate_mbit, fleet)
    write(results)
    return 0 if results["projection_512_hosts_10240_guests"]["total_s"] < GOAL_SECONDS else 1


def write(results):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "vm_fleet_image_tree.json"), "w") as out:
        json.dump(results, out, indent=2)
        out.write("\n")
    projection_ = results["projection_512_hosts_10240_guests"]
    lines = ["# Base image: tree copy against straight copy; 10240 guests on 512 hosts", "",
             "Measured by `benchmarks/vm_fleet_image_tree.py` between network namespaces on this machine: "
             "%d MiB image, each namespace's egress limited to %d Mbit/s (tc tbf) as a node's NIC, HTTP "
             "(python3 -m http.server + curl), SHA-256 of every copy checked."
             % (results["size_mib"], results["rate_mbit"]), "",
             "| hosts | straight (s) | tree (s) | tree rounds | straight / tree |", "|---|---|---|---|---|"]
    by = {(r["hosts"], r["method"]): r for r in results["runs"]}
    for hosts in sorted({r["hosts"] for r in results["runs"]}):
        lines.append("| %d | %.1f | %.1f | %d | %.2f |" % (hosts, by[hosts, "straight"]["seconds"],
                                                          by[hosts, "tree"]["seconds"], by[hosts, "tree"]["rounds"],
                                                          results["tree_speedup_%d" % hosts]))
    lines += ["", "## Projection: 10240 guests on 512 hosts (goal under %d s once nodes are deployed)"
              % projection_["goal_s"], "", "| phase | seconds |", "|---|---|"]
    lines += ["| %s | %.0f |" % item for item in projection_["phases_s"].items()]
    lines += ["| **total** | **%.0f** |" % projection_["total_s"], "", "Assumptions:", ""]
    lines += ["- " + a for a in projection_["assumptions"]]
    with open(os.path.join(RESULTS, "vm_fleet_image_tree.md"), "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
