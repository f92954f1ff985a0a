"""Behaviour of a node converged by g5k.testbed.hypervisor (scenario molecule/default).

Runs with testinfra's native podman backend (test-infra.md: much faster than through Ansible).
"""

import json
import os
import pathlib
import socket
import subprocess

import pytest

testinfra_hosts = ["podman://mhyp-node1"]

NODE_ADDRESS = "10.231.57.10"
GATEWAY = "10.231.57.1"
GUEST_NAME = "mhyp-guest"
GUEST_ADDRESS = "10.231.57.77"
BRIDGE = "mhyp-br0"
UPLINK = "eth0"
POOL = "mhyp-pool"
POOL_PATH = "/var/lib/libvirt/images/mhyp-pool"
SERIAL_LOG = "/var/log/libvirt/qemu/mhyp-guest-serial.log"
BRIDGE_SCRIPT = "/usr/local/sbin/g5k-hypervisor-bridge"


def run_ok(host, command):
    result = host.run(command)
    assert result.rc == 0, f"{command!r} failed ({result.rc}): {result.stdout}{result.stderr}"
    return result.stdout


def links(host):
    return {link["ifname"]: link for link in json.loads(run_ok(host, "ip -j address show"))}


def test_libvirtd_answers_on_the_system_uri(host):
    out = run_ok(host, "virsh -c qemu:///system version")
    assert "Running hypervisor: QEMU" in out


def published_fact(host):
    return json.loads(host.file("/etc/ansible/facts.d/g5k_hypervisor.fact").content_string)


def test_the_accelerator_matches_what_this_machine_offers(host):
    """Whatever CPU runs the test: KVM when a probe guest ran under it, else TCG with the first
    reason that holds here (no vmx/svm flag, no /dev/kvm, or the probe's failure)."""
    fact = published_fact(host)
    assert fact["bridge"] == BRIDGE
    assert fact["domain_type"] == ("kvm" if fact["accel"] == "kvm" else "qemu")
    has_flag = host.run("grep -q -w -E 'vmx|svm' /proc/cpuinfo").rc == 0
    has_dev_kvm = host.file("/dev/kvm").exists
    if fact["accel"] == "kvm":
        assert has_flag and has_dev_kvm and fact["accel_reason"] == "a probe guest ran under KVM"
    elif not has_flag:
        assert "vmx/svm" in fact["accel_reason"]
    elif not has_dev_kvm:
        assert "/dev/kvm is missing" in fact["accel_reason"]
    else:
        assert fact["accel_reason"].startswith("a probe guest failed under KVM")


def test_uplink_is_in_the_bridge_which_holds_the_node_address(host):
    all_links = links(host)
    assert all_links[UPLINK].get("master") == BRIDGE
    uplink_v4 = [a for a in all_links[UPLINK]["addr_info"] if a["family"] == "inet"]
    assert uplink_v4 == [], "the address must have moved off the uplink"
    bridge_v4 = [(a["local"], a["prefixlen"]) for a in all_links[BRIDGE]["addr_info"] if a["family"] == "inet"]
    assert bridge_v4 == [(NODE_ADDRESS, 24)]
    # Same MAC as the uplink: DHCP reservations and neighbours' ARP caches stay valid.
    assert all_links[BRIDGE]["address"] == all_links[UPLINK]["address"]
    default = json.loads(run_ok(host, "ip -j -4 route show default"))
    assert [(r["gateway"], r["dev"]) for r in default] == [(GATEWAY, BRIDGE)]


def test_node_is_still_reachable_through_the_bridge(host):
    # From the node to its gateway, and from this machine to the node's SSH server: the
    # connection an SSH-driven Ansible run uses goes to this address.
    run_ok(host, f"ping -c 2 -W 2 {GATEWAY}")
    with socket.create_connection((NODE_ADDRESS, 22), timeout=5) as ssh:
        assert ssh.recv(64).startswith(b"SSH-2.0-")


def test_bridge_is_rebuilt_at_boot(host):
    assert host.service("g5k-hypervisor-bridge.service").is_enabled
    assert run_ok(host, f"{BRIDGE_SCRIPT} status").strip() == "in place"


def test_kvm_probe_runs_a_guest_and_reports_it(host):
    """The probe's mechanism (a reset-vector guest that exits through isa-debug-exit), under TCG."""
    probe = pathlib.Path(__file__).parents[3] / "files" / "hypervisor-kvm-probe.sh"
    subprocess.run(["podman", "cp", str(probe), f"{host.backend.name}:/root/kvm-probe.sh"], check=True)
    assert run_ok(host, "sh /root/kvm-probe.sh 10 tcg").strip() == "tcg usable"
    # An accelerator QEMU does not know must be reported as unusable, with QEMU's reason.
    bad = host.run("sh /root/kvm-probe.sh 10 nosuchaccel")
    assert bad.rc == 1 and "exited with status" in bad.stdout


