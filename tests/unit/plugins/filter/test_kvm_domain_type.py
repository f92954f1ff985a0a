"""The hypervisor role's door to the KVM-or-TCG rule: registered task results in, the choice out."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter.kvm_domain_type import FilterModule, kvm_domain_type

PROBE_OK = {"rc": 0, "stdout": "kvm usable\n", "stderr": "", "changed": False}
PROBE_FAILED = {"rc": 1, "stdout": "qemu -accel kvm exited with status 124: ", "stderr": "", "changed": False}
PROBE_SKIPPED = {"skipped": True, "changed": False, "false_condition": "not __hypervisor_software_pending"}


def test_registered():
    assert FilterModule().filters() == {"kvm_domain_type": kvm_domain_type}


@pytest.mark.parametrize("requested, options, chosen, reason", [
    ("auto", dict(hw_flag=True, dev_kvm=True, probe=PROBE_OK), "kvm", "a probe guest ran under KVM"),
    # nested or paravirtual KVM: the flag and /dev/kvm are there, the probe guest does not run
    ("auto", dict(hw_flag=True, dev_kvm=True, probe=PROBE_FAILED), "qemu",
     "a probe guest failed under KVM (nested or paravirtual KVM?): qemu -accel kvm exited with status 124:"),
    ("auto", dict(hw_flag=False, dev_kvm=True, probe=PROBE_SKIPPED), "qemu", "the CPU shows no vmx/svm flag"),
    ("auto", dict(hw_flag=True, dev_kvm=False, probe=PROBE_SKIPPED), "qemu", "/dev/kvm is missing"),
    # check mode before qemu is installed: no probe, nothing confirms KVM
    ("auto", dict(hw_flag=True, dev_kvm=True, probe=PROBE_SKIPPED, no_probe_reason="qemu is not installed yet"),
     "qemu", "KVM unconfirmed (qemu is not installed yet)"),
    ("qemu", dict(forced_reason="forced by hypervisor_accel"), "qemu", "forced by hypervisor_accel"),
    ("kvm", dict(probe=PROBE_FAILED), "kvm", "domain_type=kvm requested"),
])
def test_choice_from_registered_results(requested, options, chosen, reason):
    choice = kvm_domain_type(requested, **options)
    assert choice["domain_type"] == chosen and choice["reason"].startswith(reason), choice


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="must be auto, kvm or qemu, got 'tcg'"):
        kvm_domain_type("tcg")
    with pytest.raises(AnsibleFilterError, match="probe must be the registered result"):
        kvm_domain_type("auto", hw_flag=True, dev_kvm=True, probe="rc=0")
