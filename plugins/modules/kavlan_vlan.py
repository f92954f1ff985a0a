#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kavlan_vlan
short_description: Put Grid'5000 nodes (or one interface of them) into a KaVLAN VLAN or back to production
version_added: 0.1.0
description:
  - Replaces C(kavlan -s) and C(kavlan -s -i DEFAULT). It sets the VLAN of the primary interface of
    O(nodes), or of their interface O(device), to O(vlan).
  - Reads the current membership first and only moves interfaces that are elsewhere, so a second
    run changes nothing.
  - Sends ONE request per (site, VLAN), never one per node, to the API of the NODES' site (which
    is what works for a global VLAN owned by another site).
  - The VLAN kind comes from the API's VLAN list, never from the id; a VLAN the site does not have
    is refused before anything changes.
  - KaVLAN answers C(unchanged) both for "already there" and for requests it ignored, so the
    module reads the membership again and fails if an interface is not in O(vlan). A C(failure)
    answer fails the task with the interface and KaVLAN's message.
  - A failure after some interfaces were moved (one site moved, the next refusing) reports
    C(changed=true) and lists the moves made in RV(done).
  - Before any change, checks that each node belongs to an active job of the user and that a
    local or routed O(vlan) is held by one of the user's jobs at that site (skipped when the user
    is unknown, that is an anonymous client without E(USER)).
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.api
  - g5k.testbed.api.action_group
  - g5k.testbed.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  nodes:
    description:
      - Nodes to move, as short names (V(parasilo-1), with O(site)), V(node.site) or FQDNs
        (V(parasilo-1.rennes.grid5000.fr)). Nodes may belong to several sites for a global VLAN
        (or V(DEFAULT)); local and routed VLAN ids are per site, so nodes of several sites are
        refused for them (they would end up in different VLANs that share a number).
      - An empty list is refused (it usually comes from a job that has no nodes yet).
    type: list
    elements: str
    required: true
  site:
    description:
      - Site of the nodes given by short name.
    type: str
  device:
    description:
      - Interface to move, by its legacy name (V(eth1)) or predictable name (V(eno2)).
      - Default is the primary (mounted) interface of each node, as C(kavlan -s) does.
    type: str
  vlan:
    description:
      - VLAN id (V(4)) or V(DEFAULT) for the production network.
    type: str
    required: true
notes:
  - Host names and addresses in the VLAN come from the Reference API (node C(kavlan) map) and the
    DNS naming scheme C(<node>[-<device>]-kavlan-<vlan>.<node site>.grid5000.fr).
seealso:
  - module: g5k.testbed.kavlan_info
  - module: g5k.testbed.oar_job
"""

EXAMPLES = r"""
- name: Put the job's nodes into the routed VLAN it holds (kavlan -s)
  g5k.testbed.kavlan_vlan:
    nodes: "{{ job.jobs[0].nodes }}"
    vlan: "{{ job.jobs[0].vlans[0] }}"
  register: moved

- name: SSH to the nodes by their name in the VLAN
  ansible.builtin.debug:
    msg: "{{ moved.nodes | map(attribute='hostname') | list }}"

- name: Move the second interface of two nodes into VLAN 5
  g5k.testbed.kavlan_vlan:
    nodes: [parasilo-1, parasilo-2]
    site: rennes
    device: eth1
    vlan: "5"

- name: Back to the production network (kavlan -s -i DEFAULT)
  g5k.testbed.kavlan_vlan:
    nodes: "{{ job.jobs[0].nodes }}"
    vlan: DEFAULT
"""

RETURN = r"""
before:
  description: VLAN of each interface (KaVLAN name) before the task.
  returned: success
  type: dict
  sample: {"parasilo-1.rennes.grid5000.fr": "DEFAULT"}
after:
  description: VLAN of each interface after the task (in check mode, what it would be).
  returned: success
  type: dict
  sample: {"parasilo-1.rennes.grid5000.fr": "4"}
vlan_type:
  description: VLAN kind per site, as the API lists it (V(NULL) for DEFAULT).
  returned: success
  type: dict
  sample: {"rennes": "kavlan"}
