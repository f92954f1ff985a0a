"""Reference API reads: unknown site/cluster/node, scheduler check, interfaces, request economy."""

import copy
import json

import pytest
from g5k_emulator.testing import real_reference_data

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiClient, G5kInputError, OpenUrlTransport
from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import ApiSettings
from ansible_collections.g5k.testbed.plugins.plugin_utils.inventory_hosts import InventoryShape, build_inventory
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import (
    ReferenceCatalog,
    interface_api_name,
    interface_ip,
    interface_name,
    kavlan_interface,
    primary_adapter,
    vlan_hosts,
    vlan_id,
)
from g5k_fake_api import BASE, Reply
from g5k_reference import node_doc, script_site


@pytest.fixture
def catalog(fake_api):
    script_site(fake_api, "rennes", {"parasilo": 3})
    fake_api.json("GET", "/sites/bordeaux", {"uid": "bordeaux", "scheduler": "slurm"})
    fake_api.json("GET", "/sites", {"total": 3, "items": [{"uid": "rennes"}, {"uid": "nancy"}, {"uid": "bordeaux"}]})
    return ReferenceCatalog(G5kApiClient(ApiSettings(uri=BASE), OpenUrlTransport()))


def test_unknown_site_lists_the_known_ones(fake_api, catalog):
    fake_api.on("GET", "/sites/lile", Reply(404, text="not found"))
    with pytest.raises(G5kInputError, match="unknown site 'lile': known sites are bordeaux, nancy, rennes"):
        catalog.site("lile")


def test_slurm_site_is_refused_by_name(catalog):
    with pytest.raises(G5kInputError, match="site bordeaux is scheduled by slurm, not OAR: KaVLAN"):
        catalog.oar_site("bordeaux", "KaVLAN")
    assert catalog.oar_site("rennes", "KaVLAN")["uid"] == "rennes"


def test_unknown_cluster_and_node_are_named(fake_api, catalog):
    fake_api.on("GET", "/sites/rennes/clusters/paravance/nodes", Reply(404, text="nope"))
    with pytest.raises(G5kInputError, match="unknown cluster 'paravance' at rennes: its clusters are parasilo"):
        catalog.node("rennes", "paravance-1")
    with pytest.raises(G5kInputError, match="unknown node parasilo-9 at rennes: cluster parasilo has parasilo-1, parasilo-2, parasilo-3"):
        catalog.node("rennes", "parasilo-9")


def test_nodes_of_a_cluster_cost_one_request_whatever_their_number(fake_api, catalog):
    for index in (1, 2, 3):
        catalog.node("rennes", "parasilo-%d" % index)
    assert len(fake_api.requests("GET", "/sites/rennes/clusters/parasilo/nodes")) == 1
    assert len(fake_api.requests("GET", "/sites/rennes")) == 1


def test_vlan_kinds_come_from_the_api(catalog):
    kinds = catalog.vlan_kinds("rennes")
    assert kinds["DEFAULT"] == "NULL"
    assert kinds["9"] == "kavlan"
    assert kinds["16"] == "kavlan-global"
    assert kinds["14"] == "kavlan-global-remote"


def test_interfaces_names_and_ips():
    doc = node_doc("rennes", "parasilo", 1)
    primary = kavlan_interface(doc, "rennes")
    assert primary["device"] == "eth0"
    assert interface_api_name(doc, "rennes", primary) == "parasilo-1.rennes.grid5000.fr"
    assert interface_ip(doc, primary, "DEFAULT") == primary["ip"]
    assert interface_ip(doc, primary, 4) == "10.24.0.1"
    second = kavlan_interface(doc, "rennes", "eno2")
    assert interface_api_name(doc, "rennes", second) == "parasilo-1-eth1.rennes.grid5000.fr"
    with pytest.raises(G5kInputError, match="cannot be moved by KaVLAN"):
        kavlan_interface(doc, "rennes", "eth2")
    with pytest.raises(G5kInputError, match="has no interface eth7"):
        kavlan_interface(doc, "rennes", "eth7")


# ---- a node's adapter, name and address in a VLAN: the one rule, on the real Reference API files ----

