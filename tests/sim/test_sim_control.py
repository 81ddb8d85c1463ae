"""The ``/_sim/`` control plane and the in-process helpers of ``Simulator``."""

from __future__ import annotations

import pytest
from sim_support import connect, contract_body

from livionkey_async.testing import Faults, SimConfig, Simulator


async def test_stats_counts_what_happened(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        await api.post("/contracts", contract_body("c1"))
        await api.post("/contracts", contract_body("c1"))
        stats = (await api.get("/_sim/stats")).obj()
    assert stats == {
        "requests": 3,
        "logins": 1,
        "throttled": 0,
        "unauthorized": 0,
        "forbidden": 0,
        "contracts": 1,
        "duplicate_contract_ids_refused": 1,
        "in_flight": 0,
        "max_in_flight": 1,
        "dropped": 0,
        "failed": 0,
        "slowed": 0,
        "unhandled": 0,
    }
    assert livionkey_sim.stats.as_dict() == stats


async def test_contracts_listing_for_exactly_once_checks(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        await api.post("/contracts", contract_body("a"))
        await api.post("/contracts", contract_body("b", key_id="A0002"))
        everything = (await api.get("/_sim/contracts")).items()
        just_b = (await api.get("/_sim/contracts", contractId="b")).items()
    assert [c["contractId"] for c in everything] == ["a", "b"]
    assert all(c["account"] == "demo@example.com" for c in everything)
    assert [c["contractId"] for c in just_b] == ["b"]
    assert sorted(livionkey_sim.contracts_by_contract_id()) == ["a", "b"]


async def test_reset_restores_the_seeded_start(livionkey_sim: Simulator) -> None:
    seeded = {d: sorted(dev.keys) for d, dev in livionkey_sim.state.devices.items()}
    async with connect(livionkey_sim) as api:
        await api.post("/contracts", contract_body("x"))
        await api.delete("/keys/A0002", deviceId="00002")
        livionkey_sim.faults.latency = 0.01
        reset = await api.post("/_sim/reset")
        after_token = await api.get("/devices")
    assert reset.obj() == {"reset": True}
    assert after_token.status == 401  # tokens are gone too
    assert livionkey_sim.contracts() == []
    assert {d: sorted(dev.keys) for d, dev in livionkey_sim.state.devices.items()} == seeded
    assert livionkey_sim.faults.latency == 0.0
    assert livionkey_sim.stats.requests == 1  # only the 401 after the reset


async def test_in_process_reset_and_faults_identity() -> None:
    config = SimConfig(faults=Faults(latency=0.01))
    async with Simulator(config) as sim:
        faults = sim.faults
        faults.latency = 0.0
        sim.reset()
        assert sim.faults is faults
        assert faults.latency == 0.01
        assert config.faults.latency == 0.01  # the configuration itself is never mutated


async def test_key_actions_and_device_settings(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim, login=False) as api:
        fetched = await api.post("/_sim/devices/00001/keys/A0001/fetch")
        unknown_action = await api.post("/_sim/devices/00001/keys/A0001/steal")
        unknown_key = await api.post("/_sim/devices/00001/keys/NOPE/fetch")
        keypad = await api.post("/_sim/devices/00005/keys/A0001/fetch")
        device = await api.post("/_sim/devices/00002", {"connectionState": "offline"})
        bad_state = await api.post("/_sim/devices/00002", {"connectionState": "asleep"})
        bad_type = await api.post("/_sim/devices/00002", {"reserved": "yes"})
    assert fetched.status == 200
    assert fetched.obj()["action"] == "key-fetched"
    assert livionkey_sim.state.devices["00001"].keys["A0001"].inside is False
    assert unknown_action.status == 404
    assert (unknown_key.status, unknown_key.text) == (400, "no such key")
    assert (keypad.status, keypad.text) == (400, "Device not found")
    assert device.obj()["connectionState"] == "disconnected"  # "offline" is an alias
    assert bad_state.status == 400
    assert bad_type.status == 400
    assert livionkey_sim.stats.requests == 0  # the control plane is not counted


async def test_in_process_fetch_and_return(livionkey_sim: Simulator) -> None:
    livionkey_sim.fetch_key("00002", "A0003")
    key = livionkey_sim.state.devices["00002"].keys["A0003"]
    assert key.inside is False
    assert key.events[-1].action == "key-fetched"
    livionkey_sim.return_key("00002", "A0003")
    assert key.inside is True
    assert key.events[-1].action == "key-returned"


async def test_url_and_lifecycle() -> None:
    sim = Simulator()
    with pytest.raises(RuntimeError):
        _ = sim.url
    async with sim:
        assert sim.running
        assert sim.url == f"http://127.0.0.1:{sim.port}"
        with pytest.raises(RuntimeError):
            await sim.start()
    assert not sim.running
