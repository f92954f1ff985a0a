"""playbooks/kavlan_openmx.yml on the emulated site: bad input changes nothing, check mode
predicts the reservation; Open-MX cannot run here and the play says so in one line, then measures
NetPIPE over TCP and over MPI/TCP between two nodes of a routed VLAN: one CSV per curve whose rows
parse, a PNG with the two curves, the comparison printed; a second run changes nothing."""
import csv
import json
import matplotlib.image
import numpy
import pytest
from playbook_harness import (active_jobs, all_succeeded, assert_stopped_before_anything_changed, changed,
                              failure_messages, job_site, nothing_changed, run_playbook, task_results)

pytestmark = pytest.mark.fabric

JOB = "d-kavlan-openmx-test"
CURVE_COLOURS = {"mpi-tcp": (0x1f, 0x77, 0xb4), "tcp": (0xff, 0x7f, 0x0e)}   # matplotlib's C0, C1


@pytest.fixture(scope="module")
def site(fabric_site, tmp_path_factory):
    yield from job_site(fabric_site, tmp_path_factory, JOB)


def play(site, *options):
    return run_playbook("kavlan_openmx", site["url"], site["dir"], "-e", "kavlan_openmx_job_name=" + JOB,
                        "-e", "kavlan_openmx_key_file=%s.pub" % site["key"],
                        "-e", "ansible_ssh_private_key_file=%s" % site["key"],
                        "-e", "kavlan_openmx_netpipe_max_bytes=65536",
                        "-e", "kavlan_openmx_output_dir=%s/results" % site["dir"], *options)


@pytest.mark.parametrize("option, says", [
    ("kavlan_openmx_cluster=parasil", "unknown cluster 'parasil'"),
    ("kavlan_openmx_nodes=40", "40 nodes of cluster parasilo requested"),
    ("kavlan_openmx_environment=debian12-mni", "environment 'debian12-mni' does not exist at rennes: did you mean debian12-min"),
    ("kavlan_openmx_netpipe_max_bytes=10", "kavlan_openmx_netpipe_max_bytes (1024 or more)"),
])
def test_bad_input_stops_before_anything_changes(site, option, says):
    assert_stopped_before_anything_changed(play(site, "-e", option), says)
    assert active_jobs(site["url"], name=JOB) == []


def pixels_of(image, colour, tolerance=0.02):
    rgb = image[..., :3]
    return int((numpy.abs(rgb - numpy.array(colour) / 255.0) < tolerance).all(axis=-1).sum())


def test_check_then_measure_then_nothing_to_change(site):
    predicted = play(site, "--check")
    assert all_succeeded(predicted), predicted["stats"]
    assert changed(predicted) == 1
    assert active_jobs(site["url"], name=JOB) == []

    first = play(site)
    assert all_succeeded(first), (first["stats"], failure_messages(first))
    [said] = task_results(first, "Say in one line whether Open-MX can run")
    [line] = [r["msg"] for r in said.values()]
    assert line.startswith("Open-MX cannot run here: no source archive") and "\n" not in line
    [job] = active_jobs(site["url"], name=JOB)
    results = site["dir"] / "results" / ("job-rennes-%s" % job["uid"])
    for curve in CURVE_COLOURS:
        with open(results / ("%s.csv" % curve)) as stream:
            rows = list(csv.DictReader(stream))
        sizes = [int(row["bytes"]) for row in rows]
        assert len(rows) > 10 and sizes == sorted(sizes) and sizes[-1] >= 65536 // 2
        assert all(float(row["mbps"]) > 0 and float(row["usec"]) > 0 for row in rows)
    plot = results / "netpipe.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(str(plot))
    for curve, colour in CURVE_COLOURS.items():
        assert pixels_of(image, colour) > 200, "no %s curve in the plot" % curve
    comparison = json.loads((results / "comparison.json").read_text())
    assert set(comparison) == {"mpi-tcp", "tcp", "summary"}
    assert comparison["summary"][0].startswith("mpi-tcp ") and "latency by" in comparison["summary"][0]
    [printed] = task_results(first, "Print the comparison")
    assert printed["localhost"]["msg"]["summary"] == comparison["summary"]

    again = play(site)
    assert nothing_changed(again), again["stats"]
    assert nothing_changed(play(site, "--check"))
