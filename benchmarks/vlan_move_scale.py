#!/usr/bin/env python3
"""Reserve + VLAN move + DHCP for N nodes with the collection's modules, against the API-only
emulator: HTTP requests and wall time as N grows, each a ratio against N = the smallest count.

    .venv/bin/python benchmarks/vlan_move_scale.py [--nodes 4 16 64] [--runs 3]

For each N, in turn (so that a change of machine load spreads over every N alike):
- a fresh `g5k-emulator serve` (API only) whose rennes/parasilo cluster has max(--nodes) nodes,
  so that the site is the same size for every N;
- the play benchmarks/vlan_move_scale.yml (oar_job with wait, kavlan_vlan, kavlan_dhcp) run by
  ansible-playbook; wall time of the whole command and of each task (JSON callback).
The first run of each N goes through a counting proxy (tests/integration/modules/
g5k_module_harness.py) to count the HTTP requests on the wire, retries included, and is not
timed (it is also the warm-up); the --runs timed runs talk to the emulator directly.

Goal (issue 13): moving 64 nodes within 1.5x the wall time of moving 4. Exits 1 if the move
task misses it.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "modules"))

import bench_report  # noqa: E402
from g5k_emulator.testing import running_emulator  # noqa: E402
from g5k_module_harness import PASSWORDS, CountingProxy, platform_config  # noqa: E402

PLAY = os.path.join(HERE, "vlan_move_scale.yml")
TASKS = ("Reserve", "Move", "DHCP")
USER = "jdoe"
MOVE_GOAL = 1.5


def task_seconds(task):
    def at(text):
        return datetime.datetime.fromisoformat(text.rstrip("Z"))
    duration = task["task"]["duration"]
    return (at(duration["end"]) - at(duration["start"])).total_seconds()


def run_play(api_uri, nodes):
    """One ansible-playbook run: (wall seconds, {task: seconds}); raises if a task failed."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               G5K_API_CONFIG=os.path.join(HERE, "no-python-grid5000.yaml"))
    extra = {"g5k_api_uri": api_uri, "g5k_user": USER, "g5k_password": PASSWORDS[USER], "bench_nodes": nodes,
             "ansible_python_interpreter": sys.executable}
    command = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), PLAY, "-i", "localhost,", "-c", "local",
               "-e", json.dumps(extra)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    wall = time.perf_counter() - started
    lines = done.stdout.splitlines()
    report = json.loads("\n".join(lines[lines.index("{"):])) if "{" in lines else None
    if done.returncode != 0 or report is None:
        raise SystemExit("the play failed for %d nodes:\n%s\n%s" % (nodes, done.stdout[-3000:], done.stderr[-2000:]))
    tasks = report["plays"][0]["tasks"]
    return wall, dict((t["task"]["name"], task_seconds(t)) for t in tasks)


def counted_run(config, nodes):
    """The HTTP requests of one run through the counting proxy: total and per method."""
    with running_emulator(config=config) as emulator, CountingProxy(emulator.url) as proxy:
        run_play(proxy.url, nodes)
        requests = list(proxy.requests)
    return {"total": len(requests), "by_method": dict((m, sum(1 for r in requests if r[0] == m))
                                                      for m in sorted(set(r[0] for r in requests)))}


def measure(counts, runs):
    config = platform_config(nodes=max(counts))
    requests = dict((n, counted_run(config, n)) for n in counts)
    walls = dict((n, []) for n in counts)
    tasks = dict((n, dict((t, []) for t in TASKS)) for n in counts)
    for _ in range(runs):
        for n in counts:
            with running_emulator(config=config) as emulator:
                wall, by_task = run_play(emulator.url, n)
            walls[n].append(wall)
            for name in TASKS:
                tasks[n][name].append(by_task[name])
    return requests, walls, tasks


def figures_of(counts, runs, requests, walls, tasks):
    base = counts[0]
    rows = []
    for n in counts:
        row = {"nodes": n, "requests": requests[n]["total"], "requests_by_method": requests[n]["by_method"],
               "requests_ratio": bench_report.ratio(requests[n]["total"], requests[base]["total"]),
               "wall_s": round(statistics.median(walls[n]), 2), "wall_runs_s": [round(w, 2) for w in walls[n]]}
        row["wall_ratio"] = bench_report.ratio(row["wall_s"], statistics.median(walls[base]))
        for name in TASKS:
            key = name.lower()
            row[key + "_s"] = round(statistics.median(tasks[n][name]), 2)
            row[key + "_ratio"] = bench_report.ratio(statistics.median(tasks[n][name]),
                                                     statistics.median(tasks[base][name]))
        rows.append(row)
    largest = rows[-1]
    return {"benchmark": "vlan_move_scale", "baseline": "%d nodes, same run" % base, "runs": runs,
            "machine": bench_report.machine(), "rows": rows,
            "goal": {"text": "moving %d nodes within %.1fx the wall time of moving %d"
                             % (largest["nodes"], MOVE_GOAL, base),
                     "move_ratio": largest["move_ratio"], "met": largest["move_ratio"] <= MOVE_GOAL}}


def markdown(figures):
    rows = [(r["nodes"], r["requests"], "%.2fx" % r["requests_ratio"], r["wall_s"], "%.2fx" % r["wall_ratio"],
             r["reserve_s"], "%.2fx" % r["reserve_ratio"], r["move_s"], "%.2fx" % r["move_ratio"],
             r["dhcp_s"], "%.2fx" % r["dhcp_ratio"]) for r in figures["rows"]]
    goal = figures["goal"]
    return "\n".join([
        "# Reserve + VLAN move + DHCP as N grows (API-only emulator)",
        "",
        "Measured by `benchmarks/vlan_move_scale.py` (median of %d runs per N), %s."
        % (figures["runs"], bench_report.machine_line(figures["machine"])),
        "",
        "One play (benchmarks/vlan_move_scale.yml): `oar_job` reserves N parasilo nodes and a routed VLAN and "
        "waits until the job runs, `kavlan_vlan` moves every node into the VLAN, `kavlan_dhcp` stops the "
        "VLAN's DHCP server. A fresh API-only emulator per run, its cluster as large as the largest N. "
        "Ratios are against the %s. Requests: one counted run per N through a proxy, retries included."
        % figures["baseline"],
        "",
        bench_report.table(["nodes", "requests", "vs base", "play (s)", "vs base", "reserve (s)", "vs base",
                            "move (s)", "vs base", "dhcp (s)", "vs base"], rows),
        "",
        "- play = the whole `ansible-playbook` command (Python start-up and play parsing included).",
        "- reserve includes waiting for the job to run: the emulator's launch delay and oar_job's first "
        "poll interval, the same for every N.",
        "",
        "Goal: %s: %s (%.2fx)." % (goal["text"], "met" if goal["met"] else "NOT met", goal["move_ratio"]),
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", default=bench_report.RESULTS)
    args = parser.parse_args()
    counts = sorted(args.nodes)
    figures = figures_of(counts, args.runs, *measure(counts, args.runs))
    text = markdown(figures)
    bench_report.write("vlan_move_scale", figures, text, args.results)
    print(text)
    return 0 if figures["goal"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
