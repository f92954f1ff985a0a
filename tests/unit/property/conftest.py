"""Hypothesis settings of the property tests: a bounded number of examples per property, so the
whole folder runs in seconds, no example database, and Hypothesis's caches kept under .build/
rather than in a .hypothesis folder at the top of the checkout."""

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(__file__).resolve().parents[3] / ".build" / "hypothesis")
settings.register_profile("g5k", max_examples=80, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("g5k")
