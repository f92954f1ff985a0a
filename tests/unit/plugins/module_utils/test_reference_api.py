"""Reference API reads: unknown site/cluster/node, scheduler check, interfaces, request economy."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiClient, G5kInputError, OpenUrlTransport
from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import ApiSettings
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import (
    ReferenceCatalog,
    interface_api_name,
    interface_ip,
    kavlan_interface,
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
