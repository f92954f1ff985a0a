"""Deployments for real: nodes recreated from the environment's image, key installed, in a VLAN."""
import dataclasses
import subprocess
import time

import pytest

from fabric_site import SITE
from g5k_emulator.environments import UnknownEnvironment
from g5k_emulator.fabric.live import LiveFabric

pytestmark = pytest.mark.fabric


@pytest.fixture
def user_key(tmp_path):
    key = tmp_path / "id_user"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def test_deployment_into_a_vlan_gives_fresh_nodes_reachable_with_the_given_key(
        site, user_key, redeploy_standard):
    site.exec(3, "echo before > /root/left-by-the-previous-user")
    site.exec(4, "echo before > /root/left-by-the-previous-user")
    key_text = user_key.with_suffix(".pub").read_text()
    site.dhcp("6")                                          # `kavlan -e` before deploying

    result = site.fabric.deploy(SITE, [site.fqdn(3), site.fqdn(4)], "debian12-min", key_text, "6", 0)

    assert result == {site.fqdn(3): True, site.fqdn(4): True}
    for n in (3, 4):
        address = site.address(n, "6")
        answer = site.ssh(address, "hostname; ls /root; ip -4 -o addr show dev eth0", key=user_key)
        assert answer.returncode == 0, answer.stderr
        name, *rest = answer.stdout.splitlines()
        assert name == f"parasilo-{n}-kavlan-6"          # booted in VLAN 6: its DHCP name there
        assert "left-by-the-previous-user" not in answer.stdout
        assert f" {address}/18 " in answer.stdout
        # a fresh boot: the address leased before the deployment (production) is gone
        assert site.ipv4(n) == [address]
        # only the given key: the standard environment's key is refused
        assert site.ssh(address, "true").returncode != 0
    assert site.fabric.status()[-1].vlans["eth0"] == "6"


def test_unknown_environment_is_refused_before_touching_nodes(site):
    before = site.exec(1, "cat /proc/1/stat").stdout.split()[21]
    with pytest.raises(UnknownEnvironment, match="Unknown environment 'centos7'"):
        site.fabric.deploy(SITE, [site.fqdn(1)], "centos7", None, None, 0)
    assert site.exec(1, "cat /proc/1/stat").stdout.split()[21] == before


def test_a_node_that_does_not_boot_is_ko_and_the_others_ok(site, redeploy_standard):
    faults = dataclasses.replace(site.fabric.config.faults, nodes_not_booting=("parasilo-2",))
    faulty = LiveFabric(dataclasses.replace(site.fabric.config, faults=faults),
                        site.fabric.state.dir, boot_timeout=8)
    result = faulty.deploy(SITE, [site.fqdn(1), site.fqdn(2)], "debian12-min", None, None, 0)
    assert result == {site.fqdn(1): True, site.fqdn(2): False}


def test_failing_deployment_fault_reports_every_node_ko(site):
    faults = dataclasses.replace(site.fabric.config.faults, failing_deployment=True)
    faulty = LiveFabric(dataclasses.replace(site.fabric.config, faults=faults),
                        site.fabric.state.dir)
    assert faulty.deploy(SITE, [site.fqdn(1)], "debian12-min", None, None, 0) == {site.fqdn(1): False}


def test_deployment_into_a_vlan_whose_dhcp_is_off_is_ko(site, redeploy_standard):
    impatient = LiveFabric(site.fabric.config, site.fabric.state.dir, boot_timeout=8)
    site.dhcp("5", False)                                  # `kavlan -d`: the user runs their own
    result = impatient.deploy(SITE, [site.fqdn(1)], "debian12-min", None, "5", 0)
    assert result == {site.fqdn(1): False}


def test_deployment_lasts_at_least_the_delay_the_api_asks_for(site, redeploy_standard):
    started = time.monotonic()
    assert site.fabric.deploy(SITE, [site.fqdn(2)], "debian12-min", None, None, 6) == {site.fqdn(2): True}
    assert time.monotonic() - started >= 6
