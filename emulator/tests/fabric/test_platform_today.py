"""What today's platform does and real clients rely on: users' own accounts on the nodes of
their jobs (sudo-g5k for root), a VLAN's DHCP on by default, node names through the system
resolver, and the nodes of an ended deploy job back in the standard environment."""
import ipaddress
import subprocess
import time

import pytest

from fabric_site import DOMAIN

pytestmark = pytest.mark.fabric


def getent(name: str, where: list[str] | None = None) -> list[str]:
    """Addresses `getent hosts` gives for `name`, on the host or with `where` (a command prefix)."""
    result = subprocess.run([*(where or []), "getent", "hosts", name], capture_output=True, text=True)
    return [line.split()[0] for line in result.stdout.splitlines()]


def node_of(job: dict) -> tuple[str, int]:
    short = job["assigned_nodes"][0].split(".")[0]
    return short, int(short.rsplit("-", 1)[1])


def eventually(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(1)


def test_users_log_into_the_nodes_of_their_jobs_with_their_own_account_and_sudo_g5k(site):
    job = site.api.running_job("{cluster='parasilo'}/nodes=1+{type='kavlan-local'}/vlan=1")
    short, n = node_of(job)
    address = site.address(n)
    jdoe, asmith = site.user_key("jdoe"), site.user_key("asmith")
    try:
        mine = site.ssh(address, "id -un; sudo-g5k id -u; cat ~/.ssh/authorized_keys; pwd; "
                        "sudo-g5k touch /root/left-by-jdoe", key=jdoe, user="jdoe")
        assert mine.returncode == 0, mine.stderr
        login, root, key, home = mine.stdout.split("\n")[:4]
        assert (login, root, home) == ("jdoe", "0", "/home/jdoe")
        assert key == jdoe.with_suffix(".pub").read_text().strip()
        # asmith holds no job on that node: refused, whatever key
        assert site.ssh(address, "true", key=asmith, user="asmith").returncode != 0
        # the home is the site's: a file written on one node is on the gateway too
        site.ssh(address, "echo shared > ~/from-node", key=jdoe, user="jdoe")
        gateway = f"kavlan-{job['resources_by_type']['vlans'][0]}.{DOMAIN}"
        on_gateway = site.ssh(gateway, "cat ~/from-node", key=jdoe, user="jdoe")
        assert on_gateway.returncode == 0 and on_gateway.stdout.strip() == "shared", on_gateway.stderr
        assert site.ssh(gateway, "true", key=asmith, user="asmith").returncode != 0
    finally:
        site.api.end(job["uid"])   # waits until the node sudo-g5k was used on is reinstalled
    assert site.ssh(address, "true", key=jdoe, user="jdoe").returncode != 0   # the job is over
    reinstalled = site.ssh(address, "cat /etc/grid5000/release; ls /root; cat /home/jdoe/from-node")
    assert reinstalled.returncode == 0, reinstalled.stderr
    assert reinstalled.stdout.split() == [reinstalled.stdout.split()[0], "shared"]   # /root empty, home kept
    assert reinstalled.stdout.startswith("debian12-std-")


def test_names_resolve_on_the_host_and_on_a_gateway(site):
    vlan4 = site.node(1).primary.addresses["4"]
    local = site.node(1).primary.addresses["1"]
    assert getent(f"parasilo-1.{DOMAIN}") == [site.address(1)]
    assert getent(f"parasilo-1-kavlan-4.{DOMAIN}") == [vlan4]
    assert getent(f"parasilo-1-kavlan-1.{DOMAIN}") == [local]
    assert getent(f"parasilo-1-eth1.{DOMAIN}") == [site.node(1).ports[1].addresses["DEFAULT"]]
    gateway = site.fabric.topology.gateways[("rennes", "1")]
    assert getent(f"kavlan-1.{DOMAIN}") == [gateway.static["eth0"][1].split("/")[0]]
    on_gateway = ["podman", "exec", gateway.container]
    assert subprocess.run([*on_gateway, "true"], env=site.env).returncode == 0
    assert getent(f"parasilo-1-kavlan-1.{DOMAIN}", on_gateway) == [local]
    assert getent(f"parasilo-2-kavlan-4.{DOMAIN}", on_gateway) == [site.node(2).primary.addresses["4"]]


def test_deploy_into_a_vlan_without_dhcpd_call_then_the_job_end_gives_the_node_back(site):
    job = site.api.running_job("{cluster='parasilo'}/nodes=1+{type='kavlan'}/vlan=1", ["deploy"])
    short, n = node_of(job)
    vlan = job["resources_by_type"]["vlans"][0]
    key = site.user_key("jdoe")
    name = f"{short}-kavlan-{vlan}.{DOMAIN}"
    netns = site.node(n).netns
    try:
        # what a previous system may leave in the node's network: a bridge over eth0 (a hypervisor)
        subprocess.run(["ip", "-n", netns, "link", "add", "br0", "type", "bridge"], check=True)
        subprocess.run(["ip", "-n", netns, "link", "set", "eth0", "master", "br0"], check=True)
        deployment = site.api.deploy(job["assigned_nodes"], "debian12-min",
                                     key.with_suffix(".pub").read_text(), vlan)
        assert deployment["status"] == "terminated", deployment
        assert getent(name) == [site.address(n, vlan)]
        inside = site.ssh(name, "cat /etc/grid5000/release; hostname", key=key)
        assert inside.returncode == 0, inside.stderr
        release, hostname = inside.stdout.split()
        assert subprocess.run(["ip", "-n", netns, "link", "show", "br0"], capture_output=True).returncode != 0
        assert release.startswith("debian12-min-") and hostname == f"{short}-kavlan-{vlan}"
    finally:
        site.api.end(job["uid"])
        # whatever failed above, the next test needs the node back: wait for the platform
        production = site.address(n)
        back = eventually(lambda: site.ssh(production, "cat /etc/grid5000/release").returncode == 0, 90)
    assert back, f"{short} did not come back at {production} with the standard environment"
    release = site.ssh(production, "cat /etc/grid5000/release").stdout
    assert release.startswith("debian12-std-")
    assert site.ssh(production, "true", key=key).returncode != 0      # the user's key is gone
    assert site.fabric.port_vlans()[site.node(n).primary.name].id == "DEFAULT"


def _within(command: list[str], env: dict, phase: str) -> subprocess.CompletedProcess:
    """Run a client container: dhclient gives up after 20 s, yet on a loaded CI machine the
    whole command once took over 60 s, so the limit is generous and its failure names the phase."""
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"the DHCP client container {phase} did not end within 180 s; "
                             f"it printed: {expired.stdout!r} {expired.stderr!r}") from None


