"""One node's Reference API document, in the shape of the real files (parasilo-1.json).

Hardware fields are one fixed, plausible profile; the network fields are the truth the fabric
wires containers from: MACs (unique, stable), production IPs, the `kavlan` IP map for every
VLAN the node may join, and the `network_address` names the KaVLAN API expects.
"""
from __future__ import annotations

from .addressing import LOCAL_VLANS, ROUTED_VLANS, SitePlan

# NIC order of every emulated node: eth0 primary, eth1 second KaVLAN port, eth2 cabled nowhere.
DEVICE_NUMBERS = {"eth0": 0, "eth1": 1, "eth2": 2, "bmc": 0x0B}


def node_mac(plan: SitePlan, ci: int, n: int, device: str) -> str:
    """02:<site>:<cluster>:<node hi>:<node lo>:<device>; locally administered, unique per NIC."""
    octets = (0x02, plan.index, ci, n >> 8, n & 0xFF, DEVICE_NUMBERS[device])
    return ":".join(f"{o:02x}" for o in octets)


def _kavlan_maps(plan: SitePlan, oar_plans: list[SitePlan], ci: int, n: int):
    v4: dict[str, dict[str, str]] = {}
    v6: dict[str, dict[str, str]] = {}
    for device, secondary in (("eth0", False), ("eth1", True)):
        ips, ips6 = {}, {}
        for vlan in LOCAL_VLANS + ROUTED_VLANS:
            ips[f"kavlan-{vlan}"] = plan.node_vlan_ip(vlan, ci, n, secondary)
            ips6[f"kavlan-{vlan}"] = plan.node_vlan_ip6(vlan, ci, n, secondary)
        for owner in oar_plans:
            ips[f"kavlan-{owner.global_vlan}"] = plan.node_global_vlan_ip(owner, ci, n, secondary)
            ips6[f"kavlan-{owner.global_vlan}"] = plan.node_global_vlan_ip6(owner, ci, n, secondary)
        v4[device] = dict(sorted(ips.items()))
        v6[device] = dict(sorted(ips6.items()))
    return v4, v6


def _adapters(plan: SitePlan, cluster: str, ci: int, n: int, uid: str) -> list[dict]:
    fqdn_base = f"{plan.uid}.grid5000.fr"
    common = {"driver": "ixgbe", "firmware_version": "0x8000095c, 19.5.12", "interface": "Ethernet",
              "model": "82599ES 10-Gigabit SFI/SFP+ Network Connection", "rate": 10000000000,
              "sriov": True, "sriov_totalvfs": 63, "vendor": "Intel"}
    eth0 = {**common, "bridged": True, "device": "eth0", "enabled": True,
            "ip": plan.node_production_ip(ci, n), "ip6": plan.node_production_ip6(ci, n),
            "kavlan": True, "mac": node_mac(plan, ci, n, "eth0"), "management": False,
            "mountable": True, "mounted": True, "name": "eno1",
            "network_address": f"{uid}.{fqdn_base}",
            "switch": f"{cluster}-sw-1", "switch_port": f"Ethernet1/{2 * n}"}
    eth1 = {**common, "bridged": False, "device": "eth1", "enabled": True,
            "ip": plan.node_production_ip(ci, n, secondary=True),
            "ip6": plan.node_production_ip6(ci, n, secondary=True),
            "kavlan": True, "mac": node_mac(plan, ci, n, "eth1"), "management": False,
            "mountable": True, "mounted": False, "name": "eno2",
            "network_address": f"{uid}-eth1.{fqdn_base}",
            "switch": f"{cluster}-sw-1", "switch_port": f"Ethernet1/{2 * n - 1}"}
    eth2 = {"bridged": False, "device": "eth2", "driver": "igb",
            "enabled": False, "firmware_version": "1.67, 0x80000fab, 19.5.12", "interface": "Ethernet",
            "kavlan": False, "mac": node_mac(plan, ci, n, "eth2"), "management": False,
            "model": "I350 Gigabit Network Connection", "mountable": False, "mounted": False,
            "name": "eno3", "sriov": False, "sriov_totalvfs": 0, "vendor": "Intel"}
    bmc = {"device": "bmc", "enabled": True, "interface": "Ethernet", "ip": plan.node_bmc_ip(ci, n),
           "kavlan": False, "mac": node_mac(plan, ci, n, "bmc"), "management": True,
           "mountable": False, "mounted": False, "network_address": f"{uid}-bmc.{fqdn_base}",
           "rate": 100000000}
    return [eth0, eth1, eth2, bmc]