def real_node(name):
    with open(real_reference_data() / name, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def parasilo():
    return [real_node("rennes__clusters__parasilo__nodes__parasilo-%d.json" % n) for n in (1, 2)]


def test_primary_adapter_is_the_mounted_one(parasilo):
    doc = parasilo[0]
    assert primary_adapter(doc)["device"] == "eth0" and primary_adapter(doc)["mac"] == "ec:f4:bb:d0:f9:d8"
    # the mounted adapter wherever it sits (not always eth0: vercors uses eth2, hercule eth1)
    moved = copy.deepcopy(doc)
    for adapter in moved["network_adapters"]:
        adapter["mounted"] = adapter["device"] == "eth1"
    assert primary_adapter(moved)["device"] == "eth1"
    assert kavlan_interface(moved, "rennes")["device"] == "eth1"
    # no mounted adapter: no primary, never a guess at the first one
    for adapter in moved["network_adapters"]:
        adapter["mounted"] = False
    assert primary_adapter(moved) is None
    assert primary_adapter({"uid": "parasilo-9"}) is None
    with pytest.raises(G5kInputError, match="has no primary .mounted. interface; interfaces KaVLAN can move: eth0, eth1"):
        kavlan_interface(moved, "rennes")


@pytest.mark.parametrize("device, vlan, name, ip", [
    ("eth0", "DEFAULT", "parasilo-1.rennes.grid5000.fr", "172.16.97.1"),
    ("eth0", "4", "parasilo-1-kavlan-4.rennes.grid5000.fr", "10.24.7.1"),
    ("eth0", "1", "parasilo-1-kavlan-1.rennes.grid5000.fr", "192.168.199.1"),
    ("eth0", "16", "parasilo-1-kavlan-16.rennes.grid5000.fr", "10.27.225.1"),
    # another site's global VLAN: the name keeps the node's site
    ("eth0", "14", "parasilo-1-kavlan-14.rennes.grid5000.fr", "10.19.225.1"),
    ("eth1", "DEFAULT", "parasilo-1-eth1.rennes.grid5000.fr", "172.16.97.101"),
    ("eth1", "4", "parasilo-1-eth1-kavlan-4.rennes.grid5000.fr", "10.24.8.1"),
    ("eth2", "4", "parasilo-1-eth2-kavlan-4.rennes.grid5000.fr", None),
    ("eth0", "10", "parasilo-1-kavlan-10.rennes.grid5000.fr", None),
])
def test_name_and_address_of_an_adapter_in_a_vlan(parasilo, device, vlan, name, ip):
    doc = parasilo[0]
    adapter = next(a for a in doc["network_adapters"] if a["device"] == device)
    assert interface_name(doc, "rennes", adapter, vlan) == name
    assert interface_ip(doc, adapter, vlan) == ip


def test_kavlan_api_names_are_the_reference_network_addresses(parasilo):
    doc = parasilo[1]
    assert interface_api_name(doc, "rennes", kavlan_interface(doc, "rennes")) == "parasilo-2.rennes.grid5000.fr"
    assert interface_api_name(doc, "rennes", kavlan_interface(doc, "rennes", "eno2")) == "parasilo-2-eth1.rennes.grid5000.fr"


@pytest.mark.parametrize("value, expected", [(4, "4"), ("4", "4"), (" 04 ", "4"), ("kavlan-4", "4"), ("default", "DEFAULT")])
def test_vlan_ids(value, expected):
    assert vlan_id(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "four", "", "kavlan-", None, 4.5])
def test_vlan_ids_refused(value):
    with pytest.raises(G5kInputError, match="is not a VLAN id"):
        vlan_id(value)


