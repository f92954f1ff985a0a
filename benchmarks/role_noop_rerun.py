#!/usr/bin/env python3
"""A no-op rerun of the hypervisor role: its second run on a node against its first, in one run.

    .venv/bin/python benchmarks/role_noop_rerun.py [--results benchmarks/results] [--collections PATH]

One node as the molecule scenarios make it (a privileged podman container with systemd from the
node image, `g5k-emulator image build`, on a podman network of its own, reached over SSH with
pipelining), fresh. The role runs twice with the same variables (bridge, storage pool, a base
image, guest DHCP for one guest, so every phase has work on the first run): the first run installs
and configures everything, the second finds the node as it should be. Figures: both wall times,
their ratio, the second run's changed count (must be 0) and its slowest tasks, and the same no-op
once more with the mitogen strategy (docs/performance.md). Goal: the second run (default settings)
under 10 s and under 0.2x the first. Then the role's teardown entry (tasks_from: absent) runs,
and the node and its network are removed.
"""

import argparse
import contextlib
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BIN = os.path.join(ROOT, ".venv", "bin")

import bench_report  # noqa: E402  (beside this file)

NAME = "role_noop_rerun"
GOAL_SECONDS, GOAL_RATIO = 10.0, 0.2
NODE, NETWORK, SUBNET, ADDRESS = "bnoop-node1", "bnoop-net", "10.231.61.0/24", "10.231.61.10"
IMAGE = "localhost/g5k-node:bookworm"
PLAY_TIMEOUT = 1200

ROLE_VARS = {
    # Inside a container libvirt can neither unshare a mount namespace nor manage cgroups.
    "hypervisor_qemu_conf": {"namespaces": [], "cgroup_controllers": []},
    "hypervisor_bridge_name": "bnoop-br0",
    "hypervisor_pool_name": "bnoop-pool",
    "hypervisor_pool_path": "/var/lib/libvirt/images/bnoop-pool",
    "hypervisor_sysctls": {"net.ipv4.neigh.eth0.unres_qlen": 257},
    "hypervisor_guest_dhcp_hosts": [{"mac": "00:16:3e:e7:3d:4d", "ip": "10.231.61.77", "name": "bnoop-guest"}],
}


def podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)


@contextlib.contextmanager
def node(scratch):
    """The fresh node, reachable as root over SSH with the scenario's key; removed at the end."""
    podman("network", "create", "--subnet", SUBNET, NETWORK)
    try:
        podman("run", "--detach", "--name", NODE, "--hostname", NODE, "--systemd=always", "--privileged",
               "--device", "/dev/net/tun", "--network", NETWORK, "--ip", ADDRESS, IMAGE, "/sbin/init")
        podman("exec", NODE, "systemctl", "is-system-running", "--wait", check=False)
        key = os.path.join(scratch, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        with open(key + ".pub") as public:
            subprocess.run(["podman", "exec", "-i", NODE, "sh", "-c",
                            "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys"],
                           stdin=public, check=True)
        for _ in range(60):
            if subprocess.run(["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                               "-o", "BatchMode=yes", "root@" + ADDRESS, "true"], capture_output=True).returncode == 0:
                break
            time.sleep(1)
        inventory = os.path.join(scratch, "inventory.yml")
        with open(inventory, "w") as handle:
            yaml.safe_dump({"all": {"hosts": {NODE: {
                "ansible_host": ADDRESS, "ansible_user": "root", "ansible_ssh_private_key_file": key,
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}}}}, handle)
        yield inventory
    finally:
        # The role moved eth0's address to its bridge: podman finds the node's NAT rules by it.
        podman("exec", NODE, "ip", "addr", "replace", ADDRESS + "/24", "dev", "eth0", check=False)
        podman("rm", "--force", "--time", "2", NODE, check=False)
        podman("network", "rm", "--force", NETWORK, check=False)


def mitogen_settings():
    """Ansible settings of the mitogen strategy (mitogen from PyPI, requirements/venv.txt)."""
    import ansible_mitogen
    return {"ANSIBLE_STRATEGY": "mitogen_linear",
            "ANSIBLE_STRATEGY_PLUGINS": os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")}


COLLECTIONS = os.path.join(ROOT, ".build", "collections")


def play(scratch, inventory, tasks_from="main", settings=None):
    """ansible-playbook of the role on the node: (wall seconds, JSON report)."""
    playbook = os.path.join(scratch, "%s.yml" % tasks_from)
    with open(playbook, "w") as handle:
        # The role gathers the few facts it needs itself (set_vars.yml).
        yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [{
            "name": "The hypervisor role (%s)" % tasks_from,
            "ansible.builtin.include_role": {"name": "g5k.testbed.hypervisor", "tasks_from": tasks_from},
            "vars": ROLE_VARS}]}], handle)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_PIPELINING="true", ANSIBLE_NOCOLOR="1",
               **(settings or {}))
    started = time.monotonic()
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook],
                          capture_output=True, text=True, env=env, timeout=PLAY_TIMEOUT, check=False)
    seconds = time.monotonic() - started
    report = json.loads(done.stdout[done.stdout.index("{"):])
    if done.returncode != 0:
        failed = [(task["task"]["name"], result.get("msg")) for p in report["plays"] for task in p["tasks"]
                  for result in task["hosts"].values() if result.get("failed")]
        raise SystemExit("the %s run failed: %s" % (tasks_from, failed or done.stderr[-2000:]))
    return seconds, report


