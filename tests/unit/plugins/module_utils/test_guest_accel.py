"""KVM or TCG, one rule: what the hypervisor role (with its probe guest) and kvm_guest (with libvirt's
capabilities, or the role's published fact) decide from what a host shows."""

import json

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.guest_accel import (
    choose_domain_type,
    cpu_has_hw_flag,
    dev_kvm_usable,
    domain_type_from_fact,
    libvirt_offers_kvm,
)

CAPS_KVM = ("<capabilities><guest><os_type>hvm</os_type><arch name='x86_64'>"
            "<domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>")
CAPS_TCG = "<capabilities><guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>"
CAPS_KVM_I686_ONLY = ("<capabilities><guest><arch name='i686'><domain type='kvm'/></arch></guest>"
                      "<guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>")
FAILED_PROBE = (False, "qemu -accel kvm exited with status 1: KVM internal error")


@pytest.mark.parametrize("inputs, chosen, reason", [
    # forced choices win over everything
    (("kvm", False, False, FAILED_PROBE, False), "kvm", "domain_type=kvm requested"),
    (("qemu", True, True, (True, ""), True), "qemu", "domain_type=qemu requested"),
    # what rules KVM out before any confirmation
    (("auto", False, True, (True, ""), True), "qemu", "the CPU shows no vmx/svm flag"),
    (("auto", True, False, (True, ""), True), "qemu", "/dev/kvm is missing or not read-write"),
    # the nested or paravirtual case: flags and /dev/kvm, but a guest does not run under KVM
    (("auto", True, True, FAILED_PROBE, True), "qemu",
     "a probe guest failed under KVM (nested or paravirtual KVM?): qemu -accel kvm exited with status 1"),
    # the probe confirms, whatever libvirt was not asked
    (("auto", True, True, (True, "kvm usable"), None), "kvm", "a probe guest ran under KVM"),
    # no probe (kvm_guest): libvirt's capabilities confirm or not
    (("auto", True, True, None, True), "kvm", "vmx/svm flag, usable /dev/kvm and a kvm domain"),
    (("auto", True, True, None, False), "qemu", "libvirt offers no kvm domain for x86_64"),
    # nothing confirms KVM: TCG, saying why
    (("auto", True, True, None, None), "qemu", "KVM unconfirmed (no probe guest ran"),
])
def test_the_rule(inputs, chosen, reason):
    domain_type, why = choose_domain_type(*inputs)
    assert domain_type == chosen and reason in why, why
    assert why.endswith(": TCG emulation (domain type qemu)") == (chosen == "qemu" and inputs[0] == "auto")


def test_the_reasons_callers_give_for_a_forced_choice_and_a_missing_probe():
    assert choose_domain_type("qemu", True, True, forced_reason="forced by hypervisor_accel") == (
        "qemu", "forced by hypervisor_accel")
    assert choose_domain_type("auto", True, True, no_probe_reason="qemu is not installed yet")[1].startswith(
        "KVM unconfirmed (qemu is not installed yet)")


def test_what_a_host_shows():
    assert cpu_has_hw_flag("processor : 0\nflags : fpu vme vmx sse\n")
    assert cpu_has_hw_flag("flags\t\t: fpu svm\n")
    assert not cpu_has_hw_flag("processor : 0\nflags : fpu vme hypervisor sse\nbugs : vmx_leak\n")
    assert not cpu_has_hw_flag("") and not cpu_has_hw_flag(None)
    assert libvirt_offers_kvm(CAPS_KVM) and not libvirt_offers_kvm(CAPS_TCG)
    assert not libvirt_offers_kvm(CAPS_KVM_I686_ONLY)


def test_dev_kvm_usable_wants_a_read_write_device(tmp_path):
    device = tmp_path / "kvm"
    assert not dev_kvm_usable(str(device))
    device.write_text("")
    device.chmod(0o600)
    assert dev_kvm_usable(str(device))


def test_the_published_fact_gives_the_role_s_choice_and_reason():
    fact = json.dumps({"accel": "qemu", "domain_type": "qemu", "bridge": "br0",
                       "accel_reason": "a probe guest failed under KVM: exit 1"})
    domain_type, why = domain_type_from_fact(fact)
    assert domain_type == "qemu"
    assert why == ("the hypervisor role's choice (/etc/ansible/facts.d/g5k_hypervisor.fact): "
                   "a probe guest failed under KVM: exit 1")
    for unusable in ("not json", "[]", json.dumps({"domain_type": "xen"}), json.dumps({"accel": "kvm"})):
        assert domain_type_from_fact(unusable) is None
