# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OAR resource requests: validation and the ``-l`` string (PRIVATE, pure functions).

Public API (stable):

- ``VLAN_TYPES`` = kavlan-local, kavlan, kavlan-global.
- ``normalize_walltime(text)`` -> ``HH:MM:SS``; accepts the strings ``H``, ``H:MM``, ``H:MM:SS``;
  raises ``ValueError``, also for a number (YAML reads an unquoted ``2:00`` as the integer 120).
- ``walltime_seconds(text)`` -> the walltime in seconds.
- ``check_reservation(text)`` -> the date as OAR wants it (``YYYY-MM-DD hh:mm:ss`` or ``now``).
- ``build_resources(clusters, nodes, vlan, vlan_count, subnet_prefix, subnet_count, walltime)``
  -> ``{cluster='parasilo'}/nodes=3+{type='kavlan'}/vlan=1+slash_22=1,walltime=02:00:00``; the
  walltime goes inside the resources because the API truncates a top-level ``walltime`` to an int.
  Counts below 1 are refused (OAR would still reserve one).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

VLAN_TYPES = ("kavlan-local", "kavlan", "kavlan-global")
_WALLTIME_RE = re.compile(r"^(\d+)(?::([0-5]\d))?(?::([0-5]\d))?$")
_RESERVATION_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")


def _as_text_hint(number):
    """What a walltime YAML read as a number was probably written as, quoted."""
    if isinstance(number, float):
        hours, minutes = int(number), int(round((number - int(number)) * 60))
        if number > 0 and minutes < 60:
            return "OAR takes no decimal hours: for %s hours write walltime: \"%d:%02d\"" % (number, hours, minutes)
        return "write it as text: hours, H:MM or H:MM:SS"
    forms = []
    if number >= 60:  # YAML 1.1 reads a:b as a*60+b and a:b:c as a*3600+b*60+c
        forms.append("%d:%02d" % (number // 60, number % 60))
        if number >= 3600:
            forms.append("%d:%02d:%02d" % (number // 3600, number // 60 % 60, number % 60))
        return ("YAML reads an unquoted %s as %d (base 60), which OAR would take as %d hours. Quote what you wrote: "
                "%s" % (forms[-1], number, number, " or ".join('walltime: "%s"' % f for f in forms)))
    return "quote it: walltime: \"%d\" for %d hours, or \"0:%02d\" for %d minutes" % (number, number, number, number)


def normalize_walltime(text):
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError("walltime is %r, not text: give hours, H:MM or H:MM:SS, quoted (walltime: \"2:00\")" % (text,))
    if not isinstance(text, str):
        raise ValueError("walltime is the number %r, not text: %s" % (text, _as_text_hint(text)))
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
    for label, count in (("vlan_count", vlan_count), ("subnet_count", subnet_count)):
        if count is None or count < 1:
            raise ValueError("%s is %s: it must be at least 1 (leave %s out to reserve none)" % (
                label, count, "vlan" if label == "vlan_count" else "subnet_prefix"))
    parts = []
    for cluster in clusters or []:
        if cluster["nodes"] < 1:
            raise ValueError("%d nodes of cluster %s requested: give at least 1, or leave the cluster out" % (
                cluster["nodes"], cluster["name"]))
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
