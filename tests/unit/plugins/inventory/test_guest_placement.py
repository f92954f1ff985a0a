"""Placement descriptions: the tutorial's text format (with or without line breaks) and YAML."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    load_placement,
    place_by_capacity,
)

TUTORIAL = """#list of nodes
suno-3.sophia.grid5000.fr 4 20 8
suno-6.sophia.grid5000.fr 4 20 8
#list of VMs
vm00 1 1 1 2147483647
vm01 1 1 1 2147483647
vm02 1 1 1 2147483647
#initial configuration
suno-3.sophia.grid5000.fr vm00 vm02
suno-6.sophia.grid5000.fr vm01
#end of configuration
"""


def summary(placement):
    return [(g.name, g.hypervisor, g.resources) for g in placement.guests]


def test_tutorial_format_keeps_declaration_order():
    placement = load_placement(TUTORIAL)
    assert summary(placement) == [("vm00", "suno-3.sophia.grid5000.fr", [1, 1, 1, 2147483647]),
                                  ("vm01", "suno-6.sophia.grid5000.fr", [1, 1, 1, 2147483647]),
                                  ("vm02", "suno-3.sophia.grid5000.fr", [1, 1, 1, 2147483647])]
    assert placement.capacities["suno-6.sophia.grid5000.fr"] == [4, 20, 8]


def test_tutorial_format_on_one_line_is_the_same():
    assert summary(load_placement(" ".join(TUTORIAL.split()))) == summary(load_placement(TUTORIAL))


def test_yaml_equivalent():
    text = ("hypervisors: {suno-3: [4, 20, 8]}\nguests: [vm01, {name: vm00, ip: 10.132.4.9}]\n"
            "placement: {suno-3: [vm00, vm01]}\n")
    placement = load_placement(text)
    assert [(g.name, g.ip) for g in placement.guests] == [("vm01", None), ("vm00", "10.132.4.9")]
    assert placement.capacities == {"suno-3": [4, 20, 8]}


def test_a_yaml_guest_may_have_a_size_of_its_own():
    text = ("guests: [vm00, {name: vm01, vcpus: 2, memory: 2048}, {name: vm02, memory: 512}]\n"
            "placement: {suno-3: [vm00, vm01, vm02]}\n")
    placement = load_placement(text)
    assert [(g.name, g.vcpus, g.memory) for g in placement.guests] == [
        ("vm00", None, None), ("vm01", 2, 2048), ("vm02", None, 512)]


def test_the_tutorial_format_gives_no_size():
    """Its VM numbers have no documented meaning: the play's default size applies."""
    placement = load_placement("#list of nodes n-1 4 20 8 #list of VMs vm0 1 1 1 2147483647 "
                               "#initial configuration n-1 vm0 #end of configuration")
    assert (placement.guests[0].vcpus, placement.guests[0].memory) == (None, None)


@pytest.mark.parametrize("text, message", [
    ("#list of nodes n-1 4 #initial configuration n-1 vm0", "no '#list of VMs' section"),
    ("guests: [{name: a, vcpus: 0}]\nplacement: {n-1: [a]}", "vcpus of guest a must be a whole number"),
    ("guests: [{name: a, memory: 1.5}]\nplacement: {n-1: [a]}", "memory of guest a must be a whole number"),
    ("guests: [{name: a, memory: big}]\nplacement: {n-1: [a]}", "memory of guest a must be a whole number"),
    ("#list of nodes 4 n-1 #list of VMs vm0 #initial configuration n-1 vm0", "starts with the number 4"),
    ("#list of nodes n-1 #list of VMs vm0 vm1 #initial configuration n-1 vm0", "declared but placed on no node: vm1"),
    ("#list of nodes n-1 #list of VMs vm0 #initial configuration n-1 vm0 vm9", "placed but not declared: vm9"),
    ("#list of nodes n-1 #list of VMs vm0 #initial configuration vm0 n-1", "starts with vm0"),
    ("#list of nodes n-1 n-1 #list of VMs vm0 #initial configuration n-1 vm0", "node n-1 is listed twice"),
    ("placement: [a, b]", "mapping with a 'placement' key"),
    ("guests: [a, a]\nplacement: {n-1: [a]}", "guests declared twice: a"),
    ("placement: {n-1: [a], n-2: [a]}", "VM a is placed twice"),
    ("placement: {n-1: [a\n", "neither the tutorial's text format nor valid YAML"),
])
def test_bad_descriptions_say_what_is_wrong(text, message):
    with pytest.raises(PlacementError, match=message):
        load_placement(text)


