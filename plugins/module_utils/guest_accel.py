# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KVM or TCG: the one rule choosing the libvirt domain type of guests (PRIVATE, pure functions).

``choose_domain_type`` is the rule. The hypervisor role (roles/hypervisor/tasks/accel.yml, through
the ``g5k.testbed.kvm_domain_type`` filter) feeds it the CPU flags, ``/dev/kvm`` and a probe guest's
result, and publishes its choice in the local fact ``/etc/ansible/facts.d/g5k_hypervisor.fact``
(``domain_type``, ``accel_reason``). The ``kvm_guest`` module uses that fact when the host has it
(``domain_type_from_fact``), else feeds the same rule what it can read itself: the CPU flags,
``/dev/kvm`` and libvirt's capabilities.

``/dev/kvm`` alone is not proof: nested or paravirtual KVM (some test machines) offers a device
that cannot run stock kernels. So ``auto`` wants the ``vmx``/``svm`` CPU flag and a usable
``/dev/kvm``, then a confirmation: a probe guest that ran under KVM wins over everything else
(one that failed means TCG); without a probe, a ``kvm`` domain in libvirt's capabilities; with
neither, TCG (KVM unconfirmed).

Public API (stable):

- ``choose_domain_type(requested, hw_flag, dev_kvm, probe=None, libvirt_kvm=None, no_probe_reason=None,
  forced_reason=None)`` -> ``(domain_type, reason)``: ``requested`` is ``auto``, ``kvm`` or
  ``qemu`` (the last two win, with ``forced_reason`` or ``domain_type=<type> requested``);
  ``hw_flag`` and ``dev_kvm`` booleans; ``probe`` None (not run) or ``(ran, detail)``;
  ``libvirt_kvm`` None (not read) or a boolean; ``no_probe_reason`` says why no probe ran, for the
  reason when nothing confirms KVM.
- ``cpu_has_hw_flag(cpuinfo)`` -> whether ``/proc/cpuinfo`` text shows ``vmx`` or ``svm``.
- ``libvirt_offers_kvm(capabilities_xml)`` -> whether libvirt offers a ``kvm`` domain for x86_64.
- ``dev_kvm_usable(path="/dev/kvm")`` -> bool (exists and is readable and writable).
- ``FACT_PATH``; ``domain_type_from_fact(text)`` -> ``(domain_type, reason)`` from the fact file's
  JSON, or None when it names no usable domain type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import xml.etree.ElementTree as ET

FACT_PATH = "/etc/ansible/facts.d/g5k_hypervisor.fact"
DOMAIN_TYPES = ("kvm", "qemu")
_HW_FLAGS = re.compile(r"^flags\s*:.*\b(vmx|svm)\b", re.M)
_TCG = ": TCG emulation (domain type qemu)"


def dev_kvm_usable(path="/dev/kvm"):
    return os.path.exists(path) and os.access(path, os.R_OK | os.W_OK)


def cpu_has_hw_flag(cpuinfo):
    return bool(_HW_FLAGS.search(cpuinfo or ""))


def libvirt_offers_kvm(capabilities_xml):
    caps = ET.fromstring(capabilities_xml)
    for guest in caps.findall("guest"):
        arch = guest.find("arch")
        if arch is not None and arch.get("name") == "x86_64" and arch.find("domain[@type='kvm']") is not None:
            return True
    return False


def choose_domain_type(requested, hw_flag, dev_kvm, probe=None, libvirt_kvm=None, no_probe_reason=None,
                       forced_reason=None):
    if requested in DOMAIN_TYPES:
        return requested, forced_reason or "domain_type=%s requested" % requested
    if not hw_flag:
        return "qemu", "the CPU shows no vmx/svm flag (no hardware virtualisation, or it is not passed to this node)" + _TCG
    if not dev_kvm:
        return "qemu", "/dev/kvm is missing or not read-write (kvm module not loaded, or not passed to this container)" + _TCG
    if probe is not None:
        ran, detail = probe
        if not ran:
            return "qemu", ("a probe guest failed under KVM (nested or paravirtual KVM?): %s" % detail).strip() + _TCG
        return "kvm", "a probe guest ran under KVM"
    if libvirt_kvm is False:
        return "qemu", "libvirt offers no kvm domain for x86_64" + _TCG
    if libvirt_kvm:
        return "kvm", "vmx/svm flag, usable /dev/kvm and a kvm domain in libvirt's capabilities"
    unconfirmed = no_probe_reason or "no probe guest ran and libvirt's capabilities were not read"
    return "qemu", "KVM unconfirmed (%s)" % unconfirmed + _TCG


def domain_type_from_fact(text):
    try:
        fact = json.loads(text)
    except ValueError:
        return None
    if not isinstance(fact, dict) or fact.get("domain_type") not in DOMAIN_TYPES:
        return None
    return fact["domain_type"], "the hypervisor role's choice (%s): %s" % (FACT_PATH, fact.get("accel_reason") or "no reason given")
