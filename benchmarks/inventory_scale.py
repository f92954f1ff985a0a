#!/usr/bin/env python3
"""How long `ansible-inventory --list` takes with the g5k inventory at the tutorial's largest scale
(512 nodes, 10240 guests), cold and cached, next to the floor of ansible-core itself: a minimal
script inventory that prints the same hosts, groups and variables as JSON.

    .venv/bin/python benchmarks/inventory_scale.py [--nodes 512] [--guests 10240] [--runs 3]
        [--results benchmarks/results]

What it does:
1. starts the emulated site (g5k_emulator.testing.running_emulator) with --nodes nodes in 4 clusters
   per site (rennes, then nancy...: the emulator allows 99 nodes per cluster), reserves them with one job
   per site with enough /22 subnets for that site's guests, and moves a quarter
   of them into a routed VLAN and a quarter into a local VLAN (jump hosts) over HTTP;
2. writes a placement file in the tutorial's format (guests spread evenly over the nodes) and a
   g5k inventory file (address: ip, jsonfile cache);
3. writes the floor: the plugin's `--list` output as a JSON file and a script inventory that only
   prints it (no API, no cache, no placement parsing: what any inventory of these hosts costs);
4. times, --runs times each, alternating: `--list --flush-cache` (cold: every API request is made
   and the cache rewritten), `--list` (cached: no request), and `--list` of the script inventory;
5. checks the three outputs describe the same inventory, writes inventory_scale.json and .md under
   --results (benchmarks/bench_report.py) and prints the table.

Goal (issue 13): cold and cached within 1.2x of the script floor; exits 1 (loudly) above it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from g5k_emulator.testing import running_emulator

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BIN = os.path.join(ROOT, ".venv", "bin")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "inventory"))

import bench_report  # noqa: E402  (beside this file)
from emulator_user import PASSWORD, USER, move, reserve  # noqa: E402  (needs the path above)
GUESTS_PER_SUBNET = 1022
SITES = ("rennes", "nancy", "lyon", "lille")
CLUSTERS = {"rennes": ("parasilo", "paravance", "parapide", "paranoia"),
            "nancy": ("gros", "grisou", "graphene", "grvingt"),
            "lyon": ("taurus", "nova", "orion", "sagittaire"),
            "lille": ("chifflot", "chiclet", "chetemi", "chuc")}
FLOOR_GOAL = 1.2
FLOOR_SCRIPT = """#!%s
# The floor: an inventory script that only prints a precomputed listing.
import sys
if sys.argv[1:2] == ["--list"]:
    with open(%r) as listing:
        sys.stdout.write(listing.read())
else:
    sys.stdout.write("{}")
"""


def placement_text(nodes, guests):
    lines = ["#list of nodes"] + ["%s 16 128 8" % n for n in nodes] + ["#list of VMs"]
    names = ["vm-%05d" % i for i in range(guests)]
    lines += ["%s 1 2 1 2147483647" % n for n in names]
    lines.append("#initial configuration")
    for index, node in enumerate(nodes):
        lines.append(" ".join([node] + names[index::len(nodes)]))
    lines.append("#end of configuration")
    return "\n".join(lines) + "\n"


def plain(value):
    """An `ansible-inventory --list` value without its unsafe markers, as a script would print it."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    return [plain(v) for v in value] if isinstance(value, list) else value


def write_floor(listing, work):
    """The script inventory printing `listing` (same hosts, groups, variables); its path."""
    listing_path = os.path.join(work, "floor.json")
    with open(listing_path, "w") as handle:
        json.dump(plain(listing), handle)
    script = os.path.join(work, "floor.py")
    with open(script, "w") as handle:
        handle.write(FLOOR_SCRIPT % (sys.executable, listing_path))
    os.chmod(script, 0o755)
    return script


def timed(command, env, cwd):
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(command), done.stderr[-3000:]))
    return elapsed, done.stdout


