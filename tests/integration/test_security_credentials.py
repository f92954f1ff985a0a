"""No credential in what a run shows: `ansible-playbook -vvv` and `ansible-inventory -vvv` output,
failure messages and registered results (printed with debug), whichever way the password came:
task option, environment variable, python-grid5000 config file, or written in the URI."""

import base64
import os
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import yaml

from fault_harness import fast_config, set_rules
from g5k_emulator.testing import running_emulator

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
USER = "cred"
SECRET = "Pw-7f3a9c-right"
WRONG = "Pw-5e1b2d-wrong"
CARRIERS = ("option", "environment", "config_file", "uri")


@pytest.fixture(scope="module")
def emulator():
    config = fast_config()
    config["users"] = [{"login": USER, "password": SECRET}]
    with running_emulator(config=config) as running:
        yield running


def forms_of(password):
    """Every spelling of a password that would be a leak: as is, URL-quoted, in a Basic header."""
    return {password, urllib.parse.quote(password), base64.b64encode(("%s:%s" % (USER, password)).encode()).decode()}


def connection(carrier, uri, password, tmp_path):
    """(module options, environment of the ansible-playbook process) carrying ``password`` the way
    ``carrier`` says. The environment is the process's, not the task keyword ``environment:``,
    whose values ansible-core itself prints at -vvv (in the EXEC line), whatever the module does."""
    if carrier == "option":
        return {"api_uri": uri, "api_username": USER, "api_password": password}, {}
    if carrier == "environment":
        return {"api_uri": uri, "api_username": USER}, {"G5K_API_PASSWORD": password}
    if carrier == "config_file":
        path = tmp_path / ("python-grid5000-%s.yaml" % password)
        path.write_text(yaml.safe_dump({"username": USER, "password": password}))
        path.chmod(0o600)
        return {"api_uri": uri, "api_config": str(path)}, {}
    parts = urllib.parse.urlsplit(uri)
    netloc = "%s:%s@%s" % (USER, urllib.parse.quote(password, safe=""), parts.netloc)
    return {"api_uri": urllib.parse.urlunsplit(parts._replace(netloc=netloc))}, {}


def task(name, module, args, carrier, uri, tmp_path, password=SECRET):
    """A task registering its result; the process environment carries SECRET alone, so a task
    of the environment carrier with another password gets it as an option."""
    if carrier == "environment" and password != SECRET:
        carrier = "option"
    options = connection(carrier, uri, password, tmp_path)[0]
    return {"name": name, "g5k.testbed." + module: dict(args, **options), "register": name.lower(),
            "ignore_errors": True}


def run_verbose(command, tmp_path, environment=None):
    """stdout + stderr of ``command -vvv``, with no G5K_API_* variable but those in ``environment``."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               G5K_API_CONFIG=str(tmp_path / "absent.yaml"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    for name in ("G5K_API_URI", "G5K_API_USERNAME", "G5K_API_PASSWORD"):
        env.pop(name, None)
    env.update(environment or {})
    done = subprocess.run(command + ["-vvv"], env=env, capture_output=True, text=True, timeout=600, check=False)
    return done.stdout + done.stderr


def run_play(tmp_path, tasks, environment=None):
    """stdout + stderr of ``ansible-playbook -vvv`` running ``tasks`` on localhost."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"name": "credentials", "hosts": "localhost", "gather_facts": False,
                                         "tasks": tasks}], sort_keys=False))
    return run_verbose([str(ROOT / ".venv" / "bin" / "ansible-playbook"), str(playbook), "-i", "localhost,",
                        "-c", "local", "-e", "ansible_python_interpreter=" + str(ROOT / ".venv" / "bin" / "python")],
                       tmp_path, environment)


def assert_nowhere(output, *passwords):
    for password in passwords:
        for form in forms_of(password):
            assert form not in output, "%r shown: ...%s..." % (form, output[max(0, output.find(form) - 300):
                                                                       output.find(form) + 100])


