"""The emulated platform's configuration: sites, clusters, node counts, users, faults.

Loaded from YAML (default-site.yml next to this file unless a path is given) and checked,
so a bad file stops the emulator with a message that names the key to fix.
"""
from __future__ import annotations

import dataclasses
import zoneinfo
from pathlib import Path

import yaml

from .addressing import MAX_CLUSTERS_PER_SITE, MAX_NODES_PER_CLUSTER, plan_sites

DEFAULT_CONFIG = Path(__file__).with_name("default-site.yml")
SCHEDULERS = ("oar", "slurm")


class ConfigError(ValueError):
    """The configuration file is invalid; the message says which key and why."""


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
    uid: str
    nodes: int


@dataclasses.dataclass(frozen=True)
class SiteConfig:
    uid: str
    scheduler: str
    clusters: tuple[ClusterConfig, ...]


@dataclasses.dataclass(frozen=True)
class User:
    login: str
    password: str
    ssh_keys: tuple[str, ...] = ()   # public keys: the user's ~/.ssh/authorized_keys on the nodes


# What a fault rule does to a request it hits: `error` (503, the platform does nothing), `drop`
# (the connection is closed before the platform acts), `lost_answer` (the platform acts, then the
# connection is closed before the answer is sent).
# "none" answers normally: it lets the rules after it hit only later requests of its kind
FAULT_KINDS = ("error", "drop", "lost_answer", "none")
# The configuration keys that existed before rules: "the next N requests", i.e. a rule matching
# every request. They are shorthands: setting one replaces the untargeted rule of its kind.
COUNTER_KEYS = {"error_burst": "error", "drop_connections": "drop"}
# Fault settings that are lists of node uids.
NODE_LIST_KEYS = ("nodes_not_booting", "nodes_lost_in_vlan_move")


@dataclasses.dataclass(frozen=True)
class FaultRule:
    """Hits the next `count` API requests of `method` (any when None) whose path after the version
    prefix matches the shell-style pattern `path` (any when None; `*` also matches `/`)."""
    fault: str
    method: str | None = None
    path: str | None = None
    count: int = 1

    @property
    def untargeted(self) -> bool:
        return self.method is None and self.path is None


@dataclasses.dataclass(frozen=True)
class Faults:
    latency: float = 0.0
    slow_deployment: float = 0.0
    failing_deployment: bool = False
    nodes_not_booting: tuple[str, ...] = ()
    # Node uids whose switch port a VLAN move leaves down: the node is in its new VLAN for KaVLAN
    # but never answers there (lost after the move), until a later move brings the port up.
    nodes_lost_in_vlan_move: tuple[str, ...] = ()
    rules: tuple[FaultRule, ...] = ()   # tried in order; the first with hits left applies

    def hits_left(self, fault: str) -> int:
        """What the counter shorthand of `fault` reads: hits left of its untargeted rules."""
        return sum(r.count for r in self.rules if r.untargeted and r.fault == fault)

    @property
    def error_burst(self) -> int:
        return self.hits_left("error")

    @property
    def drop_connections(self) -> int:
        return self.hits_left("drop")


@dataclasses.dataclass(frozen=True)
class Config:
    host: str
    port: int
    users: tuple[User, ...]
    sites: tuple[SiteConfig, ...]
    deployment_delay: float
    faults: Faults
    # Seconds a job spends in `launching` before `running`, and a deleted job before it ends.
    launch_delay: float = 1.0
    delete_delay: float = 0.5
    # OAR reads reservation dates in the platform's local time.
    timezone: str = "Europe/Paris"
    # Accept the X-Api-User-CN header as the user, as the platform's internal proxy does for
    # requests from a frontend or a node (no credentials there). Off: anyone local could use it.
    trust_user_header: bool = False

    def site(self, uid: str) -> SiteConfig | None:
        return next((s for s in self.sites if s.uid == uid), None)


