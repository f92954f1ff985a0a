"""The emulated site with its fabric (real nodes, bridges, DHCP), shared by every playbook test
that needs one: it is brought up once per session on a host reset to fresh-machine settings,
and taken down at the end (host settings restored), or it is a site already up
(G5K_TEST_SITE_STATE; `make test-integration-fabric` runs two groups of files on one). Each
test module releases what it reserved (fabric_harness.release_jobs) and takes nodes and VLANs
as OAR gives them, so other tests can hold some at the same time."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from fabric_harness import GUEST_FILES, SITE_BOOT_TIMEOUT, site_config
from g5k_emulator.testing import fresh_host, require_fabric, site_already_up, site_up


@pytest.fixture(scope="session")
def fabric_site(tmp_path_factory):
    """The default platform (rennes with 8 nodes here, nancy 2, bordeaux) up with its fabric; users jdoe
    and asmith have SSH keys (`fabric_site.user_key(login)`). With G5K_TEST_SITE_STATE set to
    the state directory of a site already up (`g5k-emulator up --state-dir ...`), the tests
    use that site as it is and leave it up: for developing against one long-running site."""
    require_fabric()
    if os.environ.get("G5K_TEST_SITE_STATE"):
        yield site_already_up(Path(os.environ["G5K_TEST_SITE_STATE"]))
        return
    with fresh_host(log=lambda *_: None), \
            site_up(site_config(), tmp_path_factory.mktemp("fabric-site"), boot_timeout=SITE_BOOT_TIMEOUT) as site:
        yield site


def pytest_collection_modifyitems(config, items):
    """`make test` runs the tests marked `fabric` apart from the others, which run beside another
    suite holding the machine's one site: a test using the site unmarked would take a second one."""
    unmarked = [item.nodeid for item in items
                if "fabric_site" in getattr(item, "fixturenames", ()) and item.get_closest_marker("fabric") is None]
    if unmarked:
        raise pytest.UsageError("mark these tests `fabric` (they use the emulated site): %s" % ", ".join(unmarked))
    # The files that boot TCG guests keep both cores busy: in one run they come last (whole files
    # move, so their module fixtures still run once).
    items.sort(key=lambda item: item.path.name in GUEST_FILES)
