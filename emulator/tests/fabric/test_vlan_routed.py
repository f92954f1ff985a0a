"""A routed VLAN: its members talk to each other; production is another layer-2 segment."""
import pytest

pytestmark = pytest.mark.fabric


def test_routed_vlan_members_reach_each_other_and_production_is_isolated_at_layer2(
        site, back_to_production):
    site.dhcp("4")
    site.move([1, 2, 3], "4")
    site.renew(1, 2, 3)
    in_vlan = {n: site.address(n, "4") for n in (1, 2, 3)}
    for n, address in in_vlan.items():
        assert site.ipv4(n) == [address]
    for n in (1, 2, 3):
        for other, address in in_vlan.items():
            if other != n:
                assert site.ping(n, address), f"parasilo-{n} cannot ping {address}"

    # parasilo-4 stayed in production: no ARP answer from the VLAN's members, either way.
    assert site.ipv4(4) == [site.address(4)]
    assert not site.arping(4, in_vlan[1])
    assert not site.arping(1, site.address(4))

    site.move([4], "4")
    site.renew(4)
    assert site.ipv4(4) == [site.address(4, "4")]
    assert site.arping(4, in_vlan[1])
    assert site.ping(4, in_vlan[2])

    site.move([1, 2, 3, 4], "DEFAULT")
    site.renew(1, 2, 3, 4)
    for n in (1, 2, 3, 4):
        assert site.ipv4(n) == [site.address(n)]
    assert site.arping(4, site.address(1))


def test_routed_vlan_is_routed_to_production_through_the_site_router(site, back_to_production):
    site.dhcp("4")
    site.move([1], "4")
    site.renew(1)
    # layer 3 crosses the host (gateway of both networks); layer 2 does not
    assert site.ping(1, site.address(2))
    assert not site.arping(1, site.address(2))


def test_production_and_routed_vlan_nodes_reach_the_package_mirror(site, back_to_production):
    site.dhcp("4")
    site.move([1], "4")
    site.renew(1)
    host = next(iter(site.fabric.state.load()["mirror"]))
    assert site.fetch_release(1, host)                     # routed VLAN, by name (site DNS)
    assert site.fetch_release(2, host)                     # production
