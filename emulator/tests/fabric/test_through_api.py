"""The issue's scenarios end to end: HTTP calls to `serve --fabric` started by `up`, then what
the nodes see on the wire."""
import subprocess

import pytest

from fabric_site import SITE

pytestmark = pytest.mark.fabric


def number(fqdn: str) -> int:
    return int(fqdn.split(".")[0].rsplit("-", 1)[1])


@pytest.fixture
def job(site):
    """Submit a job (resources, types) as jdoe; deleting it at the end puts the network back."""
    jobs = []

    def submit(resources: str, types=()):
        jobs.append(site.api.running_job(resources, types))
        return jobs[-1]
    yield submit
    for held in jobs:
        site.api.end(held["uid"])
    site.renew(1, 2, 3, 4)


def test_routed_vlan_moves_through_the_api(site, job):
    held = job("{cluster='parasilo'}/nodes=4+{type='kavlan'}/vlan=1")
    vlan = held["resources_by_type"]["vlans"][0]
    names = sorted(held["assigned_nodes"], key=number)
    first, last = names[:3], names[3]
    site.api.dhcpd(vlan, "start")

    answer = site.api.move(first, vlan)
    assert {n: a["status"] for n, a in answer.items()} == {n: "success" for n in first}
    site.renew(*map(number, first))
    for name in first:
        assert site.ipv4(number(name)) == [site.address(number(name), vlan)]
    for name in first:
        for other in first:
            if other != name:
                assert site.ping(number(name), site.address(number(other), vlan))
    assert not site.arping(number(last), site.address(number(first[0]), vlan))

    site.api.move([last], vlan)
    site.renew(number(last))
    assert site.ipv4(number(last)) == [site.address(number(last), vlan)]
    assert site.arping(number(last), site.address(number(first[0]), vlan))

    site.api.move(names, "DEFAULT")
    site.renew(*map(number, names))
    for name in names:
        assert site.ipv4(number(name)) == [site.address(number(name))]


def test_local_vlan_through_the_api_is_reached_only_through_its_gateway(site, job):
    held = job("{cluster='parasilo'}/nodes=1+{type='kavlan-local'}/vlan=1")
    vlan = held["resources_by_type"]["vlans"][0]
    n = number(held["assigned_nodes"][0])
    site.api.dhcpd(vlan, "start")
    site.api.move(held["assigned_nodes"], vlan)
    site.renew(n)
    address = site.address(n, vlan)
    assert site.ipv4(n) == [address]
    assert site.ssh(address, "true").returncode != 0
    gateway = site.fabric.topology.gateways[(SITE, vlan)].primary.addresses["DEFAULT"]
    answer = site.ssh(address, "hostname", jump=gateway)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == f"parasilo-{n}-kavlan-{vlan}"   # its DHCP name there


def test_vlan_dhcp_switched_through_the_api(site, job):
    held = job("{cluster='parasilo'}/nodes=1+{type='kavlan'}/vlan=1")
    vlan = held["resources_by_type"]["vlans"][0]
    n = number(held["assigned_nodes"][0])
    site.api.move(held["assigned_nodes"], vlan)
    site.api.dhcpd(vlan, "start")
    site.renew(n)
    assert site.ipv4(n) == [site.address(n, vlan)]

    site.api.dhcpd(vlan, "stop")
    quick = ("printf 'timeout 6;\\n' > /tmp/q.conf; rm -f /tmp/q.leases; ip -4 addr flush dev eth0; "
             "dhclient -1 -v -cf /tmp/q.conf -lf /tmp/q.leases -pf /tmp/q.pid eth0")
    refused = site.exec(n, quick, check=False)
    assert refused.returncode != 0 and "No DHCPOFFERS received" in refused.stderr
    assert site.ipv4(n) == []


def test_deployment_through_the_api_gives_fresh_nodes_with_the_key_in_the_vlan(
        site, redeploy_standard, job, tmp_path):
    key = tmp_path / "id_user"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    held = job("{cluster='parasilo'}/nodes=2+{type='kavlan'}/vlan=1", types=["deploy"])
    vlan = held["resources_by_type"]["vlans"][0]
    names = sorted(held["assigned_nodes"], key=number)
    for name in names:
        site.exec(number(name), "touch /root/before-deployment")
    site.api.dhcpd(vlan, "start")

    done = site.api.deploy(names, "debian12-min", key.with_suffix(".pub").read_text(), vlan)

    assert done["status"] == "terminated", done
    assert {n: r["state"] for n, r in done["result"].items()} == {n: "OK" for n in names}
    for name in names:
        address = site.address(number(name), vlan)
        answer = site.ssh(address, "ls /root; hostname", key=key)
        assert answer.returncode == 0, answer.stderr
        # nothing left in /root; named as in its VLAN (parasilo-1-kavlan-4)
        assert answer.stdout.split() == [f"{name.split('.')[0]}-kavlan-{vlan}"]
