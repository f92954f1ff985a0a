"""The filters playbooks/vm_fleet.yml is wired from: layout, one host's guests, bandwidth limits,
the image tree, phase times, the report files, the console tails and the kept placement."""

import json

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter import fleet_bandwidth as bandwidth_filter
from ansible_collections.g5k.testbed.plugins.filter import fleet_console_tails as tails_filter
from ansible_collections.g5k.testbed.plugins.filter import fleet_host as host_filter
from ansible_collections.g5k.testbed.plugins.filter import fleet_image_tree as tree_filter
from ansible_collections.g5k.testbed.plugins.filter import fleet_layout as layout_filter
from ansible_collections.g5k.testbed.plugins.filter import fleet_report as report_filter
from ansible_collections.g5k.testbed.plugins.filter import guest_placement as placement_filter
from ansible_collections.g5k.testbed.plugins.filter import guest_placement_mapping as mapping_filter
from ansible_collections.g5k.testbed.plugins.filter import phase_durations as phases_filter

PLACEMENT = ("guests: [vm-b, {name: vm-a, ip: 10.156.4.200, vcpus: 2}, vm-c]\n"
             "placement: {parasilo-1.rennes.grid5000.fr: [vm-a, vm-b], parasilo-2: [vm-c]}\n")


@pytest.mark.parametrize("module, name", [
    (layout_filter, "fleet_layout"), (host_filter, "fleet_host"), (bandwidth_filter, "fleet_bandwidth"),
    (tree_filter, "fleet_image_tree"), (phases_filter, "phase_durations"), (report_filter, "fleet_report"),
    (tails_filter, "fleet_console_tails"), (mapping_filter, "guest_placement_mapping")])
def test_each_filter_is_registered_under_its_file_name(module, name):
    assert list(module.FilterModule().filters()) == [name]


# ----- layout and one host's share

def layout(**options):
    return layout_filter.fleet_layout(placement_filter.guest_placement(PLACEMENT), ["10.156.4.0/22"], **options)


def test_layout_of_a_placement_with_play_defaults_and_bandwidth():
    limits = {"outbound": {"average": 1024}}
    guests = layout(offset=1, vcpus=1, memory=96, bandwidth=limits)
    assert guests == [
        {"name": "vm-b", "hypervisor": "parasilo-1.rennes.grid5000.fr", "ip": "10.156.4.2", "mac": "00:16:3E:9C:04:02",
         "vcpus": 1, "memory": 96, "bandwidth": limits},
        {"name": "vm-a", "hypervisor": "parasilo-1.rennes.grid5000.fr", "ip": "10.156.4.200",
         "mac": "00:16:3E:9C:04:C8", "vcpus": 2, "memory": 96, "bandwidth": limits},
        {"name": "vm-c", "hypervisor": "parasilo-2", "ip": "10.156.4.3", "mac": "00:16:3E:9C:04:03",
         "vcpus": 1, "memory": 96, "bandwidth": limits}]


def test_layout_errors_are_filter_errors_saying_what_to_fix():
    with pytest.raises(AnsibleFilterError, match="fleet layout: guest vm-a: ip 10.156.4.200 is not a usable address"):
        layout_filter.fleet_layout(placement_filter.guest_placement(PLACEMENT), ["10.156.8.0/22"])
    with pytest.raises(AnsibleFilterError, match="subnets must be a list of CIDRs"):
        layout_filter.fleet_layout(placement_filter.guest_placement(PLACEMENT), "10.156.4.0/22")
    with pytest.raises(AnsibleFilterError, match="guests declared twice: vm-a"):
        layout_filter.fleet_layout({"guests": [{"name": "vm-a", "hypervisor": "h-1"}] * 2}, ["10.156.4.0/22"])
    with pytest.raises(AnsibleFilterError, match="needs a name and a hypervisor"):
        layout_filter.fleet_layout({"guests": [{"name": "vm-a"}]}, ["10.156.4.0/22"])


