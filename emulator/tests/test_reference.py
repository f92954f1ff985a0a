"""Generated Reference API documents against the real files of ../shared/reference-data.

Shapes (keys and value types) must match the real files; for the real sites the emulator
models (rennes, nancy) the network plan must equal the real one.
"""
from __future__ import annotations

import ipaddress
import json

import pytest

from g5k_emulator import config, reference
from g5k_emulator.testing import real_reference_data


@pytest.fixture(scope="module")
def ref() -> reference.Reference:
    return reference.build(config.load())


def real(name: str) -> dict:
    return json.loads((real_reference_data() / f"{name}.json").read_text())


def type_name(value) -> str:
    return type(value).__name__


def assert_same_shape(ours, theirs, path="$"):
    """Same keys and value types, recursively; lists compare element-wise where both have one."""
    assert type_name(ours) == type_name(theirs), f"{path}: {type_name(ours)} != {type_name(theirs)}"
    if isinstance(ours, dict):
        assert sorted(ours) == sorted(theirs), f"{path}: keys differ: {sorted(set(ours) ^ set(theirs))}"
        for key in ours:
            assert_same_shape(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(ours, list) and ours and theirs:
        for i, item in enumerate(ours):
            assert_same_shape(item, theirs[min(i, len(theirs) - 1)], f"{path}[{i}]")


def assert_node_shape(ours: dict, theirs: dict):
    special = {"kavlan", "kavlan6", "network_adapters", "storage_devices"}
    assert sorted(ours) == sorted(theirs)
    assert_same_shape({k: v for k, v in ours.items() if k not in special},
                      {k: v for k, v in theirs.items() if k not in special})
    by_device = {a["device"]: a for a in theirs["network_adapters"]}
    assert [a["device"] for a in ours["network_adapters"]] == ["eth0", "eth1", "eth2", "bmc"]
    for adapter in ours["network_adapters"]:
        assert_same_shape(adapter, by_device[adapter["device"]], f"$.network_adapters[{adapter['device']}]")
    for ours_disk, their_disk in zip(ours["storage_devices"], theirs["storage_devices"]):
        assert_same_shape(ours_disk, their_disk, "$.storage_devices")
    for field in ("kavlan", "kavlan6"):
        assert sorted(ours[field]) == sorted(theirs[field]) == ["eth0", "eth1"]
        for device, ips in ours[field].items():
            real_ips = theirs[field][device]
            local_routed = {f"kavlan-{i}" for i in range(1, 10)}
            assert local_routed <= set(ips)
            # globals: the configured OAR sites' global VLANs, all of them real global VLAN ids
            assert set(ips) - local_routed <= set(real_ips) - local_routed
            assert all(isinstance(ip, str) for ip in ips.values())


def test_site_documents_have_the_real_shape(ref):
    assert_same_shape(ref.sites["rennes"], real("rennes__rennes"))
    assert_same_shape(ref.sites["nancy"], real("nancy__nancy"))
    assert_same_shape(ref.sites["bordeaux"], real("bordeaux__bordeaux"))


@pytest.mark.parametrize("site", ["rennes", "nancy"])
def test_site_network_plan_equals_the_real_one(ref, site):
    theirs = real(f"{site}__{site}")
    for key in ("kavlans", "g5ksubnet", "ipv6", "kavlan_ip_range", "virt_ip_range", "scheduler"):
        assert ref.sites[site][key] == theirs[key], key


def test_slurm_site_has_no_kavlan_or_subnet(ref):
    site = ref.sites["bordeaux"]
    assert site["scheduler"] == "slurm"
    assert "kavlans" not in site and "g5ksubnet" not in site
    assert set(ref.servers["bordeaux"]) == {"dns"}


def test_cluster_documents_have_the_real_shape(ref):
    theirs = real("rennes__clusters__parasilo__parasilo")
    for site, cluster in (("rennes", "parasilo"), ("nancy", "gros")):
        ours = ref.clusters[site][cluster]
        assert sorted(ours) == sorted(theirs)
        metric_keys = set().union(*(m.keys() for m in theirs["metrics"]))
        assert all(set(m) <= metric_keys for m in ours["metrics"])
        assert_same_shape({k: v for k, v in ours.items() if k != "metrics"},
                          {k: v for k, v in theirs.items() if k != "metrics"})
    assert ref.clusters["rennes"]["parasilo"]["nodes_count"] == 4


def test_node_documents_have_the_real_shape(ref):
    assert_node_shape(ref.nodes["rennes"]["parasilo"]["parasilo-1"],
                      real("rennes__clusters__parasilo__nodes__parasilo-1"))
    assert_node_shape(ref.nodes["nancy"]["gros"]["gros-2"],
                      real("rennes__clusters__parasilo__nodes__parasilo-2"))
    gros = real("nancy__clusters__gros__nodes__gros-1")
    ours = ref.nodes["nancy"]["gros"]["gros-1"]["network_adapters"]
    theirs = {a["device"]: a for a in gros["network_adapters"]}
    for adapter in ours[:2]:  # gros' BMC lacks `rate`, parasilo's has it: NICs only
        assert_same_shape(adapter, theirs[adapter["device"]])


def test_server_documents_have_the_real_shape(ref):
    theirs = real("rennes__servers__kavlan-1")
    assert set(ref.servers["rennes"]) == {"kavlan-1", "kavlan-2", "kavlan-3", "dns"}
    for server in ref.servers["rennes"].values():
        assert_same_shape(server, theirs)


def test_node_kavlan_map_covers_every_vlan_the_node_can_join(ref):
    node = ref.nodes["rennes"]["parasilo"]["parasilo-1"]
    expected = {f"kavlan-{i}" for i in range(1, 10)} | {"kavlan-16", "kavlan-14"}
    assert set(node["kavlan"]["eth0"]) == set(node["kavlan"]["eth1"]) == expected
    # each IP lies in the VLAN network the site documents publish (global VLAN: owner's network)
    for device in ("eth0", "eth1"):
        for name, ip in node["kavlan"][device].items():
            vlan = name.split("-")[1]
            owner = "nancy" if vlan == "14" else "rennes"
            network = ipaddress.ip_network(ref.sites[owner]["kavlans"][vlan]["network"])
            assert ipaddress.ip_address(ip) in network, (device, name, ip)
            assert ip != ref.sites[owner]["kavlans"][vlan]["gateway"]


def test_primary_and_secondary_nics_are_named_for_kavlan(ref):
    adapters = ref.nodes["rennes"]["parasilo"]["parasilo-3"]["network_adapters"]
    eth0, eth1, eth2, bmc = adapters
    assert (eth0["mounted"], eth0["kavlan"], eth0["network_address"]) == (
        True, True, "parasilo-3.rennes.grid5000.fr")
    assert (eth1["mounted"], eth1["kavlan"], eth1["network_address"]) == (
        False, True, "parasilo-3-eth1.rennes.grid5000.fr")
    assert not eth2["enabled"] and not eth2["kavlan"] and "network_address" not in eth2
    assert bmc["management"] and bmc["network_address"] == "parasilo-3-bmc.rennes.grid5000.fr"
    production = ipaddress.ip_network(ref.sites["rennes"]["kavlans"]["default"]["network"])
    assert ipaddress.ip_address(eth0["ip"]) in production
    assert ipaddress.ip_address(eth1["ip"]) in production


def test_macs_and_addresses_are_unique_across_the_platform(ref):
    macs, addresses = [], []
    for site_nodes in ref.nodes.values():
        for nodes in site_nodes.values():
            for node in nodes.values():
                for adapter in node["network_adapters"]:
                    macs.append(adapter["mac"])
                    if "ip" in adapter:
                        addresses.append(adapter["ip"])
                for ips in node.get("kavlan", {}).values():
                    addresses.extend(ips.values())
    assert len(macs) == len(set(macs))
    # local VLANs 1-3 reuse 192.168.192.0/20... on every site (isolated), as on the platform
    per_site_unique = [a for a in addresses if not a.startswith("192.168.")]
    assert len(per_site_unique) == len(set(per_site_unique))
    assert all(int(m.split(":")[0], 16) & 1 == 0 for m in macs), "multicast MAC generated"


def test_generation_is_deterministic():
    assert reference.build(config.load()) == reference.build(config.load())


def test_unknown_site_names_get_a_free_plan():
    cfg = config.parse({"sites": {"zurich": {"clusters": {"zeta": {"nodes": 2}}},
                                  "rennes": {"clusters": {"parasilo": {"nodes": 1}}}}})
    ref = reference.build(cfg)
    zurich = ref.sites["zurich"]
    assert zurich["ipv6"]["site_index"] == 12 and zurich["ipv6"]["site_global_kavlan"] == 23
    assert zurich["kavlans"]["23"]["network"] == "10.55.192.0/18"
    networks = [ipaddress.ip_network(s["kavlans"][k]["network"])
                for s in ref.sites.values() for k in s["kavlans"] if not k.isdigit() or int(k) > 3]
    assert all(not a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1:])


def test_address_plan_limits_are_configuration_errors():
    with pytest.raises(config.ConfigError, match="nodes"):
        config.parse({"sites": {"rennes": {"clusters": {"parasilo": {"nodes": 100}}}}})
    too_many = {f"c{i}": {"nodes": 1} for i in range(5)}
    with pytest.raises(config.ConfigError, match="at most 4 clusters"):
        config.parse({"sites": {"rennes": {"clusters": too_many}}})
