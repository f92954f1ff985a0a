"""Shared pytest setup for the unit tests: import path and the scripted Grid'5000 API."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.normpath(os.path.join(HERE, "..", "..", ".build", "collections"))
for path in (COLLECTIONS, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from ansible.plugins.loader import init_plugin_loader  # noqa: E402

from g5k_fake_api import FakeApi  # noqa: E402  (needs HERE on sys.path)

# Ansible's collection finder must own ansible_collections.* from the first import on: a test that
# sets it up later (the inventory tests need it) would otherwise find g5k.testbed half-loaded.
init_plugin_loader([COLLECTIONS])


@pytest.fixture
def fake_api(monkeypatch):
    """A scripted API behind fetch_url and open_url; unscripted requests fail the test."""
    from ansible_collections.g5k.testbed.plugins.module_utils import api_client

    api = FakeApi()
    monkeypatch.setattr(api_client, "fetch_url", api.fetch_url)
    monkeypatch.setattr(api_client, "open_url", api.open_url)
    monkeypatch.setenv("G5K_API_CONFIG", os.path.join(HERE, "no-such-python-grid5000.yaml"))
    for name in ("G5K_API_URI", "G5K_API_USERNAME", "G5K_API_PASSWORD", "G5K_API_VALIDATE_CERTS"):
        monkeypatch.delenv(name, raising=False)
    yield api
    assert not api.unscripted, "requests nobody scripted: %s" % api.unscripted


@pytest.fixture(scope="session")
def key_pair(tmp_path_factory):
    """A real ed25519 key pair made by ssh-keygen: the private key's path (``.pub`` beside it)."""
    path = tmp_path_factory.mktemp("keys") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@laptop", "-f", str(path)], check=True)
    return path
