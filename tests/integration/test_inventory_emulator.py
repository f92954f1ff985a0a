"""ansible-inventory with the g5k.testbed.g5k plugin against a running emulated site.

Jobs are reserved and nodes moved between VLANs with plain HTTP (as a user would with curl); the
inventory is read by the real `ansible-inventory` / `ansible-playbook` commands and its `--list`
output compared with stored JSON (tests/integration/inventory/expected_*.json) after replacing
job uids with placeholders. Set G5K_UPDATE_EXPECTED=1 to rewrite the stored files (then review the
diff: the test is only as good as the reviewed expectation).
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from g5k_emulator.testing import running_emulator

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inventory")
BIN = os.path.join(ROOT, ".venv", "bin")
sys.path.insert(0, HERE)

from emulator_user import PASSWORD, USER, move, reserve  # noqa: E402  (needs HERE on sys.path)


def environment(tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), G5K_API_USERNAME=USER, G5K_API_PASSWORD=PASSWORD,
               G5K_API_CONFIG=str(tmp_path / "no-python-grid5000.yaml"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true")
    env.pop("G5K_API_URI", None)
    return env


def ansible(tmp_path, *args):
    done = subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), cwd=str(tmp_path), env=environment(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(args), done.stdout, done.stderr)
    return done


def inventory_list(tmp_path, path, *extra):
    return json.loads(ansible(tmp_path, "ansible-inventory", "-i", path, "--list", *extra).stdout)


def plain(value):
    """A --list value without the {"__ansible_unsafe": ...} marking of untrusted strings."""
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else \
            dict((k, plain(v)) for k, v in value.items())
    return [plain(v) for v in value] if isinstance(value, list) else value


def host_var(listing, host, name):
    return plain(listing["_meta"]["hostvars"][host][name])


def normalise(listing, jobs):
    """Job uids depend on the emulator's history: replace them by <job:NAME> placeholders. Ids
    are numbered per site (rennes and nancy may both have a job 1): match on site and uid."""
    names = {(job["site"], job["uid"]): job["name"] for job in jobs}
    for host in listing["_meta"]["hostvars"].values():
        if "g5k_job_uid" in host:
            site = host["g5k_site"]["__ansible_unsafe"]   # strings are listed as unsafe values
            host["g5k_job_uid"] = "<job:%s>" % names[(site, host["g5k_job_uid"])]
    return listing


def compare_with_expected(listing, name):
    path = os.path.join(HERE, name)
    if os.environ.get("G5K_UPDATE_EXPECTED") == "1":
        with open(path, "w") as handle:
            json.dump(listing, handle, indent=2, sort_keys=True)
            handle.write("\n")
    with open(path) as handle:
        expected = json.load(handle)
    assert listing == expected, "ansible-inventory --list differs from %s" % path


def write_inventory(tmp_path, emulator, **extra):
    config = {"plugin": "g5k.testbed.g5k", "api_uri": emulator.url, "sites": ["rennes", "nancy"],
              "job_names": ["inv-exp", "inv-routed"], "address": "ip", "guest_placement": "placement.txt",
              "guest_address_offset": 1, "strict": False,
              "keyed_groups": [{"key": "g5k_hypervisor", "prefix": "guests_of", "separator": "_"}]}
    config.update(extra)
    path = tmp_path / "emulated.g5k.yml"
    path.write_text(yaml.safe_dump(config))
    (tmp_path / "placement.txt").write_text(open(os.path.join(HERE, "placement.txt")).read())
    return str(path)


@pytest.fixture
def emulated_jobs():
    with running_emulator() as emulator:
        jobs = [dict(reserve(emulator.url, "rennes", "{cluster='parasilo'}/nodes=3+{type='kavlan-local'}/vlan=1"
                             "+slash_22=1,walltime=1:00:00", "inv-exp"), site="rennes"),
                dict(reserve(emulator.url, "nancy", "{cluster='gros'}/nodes=1+{type='kavlan'}/vlan=1,walltime=1:00:00",
                             "inv-routed"), site="nancy")]
        yield emulator, jobs


def test_list_and_graph_follow_vlan_moves(tmp_path, emulated_jobs):
    emulator, jobs = emulated_jobs
    exp, routed = jobs
    path = write_inventory(tmp_path, emulator)

    before = normalise(inventory_list(tmp_path, path), jobs)
    compare_with_expected(before, "expected_before_vlan_move.json")

    local_vlan = exp["resources_by_type"]["vlans"][0]
    routed_vlan = routed["resources_by_type"]["vlans"][0]
    move(emulator.url, "rennes", local_vlan, exp["assigned_nodes"][:2])
    move(emulator.url, "nancy", routed_vlan, routed["assigned_nodes"])

    after = normalise(inventory_list(tmp_path, path), jobs)
    compare_with_expected(after, "expected_after_vlan_move.json")
    assert after != before

    graph = ansible(tmp_path, "ansible-inventory", "-i", path, "--graph").stdout
    for line in ("@site_rennes:", "@site_nancy:", "@job_inv_exp:", "@vlan_%s:" % local_vlan,
                 "@vlan_%s:" % routed_vlan, "@g5k_guests:", "@guests_of_parasilo_1_rennes_grid5000_fr:",
                 "|--parasilo-1.rennes.grid5000.fr", "|--vm-a"):
        assert line in graph, "%s missing from --graph:\n%s" % (line, graph)


def test_cache_is_used_until_flushed(tmp_path, emulated_jobs):
    emulator, jobs = emulated_jobs
    exp = jobs[0]
    path = write_inventory(tmp_path, emulator, cache=True, cache_plugin="ansible.builtin.jsonfile",
                           cache_connection=str(tmp_path / "cache"), cache_timeout=3600)
    first = inventory_list(tmp_path, path)
    host = "parasilo-1.rennes.grid5000.fr"
    assert host_var(first, host, "g5k_vlan") == "DEFAULT"

    move(emulator.url, "rennes", exp["resources_by_type"]["vlans"][0], [host])
    cached = inventory_list(tmp_path, path)
    assert host_var(cached, host, "g5k_vlan") == "DEFAULT"  # from the cache: no request made

    flushed = inventory_list(tmp_path, path, "--flush-cache")
    assert host_var(flushed, host, "g5k_vlan") == exp["resources_by_type"]["vlans"][0]
    assert host_var(inventory_list(tmp_path, path), host, "g5k_vlan") == \
        exp["resources_by_type"]["vlans"][0]  # the flushed run wrote the new data to the cache


def test_refresh_inventory_in_a_play_sees_the_move(tmp_path, emulated_jobs):
    emulator, jobs = emulated_jobs
    exp = jobs[0]
    vlan = exp["resources_by_type"]["vlans"][0]
    path = write_inventory(tmp_path, emulator, cache=True, cache_plugin="ansible.builtin.jsonfile",
                           cache_connection=str(tmp_path / "cache"), cache_timeout=3600)
    playbook = tmp_path / "move.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Move a node into the job's local VLAN and refresh the inventory",
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": os.path.join(BIN, "python")},
        "tasks": [
            {"name": "Address before", "ansible.builtin.assert": {"that": [
                "hostvars['parasilo-1.rennes.grid5000.fr'].ansible_host == '172.16.97.1'",
                "hostvars['parasilo-1.rennes.grid5000.fr'].ansible_ssh_common_args is not defined"]}},
            {"name": "Move the node", "ansible.builtin.uri": {
                "url": "%s/sites/rennes/vlans/%s/nodes" % (emulator.url, vlan), "method": "POST",
                "body_format": "json", "body": ["parasilo-1.rennes.grid5000.fr"],
                "url_username": USER, "url_password": PASSWORD, "force_basic_auth": True}},
            {"name": "Refresh", "ansible.builtin.meta": "refresh_inventory"},
            {"name": "Address after", "ansible.builtin.assert": {"that": [
                "hostvars['parasilo-1.rennes.grid5000.fr'].g5k_vlan == '%s'" % vlan,
                "hostvars['parasilo-1.rennes.grid5000.fr'].ansible_host is match('192\\\\.168\\\\.')",
                "hostvars['parasilo-1.rennes.grid5000.fr'].ansible_ssh_common_args == "
                "'-o ProxyJump=' ~ hostvars['parasilo-1.rennes.grid5000.fr'].g5k_jump_host"]}},
        ]}]))
    ansible(tmp_path, "ansible-playbook", "-i", path, "-i", "localhost,", str(playbook))


def test_shipped_emulated_example_works(tmp_path, emulated_jobs):
    emulator, jobs = emulated_jobs
    with open(os.path.join(ROOT, "inventories", "emulated.g5k.yml")) as handle:
        text = handle.read()
    assert "api_uri: http://127.0.0.1:8000/stable" in text
    path = tmp_path / "emulated.g5k.yml"
    path.write_text(text.replace("http://127.0.0.1:8000/stable", emulator.url))
    listing = inventory_list(tmp_path, str(path))
    nodes = sorted(node for job in jobs for node in job["assigned_nodes"])
    assert sorted(plain(listing["g5k_nodes"]["hosts"])) == nodes
    assert host_var(listing, "gros-1.nancy.grid5000.fr", "ansible_host") == \
        host_var(listing, "gros-1.nancy.grid5000.fr", "g5k_ip")
