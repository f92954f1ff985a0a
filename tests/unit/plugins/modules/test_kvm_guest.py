"""kvm_guest against libvirt's test driver: states, the list form, check mode, diff, bad input.

test:///default keeps its domains only as long as one connection: every module call of a test gets
the test's connection (``host`` fixture), so a second call sees what the first one did. Disks and
seeds are real files (qemu-img, genisoimage) in the test's own directory.
"""

import json
import os
import subprocess
import threading
import time

import libvirt
import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.libvirt_guests import METADATA_NS
from ansible_collections.g5k.testbed.plugins.modules import kvm_guest
from g5k_module_runner import fails, ok

STATES = ["present", "running", "shutdown", "destroyed", "paused", "absent"]
LIBVIRT_STATE = {libvirt.VIR_DOMAIN_RUNNING: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
                 libvirt.VIR_DOMAIN_SHUTOFF: "shutdown"}


@pytest.fixture
def host(monkeypatch, tmp_path):
    """One test:///default connection shared by every module call of the test; no hypervisor
    role's fact (this machine's own, if it has one, is not the test's)."""
    monkeypatch.setattr(kvm_guest, "FACT_PATH", str(tmp_path / "no-g5k_hypervisor.fact"))
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    conn = libvirt.open("test:///default")
    monkeypatch.setattr(conn, "close", lambda: 0)
    monkeypatch.setattr(kvm_guest.libvirt, "open", lambda uri: conn)
    yield conn
    libvirt.virConnect.close(conn)


@pytest.fixture
def disk_dir(tmp_path):
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(tmp_path / "base.qcow2"), "64M"], check=True)
    (tmp_path / "guests").mkdir()
    return tmp_path


def args(disk_dir, state, guests, **extra):
    base = dict(uri="test:///default", state=state, guests=guests, base_image=str(disk_dir / "base.qcow2"),
                disk_dir=str(disk_dir / "guests"), bridge="br-test",
                ssh_authorized_keys=["ssh-ed25519 AAAAC3Nza test@controller"],
                network=dict(subnets=["10.156.4.0/22"], prefix=14, gateway="10.159.255.254",
                             nameservers=["172.16.111.118"]))
    base.update(extra)
    return base


def vm(index, **extra):
    guest = dict(name="vm%d" % index, ip="10.156.4.%d" % (10 + index))
    guest.update(extra)
    return guest


def state_of(conn, name):
    try:
        return LIBVIRT_STATE[conn.lookupByName(name).state()[0]]
    except libvirt.libvirtError:
        return "absent"


def iso_file(iso, name):
    return subprocess.run(["isoinfo", "-i", str(iso), "-R", "-x", "/" + name],
                          check=True, capture_output=True, text=True).stdout


def image(path):
    return json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)],
                                     check=True, capture_output=True, text=True).stdout)


# ----- the list form, files, idempotence

