"""Fault injection over real loopback: latency, 5xx, drops (before and after commit), slowness."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from sim_support import connect, contract_body

from livionkey_async.testing import Faults, SimConfig, Simulator


async def test_latency_delays_every_request_including_login() -> None:
    async with Simulator(SimConfig(faults=Faults(latency=0.15))) as sim:
        started = time.monotonic()
        async with connect(sim) as api:
            await api.get("/devices")
        elapsed = time.monotonic() - started
    assert elapsed >= 0.3


async def test_jitter_adds_at_most_its_bound(livionkey_sim: Simulator) -> None:
    livionkey_sim.faults.jitter = 0.05
    async with connect(livionkey_sim) as api:
        started = time.monotonic()
        for _ in range(3):
            await api.get("/devices")
        elapsed = time.monotonic() - started
    assert elapsed < 1.0


@pytest.mark.parametrize(
    ("status", "text"),
    [(503, "Service Unavailable"), (502, "Bad Gateway"), (500, "Internal Server Error")],
)
async def test_fail_rate_answers_server_errors(
    livionkey_sim: Simulator, status: int, text: str
) -> None:
    async with connect(livionkey_sim) as api:
        livionkey_sim.faults.fail_rate = 1.0
        livionkey_sim.faults.fail_statuses = (status,)
        reply = await api.post("/contracts", contract_body("never"))
    assert (reply.status, reply.text) == (status, text)
    assert livionkey_sim.contracts() == []  # the handler never ran
    assert livionkey_sim.stats.failed == 1


async def test_login_is_spared_unless_include_login(livionkey_sim: Simulator) -> None:
    livionkey_sim.faults.fail_rate = 1.0
    async with connect(livionkey_sim, login=False) as api:
        spared = await api.login(livionkey_sim.config.email, livionkey_sim.config.password)
        livionkey_sim.faults.include_login = True
        hit = await api.login(livionkey_sim.config.email, livionkey_sim.config.password)
    assert spared.status == 200
    assert hit.status in (500, 502, 503)


async def test_drop_rate_cuts_the_connection_before_the_handler(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        livionkey_sim.faults.drop_rate = 1.0
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.post("/contracts", contract_body("dropped"))
        livionkey_sim.faults.drop_rate = 0.0
        assert (await api.get("/devices")).status == 200
    assert livionkey_sim.contracts() == []
    assert livionkey_sim.stats.dropped == 1


async def test_drop_after_commit_really_commits(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        livionkey_sim.faults.drop_after_commit_rate = 1.0
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.post("/contracts", contract_body("ambiguous"))
        reads = await api.get("/devices/00001/contracts")  # GETs are not dropped
        livionkey_sim.faults.drop_after_commit_rate = 0.0
        retried = await api.post("/contracts", contract_body("ambiguous"))
    assert [c["contractId"] for c in reads.items()] == ["ambiguous"]
    assert (retried.status, retried.text) == (400, "ContractId already in use")
    assert {cid: len(group) for cid, group in livionkey_sim.contracts_by_contract_id().items()} == {
        "ambiguous": 1
    }
    assert livionkey_sim.duplicated_contract_ids() == {}
    assert livionkey_sim.stats.dropped == 1
    assert livionkey_sim.stats.contracts == 1


async def test_slow_answers_outlast_a_client_timeout_but_commit(livionkey_sim: Simulator) -> None:
    livionkey_sim.faults.slow_rate = 1.0
    livionkey_sim.faults.slow_seconds = 0.6
    async with connect(livionkey_sim) as api:
        with pytest.raises(asyncio.TimeoutError):
            async with asyncio.timeout(0.2):
                await api.post("/contracts", contract_body("slow"))
    assert [c.contract_id for c in livionkey_sim.contracts()] == ["slow"]
    assert livionkey_sim.stats.slowed >= 1


async def test_faults_change_live_through_the_control_plane(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        initial = (await api.get("/_sim/faults")).obj()
        changed = await api.post("/_sim/faults", {"fail_rate": 1, "fail_statuses": [502]})
        failing = await api.get("/devices")
        stats = (await api.get("/_sim/stats")).obj()  # the control plane is never faulted
        unknown = await api.post("/_sim/faults", {"explode": 1})
        out_of_range = await api.post("/_sim/faults", {"drop_rate": 2})
        wrong_type = await api.post("/_sim/faults", {"latency": "slow"})
        not_object = await api.post("/_sim/faults", [1])
        await api.post("/_sim/faults", {"fail_rate": 0})
        healthy = await api.get("/devices")
    assert initial["fail_rate"] == 0.0
    assert initial["include_login"] is False
    assert changed.obj()["fail_rate"] == 1.0
    assert livionkey_sim.faults.fail_statuses == (502,)
    assert failing.status == 502
    assert stats["failed"] == 1
    assert [r.status for r in (unknown, out_of_range, wrong_type, not_object)] == [400] * 4
    assert livionkey_sim.faults.drop_rate == 0.0  # a refused update changes nothing
    assert healthy.status == 200


def test_faults_validate_in_process() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="drop_rate"):
        faults.drop_rate = 1.5
    with pytest.raises(ValueError, match="latency"):
        Faults(latency=-1)
    with pytest.raises(ValueError, match="unknown fault"):
        faults.update({"nope": 1})
    faults.update({"latency": 0.5, "include_login": True})
    assert (faults.latency, faults.include_login) == (0.5, True)


async def test_max_in_flight_counts_concurrent_requests() -> None:
    async with Simulator(SimConfig(faults=Faults(latency=0.1))) as sim, connect(sim) as api:
        await asyncio.gather(*(api.get("/devices") for _ in range(8)))
        assert sim.stats.max_in_flight >= 8
        assert sim.stats.in_flight == 0
        assert sim.stats.requests == 9  # the login and the eight reads


async def test_fault_dice_are_seeded() -> None:
    async def outcomes(seed: int) -> list[int]:
        config = SimConfig(seed=seed, faults=Faults(fail_rate=0.5))
        async with Simulator(config) as sim, connect(sim) as api:
            return [(await api.get("/devices")).status for _ in range(30)]

    first, second = await outcomes(7), await outcomes(7)
    assert first == second
    assert {200} < set(first)
