"""One small emulated site (rennes, 4 parasilo nodes, API on) shared by the fabric tests.

It comes up on first use and goes down at the end of the session; tests that need the machine
to themselves (up/down lifecycle) take it down first with `machine_to_myself`, and the next
test that asks for `site` brings it up again.
"""
from __future__ import annotations

import pytest

from fabric_site import SITE, Site, free_port, needs_fabric, write_config
from g5k_emulator import config as config_module
from g5k_emulator.fabric.live import LiveFabric
from g5k_emulator.testing import fresh_host


class SharedSite:
    def __init__(self, where):
        self.where = where
        self.current: Site | None = None

    def up(self) -> Site:
        if self.current is None:
            config_path = write_config(self.where / "site.yml", nodes=4, port=free_port())
            fabric = LiveFabric(config_module.load(config_path), self.where / "state", boot_timeout=180)
            try:
                fabric.up(config_path=config_path, api=True, log=lambda *_: None)
            except BaseException:
                fabric.down(log=lambda *_: None)
                raise
            self.current = Site(fabric, config_path, api=True)
        return self.current

    def down(self) -> None:
        if self.current is not None:
            self.current.fabric.down(log=lambda *_: None)
            self.current = None


@pytest.fixture(scope="session")
def fresh_machine():
    """The host as a new machine has it (no forwarding, default inotify limits, no site left
    over), for the whole session; its own settings come back at the end."""
    needs_fabric()
    with fresh_host(log=lambda *_: None):
        yield


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory, fresh_machine):
    shared = SharedSite(tmp_path_factory.mktemp("fabric-site"))
    yield shared
    shared.down()


@pytest.fixture
def site(shared_site) -> Site:
    needs_fabric()
    return shared_site.up()


@pytest.fixture
def machine_to_myself(shared_site):
    """For tests that bring their own site up and down: only one site fits on a machine."""
    needs_fabric()
    shared_site.down()


@pytest.fixture
def back_to_production(site):
    """Whatever a test moved, every node ends in production with its production lease."""
    yield
    site.move(range(1, 5), "DEFAULT")
    site.renew(1, 2, 3, 4)
    for vlan in ("1", "4", "5", "6"):
        site.fabric.set_dhcp(SITE, vlan, True)


@pytest.fixture
def redeploy_standard(site, back_to_production):
    """Deployed nodes go back to the standard environment (emulator key) in production."""
    yield
    result = site.fabric.deploy(SITE, [site.fqdn(n) for n in (1, 2, 3, 4)], "debian12-std",
                                None, "DEFAULT", 0)
    assert all(result.values()), result
