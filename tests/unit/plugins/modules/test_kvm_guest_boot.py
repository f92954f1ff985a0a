"""kvm_guest boots a real cloud-init guest under QEMU (TCG here) through libvirtd.

The guest image is Debian 12 with cloud-init, built by scripts/build-kvm-test-guest-image (cached
in .build/). The guest is on a bridge of its own (192.0.2.0/24, documentation range, no uplink);
what it did is read from its serial console log: cloud-init found the NoCloud seed, configured the
static address and the host name, and the guest powers off on an ACPI shutdown.
"""

import os
import re
import time

import libvirt
import pytest

from ansible_collections.g5k.testbed.plugins.modules import kvm_guest
from g5k_module_runner import ok
from kvm_guest_host import REPO, bridge, guest_image, missing_tools, pool_dir, running_libvirtd

pytestmark = pytest.mark.slow
GUEST = "g5k-boot-%d" % os.getpid()
BOOT_TIMEOUT = 420  # seconds; about 60 s measured for a Debian + cloud-init boot under TCG here


@pytest.fixture(scope="module")
def libvirt_host(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root: starts libvirtd and makes a bridge")
    assert not missing_tools(), "missing %s: run `make deps`" % missing_tools()
    image = guest_image(os.path.join(REPO, ".build", "kvm-test-guest"))
    logs = str(tmp_path_factory.mktemp("libvirtd"))
    with running_libvirtd(logs), bridge("g5kkvmboot0", "192.0.2.1/24") as bridge_name, pool_dir("boot") as pool:
        base = os.path.join(pool, "base.qcow2")
        os.link(image, base) if os.stat(image).st_dev == os.stat(pool).st_dev else os.symlink(image, base)
        try:
            yield {"pool": pool, "base": base, "bridge": bridge_name}
        finally:
            _remove_leftover_domain()


def _remove_leftover_domain():
    conn = libvirt.open("qemu:///system")
    try:
        domain = conn.lookupByName(GUEST)
        if domain.isActive():
            domain.destroy()
        domain.undefine()
    except libvirt.libvirtError:
        pass
    finally:
        conn.close()


def _wait_for(path, pattern, timeout):
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, errors="replace") as handle:
                text = handle.read()
            if re.search(pattern, text):
                return text
        time.sleep(2)
    raise AssertionError("no %r in %s after %d s; it ends with:\n%s" % (pattern, path, timeout, text[-3000:]))


def test_a_cloud_init_guest_boots_through_the_module(libvirt_host):
    args = dict(uri="qemu:///system", state="running", base_image=libvirt_host["base"],
                disk_dir=libvirt_host["pool"], bridge=libvirt_host["bridge"],
                ssh_authorized_keys=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBootTestKey boot@test"],
                network=dict(subnets=["192.0.2.0/24"], prefix=24, gateway="192.0.2.1"),
                guests=[dict(name=GUEST, ip="192.0.2.10", memory=768, disk_size="2G", hostname="bootguest")])
    started = time.time()
    result = ok(kvm_guest, args)
    assert result["changed"] is True and result["guests"][0]["state"] == "running"
    conn = libvirt.open("qemu:///system")
    try:
        domain = conn.lookupByName(GUEST)
        assert domain.isActive()
        assert "<domain type='%s'" % result["domain_type"] in domain.XMLDesc(0)
    finally:
        conn.close()

    console = os.path.join(libvirt_host["pool"], GUEST + ".console.log")
    text = _wait_for(console, r"Cloud-init v\. \S+ finished .*DataSourceNoCloud", BOOT_TIMEOUT)
    booted_in = time.time() - started
    network_lines = "\n".join(line for line in text.splitlines() if "ci-info" in line)
    assert re.search(r"eth0\s*\|\s*True\s*\|\s*192\.0\.2\.10\s*\|\s*255\.255\.255\.0\s*\|\s*global\s*\|"
                     r"\s*00:16:3e:00:02:0a", text), "static address or MAC not applied:\n" + network_lines
    _wait_for(console, r"bootguest login:", 120)
    print("guest booted to cloud-init's end in %.0f s (domain type %s)" % (booted_in, result["domain_type"]))

    assert ok(kvm_guest, args)["changed"] is False

    stopped = ok(kvm_guest, dict(args, state="shutdown", shutdown_timeout=180))
    assert stopped["changed"] is True and stopped["guests"][0]["state"] == "shutdown"

    removed = ok(kvm_guest, dict(args, state="absent"))
    assert removed["changed"] is True
    assert sorted(os.listdir(libvirt_host["pool"])) == ["base.qcow2"]
