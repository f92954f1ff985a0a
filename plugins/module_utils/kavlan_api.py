# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KaVLAN calls: read and set the VLAN of node interfaces, DHCP switch (PRIVATE).

Public API (stable):

- ``read_membership(client, site, names)`` -> ``{interface name: vlan id string}`` with ONE
  request (``POST /sites/{site}/vlans/nodes``, a read); names KaVLAN does not know are absent.
- ``set_membership(client, site, vlan, names)`` -> the API's per-name answer, ONE request
  (``POST /sites/{site}/vlans/{vlan}/nodes``); ``site`` must be the NODES' site, also for a
  global VLAN owned by another site.
- ``failures_of(answer, names)`` -> ``[(name, message)]`` for ``failure`` statuses.
- ``set_dhcpd(client, site, vlan, action)``: ``PUT /sites/{site}/vlans/{vlan}/dhcpd``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import path_of


def read_membership(client, site, names):
    data = client.post(path_of("sites", site, "vlans", "nodes"), sorted(names),
                       "read the VLAN of %d interfaces at %s" % (len(names), site), idempotent=True)
    items = data.get("items", []) if isinstance(data, dict) else (data or [])
    return dict((item["uid"], str(item.get("vlan"))) for item in items if item.get("uid") in names)


def set_membership(client, site, vlan, names):
    # Setting membership is idempotent, so a retry after a 5xx cannot do harm.
    return client.post(path_of("sites", site, "vlans", vlan, "nodes"), sorted(names),
                       "move %d interfaces into VLAN %s at %s" % (len(names), vlan, site), idempotent=True) or {}


def failures_of(answer, names):
    failed = []
    for name in sorted(names):
        entry = answer.get(name) or {}
        if entry.get("status") == "failure":
            failed.append((name, entry.get("message", "failure")))
    return failed


def set_dhcpd(client, site, vlan, action):
    client.put(path_of("sites", site, "vlans", vlan, "dhcpd"), {"action": action},
               "%s the DHCP server of VLAN %s at %s" % (action, vlan, site))
