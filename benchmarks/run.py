#!/usr/bin/env python3
"""`make bench`: run the benchmarks of issue 13, each writing <name>.json and <name>.md under
benchmarks/results/ (every figure a ratio against a baseline measured in the same run, plus the
absolute time).

    .venv/bin/python benchmarks/run.py [--list] [--fabric] [NAME ...]

Without names, every benchmark runs in the order below. Benchmarks that need the emulated site's
fabric (root, podman, bridges: the one site this machine can hold) are skipped, saying so, unless
--fabric is given. A benchmark that misses its goal exits non-zero: the runner goes on with the
others, then exits 1 and names it.
"""

import argparse
import collections
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

Benchmark = collections.namedtuple("Benchmark", "name issue_item what command needs_fabric")

BENCHMARKS = (
    Benchmark("vlan_move_scale", "a", "reserve + VLAN move + DHCP for 4, 16, 64 nodes (API-only emulator); "
              "goal: moving 64 within 1.5x the wall time of 4", ["vlan_move_scale.py"], False),
    Benchmark("fanout", "b", "fan-out of a play over 16 and 64 emulated nodes: default settings against tuned "
              "forks, pipelining, SSH multiplexing, mitogen", ["fanout.py", "--nodes", "16", "64"], True),
    Benchmark("inventory_scale", "c", "g5k inventory at 512 nodes + 10240 guests against a script inventory "
              "printing the same hosts; fails above 1.2x", ["inventory_scale.py"], False),
    Benchmark("site_up", "d", "emulated site: `up` of 64 nodes, memory per node, VLAN move + renewal",
              ["fabric_up.py", "--nodes", "64"], True),
    Benchmark("vm_fleet_image_tree", "issue 11", "base image to 4 and 16 hosts (network namespaces, tc-limited): "
              "tree copy against straight copy; projection for 10240 guests on 512 hosts, fails above 10 minutes",
              ["vm_fleet_image_tree.py"], True),
    Benchmark("kvm_guest_define", "issue 11", "guests defined and started per second on one hypervisor: one "
              "kvm_guest task against one community.libvirt.virt task per guest (test driver and TCG; "
              "TCG makes a bridge)", ["kvm_guest_define.py", "--guests", "20", "100", "--tcg-guests", "20", "40"],
              True),
    Benchmark("role_noop_rerun", "issue 20", "the hypervisor role's second run on a node against its first "
              "(a podman node from the node image); goal: second run < 10 s and < 0.2x the first",
              ["role_noop_rerun.py"], True),
)


def run(benchmark, fabric):
    """'passed', 'failed' or why it was skipped."""
    if benchmark.command is None:
        return "skipped: not written yet (needs the emulated site's fabric; to be filled in by the lead)"
    if benchmark.needs_fabric and not fabric:
        return "skipped: needs the emulated site's fabric (root, podman, bridges); run with --fabric"
    started = time.monotonic()
    done = subprocess.run([sys.executable, os.path.join(HERE, benchmark.command[0])] + benchmark.command[1:],
                          check=False)
    return "%s in %.0f s" % ("passed" if done.returncode == 0 else "FAILED (exit %d)" % done.returncode,
                             time.monotonic() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--fabric", action="store_true", help="also run the benchmarks that need the fabric")
    args = parser.parse_args()
    known = dict((b.name, b) for b in BENCHMARKS)
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error("unknown benchmark(s) %s; known: %s" % (", ".join(unknown), ", ".join(known)))
    if args.list:
        for b in BENCHMARKS:
            print("%-16s (%s) %s%s" % (b.name, b.issue_item, b.what, " [fabric]" if b.needs_fabric else ""))
        return 0
    outcomes = []
    for benchmark in [known[n] for n in args.names] or BENCHMARKS:
        print("=== bench %s (%s)" % (benchmark.name, benchmark.what), flush=True)
        outcomes.append((benchmark.name, run(benchmark, args.fabric)))
    print("=== bench summary")
    for name, outcome in outcomes:
        print("%-16s %s" % (name, outcome))
    failed = [name for name, outcome in outcomes if outcome.startswith("FAILED")]
    if failed:
        print("benchmarks that missed their goal or broke: %s" % ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
