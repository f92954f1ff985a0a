# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grid'5000 host and interface names, in and out of KaVLAN VLANs (PRIVATE, pure functions).

Public API (stable):

- ``DOMAIN`` = ``grid5000.fr``
- ``split_node_name(name, default_site=None)`` -> ``(short, site)``: accepts ``parasilo-1``,
  ``parasilo-1.rennes`` and ``parasilo-1.rennes.grid5000.fr``; raises ``ValueError``.
- ``cluster_of(short)`` -> ``parasilo`` for ``parasilo-12``.
- ``node_fqdn(short, site)`` -> ``parasilo-1.rennes.grid5000.fr``.
- ``vlan_hostname(short, site, vlan, device=None)`` -> the DNS name of the node (or of one of its
  interfaces) in VLAN ``vlan``: ``parasilo-1-kavlan-4.rennes.grid5000.fr``,
  ``parasilo-1-eth1-kavlan-4.rennes.grid5000.fr``; ``vlan`` None or ``DEFAULT`` gives the
  production name. The domain is the NODE's site, also for global VLANs.
- ``local_vlan_gateway(site, vlan)`` -> ``kavlan-1.rennes.grid5000.fr``, the SSH jump host of a
  local (non-routed) VLAN.
- ``LOCAL_VLAN_TYPE`` = ``kavlan-local``, the type of those VLANs (reached only through that host).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DOMAIN = "grid5000.fr"
DEFAULT_VLAN = "DEFAULT"
LOCAL_VLAN_TYPE = "kavlan-local"
_SHORT_RE = re.compile(r"^(?P<cluster>[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-(?P<number>[0-9]+)$")


def split_node_name(name, default_site=None):
    """``(short, site)`` of a node name; a short name takes ``default_site``."""
    text = str(name).strip().lower()
    if text.endswith("." + DOMAIN):
        text = text[:-len(DOMAIN) - 1]
    parts = text.split(".")
    if len(parts) == 1:
        short, site = parts[0], default_site
    elif len(parts) == 2:
        short, site = parts
    else:
        raise ValueError("%r is not a Grid'5000 node name (expected node, node.site or node.site.%s)" % (name, DOMAIN))
    if not _SHORT_RE.match(short):
        raise ValueError("%r is not a Grid'5000 node name (expected <cluster>-<number>)" % name)
    if not site:
        raise ValueError("%r has no site: give a FQDN (%s.<site>.%s) or the site option" % (name, short, DOMAIN))
    return short, site


def cluster_of(short):
    match = _SHORT_RE.match(short)
    if not match:
        raise ValueError("%r is not a Grid'5000 node name (expected <cluster>-<number>)" % short)
    return match.group("cluster")


def node_fqdn(short, site):
    return "%s.%s.%s" % (short, site, DOMAIN)


def vlan_hostname(short, site, vlan=None, device=None):
    base = short if device is None else "%s-%s" % (short, device)
    if vlan is None or str(vlan) == DEFAULT_VLAN:
        return "%s.%s.%s" % (base, site, DOMAIN)
    return "%s-kavlan-%s.%s.%s" % (base, vlan, site, DOMAIN)


def local_vlan_gateway(site, vlan):
    return "kavlan-%s.%s.%s" % (vlan, site, DOMAIN)
