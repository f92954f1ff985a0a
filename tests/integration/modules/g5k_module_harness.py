"""Run the collection's modules in real playbooks against a real g5k-emulator process.

- ``emulator_for(nodes=4)``: context manager, an emulator whose rennes/parasilo cluster has that
  many nodes (nancy/gros and the Slurm site bordeaux as in the default platform).
- ``CountingProxy(target_url)``: an HTTP proxy on 127.0.0.1 that forwards to the emulator and
  counts the requests it carries, so tests measure what the modules really send.
- ``run_playbook(name, api_uri, check=False, **extra_vars)``: runs ``<name>.yml`` from this
  folder with ansible-playbook (JSON callback) and returns ``{task name: result}``;
  ``playbook_process(..., hosts="a,b,c")`` starts one (for runs at the same time) and
  ``playbook_results(process, host)`` reads a host's results, ``playbook_report(process)`` every host's.
- ``run_task(module, args, api_uri, check=False, user="jdoe", tmp_path=...)``: one task, its result.
- ``api(url, method, path, body=None, user="jdoe")``: a direct API call, to verify state.
"""

import base64
import contextlib
import copy
import http.server
import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from g5k_emulator.config import DEFAULT_CONFIG
from g5k_emulator.testing import running_emulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PASSWORDS = {"jdoe": "jdoe-secret", "asmith": "asmith-secret"}


def platform_config(nodes=4):
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config = copy.deepcopy(config)
    config["sites"]["rennes"]["clusters"]["parasilo"]["nodes"] = nodes
    config["deployment_delay"] = 0.5
    return config


@contextlib.contextmanager
def emulator_for(nodes=4):
    with running_emulator(config=platform_config(nodes)) as emulator:
        yield emulator


class CountingProxy:
    """Forwards every request to ``target`` (an emulator URL) and records ``(method, path)``."""

    def __init__(self, target):
        self.target = target.rstrip("/")
        self.requests = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = self.path[len("/stable"):] if self.path.startswith("/stable") else self.path
                proxy.requests.append((self.command, path.split("?")[0]))
                request = urllib.request.Request(proxy.target + path, data=body, method=self.command,
                                                 headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, headers, payload = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as error:
                    status, headers, payload = error.code, error.headers, error.read()
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/stable" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def run_task(module, args, api_uri, check=False, user="jdoe", tmp_path=None):
    """One task ``g5k.testbed.<module>`` with ``args`` (plus credentials unless given); its result."""
    args = dict(args)
    args.setdefault("api_uri", api_uri)
    if user:
        args.setdefault("api_username", user)
        args.setdefault("api_password", PASSWORDS[user])
    args = dict((k, v) for k, v in args.items() if v is not None)
    play = [{"name": "one task", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Under test", "g5k.testbed." + module: args}]}]
    path = Path(tmp_path) / ("task-%s.yml" % module)
    path.write_text(yaml.safe_dump(play))
    return task_result(run_playbook(str(path), api_uri, check=check, user=user), "Under test")


def task_result(results, task):
    """The result of ``task``; if the play never reached it, say what ran and what failed."""
    if task not in results:
        failed = dict((name, r.get("msg")) for name, r in results.items() if r.get("failed"))
        raise AssertionError("task %r did not run; tasks run: %s; failures: %s" % (task, list(results), failed))
    return results[task]


def playbook_process(name, api_uri, check=False, user="jdoe", hosts="localhost", **extra_vars):
    """ansible-playbook (JSON callback) on ``name`` for the comma-separated ``hosts`` (run on
    the controller), started: a ``subprocess.Popen`` whose output ``playbook_results`` reads."""
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1",
               G5K_API_CONFIG=str(HERE / "no-python-grid5000.yaml"))
    extra = dict(extra_vars, g5k_api_uri=api_uri, g5k_user=user, g5k_password=PASSWORDS.get(user, ""),
                 ansible_python_interpreter=str(ROOT / ".venv" / "bin" / "python"))
    playbook = name if name.endswith(".yml") else str(HERE / (name + ".yml"))
    command = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), playbook,
               "-i", hosts + ",", "-c", "local", "-e", json.dumps(extra)]
    if check:
        command.append("--check")
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def playbook_results(process, host="localhost"):
    """``{task name: result}`` of ``host`` from a finished ``playbook_process``."""
    return playbook_report(process).get(host, {})


def playbook_report(process):
    """``{host: {task name: result}}`` from a finished ``playbook_process``."""
    stdout, stderr = process.communicate(timeout=600)
    # progress lines of the action plugins come before the JSON report
    lines = stdout.splitlines()
    start = lines.index("{") if "{" in lines else 0
    try:
        report = json.loads("\n".join(lines[start:]))
    except ValueError:
        raise AssertionError("ansible-playbook output is not JSON:\n%s\n%s" % (stdout[-3000:], stderr[-3000:]))
    results = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                results.setdefault(host, {})[task["task"]["name"]] = result
    return results


def run_playbook(name, api_uri, check=False, user="jdoe", **extra_vars):
    return playbook_results(playbook_process(name, api_uri, check=check, user=user, **extra_vars))


def api(url, method, path, body=None, user="jdoe"):
    headers = {"Accept": "application/json"}
    if user:
        token = base64.b64encode(("%s:%s" % (user, PASSWORDS[user])).encode()).decode()
        headers["Authorization"] = "Basic " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode()
    return json.loads(text) if text.strip() else None


def assert_pattern(playbook, api_uri, task="Under test", **extra_vars):
    """check (changed) -> real (changed) -> real (not changed) -> check (not changed)."""
    seen = []
    for check in (True, False, False, True):
        result = task_result(run_playbook(playbook, api_uri, check=check, **extra_vars), task)
        assert not result.get("failed"), result.get("msg")
        seen.append(result["changed"])
    assert seen == [True, True, False, False], seen
    return result
