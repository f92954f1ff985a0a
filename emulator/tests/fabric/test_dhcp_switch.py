"""A VLAN's DHCP server: on by default (today's platform), it serves the reference address;
stopped (`kavlan -d`) it serves nothing; started again it serves again."""
import pytest

from fabric_site import SITE

pytestmark = pytest.mark.fabric

# dhclient with its own lease file, so no remembered lease is reused; 20 s for an answer even
# on a loaded machine (the case without a server waits all of it).
DHCLIENT = ("printf 'timeout 20;\\nretry 60;\\n' > /tmp/dh.conf; rm -f /tmp/dh.leases; "
            "ip -4 addr flush dev eth0; "
            "dhclient -1 -v -cf /tmp/dh.conf -lf /tmp/dh.leases -pf /tmp/dh.pid eth0")


def test_vlan_dhcp_on_by_default_serves_the_reference_address_stopped_serves_none(
        site, back_to_production):
    site.move([1], "5")
    assert site.fabric.dhcp_running(SITE, "5")             # a VLAN's DHCP is on until stopped
    got = site.exec(1, DHCLIENT, check=False)
    assert got.returncode == 0, got.stderr
    assert site.ipv4(1) == [site.address(1, "5")]
    site.exec(1, "dhclient -r -pf /tmp/dh.pid -lf /tmp/dh.leases eth0", check=False)

    site.fabric.set_dhcp(SITE, "5", False)
    assert not site.fabric.dhcp_running(SITE, "5")
    none = site.exec(1, DHCLIENT, check=False)
    assert none.returncode != 0
    assert "No DHCPOFFERS received" in none.stderr
    assert site.ipv4(1) == []

    site.fabric.set_dhcp(SITE, "5", True)
    again = site.exec(1, DHCLIENT, check=False)
    assert again.returncode == 0, again.stderr
    assert site.ipv4(1) == [site.address(1, "5")]
    site.exec(1, "dhclient -r -pf /tmp/dh.pid -lf /tmp/dh.leases eth0", check=False)


def test_production_dhcp_cannot_be_stopped(site):
    with pytest.raises(ValueError, match="always on"):
        site.fabric.set_dhcp(SITE, "DEFAULT", False)
    assert site.fabric.dhcp_running(SITE, "DEFAULT")
