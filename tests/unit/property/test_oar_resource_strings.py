"""What the collection's builder writes (plugins/module_utils/oar_resources.py), the emulator's
OAR parser (emulator/g5k_emulator/resource_request.py) reads back as the same request."""

from g5k_emulator import resource_request
from hypothesis import given, strategies as st

from ansible_collections.g5k.testbed.plugins.module_utils.oar_resources import (
    VLAN_TYPES,
    build_resources,
    normalize_walltime,
)
from g5k_names import CLUSTER, SHORT_NAME, SITE

WALLTIME_PARTS = st.tuples(st.integers(0, 240), st.integers(0, 59), st.integers(0, 59)).filter(any)


@st.composite
def walltime_texts(draw):
    """A walltime as users write it (H, H:MM or H:MM:SS) and its length in seconds."""
    hours, minutes, seconds = draw(WALLTIME_PARTS)
    forms = ["%d:%02d:%02d" % (hours, minutes, seconds)]
    if not seconds:
        forms.append("%d:%02d" % (hours, minutes))
    if not (minutes or seconds):
        forms.append("%d" % hours)
    text = draw(st.sampled_from(forms))
    return text, hours * 3600 + minutes * 60 + seconds


@st.composite
def requests(draw):
    """Keyword arguments of build_resources asking for at least one thing."""
    clusters = draw(st.lists(st.fixed_dictionaries({"name": CLUSTER, "nodes": st.integers(1, 512)}), max_size=3))
    site = draw(SITE)
    nodes = draw(st.lists(SHORT_NAME.map(lambda short: "%s.%s.grid5000.fr" % (short, site)),
                          max_size=6, unique=True))
    vlan = draw(st.one_of(st.none(), st.sampled_from(VLAN_TYPES)))
    subnet_prefix = draw(st.one_of(st.none(), st.integers(16, 22)))
    if not (clusters or nodes or vlan or subnet_prefix):
        clusters = [{"name": draw(CLUSTER), "nodes": 1}]
    walltime = draw(st.one_of(st.none(), walltime_texts()))
    return dict(clusters=clusters, nodes=nodes, vlan=vlan, vlan_count=draw(st.integers(1, 3)),
                subnet_prefix=subnet_prefix, subnet_count=draw(st.integers(1, 64)), walltime=walltime)


def expected_groups(request):
    """(kind, count, filter, prefix) of each group, in the order the builder writes them."""
    groups = [("nodes", c["nodes"], ("cmp", "cluster", "=", c["name"]), None) for c in request["clusters"]]
    if request["nodes"]:
        groups.append(("nodes", len(request["nodes"]),
                       ("in", "network_address", tuple(sorted(request["nodes"])), False), None))
    if request["vlan"]:
        groups.append(("vlan", request["vlan_count"], ("cmp", "type", "=", request["vlan"]), None))
    if request["subnet_prefix"]:
        groups.append(("subnet", request["subnet_count"], None, request["subnet_prefix"]))
    return groups


@given(requests())
def test_the_emulator_parses_back_what_the_builder_writes(request):
    walltime = request.pop("walltime")
    text = build_resources(walltime=walltime[0] if walltime else None, **request)
    parsed = resource_request.parse(text)
    assert [(g.kind, g.count, g.filter, g.prefix) for g in parsed.groups] == expected_groups(request)
    assert parsed.walltime == (walltime[1] if walltime else None)


@given(requests(), st.data())
def test_a_cluster_filter_selects_that_cluster_and_no_other(request, data):
    request.pop("walltime")
    request["clusters"] = request["clusters"] or [{"name": data.draw(CLUSTER), "nodes": 1}]
    parsed = resource_request.parse(build_resources(**request))
    name = request["clusters"][0]["name"]
    other = data.draw(CLUSTER.filter(lambda c: c != name))
    cluster_filter = parsed.groups[0].filter
    assert resource_request.matches(cluster_filter, {"cluster": name})
    assert not resource_request.matches(cluster_filter, {"cluster": other})


@given(walltime_texts())
def test_walltime_normalised_by_the_collection_means_the_same_time_to_oar(walltime):
    text, seconds = walltime
    normalized = normalize_walltime(text)
    assert resource_request.parse_walltime(normalized) == resource_request.parse_walltime(text) == seconds
    assert normalize_walltime(normalized) == normalized