@pytest.mark.parametrize("carrier", CARRIERS)
def test_playbook_output_at_vvv_shows_no_password(tmp_path, emulator, carrier):
    closed = "http://127.0.0.1:9/stable"  # nothing listens on the discard port
    set_rules(emulator, {"fault": "error", "method": "GET", "path": "/sites/nancy/vlans", "count": 100})
    tasks = [
        task("Read", "kavlan_info", {"site": "rennes"}, carrier, emulator.url, tmp_path),
        task("Refused", "oar_job", {"name": "bad", "site": "rennes", "resources": "nodes=1+bogus=3"},
             carrier, emulator.url, tmp_path),
        task("Unavailable", "kavlan_info", {"site": "nancy", "api_retries": 0}, carrier, emulator.url, tmp_path),
        task("Unreachable", "kavlan_info", {"site": "rennes", "api_retries": 0}, carrier, closed, tmp_path),
        task("Wrong", "kavlan_info", {"site": "rennes"}, carrier, emulator.url, tmp_path, password=WRONG),
        {"name": "Show", "ansible.builtin.debug": {"var": "[read, refused, unavailable, unreachable, wrong]"}},
    ]
    output = run_play(tmp_path, tasks, connection(carrier, emulator.url, SECRET, tmp_path)[1])
    set_rules(emulator)
    # each task ran and met what it was written for, so the output holds their real messages
    assert "ok: [localhost]" in output and "vlans" in output
    assert "returned HTTP 400" in output and "returned HTTP 503" in output
    assert "got no HTTP answer" in output and "returned HTTP 401" in output
    assert_nowhere(output, SECRET, WRONG)


@pytest.mark.parametrize("carrier", ["option", "environment"])
def test_inventory_output_at_vvv_shows_no_password(tmp_path, emulator, carrier):
    options, environment = connection(carrier, emulator.url, SECRET, tmp_path)
    source = tmp_path / "leak.g5k.yml"
    source.write_text(yaml.safe_dump(dict(options, plugin="g5k.testbed.g5k", sites=["rennes", "nancy"])))
    set_rules(emulator, {"fault": "error", "path": "/sites/nancy/jobs", "count": 100})
    try:
        output = run_verbose([str(ROOT / ".venv" / "bin" / "ansible-inventory"), "-i", str(source), "--list"],
                             tmp_path, environment)
    finally:
        set_rules(emulator)
    assert "returned HTTP 503" in output  # the failure message is in the output
    assert_nowhere(output, SECRET)


def test_a_credentials_file_readable_by_others_is_warned_about(tmp_path, emulator):
    options = connection("config_file", emulator.url, SECRET, tmp_path)[0]
    Path(options["api_config"]).chmod(0o644)
    output = run_play(tmp_path, [{"name": "Read", "g5k.testbed.kavlan_info": dict(options, site="rennes")},
                                 {"name": "Again", "g5k.testbed.kavlan_info": dict(options, site="rennes")}])
    assert "ok: [localhost]" in output  # the file is still used
    assert "[WARNING]" in output and options["api_config"] in output and "readable" in output
    warned = [line for line in output.splitlines() if "[WARNING]" in line and "readable by group or others" in line]
    assert len(warned) == 1, warned  # once per run, not once per task


def test_a_password_in_api_uri_is_hidden_when_argument_validation_fails(tmp_path, emulator):
    """Ansible shows a task's arguments when they fail validation: the URI's password, written
    plainly or percent-encoded, must be hidden there too (issue 21, D14)."""
    host = urllib.parse.urlsplit(emulator.url).netloc
    encoded = SECRET.replace("-", "%2D")
    uris = {"plain": "http://%s:%s@%s/stable" % (USER, SECRET, host),
            "encoded": "http://%s:%s@%s/stable" % (USER, encoded, host)}
    tasks = []
    for form, uri in uris.items():
        uri_options = {"api_uri": uri}
        tasks += [
            # register before ignore_errors: the two lines Ansible quotes above a failed task hold no URI
            {"name": "Timeout " + form, "g5k.testbed.kavlan_info": dict(uri_options, site="rennes", api_timeout="abc"),
             "register": "timeout", "ignore_errors": True},
            {"name": "Job " + form, "g5k.testbed.oar_job": dict(uri_options, name=["a"], site="rennes"),
             "register": "job", "ignore_errors": True},
            {"name": "Wait " + form, "g5k.testbed.oar_job": dict(uri_options, name="x", site="rennes", wait=True,
                                                              wait_timeout="abc"),
             "register": "wait", "ignore_errors": True},
            {"name": "Read " + form, "g5k.testbed.kavlan_info": dict(uri_options, site="rennes"), "register": "read",
             "ignore_errors": True},
        ]
    output = run_play(tmp_path, tasks)
    assert "cannot be converted to an int" in output and "name must be text, got a list" in output  # they failed
    assert output.count("ok: [localhost]") == 2  # and both URIs work
    assert_nowhere(output, SECRET)
    assert encoded not in output