def test_list_of_guests_defined_started_and_idempotent(host, disk_dir):
    guests = [vm(1), vm(2, vcpus=2, memory=1024, disk_size="128M", hostname="second"), vm(3, autostart=True)]
    first = ok(kvm_guest, args(disk_dir, "running", guests))
    assert first["changed"] is True
    assert first["domain_type"] in ("kvm", "qemu") and first["domain_type_reason"]
    assert [g["state"] for g in first["guests"]] == ["running"] * 3
    assert first["guests"][0]["actions"] == ["define", "create disk", "write seed", "start"]
    assert first["guests"][2]["actions"] == ["define", "create disk", "write seed", "autostart on", "start"]
    for name in ("vm1", "vm2", "vm3"):
        assert state_of(host, name) == "running"
    assert host.lookupByName("vm3").autostart() == 1 and host.lookupByName("vm1").autostart() == 0

    # MAC = 00:16:3E + the last three bytes of the IP; bridge, vcpus, memory as asked.
    xml = host.lookupByName("vm2").XMLDesc(0)
    assert "<mac address='00:16:3e:9c:04:0c'/>" in xml and "<source bridge='br-test'/>" in xml
    assert "<vcpu placement='static'>2</vcpu>" in xml and "<memory unit='KiB'>1048576</memory>" in xml
    assert first["guests"][1]["mac"] == "00:16:3e:9c:04:0c"

    # A qcow2 overlay on the base with its backing format written, sized as asked.
    overlay = image(disk_dir / "guests" / "vm2.qcow2")
    assert overlay["format"] == "qcow2" and overlay["virtual-size"] == 128 * 1024 * 1024
    assert overlay["backing-filename"] == str(disk_dir / "base.qcow2")
    assert overlay["backing-filename-format"] == "qcow2"
    assert image(disk_dir / "guests" / "vm1.qcow2")["virtual-size"] == 64 * 1024 * 1024

    # The NoCloud seed: hostname, keys, static network on the guest's MAC.
    seed = disk_dir / "guests" / "vm2-seed.iso"
    user_data = iso_file(seed, "user-data")
    assert user_data.startswith("#cloud-config\n")
    config = json.loads(user_data.split("\n", 1)[1])
    assert config["hostname"] == "second" and config["ssh_authorized_keys"] == ["ssh-ed25519 AAAAC3Nza test@controller"]
    network = json.loads(iso_file(seed, "network-config"))
    assert network["ethernets"]["eth0"] == {
        "match": {"macaddress": "00:16:3e:9c:04:0c"}, "set-name": "eth0", "addresses": ["10.156.4.12/14"],
        "routes": [{"to": "0.0.0.0/0", "via": "10.159.255.254"}],
        "nameservers": {"addresses": ["172.16.111.118"]}}
    assert json.loads(iso_file(seed, "meta-data"))["local-hostname"] == "second"
    assert "cidata" in subprocess.run(["isoinfo", "-d", "-i", str(seed)], capture_output=True, text=True, check=True).stdout

    again = ok(kvm_guest, args(disk_dir, "running", guests), diff=True)
    assert again["changed"] is False
    assert [g["actions"] for g in again["guests"]] == [[], [], []]
    assert again["diff"] == []


def test_dhcp_seed_and_guest_without_seed(host, disk_dir):
    result = ok(kvm_guest, args(disk_dir, "present", [vm(1), vm(2, seed=False)],
                                network=dict(address_config="dhcp")))
    seed = disk_dir / "guests" / "vm1-seed.iso"
    assert json.loads(iso_file(seed, "network-config"))["ethernets"]["eth0"] == {
        "match": {"macaddress": "00:16:3e:9c:04:0b"}, "set-name": "eth0", "dhcp4": True}
    assert result["guests"][1]["seed"] is None and not (disk_dir / "guests" / "vm2-seed.iso").exists()
    assert "vdb" not in host.lookupByName("vm2").XMLDesc(0)


def test_guests_of_one_call_start_in_parallel(host, disk_dir, monkeypatch):
    in_flight, most = [0], [0]
    lock = threading.Lock()
    real_create = libvirt.virDomain.create

    def slow_create(domain):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.2)
        with lock:
            in_flight[0] -= 1
        return real_create(domain)

    monkeypatch.setattr(libvirt.virDomain, "create", slow_create)
    ok(kvm_guest, args(disk_dir, "running", [vm(i) for i in range(1, 7)], parallel=3))
    assert most[0] == 3
    assert all(state_of(host, "vm%d" % i) == "running" for i in range(1, 7))


def test_a_guest_starts_while_the_others_still_make_their_disks(host, disk_dir, monkeypatch):
    events = []
    real_spawn, real_create = kvm_guest.spawn, libvirt.virDomain.create

    def spawn(command):
        overlays = [os.path.basename(part) for part in command if part.endswith(".qcow2") and "base" not in part]
        if overlays == ["vm2.qcow2"]:
            time.sleep(0.5)  # vm2's overlay is slow to make
        done = real_spawn(command)
        events.append(("file", overlays[0] if overlays else os.path.basename(command[0])))
        return done

    def create(domain):
        events.append(("start", domain.name()))
        return real_create(domain)

    monkeypatch.setattr(kvm_guest, "spawn", spawn)
    monkeypatch.setattr(libvirt.virDomain, "create", create)
    ok(kvm_guest, args(disk_dir, "running", [vm(1), vm(2)], parallel=2))
    assert events.index(("start", "vm1")) < events.index(("file", "vm2.qcow2"))
    assert state_of(host, "vm1") == state_of(host, "vm2") == "running"


def test_spawn_returns_what_run_command_would():
    assert kvm_guest.spawn(["sh", "-c", "echo out; echo err >&2; exit 3"]) == (3, "out\n", "err\n")


# ----- every state transition

