# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt domain XML of kvm_guest's guests: built from a spec, read back into one (PRIVATE, pure).

A *spec* is a dict holding only what kvm_guest manages::

    name, domain_type ("kvm" | "qemu"), vcpus, memory (MiB), disk (overlay path),
    seed (NoCloud ISO path or None), console_log (path), bridge, mac (lower case or None),
    ip (or None), anti_spoofing (bool), bandwidth ({"inbound"|"outbound": {average, peak, burst}}),
    base_image, base_format, disk_size (creation facts of the overlay), seed_digest

Public API (stable):

- ``METADATA_NS``: namespace of the ``<metadata>`` element marking a domain as kvm_guest's.
- ``GUEST_FILTER``: name of the anti-spoofing nwfilter; ``guest_filter_xml()`` its definition.
- ``domain_xml(spec, uuid=None)`` -> the XML kvm_guest defines (pretty-printed, deterministic).
- ``spec_from_domain_xml(xml)`` -> the spec of a domain, or None when kvm_guest did not create it.
  ``domain_xml(spec_from_domain_xml(x))`` compared with ``domain_xml(desired)`` tells whether a
  domain must be redefined, ignoring what libvirt adds (addresses, controllers, defaults).
  Its ``owned`` key lists the files kvm_guest created for the guest (deleted with it), as
  recorded in the metadata when the domain was first defined.
- ``interface_macs(xml)`` -> MAC addresses of every interface of any domain (clash checks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

METADATA_NS = "https://g5k-testbed.github.io/kvm_guest/1"
_META = "{%s}" % METADATA_NS
GUEST_FILTER = "g5k-testbed-guest"
BANDWIDTH_DIRECTIONS = ("inbound", "outbound")
BANDWIDTH_FIELDS = ("average", "peak", "burst")

ET.register_namespace("kvm_guest", METADATA_NS)


def guest_filter_xml():
    """Only the guest's own MAC and IP (clean-traffic), and no DHCP answers from the guest."""
    # The drop rule sits between clean-traffic's IP check (-710) and its IPv4 accept (-650).
    return (
        "<filter name='%s' chain='root'>\n"
        "  <filterref filter='clean-traffic'/>\n"
        "  <rule action='drop' direction='out' priority='-700'>\n"
        "    <ip protocol='udp' srcportstart='67'/>\n"
        "  </rule>\n"
        "</filter>\n" % GUEST_FILTER
    )


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = str(text)
    return element


def _indent(element, level=0):
    pad = "\n" + "  " * level
    if len(element):
        element.text = pad + "  "
        for child in element:
            _indent(child, level + 1)
        child.tail = pad
    if level and not element.tail:
        element.tail = pad


def _file_disk(devices, path, fmt, target, readonly=False):
    disk = _sub(devices, "disk", type="file", device="disk")
    _sub(disk, "driver", name="qemu", type=fmt)
    _sub(disk, "source", file=path)
    _sub(disk, "target", dev=target, bus="virtio")
    if readonly:
        _sub(disk, "readonly")


def domain_xml(spec, uuid=None):
    domain = ET.Element("domain", type=spec["domain_type"])
    _sub(domain, "name", spec["name"])
    if uuid:
        _sub(domain, "uuid", uuid)
    guest = _sub(_sub(domain, "metadata"), _META + "guest")
    if spec.get("ip"):
        _sub(guest, _META + "ip", spec["ip"])
    _sub(guest, _META + "disk", path=spec["disk"], base=spec["base_image"],
         base_format=spec["base_format"], size=spec.get("disk_size"))
    if spec.get("seed"):
        _sub(guest, _META + "seed", path=spec["seed"], digest=spec["seed_digest"])
    _sub(guest, _META + "console_log", path=spec["console_log"])
    _sub(domain, "memory", spec["memory"] * 1024, unit="KiB")
    _sub(domain, "vcpu", spec["vcpus"])
    os_element = _sub(domain, "os")
    _sub(os_element, "type", "hvm", arch="x86_64")
    _sub(os_element, "boot", dev="hd")
    _sub(_sub(domain, "features"), "acpi")  # so that a guest's poweroff ends the domain
    _sub(domain, "on_poweroff", "destroy")
    devices = _sub(domain, "devices")
    _file_disk(devices, spec["disk"], "qcow2", "vda")
    if spec.get("seed"):
        _file_disk(devices, spec["seed"], "raw", "vdb", readonly=True)
    interface = _sub(devices, "interface", type="bridge")
    if spec.get("mac"):
        _sub(interface, "mac", address=spec["mac"])
    _sub(interface, "source", bridge=spec["bridge"])
    _sub(interface, "model", type="virtio")
    if spec.get("anti_spoofing"):
        filterref = _sub(interface, "filterref", filter=GUEST_FILTER)
        _sub(filterref, "parameter", name="IP", value=spec["ip"])
    limits = spec.get("bandwidth") or {}
    if any(limits.get(d) for d in BANDWIDTH_DIRECTIONS):
        bandwidth = _sub(interface, "bandwidth")
        for direction in BANDWIDTH_DIRECTIONS:
            if limits.get(direction):
                _sub(bandwidth, direction, **{f: limits[direction].get(f) for f in BANDWIDTH_FIELDS})
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "log", file=spec["console_log"], append="off")
    _sub(devices, "console", type="pty")
    _indent(domain)
    return ET.tostring(domain, encoding="unicode") + "\n"


