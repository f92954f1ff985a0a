# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which libvirt domain type guests get: ``kvm`` where hardware virtualisation works, else ``qemu`` (PRIVATE).

Same rule as the hypervisor role (roles/hypervisor/README.md, "KVM or TCG"): ``/dev/kvm`` alone is
not proof (a paravirtual /dev/kvm exists on some test machines and cannot run stock kernels), so
``auto`` also wants the ``vmx``/``svm`` CPU flag and a ``kvm`` domain offered by libvirt.

Public API (stable):

- ``choose_domain_type(requested, capabilities_xml, cpuinfo, dev_kvm_usable)`` -> ``(type, reason)``.
- ``dev_kvm_usable(path="/dev/kvm")`` -> bool (exists and is readable and writable).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import xml.etree.ElementTree as ET

_HW_FLAGS = re.compile(r"^flags\s*:.*\b(vmx|svm)\b", re.M)


def dev_kvm_usable(path="/dev/kvm"):
    return os.path.exists(path) and os.access(path, os.R_OK | os.W_OK)


def _libvirt_offers_kvm(capabilities_xml):
    caps = ET.fromstring(capabilities_xml)
    for guest in caps.findall("guest"):
        arch = guest.find("arch")
        if arch is not None and arch.get("name") == "x86_64" and arch.find("domain[@type='kvm']") is not None:
            return True
    return False


def choose_domain_type(requested, capabilities_xml, cpuinfo, dev_kvm_usable):
    if requested in ("kvm", "qemu"):
        return requested, "domain_type=%s requested" % requested
    if not _HW_FLAGS.search(cpuinfo or ""):
        return "qemu", "the CPU shows no vmx/svm flag: TCG emulation (domain type qemu)"
    if not dev_kvm_usable:
        return "qemu", "/dev/kvm is missing or not read-write: TCG emulation (domain type qemu)"
    if not _libvirt_offers_kvm(capabilities_xml):
        return "qemu", "libvirt offers no kvm domain for x86_64: TCG emulation (domain type qemu)"
    return "kvm", "vmx/svm flag, usable /dev/kvm and a kvm domain in libvirt's capabilities"
