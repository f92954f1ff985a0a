#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kvm_guest
short_description: Many libvirt guests of one hypervisor in one call, each pinned to its MAC and IP
version_added: 0.1.0
description:
  - Defines, starts, stops and removes the KVM/QEMU guests of the hypervisor it runs on, through
    libvirt. One task handles a whole list of guests (every guest of a host), which is what makes
    thousands of guests on hundreds of hosts fast - see C(benchmarks/results/kvm_guest_define.md).
  - Each guest gets a qcow2 overlay on a shared base image (backing format written explicitly), a
    cloud-init NoCloud seed (hostname, SSH keys, network), a NIC on a bridge with its MAC (by default
    C(00:16:3E) + the last three bytes of its IP, as M(g5k.testbed.g5k_subnet) computes them),
    optionally an anti-spoofing filter and bandwidth limits.
  - States are those of M(community.libvirt.virt). Guests of one call are started in parallel.
  - Domains created by this module carry a C(<metadata>) element. A domain without it is never
    modified or removed - a name clash with it is an error. Files are deleted only if this module
    created them (the overlay, the seed and the console log recorded in that metadata).
  - The module owns the whole definition of its domains - when something it manages differs, the
    domain is redefined from its own XML (same UUID). A running guest sees the new definition at its
    next start (RV(guests[].pending_restart)).
  - Domain type C(kvm) only where hardware virtualisation works, C(qemu) (TCG emulation) otherwise,
    with the reason in RV(domain_type_reason). On a host set up by the C(g5k.testbed.hypervisor)
    role, the choice it published (C(/etc/ansible/facts.d/g5k_hypervisor.fact), made with a probe
    guest) is used; elsewhere the module applies the same rule (P(g5k.testbed.kvm_domain_type#filter))
    to the CPU flags, C(/dev/kvm) and libvirt's capabilities.
author:
  - g5k.testbed contributors (@g5k-testbed)
extends_documentation_fragment:
  - g5k.testbed.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: One diff per changed guest - its domain XML as the module manages it, with its state and autostart.
  idempotent:
    support: full
requirements:
  - libvirt-python (Debian C(python3-libvirt)) on the hypervisor
  - qemu-img (Debian C(qemu-utils))
  - genisoimage, xorrisofs or mkisofs for cloud-init seeds (Debian C(genisoimage))
options:
  uri:
    description: libvirt connection, local to the host the module runs on (it creates the disk files there).
    type: str
    default: qemu:///system
  state:
    description:
      - V(present) - defined, left running or not as it is; new guests are defined, not started.
      - V(running) - started (resumed if paused).
      - V(shutdown) - shut down through ACPI, waiting up to O(shutdown_timeout).
      - V(destroyed) - stopped at once (power cut).
      - V(paused) - started if needed, then paused.
      - V(absent) - stopped, undefined, and the files the module created deleted.
    type: str
    choices: [present, running, shutdown, destroyed, paused, absent]
    default: present
  guests:
    description: The guests. With O(state=absent) only their names are used.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: libvirt domain name.
        type: str
        required: true
      vcpus:
        description: Virtual CPUs.
        type: int
        default: 1
      memory:
        description: Memory in MiB.
        type: int
        default: 512
      ip:
        description:
          - IPv4 address of the guest. Required with O(network.address_config=static), with
            O(guests[].anti_spoofing), and to derive O(guests[].mac).
          - Must lie in O(network.subnets) when that is given.
        type: str
      mac:
        description: MAC address. Default - C(00:16:3E) + the last three bytes of O(guests[].ip); libvirt picks one when there is no IP either.
        type: str
      hostname:
        description: Host name given by cloud-init. Default - O(guests[].name).
        type: str
      base_image:
        description: Base image of this guest's overlay. Default - O(base_image).
        type: path
      disk_size:
        description:
          - Virtual size of the overlay (V(20G), V(512M), bytes), at least the base's. Default - the base's size.
          - Applied when the overlay is created; an existing disk is never resized (a warning says so).
        type: str
      bridge:
        description: Bridge of the guest's NIC. Default - O(bridge).
        type: str
      autostart:
        description: Start the guest when the hypervisor boots.
        type: bool
        default: false
      seed:
        description: Attach a cloud-init NoCloud seed (hostname, O(ssh_authorized_keys), network).
        type: bool
        default: true
      anti_spoofing:
        description:
          - Attach the nwfilter C(g5k-testbed-guest) - libvirt's C(clean-traffic) (only the guest's
            own MAC and IP, no ARP spoofing, nothing but IPv4 and ARP) and no DHCP answers from the guest.
          - Needs O(guests[].ip) and libvirt's nwfilter driver; the filter is defined when missing.
        type: bool
        default: false
      bandwidth:
        description: Limits of the guest's NIC (libvirt C(<bandwidth>)); inbound is traffic to the guest.
        type: dict
        suboptions:
          inbound:
            description: Limits of traffic to the guest.
            type: dict
            suboptions:
              average:
                description: Average rate, KiB/s.
                type: int
                required: true
              peak:
                description: Peak rate, KiB/s.
                type: int
              burst:
                description: Burst size at peak rate, KiB.
                type: int
          outbound:
            description: Limits of traffic from the guest.
            type: dict
            suboptions:
              average:
                description: Average rate, KiB/s.
                type: int
                required: true
              peak:
                description: Peak rate, KiB/s.
                type: int
              burst:
                description: Burst size at peak rate, KiB.
                type: int
  base_image:
    description: Base image of the overlays (a path on the hypervisor, e.g. in the hypervisor role's pool).
    type: path
  base_format:
    description: Format of the base images, written into every overlay so that qemu never guesses it.
    type: str
    choices: [qcow2, raw]
    default: qcow2
  bridge:
    description: Bridge of the guests' NICs (the hypervisor role's O(g5k.testbed.hypervisor#role:main:hypervisor_bridge_name)).
    type: str
    default: br0
  disk_dir:
    description: Directory of the overlays (C(<name>.qcow2)), seeds (C(<name>-seed.iso)) and console logs (C(<name>.console.log)).
    type: path
    default: /var/lib/libvirt/images/g5k
  ssh_authorized_keys:
    description: Public keys cloud-init installs for root and the image's default user.
    type: list
    elements: str
    default: []
  network:
    description: Addressing of the guests, written into their cloud-init seeds.
    type: dict
    default: {}
    suboptions:
      address_config:
        description: V(static) - the guest's O(guests[].ip) configured by cloud-init; V(dhcp) - DHCP on the guest's NIC.
        type: str
        choices: [static, dhcp]
        default: static
      subnets:
        description: CIDRs every guest IP must lie in (M(g5k.testbed.g5k_subnet)'s RV(g5k.testbed.g5k_subnet#module:subnets)).
        type: list
        elements: str
        default: []
      prefix:
        description: Prefix length configured with the static address (M(g5k.testbed.g5k_subnet)'s C(network.prefix)). Required for V(static).
        type: int
      gateway:
        description: Default gateway configured with the static address.
        type: str
      nameservers:
        description: DNS servers configured with the static address.
        type: list
        elements: str
        default: []
  domain_type:
    description:
      - V(auto) - the C(domain_type) the hypervisor role published on this host
        (C(/etc/ansible/facts.d/g5k_hypervisor.fact)) when there is one; else V(kvm) where the CPU
        shows vmx/svm, C(/dev/kvm) is usable and libvirt offers a C(kvm) domain, V(qemu) (TCG) otherwise.
      - V(kvm) or V(qemu) force it.
    type: str
    choices: [auto, kvm, qemu]
    default: auto
  parallel:
    description:
      - How many guests are worked on at the same time. Each worker takes one guest through all its
        steps (define, disk, seed, start), so a guest starts while others still get their files.
    type: int
    default: 8
  shutdown_timeout:
    description: Seconds O(state=shutdown) waits for guests to power off before failing.
    type: int
    default: 120
notes:
  - Runs on the hypervisor (no C(delegate_to) to the controller) with the hypervisor's python.
  - Guests on a O(network.address_config=dhcp) network need a DHCP server answering their MACs.
  - With O(uri=test:///default) (libvirt's test driver, used by the unit tests) the domains live only
    as long as the module's connection; there is no nwfilter support there.
seealso:
  - module: g5k.testbed.g5k_subnet
  - module: community.libvirt.virt
"""

EXAMPLES = r"""
- name: Addresses for the guests of this hypervisor
  g5k.testbed.g5k_subnet:
    site: rennes
    job_name: vms
    count: 20
    offset: "{{ hypervisor_index * 20 }}"
  delegate_to: localhost
  register: subnet

- name: Twenty guests on this hypervisor, started in parallel
  g5k.testbed.kvm_guest:
    state: running
    base_image: /var/lib/libvirt/images/g5k/debian12.qcow2
    bridge: br0
    ssh_authorized_keys: ["{{ lookup('ansible.builtin.file', '~/.ssh/id_ed25519.pub') }}"]
    network:
      subnets: "{{ subnet.subnets }}"
      prefix: "{{ subnet.network.prefix }}"
      gateway: "{{ subnet.network.gateway }}"
      nameservers: ["{{ subnet.dns }}"]
    guests: >-
      {{ subnet.addresses | map('combine', {'memory': 1024}) | list
         | zip(range(20)) | map('first') | list }}
  register: guests

- name: One guest with a bandwidth limit and the anti-spoofing filter
  g5k.testbed.kvm_guest:
    state: running
    base_image: /var/lib/libvirt/images/g5k/debian12.qcow2
    network: {prefix: 14, gateway: 10.159.255.254}
    guests:
      - name: vm-limited
        ip: 10.156.4.10
        vcpus: 2
        memory: 2048
        disk_size: 20G
        anti_spoofing: true
        bandwidth:
          inbound: {average: 12500, peak: 25000, burst: 1024}
          outbound: {average: 12500}

- name: Remove them (their overlays and seeds go too, the base image stays)
  g5k.testbed.kvm_guest:
    state: absent
    guests: [{name: vm-limited}]
"""

RETURN = r"""
domain_type:
  description: Domain type of the guests defined or redefined by this call (null with O(state=absent)).
  returned: always
  type: str
  sample: qemu
domain_type_reason:
  description: Why that domain type.
  returned: always
  type: str
  sample: "the CPU shows no vmx/svm flag: TCG emulation (domain type qemu)"
guests:
  description: One entry per guest of O(guests), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Domain name.
      type: str
      sample: vm-0001
    state:
      description: State after the call (predicted in check mode) - running, paused, shutdown or absent.
      type: str
      sample: running
    changed:
      description: Whether anything of this guest changed (or would change).
      type: bool
    actions:
      description: What was (or would be) done, in order.
      type: list
      elements: str
      sample: [define, create disk, write seed, start]
    pending_restart:
      description: The guest runs an older definition until its next start.
      type: bool
    mac:
      description: MAC address of the guest's NIC (null for a new guest in check mode with no IP or MAC).
      type: str
      sample: 00:16:3e:9c:04:0a
    ip:
      description: IPv4 address given for the guest.
      type: str
      sample: 10.156.4.10
    disk:
      description: Overlay path.
      type: str
      sample: /var/lib/libvirt/images/g5k/vm-0001.qcow2
    seed:
      description: Seed ISO path (null without a seed).
      type: str
      sample: /var/lib/libvirt/images/g5k/vm-0001-seed.iso
    error:
      description: What failed for this guest (only when something did).
      type: str
      returned: on failure
"""

import os
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.g5k.testbed.plugins.module_utils.cloud_init_seed import (
    ISO_TOOLS,
    SeedError,
    seed_files,
    write_seed_iso,
)
from ansible_collections.g5k.testbed.plugins.module_utils.guest_accel import (
    FACT_PATH,
    choose_domain_type,
    cpu_has_hw_flag,
    dev_kvm_usable,
    domain_type_from_fact,
    libvirt_offers_kvm,
)
from ansible_collections.g5k.testbed.plugins.module_utils.guest_disks import (
    DiskError,
    create_overlay,
    image_info,
    size_bytes,
)
from ansible_collections.g5k.testbed.plugins.module_utils.libvirt_guests import (
    GUEST_FILTER,
    domain_xml,
    guest_filter_xml,
    interface_macs,
    spec_from_domain_xml,
)
from ansible_collections.g5k.testbed.plugins.module_utils.subnet_math import (
    HAS_NETADDR,
    NETADDR_IMPORT_ERROR,
    mac_for_ip,
)

try:
    import libvirt
    HAS_LIBVIRT = True
    LIBVIRT_IMPORT_ERROR = None
except ImportError as exc:
    HAS_LIBVIRT = False
    LIBVIRT_IMPORT_ERROR = exc

try:
    import netaddr
except ImportError:  # reported through HAS_NETADDR
    pass

LIMIT_OPTIONS = dict(average=dict(type="int", required=True), peak=dict(type="int"), burst=dict(type="int"))
GUEST_OPTIONS = dict(
    name=dict(type="str", required=True),
    vcpus=dict(type="int", default=1),
    memory=dict(type="int", default=512),
    ip=dict(type="str"),
    mac=dict(type="str"),
    hostname=dict(type="str"),
    base_image=dict(type="path"),
    disk_size=dict(type="str"),
    bridge=dict(type="str"),
    autostart=dict(type="bool", default=False),
    seed=dict(type="bool", default=True),
    anti_spoofing=dict(type="bool", default=False),
    bandwidth=dict(type="dict", options=dict(
        inbound=dict(type="dict", options=LIMIT_OPTIONS),
        outbound=dict(type="dict", options=LIMIT_OPTIONS),
    )),
)
NETWORK_OPTIONS = dict(
    address_config=dict(type="str", choices=["static", "dhcp"], default="static"),
    subnets=dict(type="list", elements="str", default=[]),
    prefix=dict(type="int"),
    gateway=dict(type="str"),
    nameservers=dict(type="list", elements="str", default=[]),
)
ARGUMENT_SPEC = dict(
    uri=dict(type="str", default="qemu:///system"),
    state=dict(type="str", default="present",
               choices=["present", "running", "shutdown", "destroyed", "paused", "absent"]),
    guests=dict(type="list", elements="dict", required=True, options=GUEST_OPTIONS),
    base_image=dict(type="path"),
    base_format=dict(type="str", choices=["qcow2", "raw"], default="qcow2"),
    bridge=dict(type="str", default="br0"),
    disk_dir=dict(type="path", default="/var/lib/libvirt/images/g5k"),
    ssh_authorized_keys=dict(type="list", elements="str", default=[], no_log=False),
    network=dict(type="dict", default={}, options=NETWORK_OPTIONS),
    domain_type=dict(type="str", choices=["auto", "kvm", "qemu"], default="auto"),
    parallel=dict(type="int", default=8),
    shutdown_timeout=dict(type="int", default=120),
)

# libvirt domain states in the vocabulary of the module (a guest being shut down still runs).
RUNNING = "running"
PAUSED = "paused"
SHUTDOWN = "shutdown"
ABSENT = "absent"
_STATE_NAMES = {1: RUNNING, 2: RUNNING, 3: PAUSED, 4: RUNNING, 5: SHUTDOWN, 6: SHUTDOWN, 7: PAUSED}
# Actions that bring a guest from its current state to the requested one.
_TRANSITIONS = {
    (SHUTDOWN, RUNNING): ["start"], (PAUSED, RUNNING): ["resume"],
    (RUNNING, PAUSED): ["suspend"], (SHUTDOWN, PAUSED): ["start", "suspend"],
    (RUNNING, SHUTDOWN): ["shutdown"], (PAUSED, SHUTDOWN): ["resume", "shutdown"],
}


def spawn(command):
    """``run_command``'s ``(rc, stdout, stderr)`` for qemu-img and the ISO tool, two per new guest.

    AnsibleModule.run_command always passes a ``preexec_fn``, which makes Python fork() the whole
    module process instead of using vfork/posix_spawn, and serialises those forks: measured here,
    100 guests' two commands took 2.1 s through it and 1.3 s this way, 8 workers on 2 cores.
    """
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False)
    return (done.returncode, to_text(done.stdout, errors="surrogate_or_replace"),
            to_text(done.stderr, errors="surrogate_or_replace"))


def _filter_rules(xml):
    """The rules of an nwfilter, without what libvirt adds (uuid, rule ids)."""
    root = ET.fromstring(xml)
    return sorted((child.tag, sorted(child.attrib.items()), [(c.tag, sorted(c.attrib.items())) for c in child])
                  for child in root if child.tag in ("rule", "filterref"))


class GuestError(Exception):
    """One guest could not be brought to its state; the others go on."""


class Guest:
    """One guest: what is asked, what exists, and the plan between them."""

    def __init__(self, request):
        self.request = request
        self.name = request["name"]
        self.spec = None          # desired spec (None with state=absent)
        self.current = None       # spec read from the existing domain (ours), or None
        self.domain = None        # libvirt domain object
        self.state = ABSENT
        self.autostart = False
        self.uuid = None
        self.actions = []
        self.redefine = False
        self.create_disk = False
        self.seed = None          # seed files to write, or None
        self.error = None
        self.done = []

    def result(self, final_state, check_mode):
        spec = self.spec or self.current or {}
        mac = spec.get("mac")
        if self.spec and self.domain is not None and not mac and not check_mode:
            macs = interface_macs(self.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            mac = macs[0] if macs else None
        result = {
            "name": self.name, "state": final_state, "changed": bool(self.done if not check_mode else self.actions),
            "actions": self.actions, "mac": mac, "ip": spec.get("ip"), "disk": spec.get("disk"),
            "seed": spec.get("seed"),
            "pending_restart": self.redefine and final_state in (RUNNING, PAUSED) and self.state != SHUTDOWN,
        }
        if self.error:
            result["error"] = self.error
        return result


class KvmGuests:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.conn = None
        self.guests = [Guest(g) for g in self.params["guests"]]
        self.domain_type = None
        self.domain_type_reason = "no guest defined (state=absent)"
        self.errors = []
        self.warnings = []
        self.changed = False
        self.qemu_img = None
        self.iso_tool = None

    # ----- reading what exists
    def connect(self):
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors come back as exceptions
        try:
            self.conn = libvirt.open(self.params["uri"])
        except libvirt.libvirtError as exc:
            self.module.fail_json(msg="cannot connect to libvirt at %s: %s" % (self.params["uri"], exc))

    def read_existing(self):
        """Every domain of the host: ours by name, and the MACs/IPs of all (clash checks)."""
        self.others_macs = {}
        self.others_ips = {}
        by_name = {}
        for domain in self.conn.listAllDomains(0):
            xml = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            by_name[domain.name()] = (domain, xml)
        asked = set(g.name for g in self.guests)
        for name, (domain, xml) in by_name.items():
            if name in asked:
                continue
            for mac in interface_macs(xml):
                self.others_macs[mac] = name
            spec = spec_from_domain_xml(xml)
            if spec and spec.get("ip"):
                self.others_ips[spec["ip"]] = name
        for guest in self.guests:
            if guest.name not in by_name:
                continue
            domain, xml = by_name[guest.name]
            guest.domain = domain
            guest.uuid = domain.UUIDString()
            guest.state = _STATE_NAMES.get(domain.state()[0], SHUTDOWN)
            guest.autostart = bool(domain.autostart())
            guest.current = spec_from_domain_xml(xml)
            if guest.current is None:
                self.errors.append("%s: a domain of that name exists and was not created by kvm_guest "
                                   "(no kvm_guest metadata): choose another name or remove it yourself"
                                   % guest.name)

    # ----- what is asked
    def choose_domain_type(self):
        """The hypervisor role's published choice when this host has it, else the same rule here."""
        requested = self.params["domain_type"]
        if requested == "auto" and os.path.exists(FACT_PATH):
            try:
                with open(FACT_PATH) as handle:
                    published = domain_type_from_fact(handle.read())
            except (IOError, OSError):
                published = None  # unreadable: decide here, by the same rule
            if published:
                self.domain_type, self.domain_type_reason = published
                return
        try:
            with open("/proc/cpuinfo") as handle:
                cpuinfo = handle.read()
        except IOError:
            cpuinfo = ""
        self.domain_type, self.domain_type_reason = choose_domain_type(
            requested, cpu_has_hw_flag(cpuinfo), dev_kvm_usable(),
            libvirt_kvm=libvirt_offers_kvm(self.conn.getCapabilities()))

    def desired_specs(self):
        params = self.params
        network = params["network"]
        disk_dir = params["disk_dir"]
        for guest in self.guests:
            req = guest.request
            ip = req["ip"]
            mac = (req["mac"] or (mac_for_ip(ip) if ip and HAS_NETADDR and self._valid_ip(ip) else None))
            spec = {
                "name": guest.name, "domain_type": self.domain_type, "vcpus": req["vcpus"],
                "memory": req["memory"], "ip": ip, "mac": mac.lower() if mac else None,
                "disk": os.path.join(disk_dir, guest.name + ".qcow2"),
                "seed": os.path.join(disk_dir, guest.name + "-seed.iso") if req["seed"] else None,
                "console_log": os.path.join(disk_dir, guest.name + ".console.log"),
                "bridge": req["bridge"] or params["bridge"],
                "anti_spoofing": req["anti_spoofing"],
                "bandwidth": self._bandwidth(req["bandwidth"]),
                "base_image": req["base_image"] or params["base_image"],
                "base_format": params["base_format"], "disk_size": req["disk_size"],
                "seed_digest": None,
            }
            if req["seed"]:
                files, digest = seed_files(guest.name, req["hostname"] or guest.name, params["ssh_authorized_keys"], {
                    "mode": network["address_config"], "mac": spec["mac"], "ip": ip,
                    "prefix": network["prefix"], "gateway": network["gateway"],
                    "nameservers": network["nameservers"]})
                spec["seed_digest"] = digest
                guest.seed_content = files
            guest.spec = spec

    @staticmethod
    def _bandwidth(limits):
        limits = limits or {}
        return dict((direction, dict((k, v) for k, v in values.items() if v is not None))
                    for direction, values in limits.items() if values)

    @staticmethod
    def _valid_ip(ip):
        try:
            return netaddr.IPAddress(ip).version == 4
        except (netaddr.AddrFormatError, ValueError):
            return False

    # ----- bad input, before anything changes
    def validate(self):
        errors = self.errors
        counts = Counter(g.name for g in self.guests)
        for name in sorted(n for n, count in counts.items() if count > 1):
            errors.append("%s: listed more than once in guests" % name)
        if self.params["parallel"] < 1:
            errors.append("parallel must be at least 1")
        if self.params["state"] == "absent":
            return
        network = self.params["network"]
        host_memory = self.conn.getInfo()[1]
        subnets = self._subnets(network["subnets"])
        seen_macs, seen_ips = {}, {}
        base_sizes = {}
        for guest in self.guests:
            spec, req = guest.spec, guest.request
            where = guest.name + ": "
            if spec["memory"] < 1 or spec["vcpus"] < 1:
                errors.append(where + "memory and vcpus must be at least 1")
            if spec["memory"] > host_memory:
                errors.append(where + "memory %d MiB is more than the host has (%d MiB)" % (spec["memory"], host_memory))
            ip = spec["ip"]
            if ip is not None:
                if not self._valid_ip(ip):
                    errors.append(where + "ip %r is not an IPv4 address" % ip)
                    ip = None
                elif subnets and not any(netaddr.IPAddress(ip) in subnet for subnet in subnets):
                    errors.append(where + "ip %s is outside the subnets %s" % (ip, ", ".join(network["subnets"])))
            if spec["mac"] and not self._valid_mac(spec["mac"]):
                errors.append(where + "mac %r is not a MAC address such as 00:16:3e:9c:04:0a" % spec["mac"])
            if req["seed"] and network["address_config"] == "static" and (ip is None or network["prefix"] is None):
                errors.append(where + "a static address needs the guest's ip and network.prefix "
                              "(or network.address_config=dhcp, or seed=false)")
            if spec["anti_spoofing"] and ip is None:
                errors.append(where + "anti_spoofing needs the guest's ip")
            self._check_unique(errors, where, "mac", spec["mac"], seen_macs, self.others_macs)
            self._check_unique(errors, where, "ip", ip, seen_ips, self.others_ips)
            self._check_disk(errors, guest, base_sizes)

    @staticmethod
    def _valid_mac(mac):
        return netaddr.valid_mac(mac) and len(mac.split(":")) == 6

    @staticmethod
    def _check_unique(errors, where, what, value, seen, others):
        if value is None:
            return
        if value in seen:
            errors.append(where + "%s %s is also the %s of %s in this list" % (what, value, what, seen[value]))
        elif value in others:
            errors.append(where + "%s %s is already used by the existing domain %s" % (what, value, others[value]))
        seen.setdefault(value, where[:-2])

    def _subnets(self, cidrs):
        blocks = []
        for cidr in cidrs:
            try:
                blocks.append(netaddr.IPNetwork(cidr))
            except (netaddr.AddrFormatError, ValueError):
                self.errors.append("network.subnets: %r is not a CIDR such as 10.156.4.0/22" % cidr)
        return blocks

    def _check_disk(self, errors, guest, base_sizes):
        spec, current = guest.spec, guest.current
        where = guest.name + ": "
        owned = set(current["owned"]) if current else set()
        for path in (spec["disk"], spec["seed"], spec["console_log"]):
            if path and os.path.exists(path) and path not in owned:
                errors.append(where + "%s exists and was not created by kvm_guest for this guest: "
                              "remove it or use another disk_dir" % path)
        if current and current.get("disk") == spec["disk"] and os.path.exists(spec["disk"]):
            # An existing overlay keeps what it was made from: nothing to check, nothing to redo.
            for fact in ("base_image", "base_format", "disk_size"):
                if current.get(fact) != spec[fact] and spec[fact] is not None:
                    self.warnings.append("%s: its disk was created with %s=%s; the disk is kept as it is"
                                         % (guest.name, fact, current.get(fact)))
                spec[fact] = current.get(fact)
            return
        base = spec["base_image"]
        if not base:
            errors.append(where + "no base_image (set base_image or guests[].base_image)")
            return
        if not os.path.isfile(base):
            errors.append(where + "base image %s does not exist on this host" % base)
            return
        if base not in base_sizes:
            try:
                info = image_info(self.module.run_command, self._qemu_img(), base)
            except DiskError as exc:
                errors.append(where + str(exc))
                return
            base_sizes[base] = (info.get("format"), info.get("virtual-size"))
        fmt, virtual_size = base_sizes[base]
        if fmt != spec["base_format"]:
            errors.append(where + "base image %s is %s, not base_format=%s" % (base, fmt, spec["base_format"]))
        if spec["disk_size"]:
            try:
                if size_bytes(spec["disk_size"]) < virtual_size:
                    errors.append(where + "disk_size %s is smaller than the base image (%d bytes)"
                                  % (spec["disk_size"], virtual_size))
            except ValueError as exc:
                errors.append(where + str(exc))
        if not os.path.isdir(os.path.dirname(spec["disk"])):
            errors.append(where + "disk_dir %s does not exist" % os.path.dirname(spec["disk"]))

    def _qemu_img(self):
        if self.qemu_img is None:
            self.qemu_img = self.module.get_bin_path("qemu-img", required=True)
        return self.qemu_img

    # ----- the plan
    def plan(self):
        state = self.params["state"]
        for guest in self.guests:
            if state == "absent":
                if guest.domain is not None:
                    guest.actions = (["destroy"] if guest.state != SHUTDOWN else []) + ["undefine"]
                    guest.actions += ["delete %s" % p for p in guest.current["owned"] if os.path.exists(p)]
                continue
            spec = guest.spec
            if guest.current is None:
                guest.actions.append("define")
            elif domain_xml(guest.current) != domain_xml(spec):
                guest.redefine = True
                guest.actions.append("redefine")
            if not os.path.exists(spec["disk"]):
                guest.create_disk = True
                guest.actions.append("create disk")
            if spec["seed"] and (not os.path.exists(spec["seed"])
                                 or (guest.current or {}).get("seed_digest") != spec["seed_digest"]):
                guest.seed = guest.seed_content
                guest.actions.append("write seed")
            if guest.request["autostart"] != guest.autostart:
                guest.actions.append("autostart on" if guest.request["autostart"] else "autostart off")
            guest.actions += self._transition(guest.state, state)

    @staticmethod
    def _transition(current, state):
        if current == ABSENT:
            current = SHUTDOWN
        if state == "present":
            return []
        if state == "destroyed":
            return ["destroy"] if current != SHUTDOWN else []
        return _TRANSITIONS.get((current, state), [])

    def final_state(self, guest):
        state = self.params["state"]
        if state == "absent":
            return ABSENT
        if state == "present":
            return SHUTDOWN if guest.state == ABSENT else guest.state
        return {"destroyed": SHUTDOWN}.get(state, state)

    def diffs(self):
        diffs = []
        for guest in self.guests:
            if not guest.actions:
                continue
            before = self._diff_text(guest.current, guest.state, guest.autostart)
            after = self._diff_text(guest.spec, self.final_state(guest),
                                    guest.request["autostart"] if guest.spec else False)
            diffs.append({"before": before, "after": after,
                          "before_header": "kvm_guest %s (before)" % guest.name,
                          "after_header": "kvm_guest %s (after)" % guest.name})
        return diffs

    @staticmethod
    def _diff_text(spec, state, autostart):
        if spec is None or state == ABSENT:
            return ""
        return "<!-- state: %s, autostart: %s -->\n%s" % (state, "yes" if autostart else "no", domain_xml(spec))

    # ----- doing it
    def apply(self):
        active = [g for g in self.guests if g.actions]
        if self.params["state"] == "absent":
            self._parallel(self._remove, active)
            return
        if any(g.spec["anti_spoofing"] for g in active):
            self._ensure_filter()
        self._parallel(self._bring_up, active)

    def _bring_up(self, guest):
        """One guest from start to end in one worker: a guest starts as soon as its own disk and seed
        are made, while the other workers still make theirs (no barrier between the phases)."""
        if guest.redefine or guest.current is None:
            self._step(guest, "define", self._define)
        self._make_files(guest)
        if guest.request["autostart"] != guest.autostart:
            self._step(guest, "autostart", lambda g: g.domain.setAutostart(int(g.request["autostart"])))
        self._transition_guest(guest)

    def _step(self, guest, what, action):
        if guest.error:
            return
        try:
            action(guest)
            guest.done.append(what)
            self.changed = True
        except (libvirt.libvirtError, DiskError, SeedError, GuestError, OSError) as exc:
            guest.error = "%s failed: %s" % (what, exc)

    def _parallel(self, work, guests):
        if not guests:
            return
        with ThreadPoolExecutor(max_workers=min(self.params["parallel"], len(guests))) as pool:
            list(pool.map(work, guests))

    def _ensure_filter(self):
        wanted = guest_filter_xml()
        try:
            try:
                existing = self.conn.nwfilterLookupByName(GUEST_FILTER).XMLDesc(0)
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_NO_NWFILTER:
                    raise
                existing = None
            if existing is None or _filter_rules(existing) != _filter_rules(wanted):
                self.conn.nwfilterDefineXML(wanted)
                self.changed = True
        except libvirt.libvirtError as exc:
            self.module.fail_json(msg="anti_spoofing needs the nwfilter %s, which cannot be defined at %s: %s"
                                  % (GUEST_FILTER, self.params["uri"], exc), changed=self.changed)

    def _define(self, guest):
        guest.domain = self.conn.defineXML(domain_xml(guest.spec, uuid=guest.uuid))

    def _make_files(self, guest):
        spec = guest.spec
        if guest.create_disk:
            self._step(guest, "create disk", lambda g: create_overlay(
                spawn, self._qemu_img(), spec["base_image"], spec["base_format"], spec["disk"], spec["disk_size"]))
        if guest.seed:
            self._step(guest, "write seed", lambda g: write_seed_iso(spawn, self._iso_tool(), guest.seed, spec["seed"]))

    def _iso_tool(self):
        if self.iso_tool:
            return self.iso_tool
        for tool in ISO_TOOLS:
            self.iso_tool = self.module.get_bin_path(tool)
            if self.iso_tool:
                return self.iso_tool
        raise SeedError("no ISO tool for the cloud-init seed: install genisoimage (or xorriso, or set seed=false)")

    def _transition_guest(self, guest):
        for action in self._transition(guest.state, self.params["state"]):
            self._step(guest, action, getattr(self, "_" + action))

    @staticmethod
    def _start(guest):
        guest.domain.create()

    @staticmethod
    def _resume(guest):
        guest.domain.resume()

    @staticmethod
    def _suspend(guest):
        guest.domain.suspend()

    @staticmethod
    def _destroy(guest):
        guest.domain.destroy()

    def _shutdown(self, guest):
        guest.domain.shutdown()
        deadline = time.time() + self.params["shutdown_timeout"]
        while guest.domain.isActive():
            if time.time() > deadline:
                raise GuestError("still running %ds after the ACPI shutdown request (does the guest "
                                 "handle ACPI? state=destroyed powers it off)" % self.params["shutdown_timeout"])
            time.sleep(0.5)

    def _remove(self, guest):
        if guest.state != SHUTDOWN:
            self._step(guest, "destroy", self._destroy)
        # No NVRAM flag: the module never makes UEFI guests (and the test driver refuses the flag).
        flags = libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        self._step(guest, "undefine", lambda g: g.domain.undefineFlags(flags))
        for path in guest.current["owned"]:
            if os.path.exists(path):
                self._step(guest, "delete %s" % path, lambda g, p=path: os.remove(p))

    # ----- the whole call
    def run(self):
        self.connect()
        try:
            self.read_existing()
            if self.params["state"] != "absent":
                self.choose_domain_type()
                self.desired_specs()
            self.validate()
            if self.errors:
                self.module.fail_json(msg="kvm_guest: nothing was changed: " + "; ".join(self.errors),
                                      errors=self.errors, changed=False)
            self.plan()
            if not self.check_mode:
                self.apply()
            self.report()
        finally:
            self.conn.close()

    def report(self):
        results = [g.result(self.final_state(g) if not g.error else self._state_now(g), self.check_mode)
                   for g in self.guests]
        changed = self.changed if not self.check_mode else any(g.actions for g in self.guests)
        outcome = dict(changed=changed, guests=results, domain_type=self.domain_type,
                       domain_type_reason=self.domain_type_reason)
        if self.module._diff:
            outcome["diff"] = self.diffs()
        for warning in self.warnings:
            self.module.warn(warning)
        failed = [g for g in self.guests if g.error]
        if failed:
            self.module.fail_json(msg="kvm_guest: %d of %d guests failed: %s" % (
                len(failed), len(self.guests), "; ".join("%s: %s" % (g.name, g.error) for g in failed)), **outcome)
        self.module.exit_json(**outcome)

    @staticmethod
    def _state_now(guest):
        try:
            return _STATE_NAMES.get(guest.domain.state()[0], SHUTDOWN)
        except (libvirt.libvirtError, AttributeError):
            return ABSENT


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not HAS_LIBVIRT:
        module.fail_json(msg=missing_required_lib("libvirt-python (Debian: python3-libvirt)"),
                         exception=str(LIBVIRT_IMPORT_ERROR))
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib("netaddr (Debian: python3-netaddr)"),
                         exception=str(NETADDR_IMPORT_ERROR))
    KvmGuests(module).run()


if __name__ == "__main__":
    main()
