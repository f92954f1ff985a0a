"""kvm_guest's pure parts: domain XML round trip, seed contents, disk sizes (the domain type rule: test_guest_accel)."""

import libvirt
import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.cloud_init_seed import seed_files
from ansible_collections.g5k.testbed.plugins.module_utils.guest_disks import size_bytes
from ansible_collections.g5k.testbed.plugins.module_utils.libvirt_guests import (
    GUEST_FILTER,
    domain_xml,
    guest_filter_xml,
    interface_macs,
    spec_from_domain_xml,
)

SPEC = {
    "name": "vm1", "domain_type": "qemu", "vcpus": 2, "memory": 1024, "ip": "10.156.4.11",
    "mac": "00:16:3e:9c:04:0b", "disk": "/pool/vm1.qcow2", "seed": "/pool/vm1-seed.iso",
    "console_log": "/pool/vm1.console.log", "bridge": "br0", "anti_spoofing": True,
    "bandwidth": {"inbound": {"average": 1000, "peak": 2000, "burst": 512}, "outbound": {"average": 500}},
    "base_image": "/pool/base.qcow2", "base_format": "qcow2", "disk_size": "20G", "seed_digest": "ab" * 32,
}


def test_domain_xml_reads_back_to_the_same_spec_through_libvirt():
    """What libvirt stores (normalised, with addresses and defaults) reads back to the same XML."""
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    conn = libvirt.open("test:///default")
    try:
        stored = conn.defineXML(domain_xml(SPEC)).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    finally:
        conn.close()
    read = spec_from_domain_xml(stored)
    assert read["owned"] == ["/pool/vm1.qcow2", "/pool/vm1-seed.iso", "/pool/vm1.console.log"]
    assert domain_xml(read) == domain_xml(SPEC)
    assert "<filterref filter='%s'>" % GUEST_FILTER in stored and "<parameter name='IP' value='10.156.4.11'/>" in stored
    assert interface_macs(stored) == ["00:16:3e:9c:04:0b"]


def test_any_managed_field_changes_the_xml():
    for field, value in [("vcpus", 3), ("memory", 2048), ("bridge", "br1"), ("mac", "00:16:3e:00:00:01"),
                         ("anti_spoofing", False), ("bandwidth", {}), ("seed", None), ("domain_type", "kvm"),
                         ("seed_digest", "cd" * 32)]:
        assert domain_xml(dict(SPEC, **{field: value})) != domain_xml(SPEC), field


def test_domain_without_the_metadata_is_not_ours():
    assert spec_from_domain_xml("<domain type='qemu'><name>x</name><devices/></domain>") is None


def test_guest_filter_keeps_clean_traffic_and_drops_dhcp_answers():
    text = guest_filter_xml()
    assert "<filterref filter='clean-traffic'/>" in text
    assert "<rule action='drop' direction='out' priority='-700'>" in text and "srcportstart='67'" in text


def test_seed_digest_follows_the_content_and_names_the_instance():
    network = {"mode": "static", "mac": "00:16:3e:9c:04:0b", "ip": "10.156.4.11", "prefix": 14,
               "gateway": None, "nameservers": []}
    files, digest = seed_files("vm1", "vm1", ["key-a"], network)
    assert seed_files("vm1", "vm1", ["key-a"], network) == (files, digest)
    assert seed_files("vm1", "vm1", ["key-b"], network)[1] != digest
    assert seed_files("vm1", "vm1", ["key-a"], dict(network, ip="10.156.4.12"))[1] != digest
    assert '"instance-id": "vm1-%s"' % digest[:12] in files["meta-data"]
    assert "routes" not in files["network-config"] and "nameservers" not in files["network-config"]


@pytest.mark.parametrize("text, expected", [("20G", 20 * 1024 ** 3), ("512m", 512 * 1024 ** 2), ("4096", 4096)])
def test_disk_sizes(text, expected):
    assert size_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "20GB", "-1G", "1.5G"])
def test_bad_disk_sizes(text):
    with pytest.raises(ValueError, match="is not a disk size"):
        size_bytes(text)