def test_one_host_gets_its_guests_for_kvm_guest_and_for_its_dhcp_server():
    guests = layout(vcpus=1, memory=96)
    # in a VLAN the host is parasilo-1-kavlan-4...: its node name finds the placement's guests
    mine = host_filter.fleet_host(guests, ["parasilo-1-kavlan-4.rennes.grid5000.fr", "parasilo-1.rennes.grid5000.fr"])
    assert mine["guests"] == [
        {"name": "vm-b", "ip": "10.156.4.1", "mac": "00:16:3E:9C:04:01", "vcpus": 1, "memory": 96},
        {"name": "vm-a", "ip": "10.156.4.200", "mac": "00:16:3E:9C:04:C8", "vcpus": 2, "memory": 96}]
    assert mine["dhcp_hosts"] == [{"name": "vm-b", "ip": "10.156.4.1", "mac": "00:16:3E:9C:04:01"},
                                  {"name": "vm-a", "ip": "10.156.4.200", "mac": "00:16:3E:9C:04:C8"}]
    assert host_filter.fleet_host(guests, ["parasilo-2.rennes.grid5000.fr"])["dhcp_hosts"][0]["name"] == "vm-c"
    assert host_filter.fleet_host(guests, ["parasilo-3"]) == {"guests": [], "dhcp_hosts": []}
    with pytest.raises(AnsibleFilterError, match="names must be a list"):
        host_filter.fleet_host(guests, "parasilo-1")
    with pytest.raises(AnsibleFilterError, match="expects a fleet layout"):
        host_filter.fleet_host([{"name": "vm-a"}], ["parasilo-1"])


# ----- bandwidth

def settings(**values):
    made = {"inbound": {"average": 0, "peak": 0, "burst": 0}, "outbound": {"average": 0, "peak": 0, "burst": 0}}
    for key, value in values.items():
        direction, field = key.split("_")
        made[direction][field] = value
    return made


def test_bandwidth_limits_keep_what_is_not_zero_and_read_numbers_given_as_text():
    assert bandwidth_filter.fleet_bandwidth(settings()) == {}
    assert bandwidth_filter.fleet_bandwidth(settings(inbound_average="1000", inbound_peak=2000,
                                                     outbound_average=500, outbound_burst="64")) == {
        "inbound": {"average": 1000, "peak": 2000}, "outbound": {"average": 500, "burst": 64}}
    assert bandwidth_filter.fleet_bandwidth({"outbound": {"average": 10}}) == {"outbound": {"average": 10}}


@pytest.mark.parametrize("values, problems", [
    ({"inbound_average": "-1"}, ["vm_fleet_guest_inbound_average must be a whole number, 0 or more (now -1)"]),
    ({"outbound_burst": "1.5", "inbound_peak": "x"},
     ["vm_fleet_guest_inbound_peak must be a whole number, 0 or more (now x)",
      "vm_fleet_guest_outbound_burst must be a whole number, 0 or more (now 1.5)"]),
    ({"inbound_peak": 10}, ["vm_fleet_guest_inbound_peak and _burst need vm_fleet_guest_inbound_average"]),
    ({"outbound_burst": 10}, ["vm_fleet_guest_outbound_peak and _burst need vm_fleet_guest_outbound_average"]),
    ({"inbound_average": 100, "inbound_peak": 50}, ["vm_fleet_guest_inbound_peak (50) is below its average (100)"]),
])
def test_every_bandwidth_problem_is_named_by_its_variable(values, problems):
    with pytest.raises(AnsibleFilterError) as caught:
        bandwidth_filter.fleet_bandwidth(settings(**values))
    assert str(caught.value).startswith("Fix the bandwidth variables (KiB/s for average and peak, KiB for burst")
    assert str(caught.value).endswith(": %s." % "; ".join(problems))


def test_peak_equal_to_average_is_fine_and_prefix_names_other_variables():
    assert bandwidth_filter.fleet_bandwidth(settings(inbound_average=5, inbound_peak=5)) == {
        "inbound": {"average": 5, "peak": 5}}
    with pytest.raises(AnsibleFilterError, match="my_inbound_peak and _burst need my_inbound_average"):
        bandwidth_filter.fleet_bandwidth(settings(inbound_peak=1), prefix="my_")


