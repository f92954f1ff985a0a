"""What DHCP clients on the emulated VLANs obtain from a server converged by g5k.testbed.dhcpd.

Runs inside `molecule verify` (scenarios kea and isc): the nodes are the podman containers made by
../create.yml, reached through testinfra's podman backend. See ../vars/topology.yml for the network.
"""

import ipaddress
import json
import os
import pathlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import testinfra
import yaml

SHARED = pathlib.Path(__file__).resolve().parent.parent
TOPOLOGY = yaml.safe_load((SHARED / "vars" / "topology.yml").read_text())
SCENARIO = os.environ["MOLECULE_SCENARIO_NAME"]
SCENARIO_VARS = yaml.safe_load(pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "vars", "dhcpd.yml").read_text())
BACKEND = SCENARIO_VARS["dhcpd_backend"]
PREFIX = "mdhcp-" + SCENARIO
SERVICES = {"kea": "kea-dhcp4-server", "isc": "isc-dhcp-server"}
CONFIGS = {"kea": "/etc/kea/kea-dhcp4.conf", "isc": "/etc/dhcp/dhcpd.conf"}
DHCLIENT_CONF = "/etc/dhcp/mdhcp-dhclient.conf"
DHCLIENT_SCRIPT = "/usr/local/sbin/mdhcp-dhclient-script"
USES_REFERENCE_API = bool(SCENARIO_VARS.get("dhcpd_reference_api_vlan"))


def node(role):
    return testinfra.get_host("podman://%s-%s" % (PREFIX, role))


def interface(role, name):
    return next(item for item in TOPOLOGY["dhcpd_test_nodes"][role]["interfaces"] if item["name"] == name)


def expected_host_name(role):
    """The host name the data model gives a client: from the Reference API (kea) or declared (isc)."""
    if USES_REFERENCE_API:
        return "%s-%s-kavlan-%d" % (TOPOLOGY["dhcpd_test_cluster"], role[-1], TOPOLOGY["dhcpd_test_vlan_id"])
    return role


class Lease:
    """One run of `dhclient -1` on a client interface: its output, lease file and recorded offer."""

    def __init__(self, role, iface):
        self.host = node(role)
        self.iface = iface
        self.pid_file = "/run/mdhcp-dhclient.%s.pid" % iface
        self.lease_file = "/run/mdhcp-dhclient.%s.leases" % iface
        self.offer_file = "/run/mdhcp-offer.%s.BOUND" % iface

    def obtain(self):
        self.release()
        self.host.run("rm -f %s %s; ip -4 address flush dev %s", self.lease_file, self.offer_file, self.iface)
        self.result = self.host.run(
            "dhclient -1 -v -cf %s -sf %s -pf %s -lf %s %s",
            DHCLIENT_CONF, DHCLIENT_SCRIPT, self.pid_file, self.lease_file, self.iface)
        return self

    def release(self):
        """Stop the dhclient left running after a lease (it renews in the background)."""
        self.host.run("test -s %s && dhclient -x -pf %s -lf %s %s", self.pid_file, self.pid_file,
                      self.lease_file, self.iface)

    @property
    def addresses(self):
        out = self.host.check_output("ip -4 -o address show dev %s", self.iface)
        return [ipaddress.ip_interface(field.split()[3]) for field in out.splitlines() if field.strip()]

    @property
    def lease_text(self):
        return self.host.file(self.lease_file).content_string if self.host.file(self.lease_file).exists else ""

    @property
    def offer(self):
        text = self.host.file(self.offer_file).content_string
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def leases():
    """Leases obtained once per client interface for the module; dhclients are stopped at the end."""
    obtained = {}

    def get(role, iface="eth0"):
        if (role, iface) not in obtained:
            obtained[role, iface] = Lease(role, iface).obtain()
        return obtained[role, iface]

    yield get
    for lease in obtained.values():
        lease.release()


def service_state():
    """The server's config checksum and the moment its service became active (changes on restart)."""
    server = node("server")
    return {
        "config": server.check_output("sha256sum %s", CONFIGS[BACKEND]).split()[0],
        "service": server.check_output(
            "systemctl show -p ActiveState -p SubState -p ActiveEnterTimestampMonotonic %s", SERVICES[BACKEND]),
    }


def test_the_chosen_backend_serves_and_the_other_does_not():
    server = node("server")
    assert server.service(SERVICES[BACKEND]).is_running
    assert server.service(SERVICES[BACKEND]).is_enabled
    other = SERVICES["isc" if BACKEND == "kea" else "kea"]
    assert not server.service(other).is_running


@pytest.mark.parametrize("role", ["client1", "client2"])
def test_client_on_the_vlan_obtains_its_fixed_address(leases, role):
    lease = leases(role)
    fixed = interface(role, "eth0")["fixed"]
    assert lease.result.rc == 0, lease.result.stderr
    assert "DHCPACK of %s from %s" % (fixed, TOPOLOGY["dhcpd_test_server_ip"]) in lease.result.stderr
    assert ipaddress.ip_interface("%s/%d" % (fixed, TOPOLOGY["dhcpd_test_vlan_prefix"])) in lease.addresses
    assert "fixed-address %s;" % fixed in lease.lease_text
    assert lease.offer["new_host_name"] == expected_host_name(role)


