"""NetPIPE results into CSV files, one PNG plot and the tutorial's comparison.

Usage: netpipe_report.py OUTPUT_DIR LABEL=NETPIPE_FILE [LABEL=NETPIPE_FILE ...]

Each NETPIPE_FILE is what `NPtcp -o` / `NPmpi -o` write: one line per message size with the
size in bytes, the throughput in Mbps and the one-way time in seconds. Writes, in OUTPUT_DIR,
<label>.csv (bytes,mbps,usec) per curve, netpipe.png (bandwidth and latency against message size,
log scales) and comparison.json (median latency up to 64 bytes, peak bandwidth, and how much the
first curve improves latency and peak bandwidth over each other one), which it also prints.
"""
import csv
import json
import statistics
import sys
from pathlib import Path

import matplotlib

SMALL = 64
matplotlib.use("Agg")  # no display on the controller
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def read_netpipe(path):
    rows = []
    for line in Path(path).read_text().splitlines():
        fields = line.split()
        if len(fields) >= 3:
            rows.append((int(float(fields[0])), float(fields[1]), round(float(fields[2]) * 1e6, 3)))
    if not rows:
        raise SystemExit(f"{path}: no NetPIPE measurements in it")
    return sorted(rows)


def main(output_dir, curves):
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = {}
    for spec in curves:
        label, path = spec.split("=", 1)
        data[label] = read_netpipe(path)
        with open(out / f"{label}.csv", "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["bytes", "mbps", "usec"])
            writer.writerows(data[label])

    figure, (bandwidth, latency) = plt.subplots(1, 2, figsize=(12, 4.5))
    for label, rows in data.items():
        sizes = [r[0] for r in rows]
        bandwidth.plot(sizes, [r[1] for r in rows], marker=".", label=label)
        latency.plot(sizes, [r[2] for r in rows], marker=".", label=label)
    for axes, title, unit in ((bandwidth, "Bandwidth", "Mbps"), (latency, "Latency (one way)", "usec")):
        axes.set_xscale("log", base=2)
        axes.set_yscale("log")
        axes.set_xlabel("message size (bytes)")
        axes.set_ylabel(unit)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(out / "netpipe.png", dpi=100)

    # "latency at small sizes": the median over messages of up to SMALL bytes, steadier than one size
    comparison = {label: {"small_sizes_bytes": f"1-{SMALL}",
                          "latency_usec": round(statistics.median(r[2] for r in rows if r[0] <= SMALL), 2),
                          "peak_mbps": round(max(r[1] for r in rows), 2)} for label, rows in data.items()}
    first, *others = list(data)
    sentences = []
    for other in others:
        gain = 100 * (comparison[other]["latency_usec"] - comparison[first]["latency_usec"]) / comparison[other]["latency_usec"]
        peak = 100 * (comparison[first]["peak_mbps"] - comparison[other]["peak_mbps"]) / comparison[other]["peak_mbps"]
        sentences.append(f"{first} {'improves' if gain >= 0 else 'worsens'} latency by {abs(gain):.0f}% over {other} "
                         f"({comparison[first]['latency_usec']} vs {comparison[other]['latency_usec']} usec, median over "
                         f"{SMALL} bytes or less); peak bandwidth {comparison[first]['peak_mbps']}"
                         f" vs {comparison[other]['peak_mbps']} Mbps ({peak:+.0f}%)")
    comparison["summary"] = sentences
    (out / "comparison.json").write_text(json.dumps(comparison, indent=2) + "\n")
    print(json.dumps(comparison, indent=2))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
