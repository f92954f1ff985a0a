"""Configuration checks added for the API: users file, delays, time zone, faults."""
from __future__ import annotations

import pytest

from g5k_emulator import config

SITES = {"rennes": {"clusters": {"parasilo": {"nodes": 1}}}}


def test_users_file_adds_users_relative_to_the_config(tmp_path):
    (tmp_path / "users.txt").write_text("# team\nalice:wonderland\n\nbob:builder\n")
    (tmp_path / "site.yml").write_text("sites: {rennes: {clusters: {parasilo: {nodes: 1}}}}\n"
                                       "users: [{login: jdoe, password: x}]\nusers_file: users.txt\n")
    loaded = config.load(tmp_path / "site.yml")
    assert [(u.login, u.password) for u in loaded.users] == [("jdoe", "x"), ("alice", "wonderland"),
                                                             ("bob", "builder")]
    (tmp_path / "users.txt").write_text("no-colon-here\n")
    with pytest.raises(config.ConfigError, match=r"users.txt:1: expected login:password"):
        config.load(tmp_path / "site.yml")


def test_delays_time_zone_and_flags_are_checked():
    parsed = config.parse({"sites": SITES, "launch_delay": 0, "delete_delay": 2, "timezone": "UTC"})
    assert (parsed.launch_delay, parsed.delete_delay, parsed.timezone) == (0.0, 2.0, "UTC")
    for bad in ({"launch_delay": -1}, {"deployment_delay": "soon"}, {"timezone": "Mars/Olympus"},
                {"trust_user_header": "yes"}):
        with pytest.raises(config.ConfigError):
            config.parse({"sites": SITES, **bad})


def test_faults_merge_and_type_checks():
    base = config.faults_from_mapping({"latency": 1, "nodes_not_booting": ["parasilo-1"]})
    merged = config.faults_from_mapping({"error_burst": 3}, base)
    assert (merged.latency, merged.error_burst, merged.nodes_not_booting) == (1.0, 3, ("parasilo-1",))
    with pytest.raises(config.ConfigError, match="unknown keys"):
        config.parse({"sites": SITES, "faults": {"meltdown": True}})
    with pytest.raises(config.ConfigError, match="failing_deployment"):
        config.faults_from_mapping({"failing_deployment": "no"})
