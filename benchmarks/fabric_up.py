#!/usr/bin/env python3
"""How long the emulated site's fabric takes to come up, what a node costs, how long a VLAN move
with lease renewal takes.

    sudo .venv/bin/python benchmarks/fabric_up.py [--nodes 4 16] [--moves 5]
        [--results benchmarks/results/fabric_up.md]

For each node count N (one site, rennes, one cluster of N nodes, plus its 3 kavlan-<N> gateway
nodes), in a temporary state directory:
1. `g5k-emulator up` (image already built): wall time until every node's sshd answers and the
   API (`serve --fabric`) answers; then a second `up` (idempotent: only checks);
2. memory per node: the cgroup memory usage of each running node container (podman stats),
   mean and max, and the sum over all containers;
3. VLAN move + lease renewal, --moves times: reserve a node and a routed VLAN as jdoe, start the
   VLAN's DHCP, then time [POST /vlans/{id}/nodes + `ifdown eth0; ifup eth0` in the node until it
   holds its VLAN address] and the same back to DEFAULT;
4. `g5k-emulator down`, timed.
Needs root and podman; leaves nothing behind (down runs in a finally).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "emulator" / "tests" / "fabric"))

from fabric_site import SiteApi, free_port, write_config  # noqa: E402
from g5k_emulator import config as config_module  # noqa: E402
from g5k_emulator.fabric.live import LiveFabric  # noqa: E402


def cli(*args: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "g5k_emulator.cli", *args], check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def memory_per_container(env: dict) -> list[int]:
    out = subprocess.run(["podman", "stats", "--no-stream", "--no-reset", "--format", "json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    usage = []
    for entry in json.loads(out or "[]"):
        if entry["name"].startswith("g5k-"):
            amount, unit = re.fullmatch(r"([\d.]+)\s*([kMG]?B)", entry["mem_usage"].split("/")[0].strip()).groups()
            usage.append(int(float(amount) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]))
    return usage


def measure(nodes: int, moves: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="g5k-fabric-bench-") as tmp:
        config_path = write_config(Path(tmp, "site.yml"), nodes=nodes, port=free_port())
        state = Path(tmp, "state")
        common = ["--config", str(config_path), "--state-dir", str(state)]
        fabric = LiveFabric(config_module.load(config_path), state)
        try:
            up = cli("up", *common)
            again = cli("up", *common)
            env = {**os.environ, **fabric.podman.env()}
            time.sleep(5)   # let the nodes settle after boot before reading memory
            memory = memory_per_container(env)
            api = SiteApi(fabric.config.host, fabric.config.port)
            job = api.running_job("{cluster='parasilo'}/nodes=1+{type='kavlan'}/vlan=1")
            vlan = job["resources_by_type"]["vlans"][0]
            name = job["assigned_nodes"][0]
            node = fabric.topology.node("rennes", name)
            api.dhcpd(vlan, "start")
            timings = []
            for _ in range(moves):
                for target in (vlan, "DEFAULT"):
                    expected = node.primary.addresses[target]
                    started = time.monotonic()
                    api.move([name], target)
                    subprocess.run(["podman", "exec", node.container, "sh", "-c",
                                    "ifdown eth0 2>/dev/null; ifup eth0 2>/dev/null"],
                                   env=env, check=True)
                    got = subprocess.run(["podman", "exec", node.container, "ip", "-4", "-o",
                                          "addr", "show", "dev", "eth0"],
                                         env=env, capture_output=True, text=True).stdout
                    timings.append(time.monotonic() - started)
                    assert f" {expected}/" in got, got
            api.call("DELETE", f"/jobs/{job['uid']}")
        finally:
            down = cli("down", *common)
    return {"nodes": nodes, "containers": len(memory), "up": up, "up_again": again, "down": down,
            "mem_mean": statistics.mean(memory), "mem_max": max(memory), "mem_total": sum(memory),
            "move_median": statistics.median(timings), "move_max": max(timings),
            "moves": len(timings)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--moves", type=int, default=5)
    parser.add_argument("--results", type=Path, default=HERE / "results" / "fabric_up.md")
    args = parser.parse_args()
    rows = [measure(n, args.moves) for n in args.nodes]
    mb = 1e6
    lines = ["# Fabric: `up`, memory per node, VLAN move + lease renewal", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this machine "
             f"({os.cpu_count()} cores, shared with other work) by `benchmarks/fabric_up.py`.", "",
             "| nodes (+3 gateways) | `up` | 2nd `up` | `down` | memory/node mean (max) | all containers "
             "| VLAN move + renewal median (max, n) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['nodes']} ({r['containers']} containers) | {r['up']:.1f} s | {r['up_again']:.1f} s "
                     f"| {r['down']:.1f} s | {r['mem_mean'] / mb:.1f} MB ({r['mem_max'] / mb:.1f} MB) "
                     f"| {r['mem_total'] / mb:.0f} MB | {r['move_median']:.2f} s ({r['move_max']:.2f} s, "
                     f"{r['moves']}) |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
