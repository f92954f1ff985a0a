"""CSV and throughput plot of one iperf3 run (role g5k.testbed.iperf3, entry point report).

Reads every pair-<N>.json (iperf3 --json) of the run folder given as argument and writes there:
- iperf3.csv: one row per pair and interval (pair, start, end, bytes, bits_per_second, retransmits);
- throughput.png: throughput over time, one curve per pair.
Prints one summary line per pair (mean throughput over the whole transfer).
"""
import csv
import json
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a frontend or in CI
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

PAIR_FILE = re.compile(r"^pair-(\d+)\.json$")
CSV_FIELDS = ["pair", "start", "end", "bytes", "bits_per_second", "retransmits"]


def read_pairs(run_dir):
    """{pair number: iperf3 report} of the run, in pair order."""
    pairs = {}
    for path in run_dir.iterdir():
        match = PAIR_FILE.match(path.name)
        if match:
            report = json.loads(path.read_text())
            if "error" in report:
                raise SystemExit("%s: iperf3 failed: %s" % (path, report["error"]))
            pairs[int(match.group(1))] = report
    if not pairs:
        raise SystemExit("%s holds no pair-<N>.json report" % run_dir)
    return dict(sorted(pairs.items()))


def interval_rows(pair, report):
    """One CSV row per periodic report; `sum` adds up the parallel streams."""
    for interval in report["intervals"]:
        total = interval["sum"]
        yield {"pair": pair, "start": round(total["start"], 3), "end": round(total["end"], 3),
               "bytes": total["bytes"], "bits_per_second": round(total["bits_per_second"]),
               "retransmits": total.get("retransmits", "")}


def write_csv(path, pairs):
    rows = [row for pair, report in pairs.items() for row in interval_rows(pair, report)]
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def plot_throughput(path, pairs, rows):
    figure, axes = plt.subplots(figsize=(9, 4.5))
    for pair, report in pairs.items():
        mine = [row for row in rows if row["pair"] == pair]
        start = report["start"]
        label = "pair %d: %s -> %s" % (pair, start["connected"][0]["local_host"],
                                       start["connected"][0]["remote_host"])
        axes.plot([row["end"] for row in mine], [row["bits_per_second"] / 1e9 for row in mine],
                  marker="o", label=label)
    axes.set_xlabel("time since the start of the transfer (s)")
    axes.set_ylabel("throughput (Gbit/s)")
    axes.set_ylim(bottom=0)
    axes.set_title("iperf3 throughput per pair")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(run_dir):
    pairs = read_pairs(run_dir)
    rows = write_csv(run_dir / "iperf3.csv", pairs)
    plot_throughput(run_dir / "throughput.png", pairs, rows)
    for pair, report in pairs.items():
        received = report["end"]["sum_received"]
        print("pair %d: %.2f Gbit/s over %.1f s (%d intervals)"
              % (pair, received["bits_per_second"] / 1e9, received["seconds"],
                 len(report["intervals"])))
    print("results in %s: iperf3.csv, throughput.png" % run_dir)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: iperf3_report.py RUN_DIR")
    main(Path(sys.argv[1]))
