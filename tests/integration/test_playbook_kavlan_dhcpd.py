"""playbooks/kavlan_dhcpd.yml on the emulated site: bad input changes nothing, check mode
predicts the reservation, the VLAN's own DHCP is stopped and our server (the dhcpd role, fixed
hosts from the Reference API) gives the other nodes their leases, which it holds; a second run
changes nothing; asked to restore, the VLAN's DHCP serves the clients again."""
import os
import signal
import subprocess
import time

import pytest
import yaml
from playbook_harness import (BIN, ROOT, active_jobs, all_succeeded, assert_stopped_before_anything_changed,
                              changed, failure_messages, job_site, nothing_changed, run_playbook)

pytestmark = pytest.mark.fabric

JOB = "d-kavlan-dhcpd-test"


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    yield from job_site(fabric_site, tmp_path_factory, JOB)


def play(site, *options, credentials="environment"):
    return run_playbook("kavlan_dhcpd", site["url"], site["dir"], "-e", "kavlan_dhcpd_job_name=" + JOB,
                        "-e", "kavlan_dhcpd_key_file=%s.pub" % site["key"],
                        "-e", "ansible_ssh_private_key_file=%s" % site["key"],
                        "-e", "kavlan_dhcpd_output_dir=%s/results" % site["dir"], *options, credentials=credentials)


def results(site):
    [job] = active_jobs(site["url"], name=JOB)
    return yaml.safe_load((site["dir"] / "results" / ("job-rennes-%s.yml" % job["uid"])).read_text())


@pytest.mark.parametrize("option, says", [
    ("kavlan_dhcpd_cluster=parasil", "unknown cluster 'parasil'"),
    ("kavlan_dhcpd_nodes=40", "40 nodes of cluster parasilo requested"),
    ("kavlan_dhcpd_vlan_type=kavlan-local", "kavlan_dhcpd_vlan_type (kavlan or kavlan-global"),
    ("kavlan_dhcpd_environment=debian12-mni", "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
])
def test_bad_input_stops_before_anything_changes(site, option, says):
    assert_stopped_before_anything_changed(play(site, "-e", option), says)
    assert active_jobs(site["url"], name=JOB) == []


def test_our_server_gives_the_leases_then_nothing_to_change_then_restore(site):
    predicted = play(site, "--check")
    assert all_succeeded(predicted), predicted["stats"]
    assert changed(predicted) == 1          # the reservation; the rest needs the nodes OAR allocates
    assert active_jobs(site["url"], name=JOB) == []

    first = play(site)
    assert all_succeeded(first), (first["stats"], failure_messages(first))
    ours = results(site)
    assert ours["vlan_dhcp"] == "stopped (kavlan -d)" and ours["backend"] == "kea"
    server_ip = ours["server_ip"]
    assert server_ip.startswith("10.2"), ours                       # the server's address in the VLAN
    assert len(ours["clients"]) == 2 and ours["server"] not in ours["clients"]
    for client, lease in ours["clients"].items():
        assert lease["served_by"] == server_ip, ours                  # the lease came from our server
        assert lease["address"].split("/")[0] in ours["server_leases"], ours   # and our server holds it
        number = client.split("-kavlan-")[0].split("-")[-1]
        assert lease["address"].split("/")[0].endswith("." + number), ours     # the fixed host of that node

    # The modules and the dhcpd role's Reference API read find the credentials in
    # ~/.python-grid5000.yaml alone, as a python-grid5000 user keeps them.
    again = play(site, credentials="config")
    assert nothing_changed(again), (again["stats"], failure_messages(again))
    assert nothing_changed(play(site, "--check"))
    assert results(site) == ours

    restored = play(site, "-e", "kavlan_dhcpd_restore=true")
    assert all_succeeded(restored), failure_messages(restored)
    platform = results(site)
    assert platform["vlan_dhcp"] == "restored"
    for client, lease in platform["clients"].items():
        # the VLAN's own server answers again, with the same address
        assert lease["served_by"] not in ("", server_ip), platform
        assert lease["address"] == ours["clients"][client]["address"]


WRITE_TASK = "TASK [g5k.testbed.dhcpd : Write the DHCP server configuration, checked by the server first]"


def on_server(site, address, command):
    return subprocess.run(["ssh", "-i", str(site["key"]), "-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes",
                           "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@" + address, command],
                          capture_output=True, text=True, timeout=120)


def test_a_run_cut_while_writing_the_configuration_leaves_no_half_file_and_a_rerun_converges(site):
    """The controller dies (SIGKILL) once the server's configuration is being written with a new
    lease time: the file on the server is the old one or the new one, whole and accepted by Kea,
    never a mix; a rerun writes the new one and a second rerun changes nothing."""
    server_ip = results(site)["server_ip"]
    options = ["-e", "dhcpd_default_lease_time=1800"]
    command = [str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / "kavlan_dhcpd.yml"),
               "-e", "kavlan_dhcpd_job_name=" + JOB, "-e", "kavlan_dhcpd_key_file=%s.pub" % site["key"],
               "-e", "ansible_ssh_private_key_file=%s" % site["key"],
               "-e", "kavlan_dhcpd_output_dir=%s/results" % site["dir"], *options]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               G5K_API_URI=site["url"], G5K_API_USERNAME="jdoe", G5K_API_PASSWORD="jdoe-secret")
    run = subprocess.Popen(command, env=env, cwd=site["dir"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True)
    seen = []
    try:
        for line in run.stdout:
            seen.append(line)
            if line.startswith(WRITE_TASK):
                time.sleep(1)      # inside the write: the file is on its way or being checked
                break
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
    assert any(line.startswith(WRITE_TASK) for line in seen), "".join(seen[-40:])
    checked = on_server(site, server_ip, "kea-dhcp4 -t /etc/kea/kea-dhcp4.conf >/dev/null && "
                                         "grep -o '\"valid-lifetime\": [0-9]*' /etc/kea/kea-dhcp4.conf")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.split() in (["\"valid-lifetime\":", "3600"], ["\"valid-lifetime\":", "1800"]), checked.stdout

    rerun = play(site, *options)
    assert all_succeeded(rerun), failure_messages(rerun)
    written = on_server(site, server_ip, "grep -c '\"valid-lifetime\": 1800' /etc/kea/kea-dhcp4.conf")
    assert written.stdout.strip() == "1", written.stdout + written.stderr
    assert nothing_changed(play(site, *options))