# ----- automatic placement by capacity

HOSTS = [("n-1", {"vcpus": 16, "memory": 65536}), ("n-2", {"vcpus": 4, "memory": 65536}),
         ("n-3", {"vcpus": 16, "memory": 3000})]


def test_by_capacity_deals_guests_round_robin_until_a_host_is_full():
    # n-1 holds 16 (vCPUs), n-2 holds 4 (vCPUs), n-3 holds 2 (memory 3000 // 1024)
    placement = place_by_capacity(12, 1, 1024, HOSTS)
    per_host = [(host, [g.name for g in placement.guests if g.hypervisor == host]) for host, _capacity in HOSTS]
    assert [(host, len(names)) for host, names in per_host] == [("n-1", 6), ("n-2", 4), ("n-3", 2)]
    assert [g.name for g in placement.guests] == ["vm-%04d" % i for i in range(12)]
    assert per_host[1][1] == ["vm-0006", "vm-0007", "vm-0008", "vm-0009"]  # consecutive per host
    assert placement.capacities == {"n-1": [16, 65536], "n-2": [4, 65536], "n-3": [16, 3000]}


def test_by_capacity_counts_the_memory_reserve_and_vcpu_overcommit():
    hosts = [("n-1", {"vcpus": 4, "memory": 4096})]
    assert len(place_by_capacity(8, 1, 256, hosts, vcpu_overcommit=2).guests) == 8
    with pytest.raises(PlacementError, match="9 guests of 1 vCPU and 256 MiB do not fit: these 1 hypervisors hold 8"):
        place_by_capacity(9, 1, 256, hosts, vcpu_overcommit=2)
    with pytest.raises(PlacementError, match="hold 3 .*counting 3072 MiB kept for each host"):
        place_by_capacity(4, 1, 256, hosts, memory_reserve=3072, vcpu_overcommit=0.75)


def test_by_capacity_keeps_the_order_of_a_mapping():
    placement = place_by_capacity(2, 1, 512, {"z-1": {"vcpus": 1, "memory": 1024}, "a-1": {"vcpus": 1, "memory": 1024}})
    assert [(g.name, g.hypervisor, g.resources) for g in placement.guests] == [
        ("vm-0000", "z-1", [1, 512]), ("vm-0001", "a-1", [1, 512])]


@pytest.mark.parametrize("args, kwargs, message", [
    ((0, 1, 512, HOSTS), {}, "the guest count must be a whole number of at least 1, got 0"),
    (("4", 1, 512, HOSTS), {}, "the guest count must be a whole number of at least 1, got '4'"),
    ((4, 1, 0, HOSTS), {}, "memory per guest \\(MiB\\) must be a whole number of at least 1"),
    ((4, 1, 512, []), {}, "no hypervisor to place the guests on"),
    ((4, 1, 512, [("n-1", {"vcpus": 2, "memory": 4096})] * 2), {}, "hypervisor n-1 is listed twice"),
    ((4, 1, 512, [("n-1", [2, 4096])]), {}, "capacity of n-1 must be a mapping"),
    ((4, 1, 512, [("n-1", {"vcpus": "2", "memory": 4096})]), {}, "capacity of n-1 has no usable vcpus"),
    ((4, 1, 512, HOSTS), {"memory_reserve": -1}, "memory kept for each hypervisor must be 0 MiB or more"),
    ((4, 1, 512, HOSTS), {"vcpu_overcommit": 0}, "overcommit ratio must be a number above 0"),
    ((4, 1, 512, HOSTS), {"name_format": "vm"}, "name format 'vm' must take the guest's number"),
    ((4, 1, 512, HOSTS), {"name_format": "vm%.0s"}, "name format 'vm%.0s' gives two guests the same name"),
    ((40, 1, 512, [("n-%d" % i, {"vcpus": 1, "memory": 1024}) for i in range(10)]), {},
     "hold 10 \\(n-0: 1, .*n-7: 1 and 2 more hypervisors\\)"),
])
def test_by_capacity_bad_input_says_what_to_fix(args, kwargs, message):
    with pytest.raises(PlacementError, match=message):
        place_by_capacity(*args, **kwargs)
