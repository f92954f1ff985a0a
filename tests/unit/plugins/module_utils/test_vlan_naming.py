"""Host names in and out of VLANs."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import (
    cluster_of,
    local_vlan_gateway,
    node_fqdn,
    split_node_name,
    vlan_hostname,
)


@pytest.mark.parametrize("name, expected", [
    ("parasilo-1", ("parasilo-1", "rennes")),
    ("parasilo-1.nancy", ("parasilo-1", "nancy")),
    ("Parasilo-12.nancy.grid5000.fr", ("parasilo-12", "nancy")),
    ("sagittaire-ib-3.lyon.grid5000.fr", ("sagittaire-ib-3", "lyon")),
])
def test_split_node_name(name, expected):
    assert split_node_name(name, default_site="rennes") == expected


@pytest.mark.parametrize("name, fragment", [
    ("parasilo", "expected <cluster>-<number>"),
    ("a.b.c.d", "not a Grid'5000 node name"),
    ("parasilo-1-kavlan-4.rennes.grid5000.fr", "expected <cluster>-<number>"),
])
def test_split_node_name_rejects_what_is_not_a_node(name, fragment):
    with pytest.raises(ValueError, match=fragment):
        split_node_name(name, default_site="rennes")


def test_short_name_without_site_says_what_to_give():
    with pytest.raises(ValueError, match="has no site"):
        split_node_name("parasilo-1")


def test_names():
    assert cluster_of("sagittaire-ib-3") == "sagittaire-ib"
    assert node_fqdn("parasilo-1", "rennes") == "parasilo-1.rennes.grid5000.fr"
    assert vlan_hostname("parasilo-1", "rennes", 4) == "parasilo-1-kavlan-4.rennes.grid5000.fr"
    assert vlan_hostname("parasilo-1", "rennes", "4", "eth1") == "parasilo-1-eth1-kavlan-4.rennes.grid5000.fr"
    assert vlan_hostname("parasilo-1", "rennes", "DEFAULT") == "parasilo-1.rennes.grid5000.fr"
    assert vlan_hostname("gros-2", "nancy", 16) == "gros-2-kavlan-16.nancy.grid5000.fr"
    assert local_vlan_gateway("rennes", 2) == "kavlan-2.rennes.grid5000.fr"
