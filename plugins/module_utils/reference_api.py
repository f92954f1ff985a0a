# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the Reference API: sites, their scheduler, clusters, nodes, interfaces, VLAN kinds
(PRIVATE to the collection).

Public API (stable; used by the modules and the inventory plugin):

- ``ReferenceCatalog(client)``: memoised reads for one task run.
  ``site(uid)`` (unknown site -> ``G5kInputError`` listing the known ones), ``oar_site(uid, what)``
  (refuses non-OAR sites such as Slurm ones), ``nodes_of_cluster(site, cluster)`` (one request
  per cluster, whatever the number of nodes), ``node(site, short)``, ``cluster_uids(site)`` (sorted),
  ``nodes(site, clusters=None)`` (node documents of these clusters, every cluster of the site when
  None or empty, in cluster then node-number order), ``vlan_kinds(site)`` (VLAN id -> API ``type``
  read from ``GET /sites/{site}/vlans``, never guessed from the id).
- ``primary_adapter(node_doc)`` -> the adapter the standard environment configures (``mounted``),
  None when no adapter is mounted (a node missing from the API, a broken document): the one rule
  for "the node's own interface" everywhere.
- ``kavlan_interface(node_doc, site, device=None)`` -> adapter dict of the primary interface or of
  ``device`` (legacy ``eth1`` or predictable ``eno2`` name); refuses interfaces KaVLAN cannot move.
- ``interface_name(node_doc, site, adapter, vlan)`` -> the DNS name of ``adapter`` in ``vlan``
  (``DEFAULT`` or None = production): the node's own name for the primary adapter
  (``parasilo-1-kavlan-4.rennes.grid5000.fr``), ``<node>-<device>-...`` for the others.
- ``interface_api_name(node_doc, site, adapter)`` -> the name the KaVLAN API expects.
- ``interface_ip(node_doc, adapter, vlan)`` -> the interface's IPv4 address in ``vlan``
  (``DEFAULT`` = production address), from the node's ``kavlan`` map; None when it has none.
- ``vlan_id(value)`` -> ``"4"`` for ``4``, ``"4"``, ``"kavlan-4"``; ``DEFAULT`` for the production
  network; raises ``G5kInputError`` for anything else.
- ``vlan_hosts(node_docs, site, vlan, interfaces="primary")`` -> ``(hosts, left_out)``: what a DHCP
  server of ``vlan`` needs, as the Grid'5000 DHCP generator writes it. ``hosts``: one
  ``{node, device, name, hostname, mac, ip}`` per adapter with a MAC and an address there
  (``name`` the DNS name without the domain, ``mac`` in lower case), sorted by ``name``;
  ``interfaces`` is ``primary`` (each node's primary adapter) or ``all`` (every adapter KaVLAN can
  move). ``left_out``: ``{node, device, reason}`` for the adapters asked for that cannot be served,
  in the order of ``node_docs``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.g5k.testbed.plugins.module_utils.api_client import G5kInputError, path_of
from ansible_collections.g5k.testbed.plugins.module_utils.vlan_naming import (
    DEFAULT_VLAN,
    cluster_of,
    vlan_hostname,
)


class ReferenceCatalog:
    """Reference API documents, each read at most once per task."""

    def __init__(self, client):
        self.client = client
        self._sites = {}
        self._clusters = {}
        self._vlans = {}
        self._site_list = None
        self._cluster_lists = {}

    def site_uids(self):
        if self._site_list is None:
            self._site_list = sorted(item["uid"] for item in self.client.list_items("/sites", "list sites"))
        return self._site_list

    def site(self, uid):
        if uid not in self._sites:
            doc = self.client.get(path_of("sites", uid), "read site %s" % uid, missing_ok=True)
            if doc is None:
                raise G5kInputError("unknown site %r: known sites are %s" % (uid, ", ".join(self.site_uids())))
            self._sites[uid] = doc
        return self._sites[uid]

    def oar_site(self, uid, what):
        doc = self.site(uid)
        scheduler = doc.get("scheduler", "oar")
        if scheduler != "oar":
            raise G5kInputError(
                "site %s is scheduled by %s, not OAR: %s is only available on OAR sites" % (uid, scheduler, what))
        return doc

    def nodes_of_cluster(self, site, cluster):
        key = (site, cluster)
        if key not in self._clusters:
            self.site(site)
            items = self.client.get(path_of("sites", site, "clusters", cluster, "nodes"),
                                    "list nodes of cluster %s at %s" % (cluster, site), missing_ok=True)
            if items is None:
                raise G5kInputError("unknown cluster %r at %s: its clusters are %s" % (
                    cluster, site, ", ".join(self.cluster_uids(site))))
            self._clusters[key] = dict((n["uid"], n) for n in items.get("items", []))
        return self._clusters[key]

    def cluster_uids(self, site):
        if site not in self._cluster_lists:
            items = self.client.list_items(path_of("sites", site, "clusters"), "list clusters of %s" % site)
            self._cluster_lists[site] = sorted(c["uid"] for c in items)
        return self._cluster_lists[site]

    def nodes(self, site, clusters=None):
        docs = []
        for cluster in clusters or self.cluster_uids(site):
            found = self.nodes_of_cluster(site, cluster)
            docs.extend(found[uid] for uid in sorted(found, key=_node_number))
        return docs

    def node(self, site, short):
        try:
            cluster = cluster_of(short)
        except ValueError as exc:
            raise G5kInputError(str(exc))
        nodes = self.nodes_of_cluster(site, cluster)
        if short not in nodes:
            raise G5kInputError("unknown node %s at %s: cluster %s has %s" % (
                short, site, cluster, ", ".join(sorted(nodes, key=_node_number))))
        return nodes[short]

    def vlan_kinds(self, site):
        if site not in self._vlans:
            items = self.client.list_items(path_of("sites", site, "vlans"), "list VLANs of %s" % site)
            self._vlans[site] = dict((str(item["uid"]), item.get("type")) for item in items)
        return self._vlans[site]


