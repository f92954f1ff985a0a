"""A real libvirt host for kvm_guest's boot test and benchmark: libvirtd, a bridge, a pool directory.

This machine has no systemd: virtlogd and libvirtd are started here in the foreground and stopped
by their PIDs afterwards. If a libvirtd already answers on the system socket it is used and left
alone. The bridge has no uplink: guest traffic stays on it. A run that crashed leaves its domains,
pool directories and bridge: `remove_leftovers` takes them away by name before the next run.
"""

import contextlib
import glob
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


def _tail(path, lines=40):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]) or "(empty)\n"
    except OSError as exc:
        return "(cannot read: %s)\n" % exc.strerror


class Libvirtd:
    """The libvirtd a test talks to: started here (stopped by PID at the end) or found answering."""

    def __init__(self, log_dir, process=None):
        self.log_dir = log_dir
        self.process = process

    def describe(self, guest=None):
        """What to read when libvirtd stops answering: whether it still runs (its exit status if
        not: a signal says crash or kill), its log and the guest's qemu log."""
        if self.process is None:
            state = "a libvirtd this test did not start (its log is its own)"
        elif self.process.poll() is None:
            state = "libvirtd (PID %d) still runs; answers now: %s" % (self.process.pid, _libvirtd_answers())
        else:
            state = "libvirtd (PID %d) exited with status %s (negative: killed by that signal)" % (
                self.process.pid, self.process.returncode)
        text = [state + "\n", "--- %s/libvirtd.log (last lines)\n" % self.log_dir,
                _tail(os.path.join(self.log_dir, "libvirtd.log"))]
        if guest:
            log = os.path.join(QEMU_LOG_DIR, guest + ".log")
            text += ["--- %s (last lines)\n" % log, _tail(log)]
        return "".join(text)


QEMU_LOG_DIR = "/var/log/libvirt/qemu"
# libvirtd in the foreground logs to stderr (kept in libvirtd.log): warnings and errors.
LIBVIRTD_ENV = dict(os.environ, LIBVIRT_LOG_OUTPUTS="3:stderr")


@contextlib.contextmanager
def running_libvirtd(log_dir):
    """qemu:///system answering; yields a Libvirtd. Daemons this started are stopped by PID at the end."""
    if _libvirtd_answers():
        yield Libvirtd(log_dir)
        return
    started = []
    try:
        for command in (["virtlogd"], LIBVIRTD_WITHOUT_KVM):
            log = open(os.path.join(log_dir, command[-1].split()[-1] + ".log"), "w")
            started.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=LIBVIRTD_ENV))
            log.close()
        daemon = Libvirtd(log_dir, started[-1])
        deadline = time.time() + 60
        while not _libvirtd_answers():
            if time.time() > deadline or started[-1].poll() is not None:
                raise RuntimeError("libvirtd did not answer in 60 s:\n" + daemon.describe())
            time.sleep(0.3)
        yield daemon
    finally:
        for process in reversed(started):
            _stop(process)


def remove_leftovers(domain_prefix, pool_tag, bridge_name=None):
    """What an earlier run that crashed may have left with these names: its domains (running or
    defined, with their XML in libvirt's config: libvirt reloads it and refuses a new domain with
    the same MAC), its pool directories and its bridge. Returns what was removed."""
    import libvirt

    removed = []
    conn = libvirt.open("qemu:///system")
    try:
        for domain in conn.listAllDomains(0):
            if domain.name().startswith(domain_prefix):
                if domain.isActive():
                    domain.destroy()
                domain.undefine()
                removed.append("domain " + domain.name())
    finally:
        conn.close()
    for path in glob.glob(os.path.join(POOL_ROOT, "g5k-testbed-%s-*" % pool_tag)):
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if bridge_name and os.path.exists(os.path.join("/sys/class/net", bridge_name)):
        subprocess.run(["ip", "link", "delete", bridge_name], check=True)
        removed.append("bridge " + bridge_name)
    return removed


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


# Guest images, built once per machine and version of their script (a clean clone reuses them):
# the name carries a hash of the script that built it.
IMAGE_CACHE = "/var/cache/g5k-testbed"


def built_image(script, *args):
    """The image `script OUT *args` builds, from the machine's cache. It is built under a lock (the
    suites run side by side; the scripts write OUT.tmp and rename it, so a crashed build leaves no
    image) and replaces the images of the script's earlier versions."""
    import fcntl

    with open(script, "rb") as handle:
        version = hashlib.sha256(handle.read()).hexdigest()[:12]
    name = os.path.basename(script)
    image = os.path.join(IMAGE_CACHE, "%s-%s.qcow2" % (name, version))
    os.makedirs(IMAGE_CACHE, exist_ok=True)
    with open(os.path.join(IMAGE_CACHE, name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(image):
            subprocess.run([script, image, *args], check=True)
            for old in glob.glob(os.path.join(IMAGE_CACHE, "%s-*.qcow2*" % name)):
                if old != image:
                    os.remove(old)
    return image


def guest_image():
    """The Debian 12 + cloud-init guest image (iperf3 and the node agent in it; about 80 s to build)."""
    from g5k_emulator.fabric.image import debian_mirror

    return built_image(IMAGE_SCRIPT, debian_mirror())
