"""Running the g5k inventory plugin for real (plugin loader, option parsing, InventoryData) against
the scripted API of tests/unit/g5k_fake_api.py."""

import pytest
import yaml

from ansible.inventory.data import InventoryData
from ansible.inventory.manager import _InventoryDataWrapper
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from g5k_fake_api import BASE, Reply

AUTH = {"api_uri": BASE, "api_username": "jdoe", "api_password": "pw", "api_retries": 0}
# The plugin loader (and its collection finder) is set up by tests/unit/conftest.py, before any
# test module imports ansible_collections.*.


class InventoryRun:
    """Write an inventory file, parse it as ansible-inventory would, expose hosts/groups/vars."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path

    def write(self, config, name="test.g5k.yml"):
        path = self.tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "g5k.testbed.g5k"}, **config)))
        return str(path)

    def __call__(self, config, cache=True, name="test.g5k.yml", auth=True):
        path = self.write(dict(AUTH, **config) if auth else config, name)
        inventory = InventoryData()
        plugin = inventory_loader.get("g5k.testbed.g5k")
        assert plugin.verify_file(path)
        # what InventoryManager.parse_source does around a plugin
        plugin.parse(_InventoryDataWrapper(inventory, target_plugin=plugin, origin=None), DataLoader(), path,
                     cache=cache)
        try:
            plugin.update_cache_if_changed()
        except AttributeError:  # no cache plugin when caching is off; the manager ignores it too
            pass
        return Parsed(inventory)


class Parsed:
    def __init__(self, inventory):
        self.inventory = inventory

    @property
    def hosts(self):
        return sorted(self.inventory.hosts)

    def vars(self, host):
        return self.inventory.get_host(host).vars

    def group(self, name):
        group = self.inventory.groups.get(name)
        return None if group is None else sorted(h.name for h in group.get_hosts())


@pytest.fixture
def run_inventory(tmp_path):
    return InventoryRun(tmp_path)


def script_gateway(fake_api, site, vlan, ip):
    fake_api.json("GET", "/sites/%s/servers/kavlan-%s" % (site, vlan),
                  {"uid": "kavlan-%s" % vlan, "network_adapters": {"default": {"ip": ip}}})


def script_sites_list(fake_api, sites):
    fake_api.on("GET", "/sites", handler=lambda call: Reply(200, {
        "total": len(sites), "offset": 0, "items": [{"uid": s, "scheduler": sched} for s, sched in sites]}))
