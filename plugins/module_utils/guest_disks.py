# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""qcow2 overlays on a base image, with qemu-img (PRIVATE).

Public API (stable):

- ``DiskError``: qemu-img failed or an image is unusable; the message names the file.
- ``size_bytes(text)`` -> bytes of a qemu-img size (``10G``, ``512M``, ``1073741824``); ValueError if not one.
- ``image_info(run_command, qemu_img, path)`` -> qemu-img's JSON info (format, virtual-size...).
- ``create_overlay(run_command, qemu_img, base, base_format, path, size=None)``: a qcow2 whose backing
  file is ``base`` with its format written explicitly (``-F``), so qemu never probes the base's format.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

_SIZE = re.compile(r"^([0-9]+)([KMGT]?)$")
_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


class DiskError(Exception):
    """A disk image could not be read or created."""


def size_bytes(text):
    match = _SIZE.match(str(text).strip().upper())
    if not match:
        raise ValueError("%r is not a disk size such as 10G, 512M or a number of bytes" % (text,))
    return int(match.group(1)) * _UNITS[match.group(2)]


def image_info(run_command, qemu_img, path):
    # -U: the base is open read-only by running guests; reading its header is safe.
    rc, out, err = run_command([qemu_img, "info", "-U", "--output=json", path])
    if rc != 0:
        raise DiskError("qemu-img cannot read %s: %s" % (path, (err or out).strip()))
    return json.loads(out)


def create_overlay(run_command, qemu_img, base, base_format, path, size=None):
    command = [qemu_img, "create", "-q", "-f", "qcow2", "-F", base_format, "-b", base, path]
    if size:
        command.append(str(size_bytes(size)))
    rc, out, err = run_command(command)
    if rc != 0:
        raise DiskError("qemu-img could not create %s on %s: %s" % (path, base, (err or out).strip()))