def put_in(host, disk_dir, state):
    """Bring vm1 to a starting state: absent, or defined and shutdown/running/paused."""
    if state != "absent":
        ok(kvm_guest, args(disk_dir, {"shutdown": "destroyed"}.get(state, state), [vm(1)]))
    assert state_of(host, "vm1") == state


EXPECTED = {"present": None, "running": "running", "shutdown": "shutdown", "destroyed": "shutdown",
            "paused": "paused", "absent": "absent"}


@pytest.mark.parametrize("target", STATES)
@pytest.mark.parametrize("start", ["absent", "shutdown", "running", "paused"])
def test_state_transition(host, disk_dir, start, target):
    put_in(host, disk_dir, start)
    expected = EXPECTED[target] or ("shutdown" if start == "absent" else start)
    predicted = ok(kvm_guest, args(disk_dir, target, [vm(1)]), check_mode=True)
    assert state_of(host, "vm1") == start, "check mode changed the guest"
    result = ok(kvm_guest, args(disk_dir, target, [vm(1)]))
    assert state_of(host, "vm1") == expected
    assert result["guests"][0]["state"] == expected == predicted["guests"][0]["state"]
    should_change = start != expected or (start == "absent" and target != "absent")
    assert result["changed"] is should_change is predicted["changed"]
    assert result["guests"][0]["actions"] == predicted["guests"][0]["actions"]
    assert ok(kvm_guest, args(disk_dir, target, [vm(1)]))["changed"] is False


def test_absent_deletes_only_what_it_created(host, disk_dir):
    ok(kvm_guest, args(disk_dir, "running", [vm(1), vm(2)]))
    guests = disk_dir / "guests"
    (guests / "notes.txt").write_text("the user's file\n")
    result = ok(kvm_guest, args(disk_dir, "absent", [{"name": "vm1"}, {"name": "never-existed"}]))
    assert result["changed"] is True
    assert result["guests"][1] == dict(result["guests"][1], state="absent", changed=False, actions=[])
    assert state_of(host, "vm1") == "absent" and state_of(host, "vm2") == "running"
    assert sorted(os.listdir(guests)) == ["notes.txt", "vm2-seed.iso", "vm2.qcow2"]
    assert (disk_dir / "base.qcow2").exists()


def test_existing_disk_not_created_by_the_module_is_refused_and_kept(host, disk_dir):
    stray = disk_dir / "guests" / "vm1.qcow2"
    stray.write_bytes(b"someone's data")
    result = fails(kvm_guest, args(disk_dir, "running", [vm(1), vm(2)]))
    assert "vm1.qcow2 exists and was not created by kvm_guest" in result["msg"]
    assert result["changed"] is False
    assert stray.read_bytes() == b"someone's data"
    assert state_of(host, "vm1") == state_of(host, "vm2") == "absent"


# ----- check mode, diff, redefinition

def test_check_mode_predicts_and_changes_nothing(host, disk_dir):
    result = ok(kvm_guest, args(disk_dir, "running", [vm(1), vm(2)]), check_mode=True, diff=True)
    assert result["changed"] is True
    assert [g["actions"] for g in result["guests"]] == [["define", "create disk", "write seed", "start"]] * 2
    assert state_of(host, "vm1") == "absent" and os.listdir(disk_dir / "guests") == []
    assert len(result["diff"]) == 2
    assert result["diff"][0]["before"] == ""
    after = result["diff"][0]["after"]
    assert after.startswith("<!-- state: running, autostart: no -->")
    assert "<mac address=\"00:16:3e:9c:04:0b\" />" in after and METADATA_NS in after


def test_changed_definition_is_redefined_with_a_diff(host, disk_dir):
    ok(kvm_guest, args(disk_dir, "running", [vm(1)]))
    uuid = host.lookupByName("vm1").UUIDString()
    changed = vm(1, memory=1024, bandwidth=dict(inbound=dict(average=1000, peak=2000, burst=512),
                                                outbound=dict(average=500)))
    predicted = ok(kvm_guest, args(disk_dir, "running", [changed]), check_mode=True, diff=True)
    assert predicted["guests"][0]["actions"] == ["redefine"]
    assert "<memory unit='KiB'>524288</memory>" in host.lookupByName("vm1").XMLDesc(0)
    diff = predicted["diff"][0]
    assert '<memory unit="KiB">524288</memory>' in diff["before"]
    assert '<memory unit="KiB">1048576</memory>' in diff["after"]
    assert '<inbound average="1000" peak="2000" burst="512" />' in diff["after"] and "bandwidth" not in diff["before"]

    result = ok(kvm_guest, args(disk_dir, "running", [changed]))
    assert result["changed"] is True and result["guests"][0]["pending_restart"] is True
    xml = host.lookupByName("vm1").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert "<memory unit='KiB'>1048576</memory>" in xml and "<outbound average='500'/>" in xml
    assert host.lookupByName("vm1").UUIDString() == uuid
    assert ok(kvm_guest, args(disk_dir, "running", [changed]))["changed"] is False


