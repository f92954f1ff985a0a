"""Placement descriptions: the tutorial's text and the YAML mapping of the same placement read
back as the same guests, hypervisors and numbers; a guest placed twice or nowhere is refused."""

import pytest
import yaml
from hypothesis import given, strategies as st

from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    load_placement,
    place_by_capacity,
)
from g5k_names import SHORT_NAME, SITE

# Numbers as the tutorial writes them: integers, possibly negative, or decimals like 0.5.
NUMBER = st.one_of(st.integers(-5, 2 ** 31 - 1), st.integers(0, 10 ** 6).map(lambda n: n / 100))
HYPERVISOR = st.builds(lambda short, site: "%s.%s.grid5000.fr" % (short, site), SHORT_NAME, SITE)
GUEST = st.from_regex(r"\A(vm|guest-)[0-9a-z]{1,6}\Z")


def number_text(value):
    return "%d" % value if isinstance(value, int) else "%.2f" % value


@st.composite
def placements(draw):
    """{"capacities": {hypervisor: [numbers]}, "guests": [(name, [numbers], hypervisor)]}."""
    hypervisors = draw(st.lists(HYPERVISOR, min_size=1, max_size=4, unique=True))
    names = draw(st.lists(GUEST, min_size=1, max_size=12, unique=True))
    capacities = {h: draw(st.lists(NUMBER, max_size=3)) for h in hypervisors}
    guests = [(name, draw(st.lists(NUMBER, max_size=4)), draw(st.sampled_from(hypervisors))) for name in names]
    return {"capacities": capacities, "guests": guests}


def as_tutorial_text(placement, separator):
    """The tutorial's format; `separator` " " puts everything on one line, as pasted from the wiki."""
    words = ["#list of nodes"]
    for host, numbers in placement["capacities"].items():
        words += [host] + [number_text(n) for n in numbers]
    words.append("#list of VMs")
    for name, numbers, _host in placement["guests"]:
        words += [name] + [number_text(n) for n in numbers]
    words.append("#initial configuration")
    for host in placement["capacities"]:
        words += [host] + [name for name, _numbers, on in placement["guests"] if on == host]
    words.append("#end of configuration")
    return separator.join(words)


def as_yaml(placement):
    data = {"hypervisors": placement["capacities"],
            "guests": [{"name": name, "resources": numbers} for name, numbers, _host in placement["guests"]],
            "placement": {}}
    for name, _numbers, host in placement["guests"]:
        data["placement"].setdefault(host, []).append(name)
    return yaml.safe_dump(data)


def read_back(parsed):
    return {"capacities": parsed.capacities,
            "guests": [(g.name, g.resources, g.hypervisor) for g in parsed.guests]}


def as_written(placement):
    """The placement with its numbers as they read back from their text."""
    def numbers(values):
        return [float(number_text(v)) if isinstance(v, float) else v for v in values]
    return {"capacities": dict((h, numbers(n)) for h, n in placement["capacities"].items()),
            "guests": [(name, numbers(n), host) for name, n, host in placement["guests"]]}


@given(placements(), st.sampled_from([" ", "\n"]))
def test_tutorial_text_reads_back_the_same_placement(placement, separator):
    assert read_back(load_placement(as_tutorial_text(placement, separator))) == as_written(placement)


@given(placements())
def test_yaml_and_tutorial_text_of_one_placement_agree(placement):
    from_text = read_back(load_placement(as_tutorial_text(placement, "\n")))
    assert read_back(load_placement(as_yaml(placement))) == from_text


@given(placements(), st.data())
def test_a_guest_placed_on_two_hypervisors_is_refused_by_name(placement, data):
    name, _numbers, host = data.draw(st.sampled_from(placement["guests"]))
    second = data.draw(HYPERVISOR.filter(lambda h: h != host))
    described = yaml.safe_load(as_yaml(placement))
    described["placement"].setdefault(second, []).append(name)
    with pytest.raises(PlacementError, match="VM %s is placed twice" % name):
        load_placement(yaml.safe_dump(described))


@given(placements(), st.data())
def test_a_declared_guest_placed_nowhere_is_refused_by_name(placement, data):
    name = data.draw(st.sampled_from([g[0] for g in placement["guests"]]))
    described = yaml.safe_load(as_yaml(placement))
    for guests in described["placement"].values():
        if name in guests:
            guests.remove(name)
    with pytest.raises(PlacementError, match="placed on no node: .*%s" % name):
        load_placement(yaml.safe_dump(described))


# ----- automatic placement by capacity

CAPACITY = st.fixed_dictionaries({"vcpus": st.integers(0, 64), "memory": st.integers(0, 262144)})


@st.composite
def capacity_requests(draw):
    hosts = draw(st.lists(SHORT_NAME, min_size=1, max_size=6, unique=True))
    return {
        "capacities": [(host, draw(CAPACITY)) for host in hosts],
        "count": draw(st.integers(1, 200)),
        "vcpus": draw(st.integers(1, 8)),
        "memory": draw(st.integers(1, 16384)),
        "memory_reserve": draw(st.integers(0, 4096)),
        "vcpu_overcommit": draw(st.sampled_from([0.5, 1, 1.5, 4])),
    }


def fits_on(capacity, wanted):
    by_cpu = int(capacity["vcpus"] * wanted["vcpu_overcommit"]) // wanted["vcpus"]
    return max(0, min(by_cpu, (capacity["memory"] - wanted["memory_reserve"]) // wanted["memory"]))


def place(wanted):
    return place_by_capacity(wanted["count"], wanted["vcpus"], wanted["memory"], wanted["capacities"],
                             memory_reserve=wanted["memory_reserve"], vcpu_overcommit=wanted["vcpu_overcommit"])


@given(capacity_requests())
def test_by_capacity_places_every_guest_within_capacity_or_refuses(wanted):
    room = dict((host, fits_on(capacity, wanted)) for host, capacity in wanted["capacities"])
    if wanted["count"] > sum(room.values()):
        with pytest.raises(PlacementError, match="do not fit"):
            place(wanted)
        return
    guests = place(wanted).guests
    assert len(guests) == wanted["count"]
    assert len(set(g.name for g in guests)) == len(guests)
    counts = dict((host, sum(1 for g in guests if g.hypervisor == host)) for host in room)
    assert all(counts[host] <= room[host] for host in room)
    # even shares: a host with two guests fewer than another is full
    assert all(counts[a] == room[a] for a in room for b in room if counts[a] < counts[b] - 1)


@given(capacity_requests())
def test_by_capacity_names_guests_host_after_host_in_order(wanted):
    try:
        guests = place(wanted).guests
    except PlacementError:
        return
    order = [host for host, _capacity in wanted["capacities"]]
    assert [g.name for g in guests] == ["vm-%04d" % i for i in range(len(guests))]
    positions = [order.index(g.hypervisor) for g in guests]
    assert positions == sorted(positions)
