#!/usr/bin/env python3
"""How long `ansible-inventory --list` takes with the g5k inventory at the tutorial's largest scale
(512 nodes, 10240 guests), cold and cached, next to the same hosts in a static YAML inventory.

    .venv/bin/python benchmarks/inventory_scale.py [--nodes 512] [--guests 10240] [--runs 3]
        [--results benchmarks/results/inventory_scale.md]

What it does:
1. starts the emulated site (g5k_emulator.testing.running_emulator) with --nodes nodes in 4 clusters
   per site (rennes, then nancy...: the emulator allows 99 nodes per cluster), reserves them with one job
   per site with enough /22 subnets for that site's guests, and moves a quarter
   of them into a routed VLAN and a quarter into a local VLAN (jump hosts) over HTTP;
2. writes a placement file in the tutorial's format (guests spread evenly over the nodes) and a
   g5k inventory file (address: ip, jsonfile cache);
3. times, --runs times each, alternating: `--list --flush-cache` (cold: every API request is made
   and the cache rewritten), `--list` (cached: no request), and `--list` of a static YAML
   inventory holding exactly the hosts, groups and variables the plugin produced;
4. checks the three outputs describe the same inventory, prints a table and writes it to --results.

Goal (from the issue): cold within 2x of static, cached within 1.2x.
"""

import argparse
import json
import os
import platform
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

from emulator_user import PASSWORD, USER, move, reserve  # noqa: E402  (needs the path above)
GUESTS_PER_SUBNET = 1022
SITES = ("rennes", "nancy", "lyon", "lille")
CLUSTERS = {"rennes": ("parasilo", "paravance", "parapide", "paranoia"),
            "nancy": ("gros", "grisou", "graphene", "grvingt"),
            "lyon": ("taurus", "nova", "orion", "sagittaire"),
            "lille": ("chifflot", "chiclet", "chetemi", "chuc")}


def placement_text(nodes, guests):
    lines = ["#list of nodes"] + ["%s 16 128 8" % n for n in nodes] + ["#list of VMs"]
    names = ["vm-%05d" % i for i in range(guests)]
    lines += ["%s 1 2 1 2147483647" % n for n in names]
    lines.append("#initial configuration")
    for index, node in enumerate(nodes):
        lines.append(" ".join([node] + names[index::len(nodes)]))
    lines.append("#end of configuration")
    return "\n".join(lines) + "\n"


def static_inventory(listing):
    """The ansible-inventory --list output as a static YAML inventory (same hosts, groups, vars)."""
    hostvars = listing["_meta"]["hostvars"]

    def plain(value):
        if isinstance(value, dict):
            if set(value) == {"__ansible_unsafe"}:
                return value["__ansible_unsafe"]
            return dict((k, plain(v)) for k, v in value.items())
        return [plain(v) for v in value] if isinstance(value, list) else value

    children = {}
    for group, body in listing.items():
        if group in ("_meta", "all", "ungrouped"):
            continue
        children[group] = {"hosts": dict((h, None) for h in body.get("hosts", []))}
    all_hosts = dict((h, plain(v)) for h, v in hostvars.items())
    return {"all": {"hosts": all_hosts, "children": children}}


def timed(command, env, cwd):
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(command), done.stderr[-3000:]))
    return elapsed, done.stdout


def shape(listing):
    groups = dict((g, sorted(b.get("hosts", []))) for g, b in listing.items() if g not in ("_meta", "all"))
    return len(listing["_meta"]["hostvars"]), groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=512)
    parser.add_argument("--guests", type=int, default=10240)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "inventory_scale.md"))
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
            listing = json.loads(reference)
            with open(os.path.join(work, "static.yml"), "w") as handle:
                yaml.dump(static_inventory(listing), handle, default_flow_style=False,
                               Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))
            times = {"cold": [], "cached": [], "static": []}
            outputs = {}
            for _ in range(args.runs):
                for kind, extra in (("cold", ["bench.g5k.yml", "--list", "--flush-cache"]),
                                    ("cached", ["bench.g5k.yml", "--list"]),
                                    ("static", ["static.yml", "--list"])):
                    elapsed, out = timed(inventory + extra, env, work)
                    times[kind].append(elapsed)
                    outputs[kind] = out
    counts = dict((kind, shape(json.loads(out))) for kind, out in outputs.items())
    if not counts["cold"] == counts["cached"] == counts["static"]:
        raise SystemExit("the three inventories differ: %s" % dict((k, v[0]) for k, v in counts.items()))
    hosts = counts["cold"][0]
    med = dict((k, statistics.median(v)) for k, v in times.items())
    report = render(args, hosts, layout, subnets, startup, times, med)
    print(report)
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as handle:
        handle.write(report)


def render(args, hosts, layout, subnets, startup, times, med):
    def row(kind):
        return "| %s | %s | %.2f | %.2fx |" % (kind, " ".join("%.2f" % t for t in times[kind]), med[kind],
                                               med[kind] / med["static"])
    goal_cold = "met" if med["cold"] <= 2 * med["static"] else "NOT met"
    goal_cached = "met" if med["cached"] <= 1.2 * med["static"] else "NOT met"
    return "\n".join([
        "# g5k inventory at scale: `ansible-inventory --list` wall-clock seconds",
        "",
        "Measured by `benchmarks/inventory_scale.py --nodes %d --guests %d --runs %d` on %s"
        % (args.nodes, args.guests, args.runs, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        "(%s, Python %s, %d CPUs, load average %.2f at the end, machine shared with other jobs)."
        % (platform.platform(), platform.python_version(), os.cpu_count(), os.getloadavg()[0]),
        "",
        "Source: the emulated site (`g5k-emulator serve`, started in %.1f s; its address plan allows 4 "
        "clusters of at most 99 nodes per site, so the nodes are spread as %s). One job per site with its "
        "nodes, %d /22 subnets, a routed and a local VLAN; a quarter of each site's nodes in each VLAN. "
        "%d hosts in total (%d nodes + %d guests from a tutorial-format placement file), `address: ip`, "
        "jsonfile cache." % (startup, "; ".join("%s: %s" % (site, ", ".join("%s %d" % i for i in clusters.items()))
                                                for site, clusters in layout.items()),
                             subnets, hosts, args.nodes, args.guests),
        "",
        "| inventory | runs (s) | median (s) | vs static |",
        "|---|---|---|---|",
        row("cold"),
        row("cached"),
        row("static"),
        "",
        "- cold = `--list --flush-cache`: every API request, cache rewritten.",
        "- cached = `--list` with a fresh cache: no API request.",
        "- static = `--list` of a YAML inventory holding the same hosts, groups and variables.",
        "",
        "Goals: cold within 2x of static: %s (%.2fx); cached within 1.2x of static: %s (%.2fx)."
        % (goal_cold, med["cold"] / med["static"], goal_cached, med["cached"] / med["static"]),
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())
