"""packages_missing: which needed Debian packages dpkg-query does not list as installed."""

import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.g5k.testbed.plugins.filter.packages_missing import FilterModule, packages_missing

DPKG_QUERY = ["dpkg-query", "--show", "--showformat", "${Package} ${db:Status-Abbrev}\n"]


def test_installed_packages_are_not_missing_and_unknown_ones_are():
    lines = ["iperf3 ii ", "netpipe-tcp ii "]
    assert packages_missing(["iperf3", "netpipe-tcp", "prometheus"], lines) == ["prometheus"]


def test_the_order_asked_for_is_kept():
    assert packages_missing(["qemu-utils", "libvirt-daemon", "cloud-image-utils"], ["libvirt-daemon ii "]) == [
        "qemu-utils", "cloud-image-utils"]


@pytest.mark.parametrize("status", ["rc ", "iU ", "iF ", "un ", "hi "])
def test_packages_not_fully_installed_are_missing(status):
    assert packages_missing(["isc-dhcp-server"], [f"isc-dhcp-server {status}"]) == ["isc-dhcp-server"]


def test_a_multi_arch_name_counts_as_its_package():
    assert packages_missing(["libvirt0"], ["libvirt0:amd64 ii "]) == []


def test_nothing_printed_means_everything_is_missing():
    assert packages_missing(["iperf3"], []) == ["iperf3"]


@pytest.mark.parametrize("packages, lines", [("iperf3", []), (["iperf3"], "iperf3 ii "), ([3], [])])
def test_arguments_of_the_wrong_type_are_refused(packages, lines):
    with pytest.raises(AnsibleFilterError, match="expects"):
        packages_missing(packages, lines)


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs a Debian host")
def test_against_the_hosts_own_dpkg_query():
    """What dpkg-query really prints for an installed package and an unknown one."""
    printed = subprocess.run([*DPKG_QUERY, "bash", "no-such-package-g5k"], capture_output=True, text=True,
                             check=False)
    assert printed.returncode == 1  # it still lists what it knows
    assert packages_missing(["bash", "no-such-package-g5k"], printed.stdout.splitlines()) == [
        "no-such-package-g5k"]


def test_the_filter_is_registered():
    assert FilterModule().filters()["packages_missing"] is packages_missing
