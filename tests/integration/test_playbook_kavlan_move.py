"""playbooks/kavlan_move.yml (and the role kavlan_move it runs) on the emulated site: bad input
changes nothing, check mode predicts the reservation, two nodes go into a routed VLAN and back
to DEFAULT without being lost, the node left in production reaches them neither by ping nor ARP,
a second run changes nothing; a move whose renewal cannot work fails saying where each node is;
a node the platform loses after the move is named with its VLAN, and after the redeployment the
message suggests a re-run converges."""
import pytest
import yaml
from fabric_harness import api_call, set_faults
from playbook_harness import (active_jobs, all_succeeded, assert_stopped_before_anything_changed, changed,
                              failure_messages, job_site, nothing_changed, run_playbook, task_results,
                              vlan_of)

pytestmark = pytest.mark.fabric

JOB = "d-kavlan-move-test"


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    yield from job_site(fabric_site, tmp_path_factory, JOB)


def play(site, *options, playbook="kavlan_move"):
    return run_playbook(playbook, site["url"], site["dir"], "-e", "kavlan_move_job_name=" + JOB,
                        "-e", "kavlan_move_key_file=%s.pub" % site["key"],
                        "-e", "ansible_ssh_private_key_file=%s" % site["key"],
                        "-e", "kavlan_move_output_dir=%s/results" % site["dir"], *options)