def _require(mapping: dict, key: str, kind: type, where: str):
    if key not in mapping:
        raise ConfigError(f"{where}: missing key '{key}'")
    value = mapping[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    return value


def _parse_site(uid: str, raw: dict) -> SiteConfig:
    where = f"sites.{uid}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    scheduler = raw.get("scheduler", "oar")
    if scheduler not in SCHEDULERS:
        raise ConfigError(f"{where}.scheduler: expected one of {SCHEDULERS}, got {scheduler!r}")
    clusters_raw = _require(raw, "clusters", dict, where)
    if not clusters_raw:
        raise ConfigError(f"{where}.clusters: a site needs at least one cluster")
    clusters = []
    for cuid, craw in clusters_raw.items():
        cwhere = f"{where}.clusters.{cuid}"
        if not isinstance(craw, dict):
            raise ConfigError(f"{cwhere}: expected a mapping")
        count = _require(craw, "nodes", int, cwhere)
        if not 1 <= count <= MAX_NODES_PER_CLUSTER:
            raise ConfigError(f"{cwhere}.nodes: expected 1 to {MAX_NODES_PER_CLUSTER} nodes "
                              f"(the address plan gives a cluster one /24), got {count}")
        clusters.append(ClusterConfig(uid=str(cuid), nodes=count))
    if len(clusters) > MAX_CLUSTERS_PER_SITE:
        raise ConfigError(f"{where}.clusters: at most {MAX_CLUSTERS_PER_SITE} clusters per site "
                          f"(the address plan of global VLANs), got {len(clusters)}")
    return SiteConfig(uid=str(uid), scheduler=scheduler, clusters=tuple(clusters))


def parse(raw: dict, base_dir: str | Path | None = None) -> Config:
    """Check a configuration mapping; `base_dir` resolves a relative `users_file`."""
    if not isinstance(raw, dict):
        raise ConfigError("the configuration must be a YAML mapping")
    api = raw.get("api", {}) or {}
    users = []
    for i, u in enumerate(raw.get("users", []) or []):
        where = f"users[{i}]"
        keys = list(u.get("ssh_keys") or [])
        files = u.get("ssh_key_files") or []
        if not all(isinstance(k, str) for k in keys) or not all(isinstance(f, str) for f in files):
            raise ConfigError(f"{where}: ssh_keys and ssh_key_files are lists of strings")
        keys += [k for f in files for k in _read_keys(Path(base_dir or ".") / Path(f).expanduser(), where)]
        users.append(User(login=_require(u, "login", str, where), password=_require(u, "password", str, where),
                          ssh_keys=tuple(keys)))
    sites_raw = _require(raw, "sites", dict, "config")
    sites = tuple(_parse_site(uid, sraw) for uid, sraw in sites_raw.items())
    try:
        plan_sites(sites)
    except ValueError as exc:
        raise ConfigError(f"sites: {exc}") from exc
    if raw.get("users_file"):
        users.extend(read_users_file(Path(base_dir or ".") / raw["users_file"]))
    timezone = str(raw.get("timezone", "Europe/Paris"))
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"timezone: unknown time zone {timezone!r}") from exc
    return Config(
        host=str(api.get("host", "127.0.0.1")),
        port=int(api.get("port", 8000)),
        users=tuple(users),
        sites=sites,
        deployment_delay=_seconds(raw, "deployment_delay", 2.0),
        faults=faults_from_mapping(raw.get("faults", {}) or {}),
        launch_delay=_seconds(raw, "launch_delay", 1.0),
        delete_delay=_seconds(raw, "delete_delay", 0.5),
        timezone=timezone,
        trust_user_header=_flag(raw, "trust_user_header"),
    )


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _seconds(raw: dict, key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{key}: expected a number of seconds >= 0, got {value!r}")
    return float(value)


def fault_rules(raw, where: str = "rules") -> tuple[FaultRule, ...]:
    """Rules from a list of mappings ({"fault", "method", "path", "count"}), type-checked."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected a list of rules")
    rules = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{at}: expected a mapping")
        unknown = set(item) - {"fault", "method", "path", "count"}
        if unknown:
            raise ConfigError(f"{at}: unknown keys {sorted(unknown)} (known: count, fault, method, path)")
        if item.get("fault") not in FAULT_KINDS:
            raise ConfigError(f"{at}.fault: expected one of {', '.join(FAULT_KINDS)}, got {item.get('fault')!r}")
        for key in ("method", "path"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise ConfigError(f"{at}.{key}: expected a string, got {item[key]!r}")
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError(f"{at}.count: expected a whole number >= 1, got {count!r}")
        method = item.get("method")
        rules.append(FaultRule(item["fault"], method.upper() if method else None, item.get("path"), count))
    return tuple(rules)


def _counter(rules: tuple[FaultRule, ...], key: str, value) -> tuple[FaultRule, ...]:
    """`rules` with the untargeted rule of the shorthand `key` set to `value` hits."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"faults.{key}: expected a whole number >= 0, got {value!r}")
    kind = COUNTER_KEYS[key]
    kept = tuple(r for r in rules if not (r.untargeted and r.fault == kind))
    return kept + ((FaultRule(kind, count=value),) if value else ())


def faults_from_mapping(raw: dict, base: Faults | None = None) -> Faults:
    """Faults from a mapping (config file or the runtime control endpoint), type-checked;
    keys not given keep their value from `base`. `rules` replaces every rule, then the
    shorthands `error_burst` and `drop_connections` set their untargeted rule."""
    if not isinstance(raw, dict):
        raise ConfigError("faults: expected a mapping")
    fields = {f.name: f for f in dataclasses.fields(Faults)}
    unknown = set(raw) - set(fields) - set(COUNTER_KEYS)
    if unknown:
        raise ConfigError(f"faults: unknown keys {sorted(unknown)} (known: {sorted(set(fields) | set(COUNTER_KEYS))})")
    base = base or Faults()
    values = {name: getattr(base, name) for name in fields}
    if "rules" in raw:
        values["rules"] = fault_rules(raw["rules"], "faults.rules")
    for key, value in raw.items():
        if key == "rules":
            continue
        if key in COUNTER_KEYS:
            values["rules"] = _counter(values["rules"], key, value)
            continue
        expected = type(values[key])
        if key in NODE_LIST_KEYS:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"faults.{key}: expected a list of node names")
            value = tuple(value)
        elif expected is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise ConfigError(f"faults.{key}: expected {expected.__name__}, got {value!r}")
        if expected in (int, float) and value < 0:
            raise ConfigError(f"faults.{key}: expected a value >= 0, got {value!r}")
        values[key] = value
    return Faults(**values)


def _read_keys(path: Path, where: str) -> list[str]:
    """Public keys in a `.pub` or authorized_keys file (one per line, comments ignored)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read SSH key file {path}: {exc.strerror}") from exc
    keys = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not keys:
        raise ConfigError(f"{where}: {path} holds no public key")
    return keys


def read_users_file(path: Path) -> list[User]:
    """A users file: one `login:password[:public key file]` per line (the key file's keys go into
    the user's authorized_keys on the nodes, relative to the users file); blank lines and `#`
    comments ignored."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"users_file: cannot read {path}: {exc.strerror}") from exc
    users = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        login, sep, rest = line.partition(":")
        password, _, key_file = rest.partition(":")
        if not sep or not login or not password:
            raise ConfigError(f"users_file {path}:{number}: expected login:password[:key file]")
        keys = _read_keys(path.parent / Path(key_file).expanduser(), f"users_file {path}:{number}") if key_file else []
        users.append(User(login=login, password=password, ssh_keys=tuple(keys)))
    return users


def load(path: str | Path | None = None) -> Config:
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    return parse(raw, base_dir=path.parent)