def test_vlan_hosts_of_the_primary_adapters(parasilo):
    hosts, left_out = vlan_hosts(list(reversed(parasilo)), "rennes", 4)
    assert hosts == [
        {"node": "parasilo-1", "device": "eth0", "name": "parasilo-1-kavlan-4",
         "hostname": "parasilo-1-kavlan-4.rennes.grid5000.fr", "mac": "ec:f4:bb:d0:f9:d8", "ip": "10.24.7.1"},
        {"node": "parasilo-2", "device": "eth0", "name": "parasilo-2-kavlan-4",
         "hostname": "parasilo-2-kavlan-4.rennes.grid5000.fr",
         "mac": primary_adapter(parasilo[1])["mac"].lower(), "ip": "10.24.7.2"},
    ]
    assert left_out == []


def test_vlan_hosts_of_every_adapter_kavlan_can_move(parasilo):
    hosts, left_out = vlan_hosts(parasilo, "rennes", "kavlan-4", interfaces="all")
    assert [(h["name"], h["ip"]) for h in hosts] == [
        ("parasilo-1-eth1-kavlan-4", "10.24.8.1"), ("parasilo-1-kavlan-4", "10.24.7.1"),
        ("parasilo-2-eth1-kavlan-4", "10.24.8.2"), ("parasilo-2-kavlan-4", "10.24.7.2")]
    # eth2, eth3 (kavlan: false) and the BMC are not asked for
    assert left_out == []
    production, dummy = vlan_hosts(parasilo, "rennes", "DEFAULT")
    assert [(h["hostname"], h["ip"]) for h in production] == [
        ("parasilo-1.rennes.grid5000.fr", "172.16.97.1"), ("parasilo-2.rennes.grid5000.fr", "172.16.97.2")]


def test_vlan_hosts_say_which_adapters_cannot_be_served(parasilo):
    docs = copy.deepcopy(parasilo)
    docs[0]["network_adapters"][0]["kavlan"] = False  # as every rennes abacus node
    docs[1]["network_adapters"][0]["mac"] = None
    no_primary = {"uid": "parasilo-3", "network_adapters": [dict(docs[1]["network_adapters"][1])], "kavlan": {}}
    hosts, left_out = vlan_hosts(docs + [no_primary], "rennes", 4)
    assert hosts == []
    assert left_out == [
        {"node": "parasilo-1", "device": "eth0", "reason": "adapter eth0 cannot be moved by KaVLAN (kavlan: false)"},
        {"node": "parasilo-2", "device": "eth0", "reason": "adapter eth0 has no MAC address"},
        {"node": "parasilo-3", "device": None, "reason": "no mounted (primary) adapter"},
    ]
    hosts, left_out = vlan_hosts(parasilo, "rennes", 10)
    assert hosts == [] and [i["reason"] for i in left_out] == ["adapter eth0 has no address in VLAN 10"] * 2
    with pytest.raises(G5kInputError, match="interfaces must be primary or all"):
        vlan_hosts(parasilo, "rennes", 4, interfaces="eth0")


def test_the_inventory_gives_a_node_the_same_name_and_address(parasilo):
    # the inventory's consumer of the rule, on the same documents: no second rule there
    site_data = {"site": {"uid": "rennes"}, "nodes": dict((d["uid"], d) for d in parasilo),
                 "jobs": [{"uid": 7, "name": "exp", "assigned_nodes": ["parasilo-1.rennes.grid5000.fr",
                                                                       "parasilo-2.rennes.grid5000.fr"]}],
                 "interfaces": {"parasilo-1.rennes.grid5000.fr": "4", "parasilo-2.rennes.grid5000.fr": "DEFAULT"},
                 "vlan_types": {"4": "kavlan"}, "local_vlan_gateways": {}}
    data = {"sites": {"rennes": site_data}}
    for address in ("name", "ip"):
        hosts, dummy = build_inventory(data, InventoryShape(address=address))
        by_node = dict((h.variables["g5k_node"], h.variables) for h in hosts)
        for doc, vlan in zip(parasilo, ("4", "DEFAULT")):
            adapter = primary_adapter(doc)
            variables = by_node[doc["uid"]]
            assert variables["g5k_ip"] == interface_ip(doc, adapter, vlan)
            assert variables["g5k_mac"] == adapter["mac"]
            expected = interface_ip(doc, adapter, vlan) if address == "ip" else interface_name(doc, "rennes", adapter, vlan)
            assert variables["ansible_host"] == expected