def shape(listing):
    """Hosts with their variables, and each group's hosts: what the three inventories must share."""
    groups = dict((g, sorted(b.get("hosts", []))) for g, b in listing.items() if g not in ("_meta", "all"))
    return plain(listing["_meta"]["hostvars"]), groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=512)
    parser.add_argument("--guests", type=int, default=10240)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", default=bench_report.RESULTS, help="folder of the result files")
    args = parser.parse_args()
    # The emulator's address plan allows 4 clusters of at most 99 nodes per site: spread the nodes
    # over 4 clusters per site and as many sites as needed (the tutorial's run used 4 sites, 10 clusters).
    sites = SITES[:max(1, -(-args.nodes // (4 * 99)))]
    per_cluster = -(-args.nodes // (4 * len(sites)))
    layout = {}
    remaining = args.nodes
    for site in sites:
        for cluster in CLUSTERS[site]:
            count = min(per_cluster, remaining)
            if count:
                layout.setdefault(site, {})[cluster] = count
            remaining -= count
    guests_per_site = -(-args.guests // len(layout))
    subnets = -(-guests_per_site // GUESTS_PER_SUBNET)
    config = {"users": [{"login": USER, "password": PASSWORD}],
              "sites": dict((site, {"scheduler": "oar", "clusters": dict((c, {"nodes": n}) for c, n in clusters.items())})
                            for site, clusters in layout.items())}
    with tempfile.TemporaryDirectory(prefix="g5k-inventory-bench-") as work:
        started = time.perf_counter()
        with running_emulator(config) as emulator:
            startup = time.perf_counter() - started
            nodes = []
            for site, clusters in layout.items():
                resources = "+".join(["{cluster='%s'}/nodes=%d" % item for item in clusters.items()] +
                                     ["{type='kavlan'}/vlan=1", "{type='kavlan-local'}/vlan=1",
                                      "slash_22=%d" % subnets])
                job = reserve(emulator.url, site, resources + ",walltime=2:00:00", "bench")
                site_nodes = sorted(job["assigned_nodes"])
                routed, local = sorted((str(v) for v in job["resources_by_type"]["vlans"]), key=int, reverse=True)
                quarter = len(site_nodes) // 4
                move(emulator.url, site, routed, site_nodes[:quarter])
                move(emulator.url, site, local, site_nodes[quarter:2 * quarter])
                nodes.extend(site_nodes)
            with open(os.path.join(work, "placement.txt"), "w") as handle:
                handle.write(placement_text(nodes, args.guests))
            with open(os.path.join(work, "bench.g5k.yml"), "w") as handle:
                yaml.safe_dump({"plugin": "g5k.testbed.g5k", "api_uri": emulator.url, "sites": sorted(layout),
                                "job_names": ["bench"], "address": "ip",
                                "guest_placement": "placement.txt", "cache": True,
                                "cache_plugin": "ansible.builtin.jsonfile",
                                "cache_connection": os.path.join(work, "cache"), "cache_timeout": 3600}, handle)
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                       ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), G5K_API_USERNAME=USER,
                       G5K_API_PASSWORD=PASSWORD, G5K_API_CONFIG=os.path.join(work, "none.yaml"),
                       ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true", ANSIBLE_HOME=os.path.join(work, "home"))
            inventory = [os.path.join(BIN, "ansible-inventory"), "-i"]
            _, reference = timed(inventory + ["bench.g5k.yml", "--list", "--flush-cache"], env, work)
            floor = write_floor(json.loads(reference), work)
            times = {"cold": [], "cached": [], "floor": []}
            outputs = {}
            for _ in range(args.runs):
                for kind, extra in (("cold", ["bench.g5k.yml", "--list", "--flush-cache"]),
                                    ("cached", ["bench.g5k.yml", "--list"]),
                                    ("floor", [floor, "--list"])):
                    elapsed, out = timed(inventory + extra, env, work)
                    times[kind].append(elapsed)
                    outputs[kind] = out
    shapes = dict((kind, shape(json.loads(out))) for kind, out in outputs.items())
    if not shapes["cold"] == shapes["cached"] == shapes["floor"]:
        raise SystemExit("the three inventories differ: %s hosts" % dict((k, len(v[0])) for k, v in shapes.items()))
    figures = figures_of(args, len(shapes["cold"][0]), layout, subnets, startup, times)
    text = markdown(figures)
    bench_report.write("inventory_scale", figures, text, args.results)
    print(text)
    if not figures["goal"]["met"]:
        goal = figures["goal"]
        print("inventory_scale: FAILED: %s (cold %.2fx, cached %.2fx of the floor)"
              % (goal["text"], goal["cold_ratio"], goal["cached_ratio"]), file=sys.stderr)
        return 1
    return 0


def figures_of(args, hosts, layout, subnets, startup, times):
    median = dict((kind, statistics.median(runs)) for kind, runs in times.items())
    rows = [{"inventory": kind, "runs_s": [round(t, 2) for t in times[kind]], "median_s": round(median[kind], 2),
             "ratio": bench_report.ratio(median[kind], median["floor"])} for kind in ("cold", "cached", "floor")]
    cold, cached = rows[0]["ratio"], rows[1]["ratio"]
    return {"benchmark": "inventory_scale", "baseline": "script inventory printing the same listing, same run",
            "machine": bench_report.machine(), "runs": args.runs, "nodes": args.nodes, "guests": args.guests,
            "hosts": hosts, "layout": layout, "subnets_per_site": subnets, "emulator_start_s": round(startup, 1),
            "rows": rows,
            "goal": {"text": "cold and cached within %.1fx of the script floor" % FLOOR_GOAL,
                     "cold_ratio": cold, "cached_ratio": cached, "met": max(cold, cached) <= FLOOR_GOAL}}


def markdown(figures):
    goal = figures["goal"]
    spread = "; ".join("%s: %s" % (site, ", ".join("%s %d" % item for item in clusters.items()))
                       for site, clusters in figures["layout"].items())
    return "\n".join([
        "# g5k inventory at scale: `ansible-inventory --list` wall-clock seconds",
        "",
        "Measured by `benchmarks/inventory_scale.py --nodes %d --guests %d --runs %d`, %s."
        % (figures["nodes"], figures["guests"], figures["runs"], bench_report.machine_line(figures["machine"])),
        "",
        "Source: the emulated site (`g5k-emulator serve`, started in %.1f s; its address plan allows 4 "
        "clusters of at most 99 nodes per site, so the nodes are spread as %s). One job per site with its "
        "nodes, %d /22 subnets, a routed and a local VLAN; a quarter of each site's nodes in each VLAN. "
        "%d hosts in total (%d nodes + %d guests from a tutorial-format placement file), `address: ip`, "
        "jsonfile cache." % (figures["emulator_start_s"], spread, figures["subnets_per_site"], figures["hosts"],
                             figures["nodes"], figures["guests"]),
        "",
        bench_report.table(["inventory", "runs (s)", "median (s)", "vs floor"],
                           [(r["inventory"], " ".join("%.2f" % t for t in r["runs_s"]), "%.2f" % r["median_s"],
                             "%.2fx" % r["ratio"]) for r in figures["rows"]]),
        "",
        "- cold = `--list --flush-cache`: every API request, cache rewritten.",
        "- cached = `--list` with a fresh cache: no API request.",
        "- floor = `--list` of a script inventory that prints the same hosts, groups and variables as JSON:",
        "  what ansible-core itself spends on this many hosts, whatever the source.",
        "",
        "Goal: %s: %s (cold %.2fx, cached %.2fx)."
        % (goal["text"], "met" if goal["met"] else "NOT met", goal["cold_ratio"], goal["cached_ratio"]),
    ])


if __name__ == "__main__":
    sys.exit(main())
