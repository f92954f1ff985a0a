"""The fleet layout rule: declared addresses kept and skipped, the next free ones for the others,
sizes and bandwidth, and the inputs it refuses (with what to fix)."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.fleet_layout import (
    FleetLayoutError,
    guests_of,
    lay_out,
    short_name,
)
from ansible_collections.g5k.testbed.plugins.module_utils.guest_placement import Guest, PlacementError

BLOCK = ["10.156.4.0/22"]


def guests(*specs):
    """Guests on parasilo-1 from (name, extra fields) pairs or bare names."""
    made = []
    for spec in specs:
        name, extra = (spec, {}) if isinstance(spec, str) else spec
        made.append(Guest(name, extra.pop("hypervisor", "parasilo-1"), **extra))
    return made


def addresses(layout):
    return [(g["name"], g["ip"], g["mac"]) for g in layout]


def test_undeclared_guests_take_the_next_addresses_in_placement_order():
    assert addresses(lay_out(guests("a", "b", "c"), BLOCK)) == [
        ("a", "10.156.4.1", "00:16:3E:9C:04:01"), ("b", "10.156.4.2", "00:16:3E:9C:04:02"),
        ("c", "10.156.4.3", "00:16:3E:9C:04:03")]


def test_the_issue_example_a_declared_address_does_not_shift_the_others():
    # guests: [{name: vm-a, ip: 10.156.4.200}, vm-b, vm-c] - vm-b is .1, not .2
    layout = lay_out(guests(("vm-a", {"ip": "10.156.4.200"}), "vm-b", "vm-c"), BLOCK)
    assert addresses(layout) == [("vm-a", "10.156.4.200", "00:16:3E:9C:04:C8"),
                                 ("vm-b", "10.156.4.1", "00:16:3E:9C:04:01"),
                                 ("vm-c", "10.156.4.2", "00:16:3E:9C:04:02")]


def test_declared_addresses_and_macs_are_skipped_when_handing_out_the_others():
    layout = lay_out(guests("a", ("b", {"ip": "10.156.4.2"}), ("c", {"mac": "00:16:3e:9c:04:03"}), "d",
                            ("e", {"ip": "10.156.4.1"})), BLOCK, offset=0)
    # .1 and .2 are declared, .3's MAC is c's: a gets .4, c .5 with its own MAC, d .6
    assert addresses(layout) == [("a", "10.156.4.4", "00:16:3E:9C:04:04"), ("b", "10.156.4.2", "00:16:3E:9C:04:02"),
                                 ("c", "10.156.4.5", "00:16:3E:9C:04:03"), ("d", "10.156.4.6", "00:16:3E:9C:04:06"),
                                 ("e", "10.156.4.1", "00:16:3E:9C:04:01")]


def test_offset_and_blocks_in_address_order_across_blocks():
    layout = lay_out(guests("a", "b", "c"), ["10.156.8.0/22", "10.156.4.0/22"], offset=1021)
    assert [g["ip"] for g in layout] == ["10.156.7.254", "10.156.8.1", "10.156.8.2"]


def test_a_declared_address_within_the_offset_is_allowed():
    assert lay_out(guests(("a", {"ip": "10.156.4.1"}), "b"), BLOCK, offset=5)[1]["ip"] == "10.156.4.6"


def test_sizes_default_and_own_and_bandwidth_on_every_guest():
    limits = {"inbound": {"average": 1000}}
    layout = lay_out(guests(("a", {"vcpus": 2}), ("b", {"memory": 2048}), "c"), BLOCK, vcpus=1, memory=96,
                     bandwidth=limits)
    assert [(g["vcpus"], g["memory"]) for g in layout] == [(2, 96), (1, 2048), (1, 96)]
    assert all(g["bandwidth"] == limits for g in layout)
    assert "bandwidth" not in lay_out(guests("a"), BLOCK)[0]
    assert (lay_out(guests("a"), BLOCK)[0]["vcpus"], lay_out(guests("a"), BLOCK)[0]["memory"]) == (None, None)


def test_hypervisor_kept_as_written_and_guests_of_compares_short_names():
    layout = lay_out(guests(("a", {"hypervisor": "parasilo-1.rennes.grid5000.fr"}), ("b", {"hypervisor": "parasilo-2"}),
                            ("c", {"hypervisor": "parasilo-1"})), BLOCK)
    assert layout[0]["hypervisor"] == "parasilo-1.rennes.grid5000.fr"
    mine = guests_of(layout, ["parasilo-1-kavlan-4.rennes.grid5000.fr", "parasilo-1.rennes.grid5000.fr"])
    assert [g["name"] for g in mine] == ["a", "c"] and all("hypervisor" not in g for g in mine)
    assert guests_of(layout, ["parasilo-3"]) == []
    assert short_name("parasilo-1.rennes") == "parasilo-1"


def test_before_the_subnets_are_known_only_declared_addresses_are_checked():
    layout = lay_out(guests(("a", {"ip": "10.156.4.9"}), "b"), None)
    assert addresses(layout) == [("a", "10.156.4.9", "00:16:3E:9C:04:09"), ("b", None, None)]
    with pytest.raises(FleetLayoutError, match="guests a and b are both given ip 10.156.4.9"):
        lay_out(guests(("a", {"ip": "10.156.4.9"}), ("b", {"ip": "10.156.4.9"})), None)


def test_without_blocks_declared_addresses_are_taken_as_they_are():
    assert addresses(lay_out(guests(("a", {"ip": "192.168.1.5"})), [])) == [("a", "192.168.1.5", "00:16:3E:A8:01:05")]


@pytest.mark.parametrize("specs, blocks, offset, message", [
    ([("a", {"ip": "10.157.0.1"})], BLOCK, 0, "guest a: ip 10.157.0.1 is not a usable address of 10.156.4.0/22"),
    ([("a", {"ip": "10.156.4.0"})], BLOCK, 0, "guest a: ip 10.156.4.0 is not a usable address"),
    ([("a", {"ip": "10.156.7.255"})], BLOCK, 0, "guest a: ip 10.156.7.255 is not a usable address"),
    ([("a", {"ip": "not-an-ip"})], BLOCK, 0, "guest a: ip 'not-an-ip' is not an IPv4 address"),
    ([("a", {"ip": "fe80::1"})], BLOCK, 0, "guest a: ip 'fe80::1' is not an IPv4 address"),
    ([("a", {"mac": "00:16:3e"})], BLOCK, 0, "guest a: mac '00:16:3e' is not a MAC address"),
    ([("a", {"ip": "10.156.4.9"}), ("b", {"ip": "10.156.4.9"})], BLOCK, 0,
     "guests a and b are both given ip 10.156.4.9"),
    ([("a", {"mac": "00:16:3e:00:00:01"}), ("b", {"mac": "00:16:3E:00:00:01"})], BLOCK, 0,
     "guests a and b are both given mac 00:16:3E:00:00:01"),
    # b's address gives the MAC a declared
    ([("a", {"mac": "00:16:3E:9C:04:09"}), ("b", {"ip": "10.156.4.9"})], BLOCK, 0,
     "guests a and b are both given mac 00:16:3E:9C:04:09"),
    (["a", "b", "c"], ["10.156.4.0/30"], 0, "3 guests need an address but 10.156.4.0/30 hold 2 usable addresses "
                                            "after an offset of 0: reserve more subnets"),
    ([("a", {"ip": "10.156.4.5"}), "b", "c"], ["10.156.4.0/29"], 4,
     "2 guests need an address but 10.156.4.0/29 hold 2 usable addresses after an offset of 4, 1 of them declared "
     "by guests: reserve more subnets (slash_22=N), or lower the offset"),
    (["a"], BLOCK, 2000, "1 guests need an address but 10.156.4.0/22 hold 0 usable addresses after an offset of 2000"),
    (["a"], [], 0, "1 guests have no declared ip and there is no subnet to take addresses from"),
    (["a"], ["10.156.4.0/33"], 0, "are not all IPv4 CIDRs"),
    (["a"], BLOCK, -1, "the address offset must be a whole number, 0 or more, got -1"),
])
def test_inputs_that_cannot_work_say_what_to_fix(specs, blocks, offset, message):
    with pytest.raises(FleetLayoutError) as caught:
        lay_out(guests(*specs), blocks, offset=offset)
    assert message in str(caught.value)
    assert isinstance(caught.value, PlacementError)  # the inventory and the filters catch one kind


def test_a_large_fleet_costs_only_the_addresses_it_takes():
    layout = lay_out(guests(*["vm%05d" % i for i in range(10240)]), ["10.156.0.0/16"])
    assert layout[-1]["ip"] == "10.156.40.0" and len(set(g["mac"] for g in layout)) == 10240
