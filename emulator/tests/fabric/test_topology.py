"""The wire derived from the Reference API documents: names, addresses, DHCP tables (no root)."""
import ipaddress

import pytest

from g5k_emulator import config as config_module
from g5k_emulator.addressing import KNOWN_SITES
from g5k_emulator.fabric import dhcp, host_names, prerequisites
from g5k_emulator.fabric.host_commands import FabricError
from g5k_emulator.fabric.live import LiveFabric
from g5k_emulator.fabric.topology import load


@pytest.fixture(scope="module")
def default_site():
    return load(config_module.load(None))


def test_every_interface_name_fits_the_kernel_limit_for_every_real_site():
    sites = {uid: {"scheduler": "oar", "clusters": {"c": {"nodes": 2}}} for uid in KNOWN_SITES
             if uid != "bordeaux"}
    topology = load(config_module.parse({"sites": sites}))
    names = [v.bridge for v in topology.vlans.values()] + [v.dhcp_veth for v in topology.vlans.values()]
    names += [p.veth for n in topology.all_nodes() for p in n.ports]
    assert max(len(n) for n in names) <= 15
    assert len(set(names)) == len(names)


def test_vlans_take_network_and_gateway_from_the_site_document(default_site):
    vlan4 = default_site.vlan("rennes", "4")
    assert (vlan4.kind, str(vlan4.network), vlan4.gateway) == ("routed", "10.24.0.0/18", "10.24.63.254")
    assert vlan4.routed and vlan4.bridge == "g5kb-rennes-4"
    local = default_site.vlan("nancy", "1")
    assert local.kind == "local" and not local.routed and local.bridge == "g5kb-nancy-1"
    production = default_site.vlan("rennes", "DEFAULT")
    assert production.dhcp_address == production.dns == "172.16.111.253"
    # a global VLAN seen from another site is its owner's bridge
    assert default_site.vlan("nancy", "16") is default_site.vlan("rennes", "16")
    with pytest.raises(KeyError, match="VLAN 12 does not exist on site rennes"):
        default_site.vlan("rennes", "12")


def test_ports_carry_the_reference_macs_and_per_vlan_addresses(default_site):
    node = default_site.node("rennes", "parasilo-2")
    eth0, eth1 = node.ports
    assert (eth0.name, eth0.device, eth0.mounted) == ("parasilo-2.rennes.grid5000.fr", "eth0", True)
    assert (eth1.name, eth1.mounted) == ("parasilo-2-eth1.rennes.grid5000.fr", False)
    assert eth0.addresses["DEFAULT"] == "172.16.97.2" and eth0.addresses["4"] == "10.24.1.2"
    assert ipaddress.IPv4Address(eth0.addresses["16"]) in ipaddress.IPv4Network("10.27.192.0/18")
    assert eth0.dhcp_hostname("4") == "parasilo-2-kavlan-4"
    assert eth1.dhcp_hostname("DEFAULT") == "parasilo-2-eth1"


def test_kavlan_gateways_have_a_leg_in_production_and_one_in_their_local_vlan(default_site):
    gateway = default_site.gateways[("rennes", "2")]
    assert gateway.static == {"eth0": ("DEFAULT", "172.16.111.102/20"),
                              "eth1": ("2", "192.168.223.254/20")}
    assert default_site.uplink_blocked == ("192.168.192.0/20", "192.168.208.0/20", "192.168.224.0/20")


def test_dhcp_tables_hold_each_mac_in_that_vlan_only(default_site):
    vlan4 = dhcp.dhcp_hosts(default_site, default_site.vlan("rennes", "4")).splitlines()
    assert "02:07:00:00:01:00,10.24.1.1,parasilo-1-kavlan-4" in vlan4
    assert len(vlan4) == 8                                  # 4 rennes nodes x eth0/eth1, no nancy
    global16 = dhcp.dhcp_hosts(default_site, default_site.vlan("rennes", "16"))
    assert "gros-1-kavlan-16" in global16 and "parasilo-1-kavlan-16" in global16
    production = dhcp.dhcp_hosts(default_site, default_site.vlan("nancy", "DEFAULT"))
    assert "02:05:00:00:01:00,172.16.65.1,gros-1\n" in production