moves:
  description: The membership requests sent (or, in check mode, that would be sent), one per (site, VLAN).
  returned: success
  type: list
  elements: dict
  contains:
    site:
      description: Site whose API received the request (the nodes' site).
      type: str
      sample: rennes
    vlan:
      description: Target VLAN.
      type: str
      sample: "4"
    interfaces:
      description: Interface names sent.
      type: list
      elements: str
      sample: ["parasilo-1.rennes.grid5000.fr"]
nodes:
  description: Each node's interface and its address in O(vlan).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Short node name.
      type: str
      sample: parasilo-1
    site:
      description: Node's site.
      type: str
      sample: rennes
    device:
      description: Legacy interface name.
      type: str
      sample: eth0
    interface:
      description: Interface name as KaVLAN knows it.
      type: str
      sample: parasilo-1.rennes.grid5000.fr
    vlan:
      description: VLAN of the interface after the task.
      type: str
      sample: "4"
    hostname:
      description: DNS name of the interface in that VLAN.
      type: str
      sample: parasilo-1-kavlan-4.rennes.grid5000.fr
    ip:
      description: IPv4 address of the interface in that VLAN (from the Reference API); null if unknown.
      type: str
      sample: 10.24.7.1
done:
  description: What the task changed (interfaces moved, per site).
  returned: when the task wrote something, and on failure
  type: list
  elements: str
  sample: ["moved into VLAN 16 at rennes: parasilo-1.rennes.grid5000.fr"]
api_requests:
  description: Number of HTTP requests the task sent.
  returned: always
  type: int
  sample: 7
"""

from collections import OrderedDict
from functools import partial


from ansible_collections.g5k.testbed.plugins.module_utils.g5k_module import G5kModule
from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kApiError, G5kInputError
from ansible_collections.g5k.testbed.plugins.module_utils.kavlan_api import (
    failures_of,
    read_membership,
    set_membership,
)
from ansible_collections.g5k.testbed.plugins.module_utils.module_task import module_argument_spec, run_task
from ansible_collections.g5k.testbed.plugins.module_utils.oar_jobs import api_user, held_resources
from ansible_collections.g5k.testbed.plugins.module_utils.reference_api import (
    ReferenceCatalog,
    interface_api_name,
    interface_ip,
    interface_name,
    kavlan_interface,
)
from ansible_collections.g5k.testbed.plugins.module_utils.unsure_writes import write_or_read_back
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import (
    DEFAULT_VLAN,
    split_node_name,
)

USER_HELD_KINDS = ("kavlan-local", "kavlan", "kavlan-global")


def normalize_vlan(value):
    text = str(value).strip()
    if text.upper() == DEFAULT_VLAN:
        return DEFAULT_VLAN
    if not text.isdigit():
        raise G5kInputError("vlan %r is neither a VLAN id nor DEFAULT" % value)
    return str(int(text))


def nodes_by_site(names, default_site):
    grouped = OrderedDict()
    for name in names:
        try:
            short, site = split_node_name(name, default_site)
        except ValueError as exc:
            raise G5kInputError(str(exc))
        grouped.setdefault(site, [])
        if short not in grouped[site]:
            grouped[site].append(short)
    return grouped


def check_rights(client, site, user, vlan, kind, fqdns):
    """Refuse, before any change, nodes outside the user's jobs and VLANs the user does not hold."""
    owned, held = held_resources(client, site, user)
    foreign = sorted(set(fqdns) - owned)
    if foreign:
        raise G5kInputError("nodes not in an active job of %s at %s (another user's, or not reserved): %s" % (
            user, site, ", ".join(foreign)))
    if vlan != DEFAULT_VLAN and kind in USER_HELD_KINDS and vlan not in held:
        raise G5kInputError("VLAN %s (%s) is not in a job of %s at %s (the user's jobs there hold VLANs: %s)" % (
            vlan, kind, user, site, ", ".join(sorted(held)) or "none"))


GLOBAL_KINDS = ("kavlan-global", "kavlan-global-remote")


def check_one_vlan(vlan, kinds_by_site):
    """Local and routed VLAN ids are per site: nodes of two sites sent to "VLAN 4" would end up
    in two different VLANs that share a number."""
    per_site = sorted(site for site, kind in kinds_by_site.items() if kind not in GLOBAL_KINDS + ("NULL",))
    if len(kinds_by_site) > 1 and per_site:
        raise G5kInputError(
            "VLAN %s is a VLAN of each site (%s), not one VLAN spanning %s: the nodes would end up in "
            "different VLANs that share a number. Use a global VLAN, or one task per site" % (
                vlan, ", ".join("%s at %s" % (kinds_by_site[s], s) for s in per_site), " and ".join(kinds_by_site)))


def plan(client, params):
    catalog = ReferenceCatalog(client)
    vlan = normalize_vlan(params["vlan"])
    user = api_user(client)
    if not params["nodes"]:
        raise G5kInputError("nodes is empty: give the nodes to move (an empty list is often a job that has no nodes yet)")
    sites = OrderedDict()
    grouped = nodes_by_site(params["nodes"], params["site"])
    kinds_by_site = OrderedDict()
    for site in grouped:
        catalog.oar_site(site, "KaVLAN")
        kinds = catalog.vlan_kinds(site)
        if vlan not in kinds:
            raise G5kInputError("VLAN %s does not exist at %s: its VLANs are %s" % (
                vlan, site, ", ".join(sorted(kinds, key=lambda v: (len(v), v)))))
        kinds_by_site[site] = kinds[vlan]
    check_one_vlan(vlan, kinds_by_site)
    for site, shorts in grouped.items():
        targets = []
        for short in shorts:
            doc = catalog.node(site, short)
            adapter = kavlan_interface(doc, site, params["device"])
            targets.append((short, doc, adapter, interface_api_name(doc, site, adapter)))
        if user:
            check_rights(client, site, user, vlan, kinds_by_site[site], ["%s.%s.grid5000.fr" % (s, site) for s in shorts])
        sites[site] = {"kind": kinds_by_site[site], "targets": targets}
    return vlan, sites


def node_entry(site, short, doc, adapter, name, vlan):
    return {
        "name": short, "site": site, "device": adapter.get("device"), "interface": name, "vlan": vlan,
        "hostname": interface_name(doc, site, adapter, vlan), "ip": interface_ip(doc, adapter, vlan),
    }


def moved_by_lost_answer(client, site, vlan, names):
    """After a move whose answers were all lost: ``{interface: VLAN now}`` when KaVLAN moved at
    least one of them, None when it moved none (the move was not done)."""
    now = read_membership(client, site, names)
    return now if any(now.get(n) == vlan for n in names) else None


def report_lost_move(done, move, vlan, now, lost):
    """Record the interfaces KaVLAN did move, then fail saying where each one is: the move was
    not acknowledged, so the task cannot claim it succeeded."""
    moved = [n for n in move["interfaces"] if now.get(n) == vlan]
    # the line's format is the one of an answered move: the failure message says the answer was lost
    done.record("moved into VLAN %s at %s: %s" % (vlan, move["site"], ", ".join(moved)))
    where = ", ".join("%s in %s" % (n, now.get(n, "unknown")) for n in move["interfaces"])
    raise G5kApiError(lost.operation, lost.method, lost.path, lost.status, lost.body,
                      "; ".join(h for h in (lost.hint, "read back at %s: %s" % (move["site"], where)) if h))


def work(module, client, done):
    vlan, sites = plan(client, module.params)
    before, moves = {}, []
    for site, info in sites.items():
        names = [t[3] for t in info["targets"]]
        current = read_membership(client, site, names)
        unknown = sorted(set(names) - set(current))
        if unknown:
            raise G5kInputError("KaVLAN at %s does not know these interfaces: %s" % (site, ", ".join(unknown)))
        before.update(current)
        to_move = [n for n in names if current[n] != vlan]
        if to_move:
            moves.append({"site": site, "vlan": vlan, "interfaces": sorted(to_move)})
    if moves and not module.check_mode:
        for move in moves:
            answer, lost = write_or_read_back(
                partial(set_membership, client, move["site"], vlan, move["interfaces"]),
                partial(moved_by_lost_answer, client, move["site"], vlan, move["interfaces"]))
            if lost:
                report_lost_move(done, move, vlan, answer, lost)
            failed = failures_of(answer, move["interfaces"])
            moved = [n for n in move["interfaces"] if (answer.get(n) or {}).get("status") == "success"]
            if moved:
                done.record("moved into VLAN %s at %s: %s" % (vlan, move["site"], ", ".join(moved)))
            if failed:
                raise G5kInputError("KaVLAN at %s refused to move into VLAN %s: %s" % (
                    move["site"], vlan, "; ".join("%s: %s" % f for f in failed)))
        for move in moves:  # 'unchanged' does not prove membership: read it back
            now = read_membership(client, move["site"], move["interfaces"])
            stray = sorted(n for n in move["interfaces"] if now.get(n) != vlan)
            if stray:
                raise G5kApiError("verify VLAN membership", "POST", "/sites/%s/vlans/nodes" % move["site"], 200,
                                  "interfaces not in VLAN %s after the request: %s" % (
                                      vlan, ", ".join("%s (in %s)" % (n, now.get(n)) for n in stray)))
    after = dict((name, vlan) for name in before)
    nodes = [node_entry(site, short, doc, adapter, name, vlan)
             for site, info in sites.items() for short, doc, adapter, name in info["targets"]]
    result = {
        "changed": bool(moves), "before": before, "after": after, "moves": moves, "nodes": nodes,
        "vlan_type": dict((site, info["kind"]) for site, info in sites.items()),
    }
    if module._diff:
        changed_names = [n for m in moves for n in m["interfaces"]]
        result["diff"] = {"before": dict((n, before[n]) for n in changed_names),
                          "after": dict((n, vlan) for n in changed_names)}
    return result


def main():
    module = G5kModule(
        argument_spec=module_argument_spec(
            nodes=dict(type="list", elements="str", required=True),
            site=dict(type="str"),
            device=dict(type="str"),
            vlan=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    run_task(module, lambda client, done: work(module, client, done))


if __name__ == "__main__":
    main()
