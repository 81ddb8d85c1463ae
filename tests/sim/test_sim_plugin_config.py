"""Overriding ``livionkey_sim_config`` in a module configures the ``livionkey_sim`` fixture."""

from __future__ import annotations

import pytest
from sim_support import connect

from livionkey_async.testing import SimConfig, Simulator


@pytest.fixture
def livionkey_sim_config() -> SimConfig:
    return SimConfig(devices=2, keys=4, keyx_devices=0, email="fixture@example.com", password="pw")


async def test_overridden_config_reaches_the_simulator(livionkey_sim: Simulator) -> None:
    assert livionkey_sim.config.email == "fixture@example.com"
    async with connect(livionkey_sim) as api:
        devices = (await api.get("/devices")).items()
        keys = (await api.get("/devices/00002/keys")).items()
    assert [d["deviceId"] for d in devices] == ["00001", "00002"]
    assert len(keys) == 4
