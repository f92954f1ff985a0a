"""The emulated site with its fabric (real nodes, bridges, DHCP), shared by every playbook test
that needs one: it is brought up once per session on a host reset to fresh-machine settings,
and taken down at the end (host settings restored). Each test module releases what it
reserved (fabric_harness.release_jobs), so the next one finds the site as new."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import yaml
from g5k_emulator.config import DEFAULT_CONFIG
from g5k_emulator.testing import fresh_host, require_fabric, site_already_up, site_up


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def fabric_site(tmp_path_factory):
    """The default platform (rennes 4 nodes, nancy 2, bordeaux) up with its fabric; users jdoe
    and asmith have SSH keys (`fabric_site.user_key(login)`). With G5K_TEST_SITE_STATE set to
    the state directory of a site already up (`g5k-emulator up --state-dir ...`), the tests
    use that site as it is and leave it up: for developing against one long-running site."""
    require_fabric()
    if os.environ.get("G5K_TEST_SITE_STATE"):
        yield site_already_up(Path(os.environ["G5K_TEST_SITE_STATE"]))
        return
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["api"]["port"] = _free_port()
    config["deployment_delay"] = 0.5
    with fresh_host(log=lambda *_: None), site_up(config, tmp_path_factory.mktemp("fabric-site")) as site:
        yield site


def pytest_collection_modifyitems(config, items):
    """`make test` runs the tests marked `fabric` apart from the others, which run beside another
    suite holding the machine's one site: a test using the site unmarked would take a second one."""
    unmarked = [item.nodeid for item in items
                if "fabric_site" in getattr(item, "fixturenames", ()) and item.get_closest_marker("fabric") is None]
    if unmarked:
        raise pytest.UsageError("mark these tests `fabric` (they use the emulated site): %s" % ", ".join(unmarked))
    # The files that boot TCG guests keep both cores busy: they run last, when in `make test` the
    # other lane's suites are done (whole files move, so their module fixtures still run once).
    items.sort(key=lambda item: item.path.name in CPU_BOUND_FILES)


CPU_BOUND_FILES = ("test_playbook_iperf3.py", "test_playbook_vm_fleet.py")
