"""A real libvirt host for kvm_guest's boot test and benchmark: libvirtd, a bridge, a pool directory.

This machine has no systemd: virtlogd and libvirtd are started here in the foreground and stopped
by their PIDs afterwards. If a libvirtd already answers on the system socket it is used and left
alone. The bridge has no uplink: guest traffic stays on it.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import time

POOL_ROOT = "/var/lib/libvirt/images"  # where libvirt's DAC labelling expects images
# This machine's /dev/kvm is a paravirtual variant that cannot run guests: with it visible, libvirtd
# re-probes qemu on every define (about 40 s each). libvirtd runs in a mount namespace of its own where
# /dev/kvm is /dev/null (no KVM ioctls), so it sees TCG only. unshare and sh exec: the PID is libvirtd's.
LIBVIRTD_WITHOUT_KVM = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                        "if [ -e /dev/kvm ]; then mount --bind /dev/null /dev/kvm; fi; exec libvirtd"]
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
IMAGE_SCRIPT = os.path.join(REPO, "scripts", "build-kvm-test-guest-image")


def missing_tools():
    return [t for t in ("libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img", "genisoimage", "mmdebstrap")
            if not shutil.which(t)]


def _stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _libvirtd_answers():
    return subprocess.run(["virsh", "-c", "qemu:///system", "version"], capture_output=True, check=False).returncode == 0


@contextlib.contextmanager
def running_libvirtd(log_dir):
    """qemu:///system answering; the daemons this started are stopped by PID at the end."""
    if _libvirtd_answers():
        yield
        return
    started = []
    try:
        for command in (["virtlogd"], LIBVIRTD_WITHOUT_KVM):
            log = open(os.path.join(log_dir, command[-1].split()[-1] + ".log"), "w")
            started.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.time() + 30
        while not _libvirtd_answers():
            if time.time() > deadline or started[-1].poll() is not None:
                raise RuntimeError("libvirtd did not answer in 30 s; see %s/libvirtd.log" % log_dir)
            time.sleep(0.3)
        yield
    finally:
        for process in reversed(started):
            _stop(process)


@contextlib.contextmanager
def bridge(name, address=None):
    """A Linux bridge with no uplink (and optionally the host's address on it), deleted at the end."""
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        if address:
            subprocess.run(["ip", "address", "add", address, "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "delete", name], check=False)


@contextlib.contextmanager
def pool_dir(tag):
    path = os.path.join(POOL_ROOT, "g5k-testbed-%s-%d" % (tag, os.getpid()))
    os.makedirs(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def guest_image(cache_dir):
    """The cloud-init guest image, built once per version of its script (about 80 s)."""
    from g5k_emulator.fabric.image import debian_mirror

    with open(IMAGE_SCRIPT, "rb") as handle:
        version = hashlib.sha256(handle.read()).hexdigest()[:12]
    image = os.path.join(cache_dir, "kvm-test-guest-%s.qcow2" % version)
    if not os.path.exists(image):
        os.makedirs(cache_dir, exist_ok=True)
        subprocess.run([IMAGE_SCRIPT, image, debian_mirror()], check=True)
    return image