# ----- image tree

def test_image_tree_rounds_each_holder_serves_at_most_fanout_hosts():
    hosts = ["h%d" % i for i in range(7)]
    assert tree_filter.fleet_image_tree(hosts, fanout=1) == [
        {"h1": "h0"}, {"h2": "h0", "h3": "h1"}, {"h4": "h0", "h5": "h1", "h6": "h2"}]
    assert tree_filter.fleet_image_tree(hosts, fanout=2) == [
        {"h1": "h0", "h2": "h0"}, {"h3": "h0", "h4": "h1", "h5": "h2", "h6": "h0"}]
    assert tree_filter.fleet_image_tree(["h0"], fanout=1) == [] and tree_filter.fleet_image_tree([], fanout=3) == []


@pytest.mark.parametrize("count, fanout", [(2, 1), (9, 2), (512, 1), (512, 3), (1000, 7)])
def test_image_tree_reaches_every_host_once_from_a_host_that_already_holds_it(count, fanout):
    hosts = ["h%d" % i for i in range(count)]
    rounds = tree_filter.fleet_image_tree(hosts, fanout=fanout)
    holding = {"h0"}
    for round_ in rounds:
        assert set(round_.values()) <= holding and not set(round_) & holding
        assert max(list(round_.values()).count(s) for s in set(round_.values())) <= fanout
        holding |= set(round_)
    assert holding == set(hosts)
    holders, expected_rounds = 1, 0
    while holders < count:
        holders, expected_rounds = holders * (fanout + 1), expected_rounds + 1
    assert len(rounds) == expected_rounds


def test_image_tree_refuses_bad_input():
    with pytest.raises(AnsibleFilterError, match="fanout must be a whole number of at least 1"):
        tree_filter.fleet_image_tree(["a", "b"], fanout=0)
    with pytest.raises(AnsibleFilterError, match="distinct hosts"):
        tree_filter.fleet_image_tree(["a", "a"])


# ----- phase times

def test_phase_durations_from_the_end_of_the_phase_before_skipping_phases_that_did_not_run():
    times = {"start": "100.0", "reserved": 112.34, "deployed": "160", "hypervisors": 200.06, "answered": 230}
    assert phases_filter.phase_durations(times, ["reserved", "deployed", "placed", "hypervisors", "answered"]) == {
        "reserved": 12.3, "deployed": 47.7, "hypervisors": 40.1, "answered": 29.9}
    assert list(phases_filter.phase_durations({"start": 0, "b": 2, "a": 1}, ["a", "b"])) == ["a", "b"]
    assert phases_filter.phase_durations({"start": 5}, ["a"]) == {}
    with pytest.raises(AnsibleFilterError, match="expects {start"):
        phases_filter.phase_durations({"reserved": 1}, ["reserved"])
    with pytest.raises(AnsibleFilterError, match="every time must be a number"):
        phases_filter.phase_durations({"start": "soon", "a": 1}, ["a"])


# ----- report and console tails

OUTCOMES = [
    {"host": "parasilo-1.rennes.grid5000.fr",
     "guests": [{"name": "vm-b", "ip": "10.156.4.1", "mac": "00:16:3E:9C:04:01"},
                {"name": "vm-a", "ip": "10.156.4.200", "mac": "00:16:3E:9C:04:C8"}],
     "sweep": {"answered": {"10.156.4.1": 3.2}, "missing": ["10.156.4.200"]},
     "leases": "1700000000 00:16:3e:9c:04:01 10.156.4.1 vm-b *\n"},
    {},  # a host that stopped before it had anything to report
    {"host": "parasilo-2.rennes.grid5000.fr",
     "guests": [{"name": "vm-c", "ip": "10.156.4.2", "mac": "00:16:3E:9C:04:02"}],
     "sweep": {"answered": {"10.156.4.2": 12.0}, "missing": []}, "leases": ""},
]


