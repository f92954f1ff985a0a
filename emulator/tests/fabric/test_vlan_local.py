"""A local VLAN: not routed, reached only through its gateway node kavlan-<N>."""
import subprocess

import pytest

from fabric_site import SITE

pytestmark = pytest.mark.fabric


def test_local_vlan_node_is_unreachable_from_the_host_and_reachable_through_kavlan_gateway(
        site, back_to_production):
    site.dhcp("1")
    site.move([2], "1")
    site.renew(2)
    address = site.address(2, "1")
    assert site.ipv4(2) == [address]

    # The host has no leg in the local VLAN; its route there is `unreachable`, so nothing leaves.
    route = subprocess.run(["ip", "route", "get", address], capture_output=True, text=True)
    assert route.returncode != 0 and "no route to host" in route.stderr.lower()
    assert site.ssh(address, "true").returncode != 0

    gateway = site.fabric.topology.gateways[(SITE, "1")]
    jump = gateway.primary.addresses["DEFAULT"]
    answer = site.ssh(address, "hostname", jump=jump)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "parasilo-2-kavlan-1"   # the renewal set its DHCP name


def test_local_vlan_node_has_no_way_out(site, back_to_production):
    site.dhcp("1")
    site.move([3], "1")
    site.renew(3)
    gateway = site.fabric.topology.gateways[(SITE, "1")]
    assert site.ping(3, site.fabric.topology.vlan(SITE, "1").gateway)   # the gateway node is there
    assert site.ping(3, gateway.primary.addresses["DEFAULT"])           # and answers on both legs
    assert not site.ping(3, site.address(1))              # but routes nothing to production
    assert not site.ping(3, site.fabric.topology.vlan(SITE, "DEFAULT").gateway)
    forwarding = subprocess.run(["ip", "netns", "exec", gateway.netns, "sysctl", "-n",
                                 "net.ipv4.ip_forward"], capture_output=True, text=True)
    assert forwarding.stdout.strip() == "0"
    # and the package mirror is out of reach (the gateway drops the packet: nothing leaves)
    mirror = next(iter(site.mirror_addresses()))
    assert not site.fetch_release(3, mirror, attempts=1)