def _node_number(short):
    tail = short.rsplit("-", 1)[-1]
    return (int(tail) if tail.isdigit() else 0, short)


def primary_adapter(node_doc):
    for adapter in node_doc.get("network_adapters") or []:
        if adapter.get("mounted"):
            return adapter
    return None


def kavlan_interface(node_doc, site, device=None):
    adapters = node_doc.get("network_adapters") or []
    if device is None:
        chosen = [a for a in [primary_adapter(node_doc)] if a]
        label = "primary (mounted) interface"
    else:
        chosen = [a for a in adapters if device in (a.get("device"), a.get("name"))]
        label = "interface %s" % device
    if not chosen:
        usable = [a.get("device") for a in adapters if a.get("kavlan")]
        raise G5kInputError("node %s.%s has no %s; interfaces KaVLAN can move: %s" % (
            node_doc.get("uid"), site, label, ", ".join(usable) or "none"))
    adapter = chosen[0]
    if not adapter.get("kavlan"):
        raise G5kInputError("the %s (%s) of %s.%s cannot be moved by KaVLAN (kavlan: false in the Reference API)" % (
            label, adapter.get("device"), node_doc.get("uid"), site))
    return adapter


def interface_name(node_doc, site, adapter, vlan):
    # DNS names the primary interface by the node's name (a CNAME of <node>-eth0-...)
    device = None if adapter is None or adapter.get("mounted") else adapter.get("device")
    return vlan_hostname(node_doc["uid"], site, vlan, device)


def interface_api_name(node_doc, site, adapter):
    if adapter.get("network_address"):
        return adapter["network_address"]
    return interface_name(node_doc, site, adapter, None)


def interface_ip(node_doc, adapter, vlan):
    if str(vlan) == DEFAULT_VLAN:
        return adapter.get("ip")
    per_device = (node_doc.get("kavlan") or {}).get(adapter.get("device")) or {}
    return per_device.get("kavlan-%s" % vlan)


def vlan_id(value):
    text = str(value).strip()
    if text.upper() == DEFAULT_VLAN:
        return DEFAULT_VLAN
    if text.startswith("kavlan-"):
        text = text[len("kavlan-"):]
    if not text.isdigit() or int(text) < 1:
        raise G5kInputError("vlan %r is not a VLAN id (such as 4, or DEFAULT for the production network)" % (value,))
    return str(int(text))


def _adapters_asked(node_doc, interfaces):
    if interfaces == "primary":
        return [primary_adapter(node_doc)]
    if interfaces == "all":
        return [a for a in node_doc.get("network_adapters") or [] if a.get("kavlan")]
    raise G5kInputError("interfaces must be primary or all, got %r" % (interfaces,))


def _why_not_served(adapter, vlan, ip):
    if adapter is None:
        return "no mounted (primary) adapter"
    if vlan != DEFAULT_VLAN and not adapter.get("kavlan"):
        return "adapter %s cannot be moved by KaVLAN (kavlan: false)" % adapter.get("device")
    if not adapter.get("mac"):
        return "adapter %s has no MAC address" % adapter.get("device")
    if not ip:
        return "adapter %s has no address in VLAN %s" % (adapter.get("device"), vlan)
    return None


def vlan_hosts(node_docs, site, vlan, interfaces="primary"):
    vlan = vlan_id(vlan)
    hosts, left_out = [], []
    for doc in node_docs:
        for adapter in _adapters_asked(doc, interfaces):
            ip = interface_ip(doc, adapter, vlan) if adapter else None
            reason = _why_not_served(adapter, vlan, ip)
            device = adapter.get("device") if adapter else None
            if reason:
                left_out.append({"node": doc["uid"], "device": device, "reason": reason})
                continue
            hostname = interface_name(doc, site, adapter, vlan)
            hosts.append({"node": doc["uid"], "device": device, "name": hostname.split(".", 1)[0],
                          "hostname": hostname, "mac": adapter["mac"].lower(), "ip": ip})
    hosts.sort(key=lambda host: host["name"])
    return hosts, left_out
