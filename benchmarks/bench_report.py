"""What every benchmark writes: benchmarks/results/<name>.json (figures, machine, verdict) and
<name>.md (the same as a markdown table), so `make bench` leaves comparable files behind."""

import json
import os
import platform
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def machine():
    """The machine a figure was measured on; the load average says how busy it was."""
    with open("/proc/meminfo") as handle:
        memory_kb = int(next(line for line in handle if line.startswith("MemTotal:")).split()[1])
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "memory_gb": round(memory_kb / 1024 ** 2, 1), "load_average_1min": round(os.getloadavg()[0], 2),
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def machine_line(described):
    return ("%(measured_at)s on %(platform)s, Python %(python)s, %(cpus)d CPUs, %(memory_gb)s GB, "
            "load average %(load_average_1min)s at the end (the machine is shared with other jobs)" % described)


def ratio(value, baseline):
    return round(value / baseline, 2) if baseline else None


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write(name, figures, markdown, results_dir=RESULTS):
    """Write <name>.json and <name>.md under results_dir; return their paths."""
    os.makedirs(results_dir, exist_ok=True)
    paths = (os.path.join(results_dir, name + ".json"), os.path.join(results_dir, name + ".md"))
    with open(paths[0], "w") as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)
        handle.write("\n")
    with open(paths[1], "w") as handle:
        handle.write(markdown.rstrip("\n") + "\n")
    return paths
