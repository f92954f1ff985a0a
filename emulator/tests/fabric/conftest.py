"""A small emulated site (rennes, 4 parasilo nodes) brought up once per module, torn down after."""
from __future__ import annotations

import pytest

from fabric_site import SITE, Site, free_port, needs_fabric, write_config
from g5k_emulator import config as config_module
from g5k_emulator.fabric.live import LiveFabric


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    """Modules that set WITH_API = True also get the API server (`serve --fabric`)."""
    needs_fabric()
    with_api = getattr(request.module, "WITH_API", False)
    where = tmp_path_factory.mktemp("fabric-site")
    config_path = write_config(where / "site.yml", nodes=4, port=free_port())
    fabric = LiveFabric(config_module.load(config_path), where / "state", boot_timeout=60)
    try:
        fabric.up(config_path=config_path, api=with_api, log=lambda *_: None)
        yield Site(fabric, config_path, api=with_api)
    finally:
        fabric.down(log=lambda *_: None)


@pytest.fixture
def back_to_production(site):
    """Whatever a test moved, every node ends in production with its production lease."""
    yield
    site.move(range(1, 5), "DEFAULT")
    site.renew(1, 2, 3, 4)
    for vlan in ("1", "4", "5", "6"):
        site.fabric.set_dhcp(SITE, vlan, False)
