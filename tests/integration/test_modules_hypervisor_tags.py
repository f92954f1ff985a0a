"""g5k.testbed.hypervisor run phase by phase (--tags hypervisor_configure), as users re-run one
phase: it must not stop on facts that other phases set (tests/unit/roles/test_phase_tags.py runs
every tag of every role alone; this one checks what the configure phase publishes). Check mode on this machine, which changes
nothing (accelerator forced, sysctl file in a temporary folder, no bridge)."""

import json
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def run_phase(tmp_path, tags):
    play = [{"hosts": "localhost", "gather_facts": False, "roles": [{
        "role": "g5k.testbed.hypervisor",
        "vars": {"hypervisor_bridge_name": "", "hypervisor_accel": "qemu",
                 "hypervisor_sysctl_file": str(tmp_path / "sysctl.conf")}}]}]
    playbook = tmp_path / "phase.yml"
    playbook.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1")
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), str(playbook), "-i", "localhost,",
                           "-c", "local", "--check", "--diff", "--tags", tags,
                           "-e", "ansible_python_interpreter=%s" % (ROOT / ".venv" / "bin" / "python")],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(done.stdout[done.stdout.index("{"):])
    # task names come as "<role> : <task>"; handlers as "<role> : <handler>" too
    return [(task["task"]["name"].split(" : ", 1)[-1], task["hosts"]["localhost"])
            for play in report["plays"] for task in play["tasks"]]


def test_configure_phase_alone_runs_preflight_and_the_accelerator_choice(tmp_path):
    results = run_phase(tmp_path, "hypervisor_configure")
    names = [name for name, _ in results]
    assert "Check the base image list" in names          # preflight runs with every phase tag
    assert "Choose the accelerator" in names              # configure publishes it
    failed = dict((name, result.get("msg")) for name, result in results if result.get("failed"))
    # The only failure allowed here: restarting libvirtd, which this machine does not have.
    assert set(failed) <= {"Restart libvirtd"}, failed
    fact = dict(results)["Publish the hypervisor's settings as a local fact"]
    published = json.loads(fact["diff"][0]["after"])
    assert (published["accel"], published["accel_reason"]) == ("qemu", "forced by hypervisor_accel")
    # the install phase does not run (check mode reads which packages are missing, installs none)
    assert all(result.get("skipped") for name, result in results if name.startswith("Install")), results
