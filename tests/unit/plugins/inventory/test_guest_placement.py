"""Placement descriptions: the tutorial's text format (with or without line breaks) and YAML."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import (
    PlacementError,
    load_placement,
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


@pytest.mark.parametrize("text, message", [
    ("#list of nodes n-1 4 #initial configuration n-1 vm0", "no '#list of VMs' section"),
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
