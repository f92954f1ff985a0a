# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloud-init NoCloud seeds: the files, their digest, and the ISO (PRIVATE).

The seed is an ISO 9660 volume labelled ``cidata`` holding ``meta-data``, ``user-data`` and
``network-config``. The files are written as JSON (valid YAML for cloud-init), so no YAML library
is needed on the hypervisor. The ISO is made by whichever mkisofs-compatible tool the hypervisor has
(Debian: ``genisoimage``; ``xorrisofs`` and ``mkisofs`` take the same arguments).

Public API (stable):

- ``ISO_TOOLS``: tools tried, in order.
- ``GUEST_NIC``: name the guest's NIC gets (matched by its MAC).
- ``seed_files(name, hostname, ssh_keys, network)`` -> ``(files, digest)``: ``files`` maps file name
  to text, ``digest`` (sha256 hex) changes whenever any content changes. The instance-id is
  ``<name>-<digest prefix>``, so cloud-init applies a changed seed at the guest's next boot.
  ``network``: ``{"mode": "static"|"dhcp", "mac", "ip", "prefix", "gateway", "nameservers"}``.
- ``write_seed_iso(run_command, tool, files, path)``: builds the ISO beside ``path`` and renames it
  into place (a running guest keeps reading the old one). Raises ``SeedError`` on failure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shutil
import tempfile

ISO_TOOLS = ("genisoimage", "xorrisofs", "mkisofs")
GUEST_NIC = "eth0"


class SeedError(Exception):
    """The seed ISO could not be written."""


def _network_config(network):
    # The guest's one NIC, found by MAC and named eth0: renderers that cannot match by MAC
    # (ifupdown's, on Debian images) need a name, and the image's own naming may differ.
    nic = {"match": {"macaddress": network["mac"]}, "set-name": GUEST_NIC}
    if network["mode"] == "dhcp":
        nic["dhcp4"] = True
    else:
        nic["addresses"] = ["%s/%s" % (network["ip"], network["prefix"])]
        if network.get("gateway"):
            # "0.0.0.0/0", not "default": cloud-init 22.4 (Debian 12) refuses the keyword.
            nic["routes"] = [{"to": "0.0.0.0/0", "via": network["gateway"]}]
        if network.get("nameservers"):
            nic["nameservers"] = {"addresses": list(network["nameservers"])}
    return {"version": 2, "ethernets": {GUEST_NIC: nic}}


def _dump(data):
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def seed_files(name, hostname, ssh_keys, network):
    user_data = {"hostname": hostname, "preserve_hostname": False,
                 # Grid'5000 experimenters log in as root: the keys are root's too.
                 "disable_root": False, "ssh_pwauth": False,
                 "ssh_authorized_keys": list(ssh_keys or [])}
    files = {
        "user-data": "#cloud-config\n" + _dump(user_data),
        "network-config": _dump(_network_config(network)),
    }
    digest = hashlib.sha256()
    for file_name in sorted(files):
        digest.update(file_name.encode("utf-8") + b"\0" + files[file_name].encode("utf-8") + b"\0")
    digest = digest.hexdigest()
    files["meta-data"] = _dump({"instance-id": "%s-%s" % (name, digest[:12]), "local-hostname": hostname})
    return files, digest


def write_seed_iso(run_command, tool, files, path):
    directory = os.path.dirname(path)
    staging = tempfile.mkdtemp(prefix=".seed-", dir=directory)
    try:
        for file_name, text in files.items():
            with open(os.path.join(staging, file_name), "w") as handle:
                handle.write(text)
        partial = os.path.join(staging, "seed.iso")
        rc, out, err = run_command(
            [tool, "-quiet", "-output", partial, "-volid", "cidata", "-joliet", "-rock"]
            + [os.path.join(staging, file_name) for file_name in sorted(files)])
        if rc != 0:
            raise SeedError("%s failed for %s (rc=%s): %s" % (tool, path, rc, (err or out).strip()))
        os.chmod(partial, 0o644)
        os.rename(partial, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