def test_report_files_and_counts():
    phases = {"reserved": 12.3, "deployed": 47.7}
    report = report_filter.fleet_report(OUTCOMES, job_name="fleet", site="rennes", fanout=2, phases=phases)
    assert (report["guests"], report["answered"], report["missing"]) == (3, 2, ["10.156.4.200"])
    assert report["files"]["guests.csv"] == (
        "name,hypervisor,ip,mac,answered_after_s,leased_by_own_hypervisor\n"
        "vm-b,parasilo-1.rennes.grid5000.fr,10.156.4.1,00:16:3E:9C:04:01,3.2,True\n"
        "vm-a,parasilo-1.rennes.grid5000.fr,10.156.4.200,00:16:3E:9C:04:C8,,False\n"
        "vm-c,parasilo-2.rennes.grid5000.fr,10.156.4.2,00:16:3E:9C:04:02,12.0,False\n")
    assert report["files"]["summary.md"] == (
        "# VM fleet fleet at rennes\n\n- hypervisors: 2; guests: 3\n"
        "- answered (pinged from their hypervisor): 2; missing: 1 10.156.4.200\n"
        "- base image tree fan-out: 2\n\n| phase | seconds |\n|---|---|\n| reserved | 12.3 |\n| deployed | 47.7 |\n")
    assert json.loads(report["files"]["phases.json"]) == phases
    assert list(json.loads(report["files"]["phases.json"])) == ["reserved", "deployed"]


def test_report_of_a_check_run_with_no_sweep_and_no_leases():
    report = report_filter.fleet_report([{"host": "h-1", "guests": [{"name": "a", "ip": "10.0.0.1", "mac": "M"}]}],
                                        job_name="j", site="s", fanout=1)
    assert report["files"]["guests.csv"].splitlines()[1] == "a,h-1,10.0.0.1,M,,False"
    assert "answered (pinged from their hypervisor): 0; missing: 0\n" in report["files"]["summary.md"]
    assert report["files"]["phases.json"] == "{}\n"
    with pytest.raises(AnsibleFilterError, match="is not {host, guests"):
        report_filter.fleet_report([{"host": "h-1", "guests": [{"name": "a"}]}], job_name="j", site="s", fanout=1)
    with pytest.raises(AnsibleFilterError, match="expects"):
        report_filter.fleet_report({"h-1": {}}, job_name="j", site="s", fanout=1)


def test_console_tails_by_guest_and_host_with_the_error_when_nothing_was_read():
    reads = [{"host": "h-1", "consoles": [{"item": {"name": "vm-a"}, "stdout_lines": ["login:"], "stderr": ""},
                                          {"item": {"name": "vm-b"}, "stdout_lines": [], "stderr": "tail: cannot open"},
                                          {"item": {"name": "vm-c"}, "skipped": True}]},
             {"host": "h-2", "consoles": []}, {"host": "h-3"}, {}]
    assert tails_filter.fleet_console_tails(reads) == {"vm-a on h-1": ["login:"], "vm-b on h-1": "tail: cannot open"}
    with pytest.raises(AnsibleFilterError):
        tails_filter.fleet_console_tails({"h-1": []})


# ----- the kept placement

def test_kept_placement_reads_back_to_the_same_guests_addresses_and_sizes():
    guests = layout(vcpus=1, memory=96)
    mapping = mapping_filter.guest_placement_mapping(guests, {"parasilo-1.rennes.grid5000.fr": [4, 8192]})
    assert mapping["placement"] == {"parasilo-1.rennes.grid5000.fr": ["vm-b", "vm-a"], "parasilo-2": ["vm-c"]}
    assert mapping["guests"][0] == {"name": "vm-b", "ip": "10.156.4.1", "mac": "00:16:3E:9C:04:01", "vcpus": 1,
                                    "memory": 96}
    again = placement_filter.guest_placement(yaml.safe_dump(mapping, sort_keys=False))
    assert layout_filter.fleet_layout(again, ["10.156.4.0/22"]) == guests
    with pytest.raises(AnsibleFilterError, match="guests with a name and a hypervisor"):
        mapping_filter.guest_placement_mapping([{"name": "a"}])
