"""kvm_guest boots a real cloud-init guest under QEMU (TCG here) through libvirtd.

The guest image is Debian 12 with cloud-init, built by scripts/build-kvm-test-guest-image (cached
in /var/cache/g5k-testbed, once per version of the script). The guest is on a bridge of its own (192.0.2.0/24, documentation range, no uplink);
what it did is read from its serial console log: cloud-init found the NoCloud seed, configured the
static address and the host name, and the guest powers off on an ACPI shutdown.

A run that crashed leaves its domain defined (libvirt then refuses the next one's MAC), its pool
directory and its bridge: each run removes what earlier runs left under these names first, and
the test starts by planting such a leftover to show it. `make test-guest-boot` runs it (marked
slow, out of the unit suite: about 2 minutes of TCG).
"""

import os
import re
import subprocess
import time

import libvirt
import pytest

from ansible_collections.g5k.testbed.plugins.modules import kvm_guest
from g5k_module_runner import ok
from kvm_guest_host import POOL_ROOT, bridge, guest_image, missing_tools, pool_dir, remove_leftovers, running_libvirtd

pytestmark = pytest.mark.slow
DOMAIN_PREFIX = "g5k-boot-"
GUEST = DOMAIN_PREFIX + str(os.getpid())
BRIDGE = "g5kkvmboot0"
POOL_TAG = "boot"
MAC = "00:16:3e:00:02:0a"  # kvm_guest's MAC for 192.0.2.10
BOOT_TIMEOUT = 420  # seconds; about 60 s measured for a Debian + cloud-init boot under TCG here


@pytest.fixture(scope="module")
def libvirt_host(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root: starts libvirtd and makes a bridge")
    assert not missing_tools(), "missing %s: run `make deps`" % missing_tools()
    image = guest_image()
    logs = str(tmp_path_factory.mktemp("libvirtd"))
    with running_libvirtd(logs) as daemon:
        _plant_a_crashed_runs_leftovers()
        print("removed before the run: %s" % remove_leftovers(DOMAIN_PREFIX, POOL_TAG, BRIDGE))
        with bridge(BRIDGE, "192.0.2.1/24") as bridge_name, pool_dir(POOL_TAG) as pool:
            base = os.path.join(pool, "base.qcow2")
            os.link(image, base) if os.stat(image).st_dev == os.stat(pool).st_dev else os.symlink(image, base)
            try:
                yield {"pool": pool, "base": base, "bridge": bridge_name, "daemon": daemon}
            finally:
                remove_leftovers(DOMAIN_PREFIX, POOL_TAG)  # this run's domain too, whatever its state


def _plant_a_crashed_runs_leftovers():
    """What a run killed mid-boot leaves: its domain defined with the MAC this run's guest gets
    (its XML stays in libvirt's config), its pool directory and its bridge."""
    dead = DOMAIN_PREFIX + "1"
    os.makedirs(os.path.join(POOL_ROOT, "g5k-testbed-%s-1" % POOL_TAG), exist_ok=True)
    subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=False)
    conn = libvirt.open("qemu:///system")
    try:
        conn.defineXML(LEFTOVER_XML % (dead, MAC))
        assert MAC in conn.lookupByName(dead).XMLDesc(0)
    finally:
        conn.close()


LEFTOVER_XML = """<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><interface type='ethernet'><mac address='%s'/></interface>
</devices></domain>"""


def _wait_for(path, pattern, timeout, daemon):
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, errors="replace") as handle:
                text = handle.read()
            if re.search(pattern, text):
                return text
        time.sleep(2)
    raise AssertionError("no %r in %s after %d s; it ends with:\n%s\n%s" % (
        pattern, path, timeout, text[-3000:], daemon.describe(GUEST)))


def test_a_cloud_init_guest_boots_through_the_module(libvirt_host):
    args = dict(uri="qemu:///system", state="running", base_image=libvirt_host["base"],
                disk_dir=libvirt_host["pool"], bridge=libvirt_host["bridge"],
                ssh_authorized_keys=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBootTestKey boot@test"],
                network=dict(subnets=["192.0.2.0/24"], prefix=24, gateway="192.0.2.1"),
                guests=[dict(name=GUEST, ip="192.0.2.10", memory=768, disk_size="2G", hostname="bootguest")])
    started = time.time()
    try:
        result = ok(kvm_guest, args)
    except (AssertionError, libvirt.libvirtError) as exc:
        raise AssertionError("%s\n%s" % (exc, libvirt_host["daemon"].describe(GUEST))) from exc
    assert result["changed"] is True and result["guests"][0]["state"] == "running"
    conn = libvirt.open("qemu:///system")
    try:
        domain = conn.lookupByName(GUEST)
        assert domain.isActive()
        assert "<domain type='%s'" % result["domain_type"] in domain.XMLDesc(0)
    finally:
        conn.close()

    console = os.path.join(libvirt_host["pool"], GUEST + ".console.log")
    text = _wait_for(console, r"Cloud-init v\. \S+ finished .*DataSourceNoCloud", BOOT_TIMEOUT, libvirt_host["daemon"])
    booted_in = time.time() - started
    network_lines = "\n".join(line for line in text.splitlines() if "ci-info" in line)
    assert re.search(r"eth0\s*\|\s*True\s*\|\s*192\.0\.2\.10\s*\|\s*255\.255\.255\.0\s*\|\s*global\s*\|"
                     r"\s*00:16:3e:00:02:0a", text), "static address or MAC not applied:\n" + network_lines
    _wait_for(console, r"bootguest login:", 120, libvirt_host["daemon"])
    print("guest booted to cloud-init's end in %.0f s (domain type %s)" % (booted_in, result["domain_type"]))

    assert ok(kvm_guest, args)["changed"] is False

    stopped = ok(kvm_guest, dict(args, state="shutdown", shutdown_timeout=180))
    assert stopped["changed"] is True and stopped["guests"][0]["state"] == "shutdown"

    removed = ok(kvm_guest, dict(args, state="absent"))
    assert removed["changed"] is True
    assert sorted(os.listdir(libvirt_host["pool"])) == ["base.qcow2"]
