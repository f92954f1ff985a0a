"""Running a playbook of playbooks/ as jdoe against the emulated site (see conftest.py's
`fabric_site`) and reading its JSON report."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from fabric_harness import api_call, release_jobs

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
USER, PASSWORD = "jdoe", "jdoe-secret"


def config_file_home(url: str, workdir: Path) -> Path:
    """A home folder whose ~/.python-grid5000.yaml holds the API's address and the user's
    credentials, as python-grid5000 users keep them."""
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    config = home / ".python-grid5000.yaml"
    config.write_text(f"uri: {url}\nusername: {USER}\npassword: {PASSWORD}\n")
    config.chmod(0o600)
    return home


def run_playbook(playbook: Path | str, url: str, workdir: Path, *options: str, timeout: int = 900,
                 credentials: str = "environment") -> dict:
    """ansible-playbook with the ansible.posix.json callback, in `workdir`; returns the report.
    credentials="config": the API and credentials only in ~/.python-grid5000.yaml (no G5K_API_*)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("G5K_API_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               PWD=str(workdir))
    if credentials == "config":
        env["HOME"] = str(config_file_home(url, workdir))
    else:
        env.update(G5K_API_URI=url, G5K_API_USERNAME=USER, G5K_API_PASSWORD=PASSWORD)
    path = Path(playbook) if Path(playbook).is_absolute() else ROOT / "playbooks" / f"{playbook}.yml"
    done = subprocess.run([str(BIN / "ansible-playbook"), str(path), *options], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=workdir)
    # kept beside the results, for reading a failure
    (workdir / f"{path.stem}-{len(list(workdir.glob(path.stem + '-*.out')))}.out").write_text(done.stdout + done.stderr)
    lines = done.stdout.splitlines()
    assert "{" in lines, f"no JSON report (rc {done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return json.loads("\n".join(lines[lines.index("{"):]))


def changed(report: dict, host: str = "localhost") -> int:
    return report["stats"][host]["changed"]


def all_succeeded(report: dict) -> bool:
    return all(s["failures"] == 0 and s["unreachable"] == 0 for s in report["stats"].values())


def nothing_changed(report: dict) -> bool:
    return all_succeeded(report) and all(s["changed"] == 0 for s in report["stats"].values())


def task_results(report: dict, name: str) -> list[dict]:
    """Per run of the task called `name` (roles' tasks as `role : name`), its results by host."""
    return [task["hosts"] for play in report["plays"] for task in play["tasks"]
            if task["task"]["name"] == name or task["task"]["name"].endswith(" : " + name)]


def failure_messages(report: dict) -> list[str]:
    """The messages of every failed task, and of the failed items of a loop."""
    failed = [result for play in report["plays"] for task in play["tasks"]
              for result in task["hosts"].values() if result.get("failed")]
    return [r.get("msg", "") for result in failed for r in [result, *result.get("results", [])] if r.get("failed")]


def active_jobs(url: str, site: str = "rennes", name: str | None = None) -> list[dict]:
    query = f"user={USER}&state=waiting,launching,running" + (f"&name={name}" if name else "")
    return api_call(url, "GET", f"/sites/{site}/jobs?{query}")["items"]


def vlan_of(url: str, site: str, node: str) -> str:
    return api_call(url, "GET", f"/sites/{site}/vlans/nodes/{node}")["vlan"]


def job_site(fabric_site, tmp_path_factory, job: str):
    """For a module fixture (`yield from`): a work folder with an SSH key pair for the nodes, and
    the jobs named `job` released before (a run that was cut short) and after."""
    where = tmp_path_factory.mktemp(job)
    key = where / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    release_jobs(fabric_site.url, name=job)
    try:
        yield {"url": fabric_site.url, "key": key, "dir": where}
    finally:
        release_jobs(fabric_site.url, name=job)


def assert_stopped_before_anything_changed(report: dict, says: str) -> None:
    """The play failed on the controller, changed nothing, and its message says `says`."""
    assert report["stats"]["localhost"]["failures"] == 1 and report["stats"]["localhost"]["changed"] == 0
    assert any(says in message for message in failure_messages(report)), failure_messages(report)
