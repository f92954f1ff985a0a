"""LiveFabric: the Fabric the API drives, plus `up`, `down` and `status` of the whole site.

The API's database is the source of truth for VLAN membership and DHCP switches; this class
makes the wire match each change and records it (state.py) so a later `up` rewires the same way.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from .. import config as config_module
from .. import environments
from . import accounts, api_process, dhcp, host_names, host_settings, image, network, nodes, prerequisites
from .host_commands import FabricError
from .podman import Podman
from .state import FabricState
from .topology import DEFAULT, Node, Topology, Vlan, load

WORKERS = 4


@dataclasses.dataclass
class NodeStatus:
    name: str
    container: str
    state: str
    vlans: dict          # device -> VLAN id
    address: str | None  # the primary NIC's reference address in its current VLAN
    holds: list          # IPv4 addresses the primary NIC holds now (old lease until renewed)


class LiveFabric:
    def __init__(self, config: config_module.Config, state_dir, boot_timeout: float = 60.0):
        self.config = config
        self.topology: Topology = load(config)
        self.state = FabricState(Path(state_dir))
        self.podman = Podman(self.state.dir)
        self.boot_timeout = boot_timeout
        self._lock = threading.RLock()
        self._account_base: dict[str, str] | None = None

    # Membership ----------------------------------------------------------------------
    def _vlan_by_key(self, key: str) -> Vlan:
        site, vlan_id = key.split("/", 1)
        return self.topology.vlans[(site, vlan_id)]

    def port_vlans(self, data: dict | None = None) -> dict[str, Vlan]:
        """Every port's current VLAN: recorded moves, else production (gateway legs fixed)."""
        data = data if data is not None else self.state.load()
        result = {}
        for node in self.topology.nodes.values():
            for port in node.ports:
                key = data["ports"].get(port.name)
                result[port.name] = (self._vlan_by_key(key) if key
                                     else self.topology.vlan(node.site, DEFAULT))
        for gateway in self.topology.gateways.values():
            for port in gateway.ports:
                result[port.name] = self.topology.vlan(gateway.site, gateway.static[port.device][0])
        return result

    def _probe(self, node: Node) -> tuple[str, str | None] | None:
        """Where to check the node's sshd: its primary address, from the host or, in a local
        VLAN, from that VLAN's gateway node."""
        port = node.primary
        vlan = self.port_vlans()[port.name]
        address = port.addresses.get(vlan.id)
        if address is None:
            return None
        if vlan.routed:
            return address, None
        return address, self.topology.gateways[(vlan.site, vlan.id)].netns

    def _create(self, node: Node, environment: str, keys: str, boot: bool = True) -> None:
        """A fresh container for the node, root only (no job yet). Its host name is the DHCP
        name of its primary NIC's VLAN at boot (parasilo-1-kavlan-4), as on the real nodes; an
        environment with accounts (the standard one, -nfs, -big) knows the users and mounts
        the site's home."""
        env = environments.find(environment)
        vlan = self.port_vlans()[node.primary.name]
        hostname = node.uid if node.gateway_of else node.primary.dhcp_hostname(vlan.id)
        extra = accounts.access_files([])
        home = None
        if env.accounts:
            extra.update(accounts.account_files(self._image_accounts(), self.config.users))
            home = accounts.homes(self.state.dir, node.site)
        overlay = nodes.write_overlay(node, self.topology, keys, hostname,
                                      self.state.dir / "overlays" / node.container, env.release, extra)
        nodes.create(self.podman, node, image.image_for(environment), overlay, hostname,
                     self.state.dir, home, boot=boot)

    def _image_accounts(self) -> dict[str, str]:
        """The node image's own account files, read once."""
        with self._lock:
            if self._account_base is None:
                self._account_base = accounts.image_account_base(self.podman, image.NODE_IMAGE)
            return self._account_base

    def _check_move(self, port_name: str, vlan: Vlan) -> None:
        """Refuse a move the switch could not make, before anything moves."""
        port = self.topology.ports.get(port_name)
        if port is None:
            raise KeyError(f"Unknown node interface '{port_name}'")
        if vlan.kind != "global" and vlan.site != port.site:
            raise ValueError(f"{port_name} is not on site {vlan.site}: only a global VLAN spans sites")
        if vlan.id not in port.addresses:
            raise ValueError(f"{port_name} has no address in VLAN {vlan.id}")

    def _move(self, data: dict, port_name: str, vlan: Vlan) -> None:
        port = self.topology.ports[port_name]
        network.attach(port.veth, vlan.bridge)
        if vlan.id == DEFAULT and vlan.site == port.site:
            data["ports"].pop(port_name, None)
        else:
            data["ports"][port_name] = f"{vlan.site}/{vlan.id}"

    # Fabric protocol -------------------------------------------------------------------
    def set_vlan(self, site: str, interfaces: list[str], vlan: str, cut_off: tuple[str, ...] = ()) -> None:
        target = self.topology.vlan(site, vlan)
        for name in interfaces:
            self._check_move(name, target)
        with self._lock, self.state.locked():
            data = self.state.load()
            for name in interfaces:
                self._move(data, name, target)
                if name in cut_off:
                    network.cut_off(self.topology.ports[name].veth)
            self.state.save(data)

    def set_dhcp(self, site: str, vlan: str, running: bool) -> None:
        """A VLAN's DHCP is on until a user stops it (`kavlan -d`, to run their own), as on
        today's platform; production's is always on."""
        target = self.topology.vlan(site, vlan)
        if target.id == DEFAULT:
            raise ValueError("the production network's DHCP is always on")
        with self._lock, self.state.locked():
            data = self.state.load()
            off = set(data["dhcp_off"])
            if running:
                dhcp.start(self.topology, target, self.state, data.get("mirror", {}))
                off.discard(target.key)
            else:
                dhcp.stop(target, self.state)
                off.add(target.key)
            data["dhcp_off"] = sorted(off)
            self.state.save(data)

    def set_access(self, site: str, hosts: dict[str, list[str]]) -> None:
        """Who may log in (and use sudo-g5k) on each node or gateway (uid): root and these
        users. A node that is not running now gets its list when it is recreated (empty)."""
        running = nodes.containers(self.podman)
        targets = [(self._host(site, uid).container, logins) for uid, logins in hosts.items()]
        _parallel(lambda target: accounts.set_access(self.podman, *target),
                  [t for t in targets if running.get(t[0]) == "running"])

    def root_used(self, site: str, nodes_: list[str]) -> list[str]:
        """The nodes (uids) where someone used sudo-g5k since their last installation."""
        running = nodes.containers(self.podman)
        containers = {uid: self.topology.node(site, uid).container for uid in nodes_}
        return [uid for uid, container in containers.items()
                if running.get(container) == "running" and accounts.root_used(self.podman, container)]

    def _host(self, site: str, uid: str) -> Node:
        for (gateway_site, _), gateway in self.topology.gateways.items():
            if gateway_site == site and gateway.uid == uid:
                return gateway
        return self.topology.node(site, uid)

    def set_subnets(self, site: str, subnets: list[str]) -> None:
        """The production DHCP serves the g5k-subnet MACs of these /22 (each address's MAC is
        00:16:3E + its last three bytes), as the platform's does for VMs bridged on production."""
        production = self.topology.vlan(site, DEFAULT)
        with self._lock:
            dhcp.serve_subnets(production, self.state, subnets)

    def dhcp_running(self, site: str, vlan: str) -> bool:
        return dhcp.running(self.topology.vlan(site, vlan), self.state)

    def deploy(self, site: str, nodes_: list[str], environment: str, key: str | None,
               vlan: str | None, delay: float) -> dict[str, bool]:
        """Recreate the nodes from the environment's image with `key` for root, primary NIC
        moved to `vlan` (None: left where it is, as the API's database says); a node is OK
        once its sshd answers on its address there. The deployment lasts at least `delay`
        (the API passes deployment_delay + faults.slow_deployment, changeable at run time).
        Configured faults: failing_deployment touches nothing and reports every node KO;
        a node in nodes_not_booting is recreated but never started, so it fails its probe."""
        started = time.monotonic()
        faults = self.config.faults
        if faults.failing_deployment:
            time.sleep(delay)
            return {name: False for name in nodes_}
        environments.find(environment)
        keys = _key_text(key) if key else nodes.standard_keys(self.state.dir)
        targets = [self.topology.node(site, name) for name in nodes_]
        if vlan is not None:
            target_vlan = self.topology.vlan(site, vlan)
            for node in targets:
                self._check_move(node.primary.name, target_vlan)
            with self._lock, self.state.locked():
                data = self.state.load()
                for node in targets:
                    self._move(data, node.primary.name, target_vlan)
                self.state.save(data)
        nodes.remove(self.podman, [n.container for n in targets])
        port_vlans = self.port_vlans()
        for node in targets:
            nodes.rewire(node, self.topology, port_vlans)
        _parallel(lambda node: self._create(node, environment, keys,
                                            boot=node.uid not in faults.nodes_not_booting), targets)
        probes = {node.fqdn: self._probe(node) for node in targets}
        answered = nodes.wait_for_ssh({k: v for k, v in probes.items() if v}, self.boot_timeout)
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        return {node.fqdn: answered.get(node.fqdn, False) for node in targets}

    # Whole site ------------------------------------------------------------------------
    def up(self, config_path: Path | None = None, api: bool = True, log=print) -> list[str]:
        """Bring everything up that is not; returns what had to change (empty: nothing)."""
        prerequisites.require_root()
        changes = [f"installed Debian packages: {' '.join(p)}" for p in [prerequisites.ensure()] if p]
        self.state.claim()
        if image.build(self.podman):
            changes.append(f"built {image.NODE_IMAGE}")
        changes += host_settings.apply(self.state,
                                       host_settings.wanted(len(self.topology.all_nodes())))
        for site in {node.site for node in self.topology.all_nodes()}:
            accounts.make_homes(self.state.dir, site, self.config.users)
        changes += self._up_host_network(config_path)
        if host_names.write(self.topology):
            changes.append(f"node names in {host_names.HOSTS}")
        changes += self._up_nodes()
        if api:
            path = Path(config_path) if config_path else config_module.DEFAULT_CONFIG
            if api_process.start(self.state, path, self.config.host, self.config.port):
                changes.append(f"API started on http://{self.config.host}:{self.config.port}/")
        for change in changes:
            log(change)
        log(f"{len(self.topology.all_nodes())} nodes up; "
            f"{'nothing to do' if not changes else f'{len(changes)} changes'}")
        return changes

    def _up_host_network(self, config_path: Path | None) -> list[str]:
        """Bridges, host routes, firewall, DHCP servers (production's and the started ones)."""
        vlans = list(self.topology.vlans.values())
        routed = [v.network for v in vlans if v.routed] + [v.subnet for v in vlans if v.subnet]
        network.check_no_overlap(routed)
        uplink, _ = network.uplink()
        mirror_url = image.debian_mirror()
        changes = []
        with self._lock, self.state.locked():
            data = self.state.load()
            data["mirror"] = {urllib.parse.urlparse(mirror_url).hostname:
                              network.mirror_addresses(mirror_url)}
            data["config"] = str(Path(config_path or config_module.DEFAULT_CONFIG).resolve())
            self.state.save(data)
            changes += [f"bridge {v.bridge}" for v in vlans if network.ensure_bridge(v)]
            changes += [f"unreachable route {net}"
                        for net in network.block_from_host(self.topology.uplink_blocked)]
            if network.ensure_firewall(uplink, [str(net) for net in routed],
                                       [ip for ips in data["mirror"].values() for ip in ips]):
                changes.append("firewall chains")
            changes += [f"DHCP of {v.key}" for v in vlans if v.key not in data["dhcp_off"]
                        and dhcp.start(self.topology, v, self.state, data["mirror"])]
        return changes

    def _up_nodes(self) -> list[str]:
        """Every node's namespace, ports and container, running, with sshd answering. A
        running container is not trusted: a node whose sshd does not answer is restarted
        (its systemd may have hung at boot), and still silent it fails `up`."""
        keys = nodes.standard_keys(self.state.dir)
        port_vlans = self.port_vlans()
        existing = nodes.containers(self.podman)
        all_nodes = self.topology.all_nodes()

        def bring_up(node: Node) -> None:
            nodes.wire(node, self.topology, port_vlans)
            state = existing.get(node.container)
            if state is None:
                self._create(node, environments.STANDARD, keys)
            elif state != "running":
                nodes.start(self.podman, node)
        _parallel(bring_up, all_nodes)
        started = [n for n in all_nodes if existing.get(n.container) != "running"]
        silent = self._silent(all_nodes, timeout=self.boot_timeout if started else 5.0)
        restarted = [n for n in all_nodes if n.container in silent and n not in started]
        if restarted:
            nodes.restart(self.podman, [n.container for n in restarted])
            silent = self._silent(restarted, self.boot_timeout) | (silent - {n.container for n in restarted})
        if silent:
            raise FabricError(f"sshd did not answer within {self.boot_timeout:.0f} s on: "
                              f"{', '.join(sorted(silent))} (see `podman logs <node>`)")
        return ([f"node {n.fqdn} started" for n in started]
                + [f"node {n.fqdn} restarted (sshd did not answer)" for n in restarted])

    def _silent(self, targets: list[Node], timeout: float) -> set[str]:
        """Containers of `targets` whose sshd does not answer within `timeout`."""
        probes = {n.container: self._probe(n) for n in targets}
        answered = nodes.wait_for_ssh({k: v for k, v in probes.items() if v}, timeout)
        return {k for k, ok in answered.items() if not ok}

    def down(self, log=print) -> None:
        """Remove every container, namespace, bridge, veth, route, rule and process of the
        fabric, by name and recorded PID, whatever state a partial `up` left; then forget the
        site's jobs and membership, which would describe machines that no longer exist."""
        prerequisites.require_root()
        self.state.check_owner()
        api_process.stop(self.state)
        for name in self.state.pid_names():
            self.state.stop(name)
        names = list(nodes.containers(self.podman))
        nodes.remove(self.podman, names)
        network.remove_all()
        host_names.remove()
        restored = host_settings.restore(self.state)
        self.state.forget_site()
        self.state.release()
        log(f"removed {len(names)} containers, the site's network and its jobs"
            + (f"; restored {', '.join(restored)}" if restored else ""))

    def status(self) -> list[NodeStatus]:
        running = nodes.containers(self.podman)
        port_vlans = self.port_vlans()
        rows = []
        for node in self.topology.all_nodes():
            vlan = port_vlans[node.primary.name]
            rows.append(NodeStatus(
                name=node.fqdn, container=node.container,
                state=running.get(node.container, "absent"),
                vlans={p.device: port_vlans[p.name].id for p in node.ports},
                address=node.primary.addresses.get(vlan.id),
                holds=network.addresses(node.netns, node.primary.device)))
        return rows

    def dhcp_status(self) -> dict[str, bool]:
        return {f"{v.site}/{v.id}": dhcp.running(v, self.state) for v in self.topology.vlans.values()}


def _parallel(action, items) -> None:
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(action, item) for item in items]:
            future.result()


def _key_text(key: str) -> str:
    """A deployment key is the key itself, or (real API) a URL: only local ones are fetched."""
    if not key.startswith(("http://", "https://")):
        return key.strip() + "\n"
    host = urllib.parse.urlparse(key).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"key URL {key}: only keys served by the emulated site can be fetched")
    with urllib.request.urlopen(key, timeout=10) as answer:
        return answer.read().decode().strip() + "\n"
