# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest placement descriptions: which VM runs on which hypervisor (PRIVATE, pure functions).

Two equivalent inputs are accepted:

- the text format of the "Booting and Using Virtual Machines on Grid'5000" tutorial (line breaks
  optional, the sections are found by their markers)::

    #list of nodes
    suno-3.sophia.grid5000.fr 4 20 8
    #list of VMs
    vm00 1 1 1 2147483647
    #initial configuration
    suno-3.sophia.grid5000.fr vm00 vm03
    #end of configuration

  the numbers after a node or VM name are kept as given (the tutorial does not name the columns);

- a YAML mapping::

    hypervisors: {suno-3.sophia.grid5000.fr: [4, 20, 8]}     # optional capacities
    guests:                                                  # optional; a name or a mapping
      - vm00
      - {name: vm01, resources: [1, 1, 1, 2147483647], ip: 10.156.4.20, mac: "00:16:3E:9C:04:14"}
      - {name: vm02, vcpus: 2, memory: 2048}                 # a size of its own (MiB)
    placement: {suno-3.sophia.grid5000.fr: [vm00, vm01]}     # required

Public API (stable):

- ``PlacementError``: the description is unusable; the message says where and what to fix.
- ``Guest``: ``name``, ``hypervisor`` (as written), ``resources`` (list of numbers), ``ip``, ``mac``,
  ``vcpus``, ``memory`` (MiB) (given explicitly, else None: the play's defaults apply).
- ``Placement``: ``guests`` (declaration order, which is also address order), ``capacities``
  ({hypervisor as written: [numbers]}).
- ``parse_placement_text(text)``, ``placement_from_mapping(data)`` -> ``Placement``.
- ``load_placement(text)``: YAML mapping or tutorial text, whichever the text is.
- ``placement_data(placement)`` -> ``{"guests": [{name, hypervisor, resources, ip, mac, vcpus, memory}],
  "capacities": {...}}``
  (what the collection's placement filters return); ``placement_from_data(data)`` reads it back
  into a ``Placement`` (a guest named twice or with no hypervisor is a ``PlacementError``).
- ``placement_mapping(guests, capacities)`` -> the YAML mapping ``placement_from_mapping`` reads
  (``hypervisors``, ``guests`` with name, ip, mac, vcpus, memory, ``placement``) for guests given as
  ``{name, hypervisor, ip, mac, vcpus, memory}`` (a fleet layout): a placement to keep and reuse.
- ``place_by_capacity(count, vcpus, memory, capacities, name_format="vm-%04d", memory_reserve=0,
  vcpu_overcommit=1)`` -> ``Placement``: automatic placement of ``count`` guests needing ``vcpus``
  and ``memory`` (MiB) each on hypervisors whose ``capacities`` are ``[(hypervisor, {"vcpus": n,
  "memory": MiB})]`` (order kept; a dict works too). A hypervisor holds
  ``min(vcpus * vcpu_overcommit // vcpus, (memory - memory_reserve) // memory)`` guests; guests are
  dealt one per hypervisor with room, round after round (every host gets an even share until it
  is full), then named in hypervisor order, so a host's guests have consecutive names and
  addresses; each carries ``vcpus`` and ``memory``. ``PlacementError`` when they do not fit or an
  input is unusable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

_NUMBER_RE = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")
_MARKERS = (
    ("nodes", re.compile(r"#\s*list\s+of\s+nodes", re.I)),
    ("vms", re.compile(r"#\s*list\s+of\s+vms", re.I)),
    ("mapping", re.compile(r"#\s*initial\s+configuration", re.I)),
    ("end", re.compile(r"#\s*end\s+of\s+configuration", re.I)),
)


class PlacementError(ValueError):
    """The placement description cannot be used as it is."""


class Guest:
    __slots__ = ("name", "hypervisor", "resources", "ip", "mac", "vcpus", "memory")

    def __init__(self, name, hypervisor, resources=None, ip=None, mac=None, vcpus=None, memory=None):
        self.name = name
        self.hypervisor = hypervisor
        self.resources = resources or []
        self.ip = ip
        self.mac = mac
        self.vcpus = vcpus
        self.memory = memory

    def __repr__(self):
        return "Guest(%r on %r)" % (self.name, self.hypervisor)


class Placement:
    def __init__(self, guests, capacities=None):
        self.guests = guests
        self.capacities = capacities or {}


def _number(token):
    return float(token) if "." in token else int(token)


def _sections(text):
    """{section: [tokens]} from the marker-delimited text."""
    found = []
    for section, pattern in _MARKERS:
        match = pattern.search(text)
        if match:
            found.append((match.start(), match.end(), section))
    found.sort()
    names = [f[2] for f in found]
    for required in ("nodes", "vms", "mapping"):
        if required not in names:
            raise PlacementError("placement text has no '%s' section: expected the markers '#list of nodes', "
                                 "'#list of VMs', '#initial configuration' and '#end of configuration'"
                                 % dict(nodes="#list of nodes", vms="#list of VMs",
                                        mapping="#initial configuration")[required])
    sections = {}
    for index, (start, end, section) in enumerate(found):
        stop = found[index + 1][0] if index + 1 < len(found) else len(text)
        sections[section] = text[end:stop].split()
    return sections


def _named_rows(tokens, what):
    """[(name, [numbers])] from 'name n n n name n n ...'."""
    rows = []
    for token in tokens:
        if _NUMBER_RE.match(token):
            if not rows:
                raise PlacementError("the list of %s starts with the number %s instead of a name" % (what, token))
            rows[-1][1].append(_number(token))
        else:
            rows.append((token, []))
    return rows


def parse_placement_text(text):
    sections = _sections(text)
    hosts = _named_rows(sections["nodes"], "nodes")
    vms = _named_rows(sections["vms"], "VMs")
    capacities = {}
    for name, numbers in hosts:
        if name in capacities:
            raise PlacementError("node %s is listed twice in '#list of nodes'" % name)
        capacities[name] = numbers
    declared = {}
    for name, numbers in vms:
        if name in declared:
            raise PlacementError("VM %s is listed twice in '#list of VMs'" % name)
        declared[name] = numbers
    mapping = {}
    current = None
    for token in sections["mapping"]:
        if token in capacities:
            current = token
        elif current is None:
            raise PlacementError("'#initial configuration' starts with %s, which is not a node of '#list of nodes'"
                                 % token)
        else:
            _place(mapping, token, current)
    return _resolve([_declared(name, declared[name]) for name, dummy in vms], mapping, capacities,
                    set(declared))


def _declared(name, resources, ip=None, mac=None, vcpus=None, memory=None):
    """A declared guest, in Guest's argument order after its hypervisor (which placement gives)."""
    return (name, resources, ip, mac, vcpus, memory)


def _place(mapping, guest, host):
    if guest in mapping:
        raise PlacementError("VM %s is placed twice (on %s and on %s)" % (guest, mapping[guest], host))
    mapping[guest] = host


def _resolve(declared, mapping, capacities, declared_names):
    unknown = sorted(set(mapping) - declared_names)
    if unknown:
        raise PlacementError("placed but not declared: %s" % ", ".join(unknown))
    unplaced = [entry[0] for entry in declared if entry[0] not in mapping]
    if unplaced:
        raise PlacementError("declared but placed on no node: %s" % ", ".join(unplaced[:10]) +
                             (" and %d more" % (len(unplaced) - 10) if len(unplaced) > 10 else ""))
    guests = [Guest(entry[0], mapping[entry[0]], *entry[1:]) for entry in declared]
    return Placement(guests, capacities)


def placement_from_mapping(data):
    if not isinstance(data, dict) or not isinstance(data.get("placement"), dict):
        raise PlacementError("a YAML placement is a mapping with a 'placement' key: {hypervisor: [guest, ...]}")
    mapping = {}
    order = []
    for host, guests in data["placement"].items():
        if not isinstance(guests, list):
            raise PlacementError("placement of %s must be a list of guest names, got %r" % (host, guests))
        for guest in guests:
            _place(mapping, str(guest), str(host))
            order.append(str(guest))
    capacities = dict((str(k), list(v or [])) for k, v in (data.get("hypervisors") or {}).items())
    if "guests" not in data:
        declared = [_declared(name, []) for name in order]
    else:
        declared = [_guest_entry(entry) for entry in data.get("guests") or []]
    names = [entry[0] for entry in declared]
    twice = sorted(set(n for n in names if names.count(n) > 1)) if len(set(names)) != len(names) else []
    if twice:
        raise PlacementError("guests declared twice: %s" % ", ".join(twice))
    return _resolve(declared, mapping, capacities, set(names))


def _guest_entry(entry):
    if isinstance(entry, dict):
        if not entry.get("name"):
            raise PlacementError("guest entry %r has no name" % (entry,))
        resources = entry.get("resources") or []
        if not isinstance(resources, list):
            raise PlacementError("resources of guest %s must be a list of numbers" % entry["name"])
        sizes = [_positive_int(entry[key], "%s of guest %s" % (key, entry["name"])) if entry.get(key) is not None
                 else None for key in ("vcpus", "memory")]
        return _declared(str(entry["name"]), resources, entry.get("ip"), entry.get("mac"), *sizes)
    return _declared(str(entry), [])


def load_placement(text):
    """A ``Placement`` from either format; the tutorial format is recognised by its markers."""
    if _MARKERS[0][1].search(text):
        return parse_placement_text(text)
    if not HAS_YAML:
        raise PlacementError("PyYAML is needed to read a YAML placement")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlacementError("placement is neither the tutorial's text format nor valid YAML: %s" % exc)
    return placement_from_mapping(data)


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlacementError("%s must be a whole number of at least 1, got %r" % (what, value))
    return value


def _capacity_list(capacities):
    items = list(capacities.items()) if isinstance(capacities, dict) else list(capacities or [])
    if not items:
        raise PlacementError("no hypervisor to place the guests on")
    seen = set()
    for host, capacity in items:
        if host in seen:
            raise PlacementError("hypervisor %s is listed twice" % host)
        seen.add(host)
        if not isinstance(capacity, dict):
            raise PlacementError("capacity of %s must be a mapping {vcpus: n, memory: MiB}, got %r" % (host, capacity))
        for key in ("vcpus", "memory"):
            value = capacity.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise PlacementError("capacity of %s has no usable %s (got %r): a number of %s"
                                     % (host, key, value, "CPU threads" if key == "vcpus" else "MiB"))
    return items


def place_by_capacity(count, vcpus, memory, capacities, name_format="vm-%04d", memory_reserve=0,
                      vcpu_overcommit=1):
    """``count`` guests of ``vcpus`` and ``memory`` MiB each, spread over the hypervisors by capacity."""
    count = _positive_int(count, "the guest count")
    vcpus = _positive_int(vcpus, "vcpus per guest")
    memory = _positive_int(memory, "memory per guest (MiB)")
    if isinstance(memory_reserve, bool) or not isinstance(memory_reserve, (int, float)) or memory_reserve < 0:
        raise PlacementError("the memory kept for each hypervisor must be 0 MiB or more, got %r" % (memory_reserve,))
    if isinstance(vcpu_overcommit, bool) or not isinstance(vcpu_overcommit, (int, float)) or vcpu_overcommit <= 0:
        raise PlacementError("the vCPU overcommit ratio must be a number above 0, got %r" % (vcpu_overcommit,))
    try:
        name_format % 0
    except (TypeError, ValueError):
        raise PlacementError("the guest name format %r must take the guest's number, e.g. vm-%%04d" % (name_format,))
    hosts = _capacity_list(capacities)
    room = []
    for host, capacity in hosts:
        by_cpu = int(capacity["vcpus"] * vcpu_overcommit) // vcpus
        by_memory = int(capacity["memory"] - memory_reserve) // memory
        room.append(max(0, min(by_cpu, by_memory)))
    if count > sum(room):
        holds = ", ".join("%s: %d" % (entry[0], fits) for entry, fits in zip(hosts[:8], room[:8]))
        if len(hosts) > 8:
            holds += " and %d more hypervisors" % (len(hosts) - 8)
        raise PlacementError(
            "%d guests of %d vCPU and %d MiB do not fit: these %d hypervisors hold %d (%s), counting "
            "%s MiB kept for each host and %s vCPUs per CPU thread; reserve more hypervisors, or ask for "
            "fewer or smaller guests" % (count, vcpus, memory, len(hosts), sum(room), holds, memory_reserve,
                                         vcpu_overcommit))
    placed = [0] * len(hosts)
    left = count
    while left:
        for index, fits in enumerate(room):
            if left and placed[index] < fits:
                placed[index] += 1
                left -= 1
    guests = []
    for (host, capacity), number in zip(hosts, placed):
        first = len(guests)
        guests += [Guest(name_format % index, host, [vcpus, memory], vcpus=vcpus, memory=memory)
                   for index in range(first, first + number)]
    names = set(guest.name for guest in guests)
    if len(names) != len(guests):
        raise PlacementError("the guest name format %r gives two guests the same name" % (name_format,))
    return Placement(guests, dict((host, [capacity["vcpus"], capacity["memory"]]) for host, capacity in hosts))


def placement_data(placement):
    return {
        "guests": [{"name": guest.name, "hypervisor": guest.hypervisor, "resources": list(guest.resources),
                    "ip": guest.ip, "mac": guest.mac, "vcpus": guest.vcpus, "memory": guest.memory}
                   for guest in placement.guests],
        "capacities": dict(placement.capacities),
    }


def placement_from_data(data):
    if not isinstance(data, dict) or not isinstance(data.get("guests"), list):
        raise PlacementError("expected a placement as the placement filters return it: {guests: [...], capacities: {...}}")
    guests, seen = [], set()
    for entry in data["guests"]:
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("hypervisor"):
            raise PlacementError("guest entry %r needs a name and a hypervisor" % (entry,))
        if entry["name"] in seen:
            raise PlacementError("guests declared twice: %s" % entry["name"])
        seen.add(entry["name"])
        guests.append(Guest(str(entry["name"]), str(entry["hypervisor"]), entry.get("resources"), entry.get("ip"),
                            entry.get("mac"), entry.get("vcpus"), entry.get("memory")))
    return Placement(guests, dict(data.get("capacities") or {}))


def placement_mapping(guests, capacities):
    by_host = {}
    for guest in guests:
        by_host.setdefault(guest["hypervisor"], []).append(guest["name"])
    return {
        "hypervisors": dict(capacities or {}),
        "guests": [dict((key, guest.get(key)) for key in ("name", "ip", "mac", "vcpus", "memory")) for guest in guests],
        "placement": by_host,
    }
