"""TLS is verified by default: against an HTTPS API whose certificate comes from a private CA,
a task fails (saying how to fix it) until `ca_path` names that CA, and sends nothing before;
`validate_certs: false` is the explicit way out. Same for the inventory plugin."""

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from g5k_module_harness import PASSWORDS, CountingProxy, emulator_for, run_task  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TLS_HINT = "TLS certificate verification failed: fix the CA bundle with ca_path"


def certificate_authority(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def server_certificate(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def write_pem(path, cert=None, key=None):
    data = b""
    if cert is not None:
        data += cert.public_bytes(serialization.Encoding.PEM)
    if key is not None:
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="module")
def https_api(tmp_path_factory):
    """An HTTPS front (certificate of a private CA) to a running emulator: (proxy, CA file, other CA file)."""
    where = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = certificate_authority("g5k.testbed test CA")
    key, cert = server_certificate(ca_key, ca_cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(write_pem(where / "server.pem", cert=cert, key=key))
    other_ca = write_pem(where / "other-ca.pem", cert=certificate_authority("another CA")[1])
    with emulator_for(nodes=2) as emulator:
        proxy = CountingProxy(emulator.url)
        proxy.server.socket = context.wrap_socket(proxy.server.socket, server_side=True)
        proxy.url = proxy.url.replace("http://", "https://")
        with proxy:
            yield proxy, write_pem(where / "ca.pem", cert=ca_cert), other_ca


def read(tmp_path, proxy, **tls):
    return run_task("kavlan_info", dict(site="rennes", api_retries=0, **tls), proxy.url, tmp_path=tmp_path)


def test_by_default_the_certificate_is_verified_and_nothing_is_sent(tmp_path, https_api):
    proxy, _, _ = https_api
    sent = len(proxy.requests)
    result = read(tmp_path, proxy)
    assert result.get("failed") and TLS_HINT in result["msg"]
    assert len(proxy.requests) == sent  # the handshake failed: no request, no credentials, left


def test_ca_path_naming_the_ca_makes_it_work(tmp_path, https_api):
    proxy, ca, _ = https_api
    sent = len(proxy.requests)
    result = read(tmp_path, proxy, ca_path=ca)
    assert not result.get("failed"), result.get("msg")
    assert result["vlans"] == [] and len(proxy.requests) - sent == result["api_requests"] > 0


def test_ca_path_of_another_ca_is_refused(tmp_path, https_api):
    proxy, _, other_ca = https_api
    sent = len(proxy.requests)
    result = read(tmp_path, proxy, ca_path=other_ca)
    assert result.get("failed") and TLS_HINT in result["msg"]
    assert len(proxy.requests) == sent


def test_validate_certs_false_is_the_explicit_way_out(tmp_path, https_api):
    proxy, _, _ = https_api
    result = read(tmp_path, proxy, validate_certs=False)
    assert not result.get("failed"), result.get("msg")


@pytest.mark.parametrize("with_ca", [False, True])
def test_the_inventory_plugin_verifies_too(tmp_path, https_api, with_ca):
    proxy, ca, _ = https_api
    source = dict(plugin="g5k.testbed.g5k", api_uri=proxy.url, api_username="jdoe", sites=["rennes"], api_retries=0)
    if with_ca:
        source["ca_path"] = ca
    (tmp_path / "tls.g5k.yml").write_text(yaml.safe_dump(source))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), G5K_API_PASSWORD=PASSWORDS["jdoe"],
               G5K_API_CONFIG=str(tmp_path / "absent.yaml"), ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-inventory"), "-i", str(tmp_path / "tls.g5k.yml"),
                           "--list"], env=env, capture_output=True, text=True, timeout=300, check=False)
    if with_ca:
        assert done.returncode == 0, done.stderr[-2000:]
        assert "_meta" in json.loads(done.stdout)
    else:
        assert done.returncode != 0 and TLS_HINT in done.stderr
