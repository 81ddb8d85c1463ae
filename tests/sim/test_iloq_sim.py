"""The iLOQ simulator pinned to iLOQ's wire, over loopback with plain aiohttp (not our client).

Each knob the credentials preflight relies on is shown answering as iLOQ documents: GetUrl's
pool, CreateSession's Result codes, LockGroups' OptionMask, SetLockgroup's RightsMask,
KillSession's octet-stream, and the record of every session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from livionkey_async.testing import (
    IloqFaults,
    IloqLockingSystem,
    IloqSimConfig,
    IloqSimulator,
)
from livionkey_async.testing._iloq import RIGHT_BITS, locking_systems

GOOD = {
    "CustomerCode": "LIVIONDEMO",
    "UserName": "api.keyautomat",
    "Password": "iloq-demo-password",
}


@asynccontextmanager
async def running(
    config: IloqSimConfig | None = None,
) -> AsyncIterator[tuple[IloqSimulator, aiohttp.ClientSession]]:
    async with IloqSimulator(config) as sim, aiohttp.ClientSession() as http:
        yield sim, http


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    body: object = None,
    session_id: str | None = None,
) -> tuple[int, Any, str]:
    headers = {"SessionId": session_id} if session_id else {}
    async with http.request(method, url, json=body, headers=headers) as reply:
        raw = await reply.read()
        data = (
            await reply.json(content_type=None) if reply.content_type == "application/json" else raw
        )
        return reply.status, data, reply.content_type


async def open_session(
    sim: IloqSimulator, http: aiohttp.ClientSession, base: str | None = None
) -> str:
    status, data, _ = await call(
        http,
        "POST",
        f"{base or sim.service_address}/api/v2/CreateSession",
        {**GOOD, "ApiKey": "", "ApiSecret": ""},
    )
    assert status == 200
    assert data["Result"] == 1
    return str(data["SessionID"])


async def test_the_whole_session_flow_as_documented() -> None:
    async with running() as (sim, http):
        base = sim.service_address
        assert base.endswith("/iloqws")
        status, url, _ = await call(
            http, "POST", f"{base}/api/v2/Url/GetUrl", {"CustomerCode": "LIVIONDEMO"}
        )
        assert (status, url) == (200, "")
        session_id = await open_session(sim, http)
        status, groups, _ = await call(
            http, "GET", f"{base}/api/v2/LockGroups", session_id=session_id
        )
        assert status == 200
        (group,) = groups
        assert group["LockGroup_ID"] == IloqLockingSystem().lock_group_id
        assert group["OptionMask"] & (2048 | 16384 | 65536) == 2048 | 16384 | 65536
        assert group["State"] == 0
        status, rights, _ = await call(
            http,
            "POST",
            f"{base}/api/v2/SetLockgroup",
            {"LockGroup_ID": group["LockGroup_ID"]},
            session_id,
        )
        assert status == 200
        assert all(rights["RightsMask"] & bit for bit in RIGHT_BITS.values())
        assert sim.sessions[0].lock_group_id == group["LockGroup_ID"]
        status, body, content_type = await call(
            http, "GET", f"{base}/api/v2/KillSession", session_id=session_id
        )
        assert (status, body, content_type) == (200, b"", "application/octet-stream")
        assert sim.sessions[0].killed
        assert sim.open_sessions() == []
        assert sim.calls == [
            ("POST", "Url/GetUrl"),
            ("POST", "CreateSession"),
            ("GET", "LockGroups"),
            ("POST", "SetLockgroup"),
            ("GET", "KillSession"),
        ]


async def test_paths_and_fields_are_case_insensitive_like_asp_net() -> None:
    async with running() as (sim, http):
        session_id = await open_session(sim, http)
        group_id = IloqLockingSystem().lock_group_id
        status, rights, _ = await call(
            http,
            "POST",
            f"{sim.url}/ILOQWS/api/v2/setlockgroup",
            {"lockgroup_id": group_id.upper()},
            session_id,
        )
        assert status == 200
        assert "RightsMask" in rights


async def test_a_killed_or_unknown_session_is_refused() -> None:
    async with running() as (sim, http):
        base = sim.service_address
        session_id = await open_session(sim, http)
        await call(http, "GET", f"{base}/api/v2/KillSession", session_id=session_id)
        for sid in (session_id, "nope", None):
            status, body, _ = await call(http, "GET", f"{base}/api/v2/LockGroups", session_id=sid)
            assert status == 401
            assert body == {"Message": "Session is not valid."}


async def test_unknown_paths_and_methods() -> None:
    async with running() as (sim, http):
        status, body, _ = await call(http, "GET", f"{sim.url}/elsewhere/api/v2/LockGroups")
        assert status == 404
        assert "Message" in body
        status, _, _ = await call(http, "GET", f"{sim.service_address}/api/v2/CreateSession")
        assert status == 405
        assert sim.calls == []


@pytest.mark.parametrize(
    ("config", "body", "result"),
    [
        (IloqSimConfig(), {**GOOD, "CustomerCode": "WRONG"}, 5),
        (IloqSimConfig(), {**GOOD, "Password": "wrong"}, 5),
        (IloqSimConfig(), {**GOOD, "UserName": "someone"}, 5),
        (IloqSimConfig(locked_out=True), GOOD, 8),
        (IloqSimConfig(password_expired=True), GOOD, 9),
        (IloqSimConfig(password_expired=True), {**GOOD, "Password": "wrong"}, 5),
        (IloqSimConfig(session_result=4), GOOD, 4),
        (IloqSimConfig(pool="iloqwspool2"), GOOD, 6),
    ],
)
async def test_create_session_results(
    config: IloqSimConfig, body: dict[str, str], result: int
) -> None:
    async with running(config) as (sim, http):
        status, data, _ = await call(
            http, "POST", f"{sim.service_address}/api/v2/CreateSession", body
        )
        assert status == 200
        assert data == {"Result": result, "SessionID": None}
        assert sim.sessions == []


async def test_get_url_sends_the_customer_to_its_pool() -> None:
    async with running(IloqSimConfig(pool="iloqwspool2")) as (sim, http):
        get_url = f"{sim.service_address}/api/v2/Url/GetUrl"
        status, url, _ = await call(http, "POST", get_url, {"CustomerCode": "LIVIONDEMO"})
        assert (status, url) == (200, f"{sim.url}/iloqwspool2/")
        assert url == sim.pool_url
        _, other, _ = await call(http, "POST", get_url, {"CustomerCode": "SOMEONE-ELSE"})
        assert other == ""
        await open_session(sim, http, base=url.rstrip("/"))
        assert sim.sessions[0].pool == "iloqwspool2"


async def test_locking_system_knobs() -> None:
    systems = (
        *locking_systems(2, missing_rights={"order_keys", "edit_keys"}),
        IloqLockingSystem(
            lock_group_id="off",
            name="Off",
            public_api=False,
            api_access_rights=False,
            five_series=False,
            active=False,
        ),
    )
    async with running(IloqSimConfig(locking_systems=systems)) as (sim, http):
        base = sim.service_address
        session_id = await open_session(sim, http)
        _, groups, _ = await call(http, "GET", f"{base}/api/v2/LockGroups", session_id=session_id)
        assert [g["Name"] for g in groups] == ["Locking system 1", "Locking system 2", "Off"]
        assert groups[2]["OptionMask"] & (2048 | 16384 | 65536) == 0
        assert groups[2]["State"] == 1
        _, rights, _ = await call(
            http,
            "POST",
            f"{base}/api/v2/SetLockgroup",
            {"LockGroup_ID": groups[1]["LockGroup_ID"]},
            session_id,
        )
        missing = {key for key, bit in RIGHT_BITS.items() if not rights["RightsMask"] & bit}
        assert missing == {"order_keys", "edit_keys"}
        status, body, _ = await call(
            http, "POST", f"{base}/api/v2/SetLockgroup", {"LockGroup_ID": "off"}, session_id
        )
        assert status == 403
        assert "Public API" in body["Message"]
        status, _, _ = await call(
            http, "POST", f"{base}/api/v2/SetLockgroup", {"LockGroup_ID": "nope"}, session_id
        )
        assert status == 400


async def test_no_locking_system() -> None:
    async with running(IloqSimConfig(locking_systems=())) as (sim, http):
        session_id = await open_session(sim, http)
        _, groups, _ = await call(
            http, "GET", f"{sim.service_address}/api/v2/LockGroups", session_id=session_id
        )
        assert groups == []


async def test_failures_can_be_limited_to_endpoints_and_to_a_number_of_times() -> None:
    faults = IloqFaults(fail_status=503, fail_on={"geturl"}, fail_times=2)
    async with running(IloqSimConfig(faults=faults)) as (sim, http):
        get_url = f"{sim.service_address}/api/v2/Url/GetUrl"
        statuses = [(await call(http, "POST", get_url, {"CustomerCode": "X"}))[0] for _ in range(3)]
        assert statuses == [503, 503, 200]
        await open_session(sim, http)
        sim.faults.fail_times = None
        sim.faults.fail_on = frozenset({"KillSession"})
        sim.faults.fail_status = 500
        status, _body, _ = await call(http, "POST", get_url, {"CustomerCode": "X"})
        assert status == 200


async def test_latency_can_be_limited_to_one_endpoint() -> None:
    faults = IloqFaults(latency=5.0, latency_on={"LockGroups"})
    async with running(IloqSimConfig(faults=faults, shutdown_timeout=0.05)) as (sim, http):
        await asyncio.wait_for(open_session(sim, http), timeout=2.0)  # not slowed
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                call(http, "GET", f"{sim.service_address}/api/v2/LockGroups"), 0.2
            )


async def test_a_lost_create_session_answer_leaves_an_open_session() -> None:
    async with running(IloqSimConfig(faults=IloqFaults(drop_create_session_answer=True))) as (
        sim,
        http,
    ):
        with pytest.raises(aiohttp.ClientError):
            await open_session(sim, http)
        assert len(sim.open_sessions()) == 1


def test_bad_knobs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown right"):
        IloqLockingSystem(missing_rights={"fly"})
    with pytest.raises(ValueError, match="unknown iLOQ endpoint"):
        IloqFaults(fail_on={"Teleport"})
    with pytest.raises(ValueError, match="fail_status"):
        IloqFaults(fail_status=200)
    with pytest.raises(ValueError, match="unique"):
        IloqSimConfig(locking_systems=(IloqLockingSystem(), IloqLockingSystem()))
    with pytest.raises(ValueError, match="pool"):
        IloqSimConfig(pool="iloqws")
    faults = IloqFaults()
    with pytest.raises(ValueError, match="latency"):
        faults.latency = -1


async def test_reset_forgets_sessions_and_restores_faults() -> None:
    async with running(IloqSimConfig(faults=IloqFaults(latency=0.0))) as (sim, http):
        await open_session(sim, http)
        sim.faults.fail_status = 500
        sim.reset()
        assert sim.sessions == []
        assert sim.calls == []
        assert sim.faults.fail_status is None
        await open_session(sim, http)


async def test_the_pytest_fixture_serves_the_configured_simulator(
    livionkey_iloq_sim: IloqSimulator,
) -> None:
    async with aiohttp.ClientSession() as http:
        session_id = await open_session(livionkey_iloq_sim, http)
    assert session_id
    assert len(livionkey_iloq_sim.open_sessions()) == 1