def test_new_ssh_key_rewrites_the_seed_with_a_new_instance_id(host, disk_dir):
    ok(kvm_guest, args(disk_dir, "present", [vm(1)]))
    seed = disk_dir / "guests" / "vm1-seed.iso"
    before = json.loads(iso_file(seed, "meta-data"))["instance-id"]
    result = ok(kvm_guest, args(disk_dir, "present", [vm(1)], ssh_authorized_keys=["ssh-ed25519 NEWKEY new"]))
    assert result["guests"][0]["actions"] == ["redefine", "write seed"]
    assert "NEWKEY" in iso_file(seed, "user-data")
    assert json.loads(iso_file(seed, "meta-data"))["instance-id"] != before


def test_base_image_change_keeps_the_existing_disk_with_a_warning(host, disk_dir, monkeypatch):
    ok(kvm_guest, args(disk_dir, "present", [vm(1)]))
    other = disk_dir / "other.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(other), "64M"], check=True)
    warnings = []
    monkeypatch.setattr(kvm_guest.AnsibleModule, "warn", lambda _module, text: warnings.append(text))
    result = ok(kvm_guest, args(disk_dir, "present", [vm(1)], base_image=str(other)))
    assert result["changed"] is False
    assert warnings == ["vm1: its disk was created with base_image=%s; the disk is kept as it is"
                        % (disk_dir / "base.qcow2")]
    assert image(disk_dir / "guests" / "vm1.qcow2")["backing-filename"] == str(disk_dir / "base.qcow2")


def test_forced_domain_type(host, disk_dir):
    result = ok(kvm_guest, args(disk_dir, "present", [vm(1)], domain_type="kvm"))
    assert result["domain_type"] == "kvm" and result["domain_type_reason"] == "domain_type=kvm requested"
    assert host.lookupByName("vm1").XMLDesc(0).startswith("<domain type='kvm'")


def test_the_hypervisor_role_s_published_choice_is_followed(host, disk_dir, monkeypatch, tmp_path):
    """The role's probe guest said KVM here (the test driver's capabilities and this CPU alone would
    not decide it): guests get kvm, with the role's reason; a forced type still wins."""
    fact = tmp_path / "g5k_hypervisor.fact"
    fact.write_text(json.dumps({"accel": "kvm", "domain_type": "kvm", "accel_reason": "a probe guest ran under KVM"}))
    monkeypatch.setattr(kvm_guest, "FACT_PATH", str(fact))
    monkeypatch.setattr(kvm_guest, "cpu_has_hw_flag", lambda cpuinfo: False)  # the rule alone says qemu
    result = ok(kvm_guest, args(disk_dir, "present", [vm(1)]))
    assert result["domain_type"] == "kvm", result["domain_type_reason"]
    assert result["domain_type_reason"] == ("the hypervisor role's choice (%s): a probe guest ran under KVM"
                                            % "/etc/ansible/facts.d/g5k_hypervisor.fact")
    assert host.lookupByName("vm1").XMLDesc(0).startswith("<domain type='kvm'")
    forced = ok(kvm_guest, args(disk_dir, "present", [vm(2)], domain_type="qemu"))
    assert forced["domain_type"] == "qemu"


def test_without_a_usable_fact_the_module_applies_the_same_rule(host, disk_dir, monkeypatch, tmp_path):
    fact = tmp_path / "g5k_hypervisor.fact"
    fact.write_text("{not json")
    monkeypatch.setattr(kvm_guest, "FACT_PATH", str(fact))
    monkeypatch.setattr(kvm_guest, "cpu_has_hw_flag", lambda cpuinfo: False)
    result = ok(kvm_guest, args(disk_dir, "present", [vm(1)]))
    assert (result["domain_type"], result["domain_type_reason"]) == (
        "qemu", "the CPU shows no vmx/svm flag (no hardware virtualisation, or it is not passed to this node): "
                "TCG emulation (domain type qemu)")


# ----- bad input: a clear error and nothing changed

