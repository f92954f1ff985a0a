#!/usr/bin/env python3
"""Fan-out of a play over 16 and 64 emulated nodes: Ansible's default settings against tuned
forks, pipelining, SSH multiplexing and the mitogen strategy, as ratios measured in one run.

    sudo .venv/bin/python benchmarks/fanout.py [--nodes 16 64] [--rounds 2]

For each node count N, an emulated site of one cluster of N nodes is brought up (testing.site_up,
its own state directory) and a 2-task play (gather nothing; `ansible.builtin.ping`, then
`ansible.builtin.command: uname -r`) runs against every node over SSH as root, once per setting
below and `--rounds` times each (settings interleaved round by round, so load changes hit all of
them alike). The figure of a setting is its median wall time; its ratio is against `default`
(forks 5, no pipelining, Ansible's default ControlPersist multiplexing) in the same run.
Every run must reach every node (0 unreachable, 0 failed), or the benchmark fails.
Writes benchmarks/results/fanout.{json,md}. Needs root and podman; the site goes down at the end.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_report import machine, machine_line, ratio, table, write  # noqa: E402
from g5k_emulator.testing import fresh_host, site_up  # noqa: E402

PLAY = """- name: Fan-out probe
  hosts: nodes
  gather_facts: false
  tasks:
    - name: Reach the node
      ansible.builtin.ping:
    - name: Run a command
      ansible.builtin.command: uname -r
      changed_when: false
"""
NO_MULTIPLEXING = "-o ControlMaster=no -o ControlPath=none"


def settings(nodes):
    """name -> (extra environment, description)."""
    forks = str(nodes)
    return {
        "default": ({}, "forks 5, no pipelining, ControlPersist multiplexing (Ansible's defaults)"),
        "no-multiplexing": ({"ANSIBLE_SSH_ARGS": NO_MULTIPLEXING},
                            "defaults without SSH multiplexing (a new SSH connection per task)"),
        "forks": ({"ANSIBLE_FORKS": forks}, "forks = number of nodes"),
        "forks+pipelining": ({"ANSIBLE_FORKS": forks, "ANSIBLE_PIPELINING": "true"},
                             "forks = nodes, pipelining"),
        "mitogen": ({"ANSIBLE_FORKS": forks, "ANSIBLE_STRATEGY": "mitogen_linear",
                     "ANSIBLE_STRATEGY_PLUGINS": str(mitogen_strategies())},
                    "forks = nodes, mitogen_linear strategy (mitogen from PyPI)"),
    }


def mitogen_strategies() -> Path:
    import ansible_mitogen
    return Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"


def inventory(where: Path, site, count: int) -> Path:
    key = site.state_dir / "ssh" / "id_ed25519"
    lines = ["[nodes]"] + [f"parasilo-{n}.rennes.grid5000.fr" for n in range(1, count + 1)]
    lines += ["", "[nodes:vars]", "ansible_user=root", f"ansible_ssh_private_key_file={key}",
              "ansible_python_interpreter=/usr/bin/python3",
              "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"]
    path = where / "hosts.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def play_once(where: Path, hosts: Path, extra_env: dict) -> float:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_HOST_KEY_CHECKING": "false",
           **extra_env}
    # each run gets its own control sockets: no master left by the previous setting helps it
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = tempfile.mkdtemp(prefix="cp-", dir=where)
    started = time.monotonic()
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(hosts),
                           str(where / "play.yml")], env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - started
    if done.returncode != 0 or "unreachable=0" not in done.stdout:
        raise SystemExit(f"the play failed with {extra_env}:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return elapsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(count: int, rounds: int) -> dict:
    config = {"api": {"host": "127.0.0.1", "port": free_port()},
              "sites": {"rennes": {"clusters": {"parasilo": {"nodes": count}}}}, "deployment_delay": 0.5}
    with tempfile.TemporaryDirectory(prefix="fanout-") as scratch:
        where = Path(scratch)
        (where / "play.yml").write_text(PLAY)
        started = time.monotonic()
        with site_up(config, where / "site", boot_timeout=180) as site:
            up = time.monotonic() - started
            hosts = inventory(where, site, count)
            times = {name: [] for name in settings(count)}
            for _ in range(rounds):
                for name, (extra_env, _) in settings(count).items():
                    times[name].append(play_once(where, hosts, extra_env))
    return {"nodes": count, "up_seconds": round(up, 1),
            "seconds": {name: round(statistics.median(values), 2) for name, values in times.items()},
            "runs": {name: [round(v, 2) for v in values] for name, values in times.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with fresh_host(log=lambda *_: None):
        results = [measure(count, args.rounds) for count in args.nodes]
    described = machine()
    headers = ["setting", "what"] + [f"{r['nodes']} nodes (s)" for r in results] + \
              [f"vs default, {r['nodes']} nodes" for r in results]
    rows = []
    for name, (_, what) in settings(max(args.nodes)).items():
        what = what.replace(f"= {max(args.nodes)}", "= nodes")
        rows.append([name, what] + [r["seconds"][name] for r in results]
                    + [f"{ratio(r['seconds'][name], r['seconds']['default'])}x" for r in results])
    markdown = "\n".join([
        "# Fan-out of a 2-task play over emulated nodes (issue 13 b)", "",
        machine_line(described), "",
        f"Median of {args.rounds} runs per setting, settings interleaved; each run opens its own SSH "
        "connections (fresh ControlPath directory). Ratio: time / `default` time at the same node count "
        "(below 1 is faster).", "",
        table(headers, rows), "",
        "Emulated site `up` (nodes + 3 gateways): " + ", ".join(
            f"{r['nodes']} nodes in {r['up_seconds']} s" for r in results)])
    write("fanout", {"machine": described, "results": results}, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
