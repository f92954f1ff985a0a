"""Node names in and out of VLANs: every name we write reads back to what it was made from."""

import re

import pytest
from hypothesis import given, strategies as st

from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import (
    cluster_of,
    local_vlan_gateway,
    node_fqdn,
    split_node_name,
    vlan_hostname,
)
from g5k_names import CLUSTER, NODE_NUMBER, SHORT_NAME, SITE

VLAN = st.integers(min_value=1, max_value=21)
DEVICE = st.one_of(st.none(), st.from_regex(r"\A(eth|ib|fpga)[0-9]\Z"))
VLAN_NAME = re.compile(r"^(?P<base>.+)-kavlan-(?P<vlan>[0-9]+)\.(?P<site>[^.]+)\.grid5000\.fr$")


@given(SHORT_NAME, SITE, st.data())
def test_every_spelling_of_a_node_splits_back_to_short_name_and_site(short, site, data):
    spelling = data.draw(st.sampled_from([node_fqdn(short, site), "%s.%s" % (short, site)]))
    assert split_node_name(spelling) == (short, site)
    assert split_node_name(spelling.upper()) == (short, site)
    assert split_node_name(short, default_site=site) == (short, site)


@given(CLUSTER, NODE_NUMBER)
def test_cluster_of_a_node_is_the_name_before_its_number(cluster, number):
    assert cluster_of("%s-%d" % (cluster, number)) == cluster


@given(SHORT_NAME, SITE, DEVICE, VLAN)
def test_vlan_hostname_reads_back_to_node_device_vlan_and_node_site(short, site, device, vlan):
    name = vlan_hostname(short, site, vlan, device)
    match = VLAN_NAME.match(name)
    assert match, name
    base = short if device is None else "%s-%s" % (short, device)
    assert (match.group("base"), int(match.group("vlan")), match.group("site")) == (base, vlan, site)


@given(SHORT_NAME, SITE, VLAN)
def test_a_vlan_hostname_is_never_taken_for_a_node_name(short, site, vlan):
    with pytest.raises(ValueError):
        split_node_name(vlan_hostname(short, site, vlan))


@given(SHORT_NAME, SITE, st.sampled_from([None, "DEFAULT"]))
def test_default_vlan_names_are_the_production_names(short, site, vlan):
    assert vlan_hostname(short, site, vlan) == node_fqdn(short, site)


@given(st.lists(st.tuples(SHORT_NAME, SITE, VLAN), min_size=2, max_size=2, unique=True))
def test_different_nodes_or_vlans_never_share_a_name(pair):
    (first, second) = pair
    assert vlan_hostname(*first) != vlan_hostname(*second)


@given(SITE, VLAN)
def test_local_vlan_gateway_is_named_after_vlan_and_site(site, vlan):
    assert local_vlan_gateway(site, vlan) == "kavlan-%d.%s.grid5000.fr" % (vlan, site)
