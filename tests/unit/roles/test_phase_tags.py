"""Every phase tag of every role, run alone in check mode (`--tags <role>_<phase>`), as a user
re-runs one phase of a role: none may stop on a variable that another phase sets.

Roles and their phase tags are read from each role's tasks/main.yml, so a new role or phase is
covered as soon as it exists; the variables a role needs to run at all come from phase_tags.yml
(a new role that requires some gets its entry there).
The runs go to this machine in check mode (nothing changes), which is a host the roles never ran
on: packages missing, no unit files.
"""

import base64
import contextlib
import json
import os
import pathlib
import subprocess
import time
import urllib.request

import pytest
import yaml
from g5k_emulator.testing import running_emulator

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLES_ROOT = ROOT / "roles"
SETTINGS = yaml.safe_load((pathlib.Path(__file__).parent / "phase_tags.yml").read_text(encoding="utf-8"))


def phase_tags(main_file):
    """Tags of the tasks of a role's tasks/main.yml (blocks included), `always` and `never` left out."""
    tags = []

    def walk(tasks):
        for task in tasks or []:
            value = task.get("tags", [])
            for tag in [value] if isinstance(value, str) else value:
                if tag not in ("always", "never") and tag not in tags:
                    tags.append(tag)
            walk(task.get("block"))
            walk(task.get("rescue"))
            walk(task.get("always"))

    walk(yaml.safe_load(main_file.read_text(encoding="utf-8")))
    return tags


def role_phases():
    """(role, tag) of every public role (internal ones, `_name`, have no main.yml to run)."""
    return [(main.parents[1].name, tag) for main in sorted(ROLES_ROOT.glob("[!_]*/tasks/main.yml"))
            for tag in phase_tags(main)]


PHASES = role_phases()


def substitute(value, tmp):
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp))
    if isinstance(value, list):
        return [substitute(item, tmp) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, tmp) for key, item in value.items()}
    return value


def call(url, method, path, body=None):
    headers = {"Accept": "application/json", "Content-Type": "application/json",
               "Authorization": "Basic " + base64.b64encode(b"jdoe:jdoe-secret").decode()}
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url + path, data=data, method=method, headers=headers),
                                timeout=30) as answer:
        return json.loads(answer.read() or b"null")


@pytest.fixture(scope="module")
def api():
    """An emulated Grid'5000 API (no site) with one node of rennes reserved by jdoe, started once
    and only when a role needs it: (the G5K_API_* environment, the node's name)."""
    with contextlib.ExitStack() as stack:
        def start():
            if not started:
                emulator = stack.enter_context(running_emulator())
                job = call(emulator.url, "POST", "/sites/rennes/jobs",
                           {"resources": "nodes=1,walltime=1:00", "command": "sleep 3600", "types": ["deploy"]})
                for _attempt in range(100):
                    job = call(emulator.url, "GET", "/sites/rennes/jobs/%s" % job["uid"])
                    if job["state"] == "running":
                        break
                    time.sleep(0.1)
                started.update(env={"G5K_API_URI": emulator.url, "G5K_API_USERNAME": "jdoe",
                                    "G5K_API_PASSWORD": "jdoe-secret"}, node=job["assigned_nodes"][0])
            return started
        started = {}
        yield start


def run_tag(tmp_path, role, tag, api=None):
    """ansible-playbook --check --tags TAG of a play holding only the role: (rc, failed tasks)."""
    settings = SETTINGS.get(role) or {}
    play = [{"hosts": "all", "gather_facts": False,
             "roles": [{"role": "g5k.testbed." + role, "vars": substitute(settings.get("vars") or {}, tmp_path)}]}]
    playbook = tmp_path / "phase.yml"
    playbook.write_text(yaml.safe_dump(play))
    (tmp_path / "empty").write_bytes(b"")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), **(api["env"] if api else {}))
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), str(playbook),
                           "-i", (api["node"] if api else "localhost") + ",",
                           "-c", "local", "--check", "--tags", tag,
                           "-e", "ansible_python_interpreter=%s" % (ROOT / ".venv" / "bin" / "python")],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        report = json.loads(done.stdout[done.stdout.index("{"):])
    except ValueError:
        return done.returncode, [("(no report)", done.stdout[-2000:] + done.stderr[-2000:])]
    failed = [(task["task"]["name"], result.get("msg") or result.get("stderr") or str(result))
              for play in report["plays"] for task in play["tasks"]
              for result in task["hosts"].values() if result.get("failed") or result.get("unreachable")]
    return done.returncode, failed


def test_every_role_has_phase_tags():
    roles = {role for role, _tag in PHASES}
    public = {path.name for path in ROLES_ROOT.iterdir() if path.is_dir() and not path.name.startswith("_")}
    assert roles == public, "roles without tagged phases in tasks/main.yml: %s" % sorted(public - roles)


@pytest.mark.parametrize("role, tag", PHASES, ids=["%s-%s" % phase for phase in PHASES])
def test_phase_runs_alone_in_check_mode(tmp_path, api, role, tag):
    rc, failed = run_tag(tmp_path, role, tag, api() if (SETTINGS.get(role) or {}).get("api") else None)
    undefined = [(name, msg) for name, msg in failed if "is undefined" in str(msg)]
    assert not undefined, "--tags %s stops on a variable another phase sets: %s" % (tag, undefined)
    assert rc == 0 and not failed, "--tags %s failed (rc %s): %s" % (tag, rc, failed)