@pytest.mark.parametrize("guests, extra, message", [
    ([vm(1, base_image="/nonexistent/base.qcow2")], {}, "vm1: base image /nonexistent/base.qcow2 does not exist"),
    ([vm(1), vm(2, mac="00:16:3e:9c:04:0b")], {}, "vm2: mac 00:16:3e:9c:04:0b is also the mac of vm1"),
    ([vm(1), vm(2, ip="10.156.4.11")], {}, "vm2: ip 10.156.4.11 is also the ip of vm1"),
    ([vm(1, ip="10.200.0.1")], {}, "vm1: ip 10.200.0.1 is outside the subnets 10.156.4.0/22"),
    ([vm(1, memory=1024 * 1024)], {}, "vm1: memory 1048576 MiB is more than the host has (3072 MiB)"),
    ([vm(1), vm(1, ip="10.156.4.99")], {}, "vm1: listed more than once"),
    ([vm(1, ip="not-an-ip")], {}, "vm1: ip 'not-an-ip' is not an IPv4 address"),
    ([vm(1, mac="00:16:3e")], {}, "vm1: mac '00:16:3e' is not a MAC address"),
    ([vm(1, disk_size="64K")], {}, "vm1: disk_size 64K is smaller than the base image"),
    ([vm(1)], {"base_format": "raw"}, "vm1: base image %(base)s is qcow2, not base_format=raw"),
    ([{"name": "vm1"}], {}, "vm1: a static address needs the guest's ip and network.prefix"),
    ([vm(1, anti_spoofing=True, ip=None, mac="00:16:3e:00:00:01", seed=False)], {}, "vm1: anti_spoofing needs the guest's ip"),
    ([vm(1)], {"base_image": None}, "vm1: no base_image"),
])
def test_bad_input_fails_before_any_change(host, disk_dir, guests, extra, message):
    result = fails(kvm_guest, args(disk_dir, "running", guests, **extra))
    assert message % {"base": disk_dir / "base.qcow2"} in result["msg"]
    assert result["changed"] is False
    assert state_of(host, "vm1") == "absent" and os.listdir(disk_dir / "guests") == []


def test_mac_and_ip_of_existing_guests_are_refused(host, disk_dir):
    ok(kvm_guest, args(disk_dir, "present", [vm(1)]))
    result = fails(kvm_guest, args(disk_dir, "present", [vm(2, ip="10.156.4.11"), vm(3, mac="aa:bb:cc:dd:ee:ff")]))
    assert "vm2: ip 10.156.4.11 is already used by the existing domain vm1" in result["msg"]
    assert "vm2: mac 00:16:3e:9c:04:0b is already used by the existing domain vm1" in result["msg"]
    assert "vm3: mac aa:bb:cc:dd:ee:ff is already used by the existing domain test" in result["msg"]
    assert state_of(host, "vm2") == state_of(host, "vm3") == "absent"


@pytest.mark.parametrize("state", ["running", "absent"])
def test_name_clash_with_a_domain_it_did_not_create(host, disk_dir, state):
    result = fails(kvm_guest, args(disk_dir, state, [vm(1), vm(2, name="test")]))
    assert "test: a domain of that name exists and was not created by kvm_guest" in result["msg"]
    assert result["changed"] is False
    assert state_of(host, "test") == "running" and state_of(host, "vm1") == "absent"


def test_anti_spoofing_without_nwfilter_support_fails_clearly(host, disk_dir):
    result = fails(kvm_guest, args(disk_dir, "running", [vm(1, anti_spoofing=True)]))
    assert "anti_spoofing needs the nwfilter g5k-testbed-guest" in result["msg"]


def test_one_guest_failing_does_not_stop_the_others_and_reports_the_change(host, disk_dir, monkeypatch):
    real_create = libvirt.virDomain.create

    def create(domain):
        if domain.name() == "vm2":
            raise libvirt.libvirtError("no such bridge br-test")
        return real_create(domain)

    monkeypatch.setattr(libvirt.virDomain, "create", create)
    result = fails(kvm_guest, args(disk_dir, "running", [vm(1), vm(2), vm(3)]))
    assert result["changed"] is True
    assert "1 of 3 guests failed: vm2: start failed: no such bridge br-test" in result["msg"]
    assert [g["state"] for g in result["guests"]] == ["running", "shutdown", "running"]
    assert result["guests"][1]["error"] == "start failed: no such bridge br-test"
