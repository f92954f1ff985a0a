"""playbooks/kavlan_local.yml on the emulated site: bad input changes nothing, check mode predicts
the reservation, the nodes of a local VLAN are reached only through its gateway with the SSH
configuration the play writes (ProxyJump), they reach each other, the controller cannot reach
them directly; a second run changes nothing."""

import socket

import pytest
from playbook_harness import (active_jobs, all_succeeded, assert_stopped_before_anything_changed, changed,
                              failure_messages, job_site, nothing_changed, run_playbook, task_results)

pytestmark = pytest.mark.fabric

JOB = "d-kavlan-local-test"


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    for where in job_site(fabric_site, tmp_path_factory, JOB):
        yield dict(where, gateway_key=fabric_site.user_key("jdoe"))


def play(site, *options):
    return run_playbook("kavlan_local", site["url"], site["dir"], "-e", "kavlan_local_job_name=" + JOB,
                        "-e", "kavlan_local_key_file=%s.pub" % site["key"],
                        "-e", "ansible_ssh_private_key_file=%s" % site["key"],
                        "-e", "kavlan_local_gateway_key=%s" % site["gateway_key"],
                        "-e", "kavlan_local_check_host_keys=false",
                        "-e", "kavlan_local_output_dir=%s/results" % site["dir"], *options)


@pytest.mark.parametrize("option, says", [
    ("kavlan_local_cluster=parasil", "unknown cluster 'parasil'"),
    ("kavlan_local_nodes=40", "40 nodes of cluster parasilo requested"),
    ("kavlan_local_environment=debian12-mni", "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
    ("kavlan_local_gateway_key=/nonexistent/key", "kavlan_local_gateway_key"),
])
def test_bad_input_stops_before_anything_changes(site, option, says):
    assert_stopped_before_anything_changed(play(site, "-e", option), says)
    assert active_jobs(site["url"], name=JOB) == []


def test_check_then_run_through_the_gateway_then_nothing_to_change(site):
    predicted = play(site, "--check")
    assert all_succeeded(predicted), predicted["stats"]
    assert changed(predicted) == 2          # the reservation and the output folder
    assert active_jobs(site["url"], name=JOB) == []

    first = play(site)
    assert all_succeeded(first), (first["stats"], failure_messages(first))
    [summary] = task_results(first, "Print the summary")
    shown = summary["localhost"]["msg"]
    vlan = shown["vlan"]
    assert 1 <= int(vlan) <= 3 and shown["gateway"] == "kavlan-%s.rennes.grid5000.fr" % vlan
    config = (site["dir"] / "results" / "ssh_config").read_text()
    assert "Host *-*-kavlan-%s *-*-kavlan-%s.*\n    ProxyJump kavlan-%s.rennes.grid5000.fr" % (vlan, vlan, vlan) in config
    assert len(shown["nodes"]) == 2
    for node, address in shown["nodes"].items():
        assert node.split(".")[0].endswith("-kavlan-" + vlan) and address.startswith("192.168."), shown
        # not routed: from the controller (the frontend) the node's SSH port does not answer
        with pytest.raises(OSError):
            socket.create_connection((address.split("/")[0], 22), timeout=3).close()
    [pings] = task_results(first, "Ping every other node inside the VLAN")
    assert sorted(pings) == sorted(shown["nodes"]) and not any(r.get("failed") for r in pings.values())

    again = play(site)
    assert nothing_changed(again), again["stats"]
    assert nothing_changed(play(site, "--check"))
