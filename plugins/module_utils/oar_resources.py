# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OAR resource requests: validation and the ``-l`` string (PRIVATE, pure functions).

Public API (stable):

- ``VLAN_TYPES`` = kavlan-local, kavlan, kavlan-global.
- ``normalize_walltime(text)`` -> ``HH:MM:SS``; accepts ``H``, ``H:MM``, ``H:MM:SS``; raises ``ValueError``.
- ``check_reservation(text)`` -> the date as OAR wants it (``YYYY-MM-DD hh:mm:ss`` or ``now``).
- ``build_resources(clusters, nodes, vlan, vlan_count, subnet_prefix, subnet_count, walltime)``
  -> ``{cluster='parasilo'}/nodes=3+{type='kavlan'}/vlan=1+slash_22=1,walltime=02:00:00``; the
  walltime goes inside the resources because the API truncates a top-level ``walltime`` to an int.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

VLAN_TYPES = ("kavlan-local", "kavlan", "kavlan-global")
_WALLTIME_RE = re.compile(r"^(\d+)(?::([0-5]\d))?(?::([0-5]\d))?$")
_RESERVATION_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")


def normalize_walltime(text):
    match = _WALLTIME_RE.match(str(text).strip())
    if not match:
        raise ValueError("walltime %r is malformed: use hours, H:MM or H:MM:SS (for example 2:00:00)" % (text,))
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    if hours == minutes == seconds == 0:
        raise ValueError("walltime %r is zero: a job needs some time" % (text,))
    return "%02d:%02d:%02d" % (hours, minutes, seconds)


def walltime_seconds(text):
    hours, minutes, seconds = (int(p) for p in normalize_walltime(text).split(":"))
    return hours * 3600 + minutes * 60 + seconds


def check_reservation(text):
    text = str(text).strip()
    if text == "now":
        return text
    if not _RESERVATION_RE.match(text):
        raise ValueError("reservation date %r is malformed: use 'YYYY-MM-DD hh:mm:ss' (for example "
                         "'2026-03-01 19:00:00') or 'now'" % (text,))
    return text if text.count(":") == 2 else text + ":00"


def build_resources(clusters=None, nodes=None, vlan=None, vlan_count=1, subnet_prefix=None, subnet_count=1,
                    walltime=None):
    parts = []
    for cluster in clusters or []:
        parts.append("{cluster='%s'}/nodes=%d" % (cluster["name"], cluster["nodes"]))
    if nodes:
        quoted = ", ".join("'%s'" % n for n in sorted(nodes))
        parts.append("{network_address in (%s)}/nodes=%d" % (quoted, len(nodes)))
    if vlan:
        if vlan not in VLAN_TYPES:
            raise ValueError("vlan type %r is unknown: use one of %s" % (vlan, ", ".join(VLAN_TYPES)))
        parts.append("{type='%s'}/vlan=%d" % (vlan, vlan_count))
    if subnet_prefix:
        if not 16 <= int(subnet_prefix) <= 22:
            raise ValueError("subnet_prefix %s is out of range: OAR reserves /16 to /22 subnets" % subnet_prefix)
        parts.append("slash_%d=%d" % (subnet_prefix, subnet_count))
    if not parts:
        raise ValueError("nothing to reserve: give clusters, nodes, vlan, subnet_prefix or resources")
    text = "+".join(parts)
    if walltime:
        text += ",walltime=%s" % normalize_walltime(walltime)
    return text
