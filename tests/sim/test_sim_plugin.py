"""The pytest plugin: its fixtures, and that it stays harmless without pytest-asyncio."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest
from sim_support import connect

from livionkey_async.testing import SimConfig, Simulator, pytest_plugin


def _client_available() -> bool:
    try:
        from livionkey_async import LivionKeyClient  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return False
    return LivionKeyClient is not None


async def test_livionkey_sim_is_running_with_the_default_config(
    livionkey_sim: Simulator, livionkey_sim_config: SimConfig
) -> None:
    assert livionkey_sim.running
    assert livionkey_sim.config is livionkey_sim_config
    assert livionkey_sim_config == SimConfig(clock=livionkey_sim_config.clock)
    async with connect(livionkey_sim) as api:
        assert len((await api.get("/devices")).items()) == 4


def test_plugin_defines_nothing_without_pytest_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pytest_asyncio", None)  # makes the import fail
    spec = importlib.util.spec_from_file_location("plugin_copy", pytest_plugin.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HAVE_PYTEST_ASYNCIO is False
    for name in ("livionkey_sim", "livionkey_sim_config", "livionkey_client"):
        assert not hasattr(module, name)
    assert pytest_plugin.HAVE_PYTEST_ASYNCIO is True
    assert hasattr(pytest_plugin, "livionkey_client")


@pytest.mark.skipif(not _client_available(), reason="LivionKeyClient is not importable yet")
async def test_livionkey_client_talks_to_the_simulator(
    livionkey_client: Any, livionkey_sim: Simulator
) -> None:
    devices = await livionkey_client.devices.list()
    assert [d.device_id for d in devices] == ["00001", "00002", "00003", "00004"]
    assert livionkey_sim.stats.logins == 1
