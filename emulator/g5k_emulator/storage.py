"""The emulator's state in SQLite, so `g5k-emulator serve` can stop and start without losing
jobs, VLAN membership, DHCP switches or deployments.

One connection shared by the server's threads behind a re-entrant lock: requests are short
and the site is small, so serialising them is simpler than row-level concurrency.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

DB_NAME = "emulator.sqlite3"
SCHEMA_VERSION = 2  # 2: job ids per site

SCHEMA = """
-- Job ids are numbered per site: each site has its own OAR server.
CREATE TABLE IF NOT EXISTS jobs (
    uid INTEGER NOT NULL,
    site TEXT NOT NULL,
    user TEXT NOT NULL,
    name TEXT,
    project TEXT,
    queue TEXT NOT NULL,
    command TEXT NOT NULL,
    directory TEXT NOT NULL,
    types TEXT NOT NULL,            -- JSON list
    properties TEXT,
    resources TEXT NOT NULL,        -- the OAR resource string as submitted (parsed again on use)
    walltime INTEGER NOT NULL,      -- seconds
    reservation REAL,               -- requested start (advance reservation), epoch seconds
    state TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    scheduled_at REAL,              -- start of the window the job holds its resources for
    launched_at REAL,
    started_at REAL,
    stopped_at REAL,
    delete_requested_at REAL,
    exit_code INTEGER,
    events TEXT NOT NULL DEFAULT '[]',
    walltime_granted INTEGER NOT NULL DEFAULT 0,   -- seconds added by walltime changes
    walltime_pending INTEGER NOT NULL DEFAULT 0,   -- seconds asked for and not granted
    PRIMARY KEY (site, uid)
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state);
-- Resources a job holds over [scheduled_at, scheduled_at + walltime) while not terminal.
CREATE TABLE IF NOT EXISTS holdings (
    job_uid INTEGER NOT NULL,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,             -- node | vlan | subnet
    value TEXT NOT NULL,            -- node uid | VLAN id | /22 CIDR
    position INTEGER NOT NULL,
    PRIMARY KEY (site, job_uid, kind, value)
);
-- KaVLAN membership of interfaces (absent = DEFAULT, the production network).
CREATE TABLE IF NOT EXISTS vlan_members (
    site TEXT NOT NULL,
    interface TEXT NOT NULL,
    vlan TEXT NOT NULL,
    PRIMARY KEY (site, interface)
);
-- Nodes of an ended deploy job being redeployed with the standard environment (not allocatable).
CREATE TABLE IF NOT EXISTS returning_nodes (
    site TEXT NOT NULL,
    node TEXT NOT NULL,
    PRIMARY KEY (site, node)
);
-- DHCP switches users made (absent = running, the platform's default).
CREATE TABLE IF NOT EXISTS dhcpd (
    site TEXT NOT NULL,
    vlan TEXT NOT NULL,
    running INTEGER NOT NULL,
    PRIMARY KEY (site, vlan)
);
CREATE TABLE IF NOT EXISTS deployments (
    uid TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    user TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    status TEXT NOT NULL,
    nodes TEXT NOT NULL,            -- JSON list of FQDNs
    environment TEXT NOT NULL,
    params TEXT NOT NULL,           -- JSON: the other accepted creation parameters
    result TEXT,                    -- JSON: fqdn -> {macro, micro, state}
    output TEXT
);
"""


class Store:
    """A SQLite database in `state_dir`; use `with store.transaction() as db:` for every access."""

    def __init__(self, state_dir: str | Path):
        self.path = Path(state_dir) / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION and self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone():
            self._db.close()
            raise RuntimeError(f"{self.path} holds the state of an older emulator (schema {version}, "
                               f"this one uses {SCHEMA_VERSION}): `g5k-emulator down` or remove it")
        self._db.executescript(SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def transaction(self):
        """Serialised access; nested uses join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._db
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
