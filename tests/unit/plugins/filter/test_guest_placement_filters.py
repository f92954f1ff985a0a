"""The placement filters: guest_placement (a description's text) and guest_placement_by_capacity
(automatic placement from the hypervisors' CPU threads and memory); same result structure."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter import guest_placement as text_filter
from ansible_collections.g5k.testbed.plugins.filter import guest_placement_by_capacity as capacity_filter

TUTORIAL = """#list of nodes
parasilo-1 4 20 8
parasilo-2 4 20 8
#list of VMs
vm00 1 1 1 2147483647
vm01 1 1 1 2147483647
vm02 1 1 1 2147483647
#initial configuration
parasilo-1 vm00 vm02
parasilo-2 vm01
#end of configuration
"""
YAML = ("hypervisors: {parasilo-1: [4, 20, 8], parasilo-2: [4, 20, 8]}\n"
        "guests: [vm00, {name: vm01, ip: 10.156.4.20, mac: '00:16:3e:9c:04:14'}, vm02]\n"
        "placement: {parasilo-1: [vm00, vm02], parasilo-2: [vm01]}\n")
CAPACITY = {"parasilo-1": {"vcpus": 4, "memory": 8192}, "parasilo-2": {"vcpus": 2, "memory": 8192}}


def test_both_filters_are_registered():
    assert text_filter.FilterModule().filters() == {"guest_placement": text_filter.guest_placement}
    assert capacity_filter.FilterModule().filters() == {
        "guest_placement_by_capacity": capacity_filter.guest_placement_by_capacity}


def test_tutorial_text_gives_guests_in_declaration_order_and_capacities():
    assert text_filter.guest_placement(TUTORIAL) == {
        "guests": [
            {"name": "vm00", "hypervisor": "parasilo-1", "resources": [1, 1, 1, 2147483647], "ip": None, "mac": None,
             "vcpus": None, "memory": None},
            {"name": "vm01", "hypervisor": "parasilo-2", "resources": [1, 1, 1, 2147483647], "ip": None, "mac": None,
             "vcpus": None, "memory": None},
            {"name": "vm02", "hypervisor": "parasilo-1", "resources": [1, 1, 1, 2147483647], "ip": None, "mac": None,
             "vcpus": None, "memory": None},
        ],
        "capacities": {"parasilo-1": [4, 20, 8], "parasilo-2": [4, 20, 8]},
    }


def test_yaml_keeps_explicit_addresses_and_agrees_with_the_text():
    from_yaml = text_filter.guest_placement(YAML)
    assert [(g["name"], g["hypervisor"]) for g in from_yaml["guests"]] == [
        (g["name"], g["hypervisor"]) for g in text_filter.guest_placement(TUTORIAL)["guests"]]
    assert from_yaml["guests"][1]["ip"] == "10.156.4.20" and from_yaml["guests"][1]["mac"] == "00:16:3e:9c:04:14"


@pytest.mark.parametrize("text, message", [
    (None, "expects the placement's text, got NoneType"),
    (["parasilo-1"], "expects the placement's text, got list"),
    ("#list of nodes n-1 #list of VMs vm0 vm1 #initial configuration n-1 vm0",
     "placement: declared but placed on no node: vm1"),
    ("placement: {n-1: [a], n-2: [a]}", "placement: VM a is placed twice"),
])
def test_text_filter_fails_with_what_to_fix(text, message):
    with pytest.raises(AnsibleFilterError, match=message):
        text_filter.guest_placement(text)


def test_capacity_filter_fills_each_hypervisor_up_to_its_share():
    layout = capacity_filter.guest_placement_by_capacity(CAPACITY, count=5, vcpus=1, memory=1024)
    assert [(g["name"], g["hypervisor"]) for g in layout["guests"]] == [
        ("vm-0000", "parasilo-1"), ("vm-0001", "parasilo-1"), ("vm-0002", "parasilo-1"),
        ("vm-0003", "parasilo-2"), ("vm-0004", "parasilo-2")]
    assert all(g["resources"] == [1, 1024] and g["ip"] is None and g["mac"] is None for g in layout["guests"])
    assert all(g["vcpus"] == 1 and g["memory"] == 1024 for g in layout["guests"])
    assert layout["capacities"] == {"parasilo-1": [4, 8192], "parasilo-2": [2, 8192]}


def test_capacity_filter_takes_a_list_of_hypervisors_and_its_options():
    hosts = [{"name": "b-1", "vcpus": 8, "memory": 4096}, {"name": "a-1", "vcpus": 8, "memory": 4096}]
    layout = capacity_filter.guest_placement_by_capacity(hosts, 4, 2, 1024, memory_reserve=2048,
                                                         vcpu_overcommit=2, name_format="guest%d")
    assert [(g["name"], g["hypervisor"]) for g in layout["guests"]] == [
        ("guest0", "b-1"), ("guest1", "b-1"), ("guest2", "a-1"), ("guest3", "a-1")]


def test_capacity_filter_reads_the_hypervisors_ansible_facts():
    """What vm_fleet gives it: each host's facts from setup's hardware subset, other facts beside."""
    facts = {"parasilo-1": {"processor_vcpus": 4, "memtotal_mb": 8192, "processor_cores": 2},
             "parasilo-2": {"processor_vcpus": 2, "memtotal_mb": 8192}}
    assert capacity_filter.guest_placement_by_capacity(facts, count=5, vcpus=1, memory=1024) == \
        capacity_filter.guest_placement_by_capacity(CAPACITY, count=5, vcpus=1, memory=1024)
    # vcpus/memory win over the facts' names when both are there
    both = {"h-1": {"vcpus": 1, "processor_vcpus": 64, "memory": 1024, "memtotal_mb": 65536}}
    with pytest.raises(AnsibleFilterError, match="these 1 hypervisors hold 1"):
        capacity_filter.guest_placement_by_capacity(both, count=2, vcpus=1, memory=1024)


@pytest.mark.parametrize("data, kwargs, message", [
    ("parasilo-1", {}, "expects {hypervisor: {vcpus, memory}} or a list"),
    ({"parasilo-1": "4 cpus"}, {}, "capacity of parasilo-1 must be a mapping"),
    ({"parasilo-1": {"processor_vcpus": 4}}, {}, "capacity of parasilo-1 has no usable memory"),
    ([{"vcpus": 2, "memory": 1024}], {}, "expects {hypervisor: {vcpus, memory}} or a list"),
    (CAPACITY, {"count": 7}, "automatic placement: 7 guests of 1 vCPU and 1024 MiB do not fit: these 2 "
                             "hypervisors hold 6 \\(parasilo-1: 4, parasilo-2: 2\\)"),
    ({"parasilo-1": {"vcpus": 4}}, {}, "capacity of parasilo-1 has no usable memory"),
    (CAPACITY, {"vcpus": 0}, "vcpus per guest must be a whole number of at least 1"),
])
def test_capacity_filter_fails_with_what_to_fix(data, kwargs, message):
    args = dict(count=2, vcpus=1, memory=1024)
    args.update(kwargs)
    with pytest.raises(AnsibleFilterError, match=message):
        capacity_filter.guest_placement_by_capacity(data, **args)