def test_local_vlan_resolver_knows_only_its_vlan_and_no_mirror(default_site):
    mirror = {"mirror.example": ["203.0.113.80"]}
    local = dhcp.dns_records(default_site, default_site.vlan("rennes", "1"), mirror)
    assert "parasilo-1-kavlan-1.rennes.grid5000.fr" in local and "mirror.example" not in local
    assert "192.168.207.254 kavlan-1.rennes.grid5000.fr" in local
    assert "parasilo-1.rennes.grid5000.fr" not in local
    routed = dhcp.dns_records(default_site, default_site.vlan("rennes", "DEFAULT"), mirror)
    assert "203.0.113.80 mirror.example" in routed and "172.16.97.1 parasilo-1.rennes.grid5000.fr" in routed
    # the site's DNS names every node in every VLAN, local ones too, as the platform's does
    assert "192.168.193.1 parasilo-1-kavlan-1.rennes.grid5000.fr" in routed
    assert "172.16.111.101 kavlan-1.rennes.grid5000.fr" in routed


def test_host_names_block_is_added_once_and_removed_to_the_byte(default_site, tmp_path):
    hosts = tmp_path / "hosts"
    original = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
    hosts.write_text(original)
    assert host_names.write(default_site, hosts) and not host_names.write(default_site, hosts)
    text = hosts.read_text()
    assert text.startswith(original)
    lines = text.splitlines()
    for line in ("172.16.97.1\tparasilo-1.rennes.grid5000.fr", "10.24.1.1\tparasilo-1-kavlan-4.rennes.grid5000.fr",
                 "172.16.97.1\tparasilo-1.rennes.grid5000.fr", "192.168.193.1\tparasilo-1-kavlan-1.rennes.grid5000.fr",
                 "172.16.111.101\tkavlan-1.rennes.grid5000.fr"):
        assert line in lines
    assert any(line.endswith("\tparasilo-1-eth1.rennes.grid5000.fr") for line in lines)
    assert any(line.endswith("\tgros-1-kavlan-16.nancy.grid5000.fr") for line in lines)
    hosts.write_text(text + "10.0.0.1\tadded-by-the-user\n")     # lines after the block stay
    assert host_names.remove(hosts) and not host_names.remove(hosts)
    assert hosts.read_text() == original + "10.0.0.1\tadded-by-the-user\n"


def test_missing_programs_are_named_with_their_debian_packages(monkeypatch):
    monkeypatch.setattr(prerequisites.shutil, "which",
                        lambda program: None if program in ("dnsmasq", "mmdebstrap") else "/usr/bin/x")
    assert prerequisites.missing_packages() == ["dnsmasq-base", "mmdebstrap"]
    with pytest.raises(FabricError, match="missing Debian packages: dnsmasq-base mmdebstrap"):
        prerequisites.ensure(install=False)


def test_impossible_moves_are_refused_before_anything_moves(tmp_path):
    fabric = LiveFabric(config_module.load(None), tmp_path / "state")
    with pytest.raises(ValueError, match="only a global VLAN spans sites"):
        fabric.set_vlan("rennes", ["parasilo-1.rennes.grid5000.fr", "gros-1.nancy.grid5000.fr"], "4")
    with pytest.raises(KeyError, match="Unknown node interface 'ghost.rennes.grid5000.fr'"):
        fabric.set_vlan("rennes", ["ghost.rennes.grid5000.fr"], "4")
    with pytest.raises(KeyError, match="VLAN 77 does not exist"):
        fabric.set_vlan("rennes", ["parasilo-1.rennes.grid5000.fr"], "77")
    assert fabric.state.load()["ports"] == {}


def test_production_carries_the_site_subnet_and_its_dhcp_maps_the_platform_macs(default_site):
    production = default_site.vlan("rennes", "DEFAULT")
    assert str(production.subnet) == "10.156.0.0/14" and production.subnet_gateway == "10.159.255.254"
    assert default_site.vlan("rennes", "4").subnet is None
    lines = dhcp.subnet_hosts(["10.156.4.0/22"]).splitlines()
    assert len(lines) == 1022
    assert lines[0] == "00:16:3e:9c:04:01,10.156.4.1" and lines[-1] == "00:16:3e:9c:07:fe,10.156.7.254"
