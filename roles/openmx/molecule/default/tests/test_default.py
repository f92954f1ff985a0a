"""Behaviour of a node converged by g5k.testbed.openmx, user-space only (scenario molecule/default).

The driver cannot build or load here (kernel 6.x, container): the kernel gate's message, the
configuration as omx_init reads it, the unit, the MTU and, when a source archive was available,
the built tools are checked. See the role's README for what needs a real old-kernel node.
"""

import os
import pathlib

import pytest

testinfra_hosts = ["podman://momx-node1"]

PREFIX = "/opt/open-mx"
UNIT = "open-mx.service"
IFACE = "eth0"
REPO = pathlib.Path(__file__).resolve().parents[5]
ARCHIVE = pathlib.Path(os.environ.get("OPENMX_SOURCE_ARCHIVE") or REPO / ".build/sources/open-mx-1.5.4.tar.gz")


def run_ok(host, command):
    result = host.run(command)
    assert result.rc == 0, f"{command!r} failed ({result.rc}): {result.stdout}{result.stderr}"
    return result.stdout


def test_kernel_gate_stopped_the_driver_build_with_a_clear_message(host):
    kernel = run_ok(host, "uname -r").strip()
    message = host.file("/root/momx-kernel-gate.txt").content_string
    assert "builds only on Linux <= 4.11" in message
    assert kernel in message
    assert "openmx_driver: false" in message


def test_omx_init_reads_the_interfaces_and_module_parameters(host):
    # Source the file the way omx_init does and print what it gets.
    out = run_ok(host, "sh -c '. /etc/open-mx/open-mx.conf; echo \"$OMX_IFACES|$OMX_MODULE_PARAMS\"'")
    assert out.strip() == f"{IFACE}|endpoints=16 peers=2048"


def test_config_is_headed_as_managed(host):
    assert host.file("/etc/open-mx/open-mx.conf").content_string.startswith("#")
    assert "Ansible managed" in host.file("/etc/open-mx/open-mx.conf").content_string


def test_unit_wraps_omx_init_and_sets_the_mtu(host):
    unit = run_ok(host, f"systemctl cat {UNIT}")
    assert f"ExecStart={PREFIX}/sbin/omx_init start" in unit
    assert f"ExecStop={PREFIX}/sbin/omx_init stop" in unit
    assert f"ExecStartPre=/sbin/ip link set dev {IFACE} mtu 9000" in unit
    props = run_ok(host, f"systemctl show -p Type -p RemainAfterExit -p LoadState {UNIT}")
    assert "Type=oneshot" in props and "RemainAfterExit=yes" in props and "LoadState=loaded" in props


def test_unit_is_left_off_without_a_driver(host):
    svc = host.service(UNIT)
    assert not svc.is_enabled
    assert not svc.is_running


def test_unit_passes_systemd_verification(host):
    result = host.run(f"systemd-analyze verify /etc/systemd/system/{UNIT}")
    # omx_init may be absent (no archive): only that condition may be reported, nothing else.
    errors = [line for line in result.stderr.splitlines() if "omx_init" not in line]
    assert errors == [], result.stderr


def test_interface_mtu_fits_open_mx_frames(host):
    assert host.file(f"/sys/class/net/{IFACE}/mtu").content_string.strip() == "9000"
    # The address still works with the larger MTU (small packets to the gateway).
    run_ok(host, "ping -c 1 -W 2 10.231.58.1")


def test_peer_check_names_a_node_missing_from_omx_info(host):
    # Written by side_effect.yml after the role's verify tasks rejected a replayed peer table.
    message = host.file("/root/momx-peer-check.txt").content_string
    assert "does not list momx-node1:eth0" in message
    assert "open-mx.service" in message


@pytest.fixture
def built(host):
    if not ARCHIVE.exists():
        pytest.skip(
            f"no Open-MX source archive at {ARCHIVE} (set OPENMX_SOURCE_ARCHIVE): Open-MX is not "
            "packaged by Debian or PyPI and upstream downloads are unreachable from here"
        )
    return host


def test_user_space_build_used_the_requested_options(built):
    stamp = built.file("/usr/local/src/open-mx/g5k-configure-args").content_string.split()
    assert stamp == [f"--prefix={PREFIX}", "--with-mtu=9000", "--with-ethertype=0x86DF", "--disable-driver-build"]
    config_log = built.file("/usr/local/src/open-mx/src/config.log").content_string
    assert "--disable-driver-build" in config_log and "--with-mtu=9000" in config_log
    # No driver was built: no module tree under the prefix.
    assert not built.file(f"{PREFIX}/modules").exists


def test_omx_info_runs_and_reports_the_missing_driver(built):
    result = built.run(f"{PREFIX}/bin/omx_info")
    assert "Open-MX version 1.5.4" in result.stdout
    # Without the driver the library cannot open /dev/open-mx: a non-zero exit, saying so.
    assert result.rc != 0
    assert "No device file" in result.stderr or "No device file" in result.stdout


def test_built_library_and_tools_are_installed(built):
    # libmyriexpress: the MX ABI an old Open MPI (--with-mx) links against; omx_perf: the pair test.
    for path in (f"{PREFIX}/lib/libopen-mx.so", f"{PREFIX}/lib/libmyriexpress.so",
                 f"{PREFIX}/sbin/omx_init", f"{PREFIX}/bin/tests/omx_perf"):
        assert built.file(path).exists, path