def _storage_devices(uid: str) -> list[dict]:
    disks = []
    for i, (size, kind) in enumerate(((600127266816, "HDD"), (600127266816, "HDD"), (200049647616, "SSD"))):
        disk = {"by_id": f"/dev/disk/by-id/wwn-0x5000{uid.encode().hex()[:8]}{i:04x}",
                "by_path": f"/dev/disk/by-path/pci-0000:03:00.0-scsi-0:0:{i}:0",
                "firmware_version": "LS0C", "id": f"disk{i}", "interface": "SAS",
                "model": "ST600MM0006" if kind == "HDD" else "PX02SSF020",
                "size": size, "storage": kind, "vendor": "Seagate" if kind == "HDD" else "Toshiba"}
        if i:
            disk["reservation"] = True
        disks.append(disk)
    return disks


def node_document(plan: SitePlan, oar_plans: list[SitePlan], cluster: str, ci: int, n: int) -> dict:
    uid = f"{cluster}-{n}"
    kavlan, kavlan6 = _kavlan_maps(plan, oar_plans, ci, n) if plan.is_oar else ({}, {})
    doc = {
        "architecture": {"cpu_core_numbering": "round-robin", "nb_cores": 16, "nb_procs": 2,
                         "nb_threads": 32, "platform_type": "x86_64"},
        "bios": {"release_date": "05/14/2021", "vendor": "Dell Inc.", "version": "2.13.0"},
        "bmc_version": "2.81.81.81",
        "chassis": {"manufactured_at": "2015-01-13", "manufacturer": "Dell Inc.",
                    "name": "PowerEdge R630", "serial": f"EMU{plan.index:02d}{ci}{n:03d}",
                    "warranty_end": "2030-01-13"},
        "exotic": False,
        "kavlan": kavlan,
        "kavlan6": kavlan6,
        "main_memory": {"ram_size": 137438953472},
        "management_tools": {"bmc_vendor_tool": "racadm", "ipmitool": {"retries": 5}},
        "memory_devices": [{"device": f"dimm_{bank}{slot}", "size": 17179869184, "technology": "dram"}
                           for bank in "ab" for slot in range(1, 5)],
        "network_adapters": _adapters(plan, cluster, ci, n, uid),
        "nodeset": cluster,
        "operating_system": {"cstate_driver": "intel_idle", "cstate_governor": "menu",
                             "ht_enabled": True, "pstate_driver": "intel_cpufreq",
                             "pstate_governor": "performance", "turboboost_enabled": True},
        "pdu": [{"port": n, "uid": f"{cluster}-pdu-1"}],
        "performance": {"core_flops": 38400000000, "node_flops": 614400000000},
        "processor": {"cache_l1": None, "cache_l1d": 32768, "cache_l1i": 32768, "cache_l2": 262144,
                      "cache_l3": 20971520, "clock_speed": 2400000000, "ht_capable": True,
                      "instruction_set": "x86-64", "microarchitecture": "Haswell", "model": "Intel Xeon",
                      "other_description": "Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz",
                      "vendor": "Intel", "version": "E5-2630 v3"},
        "redfish": True,
        "software": {"forced-deployment-timestamp": 202508281353, "postinstall-version": "1.2026012214",
                     "standard-environment": "debian12-x64-std"},
        "storage_devices": _storage_devices(uid),
        "supported_job_types": {"besteffort": True, "deploy": True, "max_walltime": 0,
                                "queues": ["admin", "default"], "virtual": "ivt"},
        "type": "node",
        "uid": uid,
    }
    if not plan.is_oar:
        # A Slurm site has no KaVLAN: no VLAN maps, no KaVLAN-capable port.
        del doc["kavlan"], doc["kavlan6"]
        for adapter in doc["network_adapters"]:
            adapter["kavlan"] = False
    return doc
