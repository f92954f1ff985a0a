"""Ping sweep run ON a hypervisor: which of its guests answer, within a deadline.

Usage: vm_fleet_sweep.py TIMEOUT_SECONDS IP [IP...]
Pings every address not yet answered, all at once, once a second, until all answer or the
deadline passes; prints JSON {"answered": {ip: seconds}, "missing": [ip]} (seconds since start).
One process per hypervisor, so a fleet of N guests costs the controller one task, not N SSH sessions.
"""
import json
import subprocess
import sys
import time


def sweep(timeout, addresses):
    start = time.monotonic()
    answered = {}
    while True:
        pending = [ip for ip in addresses if ip not in answered]
        if not pending or time.monotonic() - start > timeout:
            break
        pings = {ip: subprocess.Popen(["ping", "-n", "-q", "-c", "1", "-W", "1", ip],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for ip in pending}
        for ip, ping in pings.items():
            if ping.wait() == 0:
                answered[ip] = round(time.monotonic() - start, 1)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - start) % 1.0))
    return {"answered": answered, "missing": [ip for ip in addresses if ip not in answered]}


if __name__ == "__main__":
    print(json.dumps(sweep(float(sys.argv[1]), sys.argv[2:])))