def test_a_vm_mac_of_a_reserved_subnet_gets_its_address_from_the_site_dhcp(site):
    """A VM bridged on production (here: a namespace on the production bridge, running the
    node image's dhclient) gets the address its 00:16:3E MAC stands for while the subnet is
    reserved, with the subnet's gateway; once the job ends, no offer."""
    job = site.api.running_job("slash_22=1+{cluster='parasilo'}/nodes=1")
    block = ipaddress.IPv4Network(job["resources_by_type"]["subnets"][0])
    address = next(block.hosts())
    mac = "00:16:3e:%02x:%02x:%02x" % tuple(address.packed[1:])
    production = site.fabric.topology.vlan("rennes", "DEFAULT")
    netns, veth = "g5kt-vm", "g5ktvm0"
    dhclient = ("printf 'timeout 20;\\n' > /tmp/c; dhclient -1 -v -cf /tmp/c -lf /tmp/l -pf /tmp/p vm0 "
                "&& ip -4 -o addr show dev vm0 && ip -4 route show default")
    run = ["podman", "run", "--rm", "--network", f"ns:/run/netns/{netns}", "--cap-add", "NET_ADMIN,NET_RAW",
           "localhost/g5k-node:bookworm", "sh", "-c", dhclient]
    try:
        for command in (["ip", "netns", "add", netns],
                        ["ip", "link", "add", veth, "type", "veth", "peer", "name", "vm0", "netns", netns],
                        ["ip", "-n", netns, "link", "set", "vm0", "address", mac, "up"],
                        ["ip", "link", "set", veth, "master", production.bridge, "up"]):
            subprocess.run(command, check=True)
        leased = _within(run, site.env, "while the subnet is reserved")
        assert leased.returncode == 0, leased.stderr
        assert f"inet {address}/14" in leased.stdout
        assert f"default via {production.subnet_gateway}" in leased.stdout
        site.api.end(job["uid"])
        refused = _within(run, site.env, "after the job ended")
        assert refused.returncode != 0 and "No DHCPOFFERS received" in refused.stderr
    finally:
        subprocess.run(["ip", "link", "delete", veth], capture_output=True)
        subprocess.run(["ip", "netns", "delete", netns], capture_output=True)
        site.api.call("DELETE", f"/jobs/{job['uid']}")