def test_offer_carries_pxe_next_server_boot_file_and_network_options(leases):
    lease = leases("client1")
    assert lease.result.rc == 0, lease.result.stderr
    offer = lease.offer
    # next-server travels in the BOOTP siaddr field: dhclient hands it to its script only.
    assert offer["new_next_server"] == TOPOLOGY["dhcpd_test_server_ip"]
    assert offer["new_filename"] == TOPOLOGY["dhcpd_test_boot_file"]
    assert 'filename "%s";' % TOPOLOGY["dhcpd_test_boot_file"] in lease.lease_text
    assert offer["new_routers"] == TOPOLOGY["dhcpd_test_vlan_router"]
    assert offer["new_domain_name"] == TOPOLOGY["dhcpd_test_domain_name"]
    assert offer["new_domain_name_servers"] == TOPOLOGY["dhcpd_test_vlan_router"]
    assert offer["new_subnet_mask"] == str(ipaddress.ip_network(TOPOLOGY["dhcpd_test_vlan_network"]).netmask)


def test_undeclared_mac_on_the_vlan_gets_a_pool_address(leases):
    lease = leases("client2", "eth1")
    assert lease.result.rc == 0, lease.result.stderr
    first = ipaddress.ip_address(TOPOLOGY["dhcpd_test_pool"]["start"])
    last = ipaddress.ip_address(TOPOLOGY["dhcpd_test_pool"]["end"])
    assert [addr for addr in lease.addresses if first <= addr.ip <= last], lease.addresses


def test_client_on_another_vlan_obtains_nothing(leases):
    lease = leases("client3")
    assert lease.result.rc != 0
    assert "No DHCPOFFERS received" in lease.result.stderr
    assert "DHCPOFFER of" not in lease.result.stderr
    assert lease.addresses == []


def assert_obtains_its_fixed_address_now(role):
    """A fresh dhclient run on the client's eth0 (stopped afterwards) gets the client's fixed address."""
    lease = Lease(role, "eth0")
    try:
        lease.obtain()
        assert lease.result.rc == 0, lease.result.stderr
        assert "DHCPACK of %s" % interface(role, "eth0")["fixed"] in lease.result.stderr
    finally:
        lease.release()


def test_same_client_obtains_its_address_once_moved_into_the_vlan():
    """Proves the previous test failed because of the VLAN, not because the server ignores its MAC."""
    veth = "%s-%s" % (PREFIX, interface("client3", "eth0")["veth"])
    subprocess.run(["ip", "link", "set", veth, "master", PREFIX + "-v1"], check=True)
    try:
        assert_obtains_its_fixed_address_now("client3")
    finally:
        subprocess.run(["ip", "link", "set", veth, "master", PREFIX + "-v2"], check=True)


# Each bad variable set, and what the failure must say. The preflight reports every mistake of the
# data model at once; the last set passes the preflight and is refused by the server's own check
# (the template's validate:).
INVALID_SETS = {
    "data_model_mistakes": (
        {"dhcpd_subnets": [{
            "subnet": TOPOLOGY["dhcpd_test_vlan_network"], "router": TOPOLOGY["dhcpd_test_vlan_router"],
            "pools": [{"start": "192.168.199.100", "end": "192.168.199.120"}],
            "hosts": [
                {"name": "dup-a", "mac": "02:6d:64:00:00:aa", "ip": "192.168.199.101"},
                {"name": "dup-b", "mac": "02:6D:64:00:00:AA", "ip": "192.168.199.202"},
                {"name": "far", "mac": "02:6d:64:00:00:ab", "ip": "10.9.9.9"}]}]},
        ["MAC 02:6d:64:00:00:aa is used by dup-a and dup-b",
         "host far address 10.9.9.9 is outside the subnet",
         "host dup-a address 192.168.199.101 is inside pool 192.168.199.100 - 192.168.199.120"]),
    "missing_interface": (
        {"dhcpd_interfaces": ["eth9"]},
        ["missing: eth9"]),
    "rejected_by_the_server": (
        {"kea": {"dhcpd_kea_extra_config": {"no-such-keyword": True}},
         "isc": {"dhcpd_isc_extra_statements": ["no-such-statement on;"]}}[BACKEND],
        ["failed to validate"]),
}
if USES_REFERENCE_API:
    INVALID_SETS["vlan_not_at_the_site"] = (
        {"dhcpd_reference_api_vlan": 7},
        ["VLAN 7 is not a VLAN of site %s in the Reference API" % TOPOLOGY["dhcpd_test_site"]])


@pytest.fixture(scope="module")
def refused_runs(tmp_path_factory):
    """Runs the converge playbook once per bad variable set, all at once (they change nothing)."""
    before = service_state()
    playbook = shutil.which("ansible-playbook", path=os.path.dirname(sys.executable)) or "ansible-playbook"
    # made here, not in the threads: tmp_path_factory is not thread-safe
    variables = tmp_path_factory.mktemp("refused-runs")

    def run(case):
        extra = variables / ("%s.json" % case)
        extra.write_text(json.dumps(INVALID_SETS[case][0]))
        done = subprocess.run(
            [playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SHARED / "converge.yml"),
             "-e", "@%s" % extra],
            capture_output=True, text=True, timeout=900, check=False)
        return done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=len(INVALID_SETS)) as pool:
        results = dict(zip(INVALID_SETS, pool.map(run, INVALID_SETS)))
    return before, results


@pytest.mark.parametrize("case", list(INVALID_SETS))
def test_invalid_variables_fail_with_a_message_that_says_what_to_fix(refused_runs, case):
    returncode, output = refused_runs[1][case]
    assert returncode != 0, output
    for message in INVALID_SETS[case][1]:
        assert message in output, output
    assert "changed=0" in output, output


def test_refused_runs_leave_config_and_service_intact(refused_runs):
    """Same configuration file, service still active and never restarted."""
    assert service_state() == refused_runs[0]


def test_service_still_serves_after_the_refused_runs():
    assert_obtains_its_fixed_address_now("client1")
