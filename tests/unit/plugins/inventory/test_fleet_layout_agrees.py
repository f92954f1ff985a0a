"""One placement, two consumers: vm_fleet's layout (the guest_placement and fleet_layout filters
the playbook calls, on the subnets g5k_subnet returns) and the g5k inventory plugin (its
build_inventory, on the same job) give every guest the same ip and mac."""

from ansible_collections.g5k.testbed.plugins.filter.fleet_host import fleet_host
from ansible_collections.g5k.testbed.plugins.filter.fleet_layout import fleet_layout
from ansible_collections.g5k.testbed.plugins.filter.guest_placement import guest_placement
from g5k_reference import KavlanSite, OarSite, running_job, script_site

SUBNETS = ["10.156.8.0/22", "10.156.4.0/22"]  # as OAR lists them; both consumers walk them in address order
OFFSET = 2
# Declared addresses in mixed order (one of them where the first free address would be, one in the
# second block), a declared MAC, guests with sizes of their own and hypervisors written three ways.
PLACEMENT = """
guests:
  - {name: vm-a, ip: 10.156.4.200, vcpus: 2}
  - vm-b
  - {name: vm-c, ip: 10.156.4.3, memory: 2048}
  - {name: vm-d, mac: "00:16:3e:00:00:0d"}
  - vm-e
  - {name: vm-f, ip: 10.156.8.7, vcpus: 4, memory: 4096}
  - vm-g
placement:
  parasilo-1.rennes.grid5000.fr: [vm-a, vm-e]
  parasilo-2: [vm-b, vm-f, vm-g]
  parasilo-3.rennes: [vm-c, vm-d]
"""


def test_vm_fleet_and_the_inventory_give_each_guest_the_same_ip_and_mac(fake_api, run_inventory, tmp_path):
    script_site(fake_api, "rennes", {"parasilo": 4})
    OarSite(fake_api, "rennes").add(running_job(1, "rennes", ["parasilo-1", "parasilo-2", "parasilo-3"],
                                                subnets=SUBNETS))
    KavlanSite(fake_api, "rennes", ["parasilo-%d.rennes.grid5000.fr" % i for i in range(1, 5)])
    (tmp_path / "placement.yml").write_text(PLACEMENT)

    # vm_fleet: the placement file read by guest_placement, laid out on g5k_subnet's sorted subnets
    layout = fleet_layout(guest_placement(PLACEMENT), sorted(SUBNETS), offset=OFFSET, vcpus=1, memory=96)
    fleet = dict((g["name"], (g["ip"], g["mac"])) for g in layout)
    inventory = run_inventory({"sites": ["rennes"], "hostnames": "short", "guest_placement": "placement.yml",
                               "guest_address_offset": OFFSET})
    inventoried = dict((name, (inventory.vars(name)["g5k_ip"], inventory.vars(name)["g5k_mac"]))
                       for name in inventory.group("g5k_guests"))
    assert inventoried == fleet

    # and the addresses are the rule's: declared ones kept, the others the next free after the offset
    assert fleet == {
        "vm-a": ("10.156.4.200", "00:16:3E:9C:04:C8"),
        "vm-b": ("10.156.4.4", "00:16:3E:9C:04:04"),      # .1 and .2 are the offset, .3 is vm-c's
        "vm-c": ("10.156.4.3", "00:16:3E:9C:04:03"),
        "vm-d": ("10.156.4.5", "00:16:3E:00:00:0D"),      # its own MAC
        "vm-e": ("10.156.4.6", "00:16:3E:9C:04:06"),
        "vm-f": ("10.156.8.7", "00:16:3E:9C:08:07"),
        "vm-g": ("10.156.4.7", "00:16:3E:9C:04:07"),
    }
    # per-guest sizes reach both (the inventory shows only what the placement declares)
    sizes = dict((g["name"], (g["vcpus"], g["memory"])) for g in layout)
    assert (sizes["vm-a"], sizes["vm-c"], sizes["vm-f"], sizes["vm-b"]) == ((2, 96), (1, 2048), (4, 4096), (1, 96))
    assert (inventory.vars("vm-f")["g5k_vcpus"], inventory.vars("vm-f")["g5k_memory"]) == (4, 4096)
    # each hypervisor of the inventory holds the guests vm_fleet starts on it
    for node in ("parasilo-1", "parasilo-2", "parasilo-3"):
        started = [g["name"] for g in fleet_host(layout, [node + ".rennes.grid5000.fr"])["guests"]]
        assert started == inventory.vars(node)["g5k_guests"], node
        assert all(inventory.vars(name)["g5k_hypervisor"] == node for name in started)
