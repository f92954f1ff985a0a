"""The collection as users get it: build the tarball, install it offline into a path that holds
only the declared dependencies (copied from the `ansible` bundle in the venv), then use it from
there - every module the installed roles name is found, and one role task runs."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
BUNDLE = Path(next(p for p in sys.path if p.endswith("site-packages"))) / "ansible_collections"

PLAY = [{
    "name": "Use the installed collection",
    "hosts": "localhost",
    "gather_facts": False,
    "tasks": [
        {"name": "One role task: the hypervisor's preflight checks",
         "ansible.builtin.include_role": {"name": "g5k.testbed.hypervisor", "tasks_from": "preflight"},
         "vars": {"hypervisor_bridge_interface": "eth0"}},
    ],
}]


def isolated_env(collections):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("ANSIBLE_"):
            del env[name]
    # only the temporary path: neither the checkout nor the venv's bundle may satisfy an import
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               HOME=str(collections.parent), PATH="%s:%s" % (VENV_BIN, env.get("PATH", "")))
    return env


def modules_named_by_roles(installed):
    """FQCNs of the non-builtin modules the installed roles' tasks call."""
    names = set()
    for path in installed.glob("roles/*/tasks/*.yml"):
        names.update(re.findall(r"^\s*-?\s*((?!ansible\.builtin\.)[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+):", path.read_text(), re.M))
    return sorted(names)


def missing_modules(names, env, cwd):
    done = subprocess.run([VENV_BIN / "ansible-doc", "-j", "-t", "module"] + names, env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600, check=False)
    found = json.loads(done.stdout or "{}")
    return [name for name in names if name not in found]


def run(command, env, cwd):
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(map(str, command)), done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def test_built_tarball_installs_offline_with_only_its_dependencies_and_runs(tmp_path):
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    collections = tmp_path / "collections"
    env = isolated_env(collections)
    run([VENV_BIN / "ansible-galaxy", "collection", "build", str(ROOT), "--output-path", str(tmp_path / "dist")],
        env, tmp_path)
    tarball = tmp_path / "dist" / ("g5k-testbed-%s.tar.gz" % galaxy["version"])
    assert tarball.is_file()
    for name in galaxy["dependencies"]:
        namespace, collection = name.split(".")
        shutil.copytree(BUNDLE / namespace / collection, collections / "ansible_collections" / namespace / collection)
    run([VENV_BIN / "ansible-galaxy", "collection", "install", "--offline", str(tarball), "-p", str(collections)],
        env, tmp_path)
    installed = collections / "ansible_collections" / "g5k" / "testbed"
    assert (installed / "MANIFEST.json").is_file() and not (installed / "tests").exists()
    listed = run([VENV_BIN / "ansible-galaxy", "collection", "list", "-p", str(collections)], env, tmp_path)
    assert "g5k.testbed" in listed
    playbook = tmp_path / "use.yml"
    playbook.write_text(yaml.safe_dump(PLAY, sort_keys=False))
    command = [VENV_BIN / "ansible-playbook", str(playbook), "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=%s" % (VENV_BIN / "python")]
    out = run(command, env, tmp_path)
    assert "Check the base image list" in out and "failed=0" in out
    named = modules_named_by_roles(installed)
    assert {"community.libvirt.virt_pool", "ansible.posix.sysctl"} <= set(named)
    assert missing_modules(named, env, tmp_path) == []
    # without a declared dependency, the same check fails: it can tell
    shutil.rmtree(collections / "ansible_collections" / "community")
    assert missing_modules(named, env, tmp_path) == ["community.libvirt.virt_pool"]
