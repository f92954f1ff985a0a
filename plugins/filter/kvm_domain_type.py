# Copyright: g5k.testbed developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter applying the collection's one KVM-or-TCG rule to what a host showed."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kvm_domain_type
short_description: KVM or TCG - the libvirt domain type guests of a host get, and why
version_added: 0.1.0
author: g5k.testbed developers
description:
  - The rule M(g5k.testbed.kvm_guest) follows too (C(module_utils/guest_accel.py)), given what a
    host showed. V(kvm) or V(qemu) as input win. V(auto) wants the vmx/svm CPU flag and a usable
    C(/dev/kvm), then a confirmation - a probe guest that ran under KVM (one that failed means TCG,
    as on nested or paravirtual KVM whose C(/dev/kvm) cannot run stock kernels), else a C(kvm)
    domain in libvirt's capabilities; with neither, TCG.
  - The hypervisor role (C(roles/hypervisor/tasks/accel.yml)) calls it and publishes the result in
    the local fact C(g5k_hypervisor), which M(g5k.testbed.kvm_guest) then follows.
options:
  _input:
    description: The accelerator asked for.
    type: str
    choices: [auto, kvm, qemu]
    required: true
  hw_flag:
    description: Whether C(/proc/cpuinfo) shows the vmx or svm flag.
    type: bool
    default: false
  dev_kvm:
    description: Whether C(/dev/kvm) is there, readable and writable.
    type: bool
    default: false
  probe:
    description:
      - The registered result of a probe guest (C(rc) 0 - it ran under KVM; C(stdout) and
        C(stderr) say why not). Skipped or empty - no probe ran.
    type: dict
    default: {}
  libvirt_kvm:
    description: Whether libvirt's capabilities offer a C(kvm) domain for x86_64; null when not read.
    type: bool
  no_probe_reason:
    description: Why no probe ran, for the reason given when nothing confirms KVM.
    type: str
  forced_reason:
    description: The reason given when the input is V(kvm) or V(qemu).
    type: str
"""

EXAMPLES = r"""
- name: Choose the accelerator
  ansible.builtin.set_fact:
    accel: >-
      {{ 'auto' | g5k.testbed.kvm_domain_type(hw_flag=cpu_flags.rc == 0, dev_kvm=dev_kvm.stat.exists,
                                              probe=kvm_probe) }}
"""

RETURN = r"""
_value:
  description: The choice.
  type: dict
  contains:
    domain_type:
      description: V(kvm) or V(qemu) (TCG).
      type: str
    reason:
      description: Why, in one sentence.
      type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.g5k.testbed.plugins.module_utils.guest_accel import choose_domain_type


def _probe(result):
    if not result or result.get("skipped") or result.get("rc") is None:
        return None
    return result["rc"] == 0, ("%s %s" % (result.get("stdout") or "", result.get("stderr") or "")).strip()


def kvm_domain_type(requested, hw_flag=False, dev_kvm=False, probe=None, libvirt_kvm=None, no_probe_reason=None,
                    forced_reason=None):
    if requested not in ("auto", "kvm", "qemu"):
        raise AnsibleFilterError("kvm_domain_type: the accelerator asked for must be auto, kvm or qemu, got %r"
                                 % (requested,))
    if probe is not None and not isinstance(probe, dict):
        raise AnsibleFilterError("kvm_domain_type: probe must be the registered result of the probe task")
    domain_type, reason = choose_domain_type(requested, bool(hw_flag), bool(dev_kvm), _probe(probe), libvirt_kvm,
                                             no_probe_reason, forced_reason)
    return {"domain_type": domain_type, "reason": reason}


class FilterModule:
    def filters(self):
        return {"kvm_domain_type": kvm_domain_type}
