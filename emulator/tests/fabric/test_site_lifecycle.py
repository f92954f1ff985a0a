"""`up` is idempotent; `down` removes every container, bridge, veth, namespace, route, firewall
rule and process of the site, also after an `up` that failed half-way."""
import json
import os
import subprocess
import sys

import pytest

from fabric_site import free_port, write_config
from g5k_emulator import config as config_module
from g5k_emulator.fabric import host_settings, network, nodes
from g5k_emulator.fabric.host_commands import FabricError
from g5k_emulator.fabric.live import LiveFabric
from g5k_emulator.fabric.podman import Podman
from g5k_emulator.fabric.topology import LABEL

pytestmark = pytest.mark.fabric


def cli(*args):
    return subprocess.run([sys.executable, "-m", "g5k_emulator.cli", *args],
                          capture_output=True, text=True, timeout=300)


def leftovers(state_dir, pids) -> dict:
    """Everything of the fabric still on the machine (all lists empty after `down`)."""
    listing = Podman(state_dir).output("ps", "-a", "--filter", f"label={LABEL}", "--format", "json")
    return {
        "containers": [c["Names"][0] for c in json.loads(listing or "[]")],
        "links": network.links(),
        "namespaces": network.netns_list(),
        "routes": network.fabric_routes(),
        "firewall": network.firewall_rules(),
        "processes": [pid for pid in pids if os.path.exists(f"/proc/{pid}")
                      and "Z" not in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]],
    }


def recorded_pids(state_dir) -> list[int]:
    return [int(p.read_text()) for p in (state_dir / "pids").glob("*.pid")]


def test_up_twice_changes_nothing_and_down_leaves_nothing(tmp_path, machine_to_myself):
    config_path = write_config(tmp_path / "site.yml", nodes=1, port=free_port())
    state_dir = tmp_path / "state"
    common = ["--config", str(config_path), "--state-dir", str(state_dir)]
    pids = []
    resolver_files = {path: open(path).read() for path in ("/etc/hosts", "/etc/resolv.conf")}
    try:
        first = cli("up", "--no-api", *common)
        assert first.returncode == 0, first.stderr
        assert "node parasilo-1.rennes.grid5000.fr started" in first.stdout
        assert "bridge g5kb-rennes-4" in first.stdout and "firewall chains" in first.stdout
        # the fresh machine's settings (fresh_machine fixture) are raised for the site
        assert "net.ipv4.ip_forward: 0 -> 1" in first.stdout
        assert "fs.inotify.max_user_instances: 128 -> " in first.stdout
        assert "node names in /etc/hosts" in first.stdout
        assert "172.16.97.1\tparasilo-1.rennes.grid5000.fr" in open("/etc/hosts").read()
        assert host_settings.read("net.ipv4.ip_forward") == 1
        pids = recorded_pids(state_dir)
        # one DHCP server per VLAN, all running: a VLAN's DHCP is on until a user stops it
        vlans = LiveFabric(config_module.load(config_path), state_dir).topology.vlans
        assert len(pids) == len(vlans) and "DHCP of rennes-4" in first.stdout
        ids = Podman(state_dir).output("ps", "-q", "--filter", f"label={LABEL}").split()

        second = cli("up", "--no-api", *common)
        assert second.returncode == 0, second.stderr
        assert "4 nodes up; nothing to do" in second.stdout, second.stdout
        assert recorded_pids(state_dir) == pids
        assert Podman(state_dir).output("ps", "-q", "--filter", f"label={LABEL}").split() == ids

        # a running container whose sshd is gone is not taken for a node that is up
        node = "g5k-rennes-parasilo-1"
        Podman(state_dir).run("exec", node, "systemctl", "stop", "ssh.service", "ssh.socket")
        third = cli("up", "--no-api", *common)
        assert third.returncode == 0, third.stderr
        assert "node parasilo-1.rennes.grid5000.fr restarted (sshd did not answer)" in third.stdout
        assert nodes.ssh_answers("172.16.97.1")

        status = cli("status", *common)
        assert status.returncode == 0, status.stderr
        row = next(line.split() for line in status.stdout.splitlines()
                   if line.startswith("parasilo-1.rennes.grid5000.fr"))
        # node, state, VLAN, reference address there, address held now, other NICs
        assert row == ["parasilo-1.rennes.grid5000.fr", "running", "DEFAULT", "172.16.97.1",
                       "172.16.97.1", "eth1:DEFAULT"]
        # without --config, status shows the running site (its config), not the packaged default
        plain = cli("status", "--state-dir", str(state_dir))
        assert plain.returncode == 0, plain.stderr
        assert f"(config {config_path.resolve()})" in plain.stdout
        assert "parasilo-1.rennes.grid5000.fr" in plain.stdout and "nancy" not in plain.stdout
    finally:
        down = cli("down", *common)
    assert down.returncode == 0, down.stderr
    assert leftovers(state_dir, pids) == {key: [] for key in
                                          ("containers", "links", "namespaces", "routes",
                                           "firewall", "processes")}
    # the site's records go with it: a later `up` is a new site, not nodes out of step with jobs
    assert not (state_dir / "fabric.json").exists() and not list(state_dir.glob("emulator.sqlite3*"))
    assert not (state_dir / "overlays").exists()
    # and the host's settings and resolver files are back as the site found them
    assert {path: open(path).read() for path in resolver_files} == resolver_files
    assert "restored" in down.stdout and "net.ipv4.ip_forward = 0" in down.stdout
    assert host_settings.read("net.ipv4.ip_forward") == 0
    assert host_settings.read("fs.inotify.max_user_instances") == 128


def test_down_after_an_up_that_failed_half_way_leaves_nothing(tmp_path, machine_to_myself):
    config_path = write_config(tmp_path / "site.yml", nodes=1, port=free_port())
    fabric = LiveFabric(config_module.load(config_path), tmp_path / "state", boot_timeout=0)
    pids = []
    try:
        with pytest.raises(FabricError, match="sshd did not answer"):
            fabric.up(config_path=config_path, api=True, log=lambda *_: None)
        pids = recorded_pids(tmp_path / "state")
        assert pids and network.links() and network.netns_list()
    finally:
        fabric.down(log=lambda *_: None)
    assert leftovers(tmp_path / "state", pids) == {key: [] for key in
                                                   ("containers", "links", "namespaces", "routes",
                                                    "firewall", "processes")}


def test_a_second_site_cannot_take_the_machine(tmp_path, machine_to_myself):
    first = LiveFabric(config_module.load(write_config(tmp_path / "a.yml", 1, free_port())),
                       tmp_path / "a")
    second = LiveFabric(config_module.load(write_config(tmp_path / "b.yml", 1, free_port())),
                        tmp_path / "b")
    try:
        first.up(api=False, log=lambda *_: None)
        with pytest.raises(RuntimeError, match="another emulated site is up"):
            second.up(api=False, log=lambda *_: None)
        with pytest.raises(RuntimeError, match="belongs to state dir"):
            second.down(log=lambda *_: None)
        assert network.links()
    finally:
        first.down(log=lambda *_: None)