@pytest.mark.parametrize("option, says", [
    ("kavlan_move_cluster=parasil", "unknown cluster 'parasil'"),
    ("kavlan_move_nodes=40", "41 nodes of cluster parasilo requested"),
    ("kavlan_move_vlan_type=kavlan-locale", "kavlan_move_vlan_type (kavlan or kavlan-global"),
    ("kavlan_move_environment=debian12-mni", "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
    ("kavlan_move_nodes=1", "kavlan_move_nodes (2 or more"),
])
def test_bad_input_stops_before_anything_changes(site, option, says):
    assert_stopped_before_anything_changed(play(site, "-e", option), says)
    assert active_jobs(site["url"], name=JOB) == []


def test_check_then_round_trip_then_nothing_to_change(site):
    predicted = play(site, "--check")
    assert all_succeeded(predicted), predicted["stats"]
    assert changed(predicted) == 1          # the reservation; nodes and VLAN are unknown until OAR allocates
    assert active_jobs(site["url"], name=JOB) == []

    first = play(site)
    assert all_succeeded(first), (first["stats"], failure_messages(first))
    [job] = active_jobs(site["url"], name=JOB)
    record = yaml.safe_load((site["dir"] / "results" / ("job-rennes-%s.yml" % job["uid"])).read_text())
    moved, witness = sorted(record["nodes"]), record["witness"]
    assert len(moved) == 2 and witness not in moved
    vlan = int(record["vlan"])
    assert 4 <= vlan <= 9
    for node in moved:
        reference = api_call(site["url"], "GET", "/sites/rennes/clusters/parasilo/nodes/" + node.split(".")[0])
        # the address the node held in the VLAN, then in production again, both checked on the node
        assert record["nodes"][node] == reference["kavlan"]["eth0"]["kavlan-%d" % vlan], record
        assert record["back_in_production"][node] == reference["network_adapters"][0]["ip"], record
        assert vlan_of(site["url"], "rennes", node) == "DEFAULT"
    # the members reached each other inside the VLAN
    [pings] = task_results(first, "Ping every other node inside the VLAN")
    assert sorted(pings) == moved and all(not r.get("failed") for r in pings.values())
    # from production, the moved nodes' old addresses answered neither ping nor ARP
    [witness_pings] = task_results(first, "Ping each moved node's production address, which must fail")
    assert [r["rc"] for r in witness_pings[witness]["results"]] == [1, 1]
    [arp] = task_results(first, "Read the ARP entries of the moved nodes' production addresses")
    entries = [r["stdout"] for r in arp[witness]["results"]]
    assert len(entries) == 2 and all("lladdr" not in entry for entry in entries), entries
    # each direction renewed the nodes' network through the scheduled timer
    renewals = task_results(first, "Schedule the network renewal on the node (ifdown; ifup eth0)")
    assert len(renewals) == 2 and all(sorted(r) == moved for r in renewals)
    assert all(r["changed"] for run in renewals for r in run.values())

    again = play(site)
    assert nothing_changed(again), again["stats"]
    assert list(again["stats"]) == ["localhost"]
    assert nothing_changed(play(site, "--check"))
    assert len(active_jobs(site["url"], name=JOB)) == 1


MOVE_ONLY = """
- name: Move the job's first node with the role alone
  hosts: all
  gather_facts: false
  vars:
    ansible_user: root
    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  roles:
    - role: g5k.testbed.kavlan_move
"""

WAY_BACK = """
- name: Put the node back in production, as the failure message says
  hosts: all
  gather_facts: false
  vars:
    ansible_user: root
    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  tasks:
    - name: Move it to DEFAULT
      g5k.testbed.kavlan_vlan:
        nodes: ["{{ inventory_hostname }}"]
        vlan: DEFAULT
      delegate_to: localhost
    - name: Wait for it at its production address
      ansible.builtin.wait_for_connection:
        timeout: 60
"""


def test_a_move_that_cannot_renew_says_where_the_node_is(site):
    """The renewal restarts an interface the node lacks: the node keeps its production address
    in the VLAN, the wait fails, and the message names the VLAN KaVLAN has it in and the way back."""
    [listed] = active_jobs(site["url"], name=JOB)
    job = api_call(site["url"], "GET", "/sites/rennes/jobs/%s" % listed["uid"])
    node = sorted(job["assigned_nodes"])[0]
    vlan = str(job["resources_by_type"]["vlans"][0])
    playbook = site["dir"] / "move-only.yml"
    playbook.write_text(MOVE_ONLY)
    failed = run_playbook(playbook, site["url"], site["dir"], "-i", node + ",",
                          "-e", "ansible_ssh_private_key_file=%s" % site["key"],
                          "-e", "kavlan_move_vlan=%s" % vlan, "-e", "kavlan_move_interface=eth9",
                          "-e", "kavlan_move_timeout=15")
    assert failed["stats"][node]["failures"] == 1 and failed["stats"][node]["rescued"] == 1
    [message] = [m for m in failure_messages(failed) if m.startswith(node)]
    assert "should be in VLAN %s" % vlan in message and "KaVLAN has it in VLAN %s" % vlan in message, message
    assert "vlan=DEFAULT" in message, message
    # the way back the message gives works: DEFAULT again, and the node answers at its production address
    way_back = site["dir"] / "way-back.yml"
    way_back.write_text(WAY_BACK)
    back = run_playbook(way_back, site["url"], site["dir"], "-i", node + ",",
                        "-e", "ansible_ssh_private_key_file=%s" % site["key"])
    assert all_succeeded(back), failure_messages(back)
    assert vlan_of(site["url"], "rennes", node) == "DEFAULT"


REDEPLOY = """
- name: Redeploy the lost node, as the failure message says
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Redeploy it where it is
      g5k.testbed.kadeploy:
        nodes: ["{{ lost }}"]
        environment: debian12-min
        key_file: "{{ key_file }}"
        force: true
"""


def test_a_node_the_platform_loses_after_the_move_is_named_and_a_rerun_converges(site):
    """Fault: the switch leaves the node's port down after KaVLAN moved it (the node is in the
    VLAN for the API, and never answers there). The other node's move completes; the lost one
    fails naming the VLAN it is in; nothing is in a VLAN the run does not report; after the
    redeployment the message suggests, a re-run converges and a second one changes nothing."""
    [listed] = active_jobs(site["url"], name=JOB)
    job = api_call(site["url"], "GET", "/sites/rennes/jobs/%s" % listed["uid"])
    record = yaml.safe_load((site["dir"] / "results" / ("job-rennes-%s.yml" % job["uid"])).read_text())
    kept, lost = sorted(record["nodes"])          # the two the playbook moves (not its witness)
    vlan = str(job["resources_by_type"]["vlans"][0])
    assert vlan_of(site["url"], "rennes", kept) == vlan_of(site["url"], "rennes", lost) == "DEFAULT"
    playbook = site["dir"] / "move-only.yml"
    playbook.write_text(MOVE_ONLY)
    move = ["-i", "%s,%s," % (kept, lost), "-e", "ansible_ssh_private_key_file=%s" % site["key"],
            "-e", "kavlan_move_vlan=%s" % vlan, "-e", "kavlan_move_timeout=30"]
    assert set_faults(site["url"], nodes_lost_in_vlan_move=[lost.split(".")[0]])["nodes_lost_in_vlan_move"]
    try:
        failed = run_playbook(playbook, site["url"], site["dir"], *move)
    finally:
        set_faults(site["url"], nodes_lost_in_vlan_move=[])
    assert failed["stats"][kept]["failures"] == 0, failure_messages(failed)
    assert failed["stats"][lost]["failures"] == 1 and failed["stats"][lost]["rescued"] == 1
    [message] = [m for m in failure_messages(failed) if m.startswith(lost)]
    assert "should be in VLAN %s" % vlan in message and "KaVLAN has it in VLAN %s" % vlan in message, message
    assert "g5k.testbed.kadeploy" in message, message
    # every node is where the run says: kept moved (its check passed), lost reported in the VLAN
    [checks] = task_results(failed, "Check the node holds its address in VLAN %s" % vlan)
    assert not checks[kept].get("failed") and kept not in [m.split()[0] for m in failure_messages(failed)]
    assert vlan_of(site["url"], "rennes", kept) == vlan_of(site["url"], "rennes", lost) == vlan

    redeploy = site["dir"] / "redeploy.yml"
    redeploy.write_text(REDEPLOY)
    redeployed = run_playbook(redeploy, site["url"], site["dir"], "-e", "lost=%s" % lost,
                              "-e", "key_file=%s.pub" % site["key"])
    assert all_succeeded(redeployed), failure_messages(redeployed)
    rerun = run_playbook(playbook, site["url"], site["dir"], *move)
    assert all_succeeded(rerun), failure_messages(rerun)
    assert vlan_of(site["url"], "rennes", kept) == vlan_of(site["url"], "rennes", lost) == vlan
    assert nothing_changed(run_playbook(playbook, site["url"], site["dir"], *move))