def task_seconds(report):
    """(seconds, task name) of every task, slowest first."""
    rows = []
    for one in report["plays"]:
        for task in one["tasks"]:
            took = task["task"].get("duration", {})
            if "start" not in took or "end" not in took:  # an include has no duration of its own
                continue
            start, end = (datetime.datetime.fromisoformat(took[key].rstrip("Z")) for key in ("start", "end"))
            rows.append((round((end - start).total_seconds(), 2), task["task"]["name"].split(" : ", 1)[-1]))
    return sorted(rows, reverse=True)


def main():
    global COLLECTIONS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=bench_report.RESULTS)
    parser.add_argument("--collections", default=COLLECTIONS,
                        help="collections path holding g5k.testbed (another checkout's, to compare)")
    args = parser.parse_args()
    COLLECTIONS = args.collections
    has_teardown = os.path.isfile(os.path.join(COLLECTIONS, "ansible_collections", "g5k", "testbed", "roles",
                                               "hypervisor", "tasks", "absent.yml"))
    with tempfile.TemporaryDirectory(prefix="g5k-bench-noop-") as scratch, node(scratch) as inventory:
        first, _ = play(scratch, inventory)
        second, report = play(scratch, inventory)
        # The same no-op once more through mitogen: what is left is the cost of each task's transport.
        third, third_report = play(scratch, inventory, settings=mitogen_settings())
        teardown = play(scratch, inventory, "absent")[0] if has_teardown else None
    stats = report["stats"][NODE]
    every_task = task_seconds(report)
    slowest = every_task[:8]
    ratio = bench_report.ratio(second, first)
    passed = stats["changed"] == 0 and second < GOAL_SECONDS and ratio < GOAL_RATIO
    figures = {
        "what": "g5k.testbed.hypervisor on one fresh node (podman container with systemd, SSH with pipelining): "
                "second run against the first, same variables (bridge, pool, guest DHCP)",
        "first_run_seconds": round(first, 1), "second_run_seconds": round(second, 1), "ratio": ratio,
        "second_run_changed": stats["changed"], "second_run_tasks_ok": stats["ok"],
        "second_run_tasks_skipped": stats["skipped"], "second_run_slowest_tasks": slowest,
        "second_run_task_seconds": every_task,
        "second_run_seconds_in_tasks": round(sum(seconds for seconds, _name in every_task), 1),
        "third_run_mitogen_seconds": round(third, 1), "third_run_mitogen_changed": third_report["stats"][NODE]["changed"],
        "third_run_mitogen_ratio": bench_report.ratio(third, first),
        "teardown_seconds": round(teardown, 1) if teardown is not None else None,
        "goal": "second run < %.0f s and < %.1fx the first, changed == 0" % (GOAL_SECONDS, GOAL_RATIO),
        "passed": passed, "machine": bench_report.machine(),
    }
    markdown = "\n".join([
        "# No-op rerun of the hypervisor role (issue 20)", "",
        figures["what"] + ".", "",
        bench_report.table(["run", "seconds", "changed"], [
            ["first (installs and configures)", figures["first_run_seconds"], "-"],
            ["second (nothing to do)", figures["second_run_seconds"], stats["changed"]],
            ["ratio second / first", ratio, ""],
            ["third, same no-op with the mitogen strategy", figures["third_run_mitogen_seconds"],
             figures["third_run_mitogen_changed"]],
            ["ratio third / first", figures["third_run_mitogen_ratio"], ""],
            ["teardown (tasks_from: absent)", figures["teardown_seconds"], "-"]]), "",
        "The second run's %d tasks (%d skipped) took %.1f s in all; its slowest:" % (
            stats["ok"] + stats["skipped"], stats["skipped"], figures["second_run_seconds_in_tasks"]), "",
        bench_report.table(["seconds", "task"], slowest), "",
        "Goal: %s: %s." % (figures["goal"], "met" if passed else "NOT met"), "",
        bench_report.machine_line(figures["machine"]) + ".",
    ])
    for path in bench_report.write(NAME, figures, markdown, args.results):
        print("wrote", path)
    print(markdown)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
