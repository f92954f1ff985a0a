"""OAR resource strings, walltimes and reservation dates."""

import pytest

from ansible_collections.g5k.testbed.plugins.module_utils.oar_resources import (
    build_resources,
    check_reservation,
    normalize_walltime,
    walltime_seconds,
)


@pytest.mark.parametrize("text, expected", [("2", "02:00:00"), ("1:30", "01:30:00"), ("0:00:45", "00:00:45"),
                                            ("36:00:00", "36:00:00")])
def test_walltime(text, expected):
    assert normalize_walltime(text) == expected


@pytest.mark.parametrize("text", ["2h", "1:60", "", "-1", "1:2:3:4"])
def test_bad_walltime(text):
    with pytest.raises(ValueError, match="malformed"):
        normalize_walltime(text)


def test_walltime_seconds():
    assert walltime_seconds("1:30") == 5400


def test_reservation():
    assert check_reservation("2026-03-01 19:00") == "2026-03-01 19:00:00"
    assert check_reservation("now") == "now"
    for bad in ("2026-03-01", "01/03/2026 19:00", "2026-02-30x 10:00", "2026-03-01 24:00:00"):
        with pytest.raises(ValueError, match="malformed"):
            check_reservation(bad)


def test_build_resources_like_enoslib():
    text = build_resources([{"name": "paravance", "nodes": 3}], None, "kavlan", 1, 22, 1, "2:00")
    assert text == "{cluster='paravance'}/nodes=3+{type='kavlan'}/vlan=1+slash_22=1,walltime=02:00:00"
    named = build_resources(None, ["b-2.rennes.grid5000.fr", "b-1.rennes.grid5000.fr"])
    assert named == "{network_address in ('b-1.rennes.grid5000.fr', 'b-2.rennes.grid5000.fr')}/nodes=2"
    with pytest.raises(ValueError, match="unknown"):
        build_resources(vlan="kavlan-routed")
