"""Fixtures for the API tests: an in-process app (FastAPI TestClient) on a fresh state
directory, with a clock the test moves and a fabric that records what the API asked of it."""
from __future__ import annotations

import pytest
from api_client import Api, MovableClock, RecordingFabric, make_config
from fastapi.testclient import TestClient

from g5k_emulator.app import create_app
from g5k_emulator.emulated_platform import Platform


@pytest.fixture
def api_factory(tmp_path):
    """Build an Api on a state directory (reuse one to test persistence across restarts)."""
    opened = []

    def build(state_dir=None, config=None, clock=None) -> Api:
        clock = clock or MovableClock()
        fabric = RecordingFabric()
        platform = Platform(config or make_config(), state_dir or tmp_path / "state", fabric, clock=clock)
        client = TestClient(create_app(platform, ticker_interval=3600))
        client.__enter__()
        opened.append((client, platform))
        return Api(client, platform, clock, fabric)

    yield build
    for client, platform in opened:
        client.__exit__(None, None, None)
        platform.store.close()


@pytest.fixture
def api(api_factory) -> Api:
    return api_factory()
