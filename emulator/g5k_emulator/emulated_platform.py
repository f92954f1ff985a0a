"""Everything the API's handlers share: configuration, reference documents, state, fabric,
runtime faults and the clock (injectable, so tests can move time instead of sleeping)."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from .allocation import SiteResources
from .config import Config, Faults
from .errors import ApiError
from .fabric_protocol import Fabric
from .reference import Reference, build
from .storage import Store
from .vlan_catalogue import kavlan_interfaces


class Platform:
    def __init__(self, config: Config, state_dir: str | Path, fabric: Fabric,
                 clock: Callable[[], float] = time.time):
        self.config = config
        self.reference: Reference = build(config)
        self.store = Store(state_dir)
        self.fabric = fabric
        self.clock = clock
        self.faults: Faults = config.faults
        self.faults_lock = threading.Lock()
        self.users = {u.login: u.password for u in config.users}
        self.resources = {s.uid: SiteResources.of(self.reference, s.uid)
                          for s in config.sites if s.scheduler == "oar"}
        self.interfaces = {s.uid: kavlan_interfaces(self.reference, s.uid) for s in config.sites}
        self.workers: list[threading.Thread] = []  # deployment threads, joined on shutdown

    def now(self) -> float:
        return self.clock()

    def site(self, site: str) -> dict:
        """The site's Reference document, or 404 as g5k-api answers for an unknown site."""
        doc = self.reference.sites.get(site)
        if doc is None:
            raise ApiError(404, f"Cannot find site '{site}'")
        return doc

    def oar_site(self, site: str, service: str) -> dict:
        """The site, if it runs OAR (and so KaVLAN and Kadeploy); a Slurm site is refused."""
        doc = self.site(site)
        if doc["scheduler"] != "oar":
            raise ApiError(404, f"Site '{site}' is managed by {doc['scheduler']}, not OAR: "
                                f"there is no {service} service on this site")
        return doc

    def node_fqdn(self, site: str, node_uid: str) -> str:
        return f"{node_uid}.{site}.grid5000.fr"

    def node_uid_of(self, site: str, fqdn: str) -> str | None:
        """`parasilo-1.rennes.grid5000.fr` -> `parasilo-1` if that node exists on `site`."""
        suffix = f".{site}.grid5000.fr"
        if not fqdn.endswith(suffix):
            return None
        uid = fqdn[:-len(suffix)]
        return uid if self.reference.node(site, uid) else None