def _disk_by_target(devices, target):
    for disk in devices.findall("disk"):
        node = disk.find("target")
        if node is not None and node.get("dev") == target:
            return disk
    return None


def _memory_mib(domain):
    node = domain.find("memory")
    factor = {"b": 1.0 / 1048576, "bytes": 1.0 / 1048576, "KiB": 1.0 / 1024, "k": 1.0 / 1024,
              "MiB": 1, "M": 1, "GiB": 1024, "G": 1024}.get(node.get("unit", "KiB"), 1.0 / 1024)
    return int(int(node.text) * factor)


def _interface_spec(interface):
    found = {"mac": None, "bridge": None, "anti_spoofing": False, "bandwidth": {}}
    if interface is None:
        return found
    mac = interface.find("mac")
    source = interface.find("source")
    found["mac"] = mac.get("address").lower() if mac is not None else None
    found["bridge"] = source.get("bridge") if source is not None else None
    filterref = interface.find("filterref")
    found["anti_spoofing"] = filterref is not None and filterref.get("filter") == GUEST_FILTER
    bandwidth = interface.find("bandwidth")
    for direction in BANDWIDTH_DIRECTIONS:
        node = bandwidth.find(direction) if bandwidth is not None else None
        if node is not None:
            found["bandwidth"][direction] = dict(
                (f, int(node.get(f))) for f in BANDWIDTH_FIELDS if node.get(f) is not None)
    return found


def spec_from_domain_xml(xml):
    domain = ET.fromstring(xml)
    guest = domain.find("metadata/" + _META + "guest")
    if guest is None:
        return None
    meta_disk = guest.find(_META + "disk")
    meta_seed = guest.find(_META + "seed")
    meta_log = guest.find(_META + "console_log")
    devices = domain.find("devices")
    disk = _disk_by_target(devices, "vda")
    seed = _disk_by_target(devices, "vdb")
    interface = devices.find("interface[@type='bridge']")
    spec = {
        "name": domain.findtext("name"),
        "domain_type": domain.get("type"),
        "vcpus": int(domain.findtext("vcpu")),
        "memory": _memory_mib(domain),
        "disk": disk.find("source").get("file") if disk is not None else None,
        "seed": seed.find("source").get("file") if seed is not None else None,
        "console_log": meta_log.get("path") if meta_log is not None else None,
        "ip": guest.findtext(_META + "ip"),
        "base_image": meta_disk.get("base") if meta_disk is not None else None,
        "base_format": meta_disk.get("base_format") if meta_disk is not None else None,
        "disk_size": meta_disk.get("size") if meta_disk is not None else None,
        "seed_digest": meta_seed.get("digest") if meta_seed is not None else None,
        "owned": [node.get("path") for node in (meta_disk, meta_seed, meta_log) if node is not None],
    }
    spec.update(_interface_spec(interface))
    return spec


def interface_macs(xml):
    domain = ET.fromstring(xml)
    return [node.get("address").lower() for node in domain.findall("devices/interface/mac")]