def test_guest_booted_through_libvirt_with_the_chosen_accelerator(host):
    assert run_ok(host, f"virsh -c qemu:///system domstate {GUEST_NAME}").strip() == "running"
    xml = run_ok(host, f"virsh -c qemu:///system dumpxml {GUEST_NAME}")
    assert "<domain type='%s'" % published_fact(host)["domain_type"] in xml
    log = host.file(SERIAL_LOG).content_string
    assert "G5K-GUEST-BOOTED" in log
    assert f"inet {GUEST_ADDRESS}/24" in log


def test_guest_is_on_the_bridge_and_answers(host):
    iflist = run_ok(host, f"virsh -c qemu:///system domiflist {GUEST_NAME}")
    assert " bridge " in iflist and BRIDGE in iflist
    run_ok(host, f"ping -c 3 -W 2 {GUEST_ADDRESS}")


@pytest.mark.parametrize(
    "key,value",
    [
        ("net.ipv4.neigh.default.gc_thresh1", 8192),
        ("net.ipv4.neigh.default.gc_thresh2", 16384),
        ("net.ipv4.neigh.default.gc_thresh3", 32768),
        ("net.ipv4.neigh.eth0.unres_qlen", 257),
    ],
)
def test_neighbour_limits_are_persisted(host, key, value):
    content = host.file("/etc/sysctl.d/60-g5k-hypervisor.conf").content_string
    assert f"{key}={value}" in content.replace(" ", "")


def test_neighbour_setting_applied_where_the_kernel_has_it(host):
    assert host.sysctl("net.ipv4.neigh.eth0.unres_qlen") == 257
    # gc_thresh only exists in the host's initial network namespace: not visible in a container.
    assert not host.file("/proc/sys/net/ipv4/neigh/default/gc_thresh1").exists


def test_qemu_conf_carries_the_container_settings(host):
    conf = host.file("/etc/libvirt/qemu.conf").content_string
    assert "\nnamespaces = []\n" in conf
    assert "\ncgroup_controllers = []\n" in conf
    assert "Ansible managed" in conf


def test_pool_is_active_and_lists_the_base_images(host):
    info = run_ok(host, f"virsh -c qemu:///system pool-info {POOL}")
    assert "State:          running" in info
    assert "Autostart:      yes" in info
    volumes = run_ok(host, f"virsh -c qemu:///system vol-list {POOL}")
    assert "mhyp-base.raw" in volumes and "mhyp-url.raw" in volumes


@pytest.mark.parametrize(
    "name,sha256",
    [
        ("mhyp-base.raw", "ede253451effcc22ed504e80fc433b2dac76c77ef3d18efbc35577d0ed62057d"),
        ("mhyp-url.raw", "318f1fd876722cd3086fcec4270be10aa29b38e4a6afc48d21f5549e58a9bb57"),
    ],
)
def test_base_images_have_their_content(host, name, sha256):
    assert host.file(f"{POOL_PATH}/{name}").sha256sum == sha256


def test_bridge_move_is_undone_when_the_check_address_does_not_answer(host):
    run_ok(host, f"{BRIDGE_SCRIPT} down")
    try:
        # 10.231.57.250 is unused on the scenario's network: the check fails, the move is undone.
        failed = host.run(f"G5K_BRIDGE_VERIFY_ADDRESS=10.231.57.250 {BRIDGE_SCRIPT} up")
        assert failed.rc == 1
        assert "10.231.57.250 does not answer through mhyp-br0: moving the addresses back to eth0" in failed.stderr
        undone = links(host)
        assert "master" not in undone[UPLINK]
        assert [a["local"] for a in undone[UPLINK]["addr_info"] if a["family"] == "inet"] == [NODE_ADDRESS]
        assert json.loads(run_ok(host, "ip -j -4 route show default"))[0]["dev"] == UPLINK
        run_ok(host, f"ping -c 1 -W 2 {GATEWAY}")
    finally:
        run_ok(host, f"{BRIDGE_SCRIPT} up")
    assert links(host)[UPLINK].get("master") == BRIDGE


def ssh_to_node(command):
    """Run a command on the node over one fresh SSH session (the key made by create.yml)."""
    key = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "id_ed25519"
    return subprocess.run(
        ["ssh", "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "ControlPath=none", "-o", "LogLevel=ERROR",
         f"root@{NODE_ADDRESS}", command],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_bridge_move_keeps_the_ssh_session_that_runs_it(host):
    """Last: inside ONE SSH session, take the uplink out of the bridge and put it back.

    The session's output after both moves proves the connection survived them.
    """
    result = ssh_to_node(
        f"{BRIDGE_SCRIPT} down && ip -4 -o address show dev {UPLINK} && "
        f"{BRIDGE_SCRIPT} up && ip -4 -o address show dev {BRIDGE} && "
        f"ping -c 1 -W 2 {GATEWAY} >/dev/null && echo SESSION-ALIVE"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"changed: {UPLINK} left {BRIDGE}"
    assert lines[1].split()[1].startswith(UPLINK) and f"inet {NODE_ADDRESS}/24" in lines[1]
    assert lines[2] == f"changed: {UPLINK} is now in {BRIDGE}"
    assert lines[3].split()[1] == BRIDGE and f"inet {NODE_ADDRESS}/24" in lines[3]
    assert lines[-1] == "SESSION-ALIVE"
    assert links(host)[UPLINK].get("master") == BRIDGE
