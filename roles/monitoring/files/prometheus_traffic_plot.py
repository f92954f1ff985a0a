"""Plot of the NICs' traffic a Prometheus collector saw over a time window (role
g5k.testbed.monitoring, entry point traffic_plot).

Asks the collector's HTTP API (/api/v1/query_range) for the receive and transmit rates of the
node agents' interfaces, keeps both answers in <output>.json and draws one curve per
(node, interface, direction) into <output>, in Mbit/s. Prints one line per curve with its peak.
"""
import argparse
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a frontend or in CI
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
DIRECTIONS = ("receive", "transmit")


def seconds(duration):
    """Seconds of a Prometheus duration such as 1s or 500ms."""
    match = DURATION.match(duration)
    if not match:
        raise SystemExit("not a Prometheus duration: %r" % duration)
    return int(match.group(1)) * SECONDS[match.group(2)]


def query_range(url, query, start, end, step):
    parameters = urllib.parse.urlencode({"query": query, "start": start, "end": end, "step": step})
    with urllib.request.urlopen("%s/api/v1/query_range?%s" % (url.rstrip("/"), parameters),
                                timeout=30) as answer:
        document = json.loads(answer.read().decode())
    if document.get("status") != "success":
        raise SystemExit("%s answered %s" % (url, document))
    return document["data"]["result"]


def short_host(instance):
    """parasilo-1 for parasilo-1.rennes.grid5000.fr:9100; an address (a guest's) stays whole."""
    host = instance.rsplit(":", 1)[0]
    return host if host.replace(".", "").isdigit() else host.split(".")[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--start", type=float, required=True)
    parser.add_argument("--end", type=float, required=True)
    parser.add_argument("--step", default="1s")
    parser.add_argument("--devices", default="eth0|eth1")
    parser.add_argument("--output", type=Path, required=True)
    options = parser.parse_args()

    step = seconds(options.step)
    # A rate needs two samples at least: its window spans a few scrapes.
    window = "%ds" % max(2, round(3 * step))
    answers = {}
    for direction in DIRECTIONS:
        query = 'rate(node_network_%s_bytes_total{device=~"%s"}[%s]) * 8' % (direction, options.devices, window)
        answers[direction] = {"query": query, "result": query_range(options.url, query, options.start,
                                                                    options.end, step)}
    options.output.with_suffix(".json").write_text(json.dumps(
        {"url": options.url, "start": options.start, "end": options.end, "step": step,
         "answers": answers}, indent=1))

    figure, axes = plt.subplots(figsize=(9, 4.5))
    curves = 0
    for direction, answer in answers.items():
        for series in sorted(answer["result"], key=lambda s: (s["metric"]["instance"], s["metric"]["device"])):
            times = [float(stamp) - options.start for stamp, value in series["values"]]
            mbits = [float(value) / 1e6 for stamp, value in series["values"]]
            label = "%s %s %s" % (short_host(series["metric"]["instance"]), series["metric"]["device"], direction)
            axes.plot(times, mbits, linestyle="-" if direction == "transmit" else "--", label=label)
            print("%s: peak %.1f Mbit/s over %d samples" % (label, max(mbits, default=0.0), len(mbits)))
            curves += 1
    if not curves:
        raise SystemExit("the collector holds no traffic sample between %s and %s" % (options.start, options.end))
    axes.set_xlabel("time since the start of the run (s)")
    axes.set_ylabel("traffic (Mbit/s)")
    axes.set_title("NICs' traffic seen by Prometheus")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small", loc="upper right")
    figure.tight_layout()
    figure.savefig(options.output, dpi=100)
    plt.close(figure)
    print("plot in %s, query answers in %s" % (options.output, options.output.with_suffix(".json")))


if __name__ == "__main__":
    main()
