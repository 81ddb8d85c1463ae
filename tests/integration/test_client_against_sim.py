"""The client against the embedded simulator over real loopback HTTP: no mocks anywhere.

Every endpoint through ``LivionKeyClient``, compared with what the simulator holds; every
documented error the simulator produces, on its typed class with its status and message; the
shared login (cold start, short tokens on a fake clock, revocation); the faults a client must
survive; and the README's quick start, run as written.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import itertools
import re
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from clock_support import SharedClock
from yarl import URL

from livionkey_async import (
    AmbiguousOutcomeError,
    AuthenticationError,
    Contact,
    ContractOverlapError,
    ContractUpdate,
    DeviceBusyError,
    DuplicateContractError,
    DuplicateKeyError,
    KeyRef,
    LivionKeyClient,
    LivionKeyError,
    LoginError,
    NewContract,
    NewKey,
    NoFreeLockerError,
    NotFoundError,
    PincodeConflictError,
    RateLimitedError,
    RequestEvent,
    TransportError,
    UnsupportedDeviceError,
    ValidationError,
)
from livionkey_async.testing import AccountConfig, Faults, SimConfig, Simulator

ROOT = Path(__file__).resolve().parents[2]
# A pacing ceiling far above what loopback reaches: these tests are about the wire, not pacing
# (without it, rate discovery starts at 20 requests/s and sequential tests crawl).
FAST = 100_000.0
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
DAY = timedelta(days=1)
ALL_PRODUCTS = ("key30", "keyX", "keypad", "key20")
NOT_AUTHORIZED = re.compile(r"^GraphQL - \S+ - [0-9a-f]+ - not authorized$")


# ---------------------------------------------------------------------------- helpers


@asynccontextmanager
async def running(
    config: SimConfig | None = None, **client_options: Any
) -> AsyncIterator[tuple[Simulator, LivionKeyClient]]:
    """A simulator and a client of its primary account, both closed afterwards."""
    async with Simulator(config or SimConfig()) as sim:
        client_options.setdefault("rate_limit", FAST)
        async with LivionKeyClient(
            sim.config.email, sim.config.password, base_url=sim.url, **client_options
        ) as client:
            yield sim, client


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig()) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[LivionKeyClient]:
    async with LivionKeyClient(
        sim.config.email, sim.config.password, base_url=sim.url, rate_limit=FAST
    ) as c:
        yield c


async def fails_with(
    awaitable: Awaitable[object], cls: type[LivionKeyError], status: int | None, message: str
) -> LivionKeyError:
    """Await, and check the error is exactly ``cls`` with this status and message."""
    with pytest.raises(LivionKeyError) as info:
        await awaitable
    error = info.value
    assert type(error) is cls, repr(error)
    assert error.status == status, repr(error)
    assert error.message == message, repr(error)
    return error


async def control(sim: Simulator, path: str, body: object) -> object:
    """A call to the simulator's control plane (``/_sim/...``), which must succeed."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.url}/_sim/{path}", json=body) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.json()


def contract(
    contract_id: str,
    *refs: KeyRef,
    day: int = 0,
    pincode: str | None = None,
    **changes: Any,
) -> NewContract:
    """A valid one-day contract ``day`` days after ``START`` on ``refs`` (default 00001/A0001)."""
    values: dict[str, Any] = {
        "contract_id": contract_id,
        "keys": refs or (KeyRef("00001", "A0001"),),
        "start": START + day * DAY,
        "end": START + (day + 1) * DAY,
        "person": "John Doe",
        "contacts": [Contact(email="john@example.com", language="en-gb")],
        "pincode": pincode,
    }
    values.update(changes)
    return NewContract(**values)


def url_recorder() -> tuple[aiohttp.TraceConfig, list[tuple[str, URL]]]:
    """A trace config recording every request's method and full URL (query included)."""
    seen: list[tuple[str, URL]] = []

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        seen.append((params.method, params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    return trace, seen


# ---------------------------------------------------------------------------- devices


async def test_devices_list_is_what_the_simulator_holds(
    sim: Simulator, client: LivionKeyClient
) -> None:
    devices = await client.devices.list()
    held = sim.state.devices
    assert [d.device_id for d in devices] == ["00001", "00002", "00003", "00004"]
    for device in devices:
        assert device.name == held[device.device_id].name
        assert device.tag == (held[device.device_id].tag,)
        assert device.connection_state == "connected"
        assert device.synced is not None
        assert device.synced.is_synced is True
        assert device.synced.timestamp is not None
        expected = datetime.fromtimestamp(held[device.device_id].synced_at, UTC)
        assert abs((device.synced.timestamp - expected).total_seconds()) < 0.001
    everything = await client.devices.list(products=ALL_PRODUCTS)
    assert [d.device_id for d in everything] == [f"{n:05d}" for n in range(1, 7)]


async def test_devices_page_and_iterate_walk_every_page() -> None:
    config = SimConfig(devices=7, keys=1)  # key30 00001-00007, keyX 00008, keypad, key20
    seen: list[RequestEvent] = []
    async with running(config, on_request=seen.append) as (sim, client):
        first = await client.devices.page(limit=3)
        assert [d.device_id for d in first.devices] == ["00001", "00002", "00003"]
        assert (first.page_info.start, first.page_info.end, first.page_info.has_next) == (
            0,
            3,
            True,
        )
        assert [d.product for d in first.devices] == ["key30"] * 3
        last = await client.devices.page(limit=3, after=6)
        assert [d.device_id for d in last.devices] == ["00007", "00008"]
        assert last.devices[1].product == "keyX"
        assert (last.page_info.start, last.page_info.end, last.page_info.has_next) == (6, 8, False)

        seen.clear()
        walked = [d.device_id async for d in client.devices.iterate(page_size=3)]
        assert walked == [f"{n:05d}" for n in range(1, 9)]
        assert [(e.method, e.path, e.status) for e in seen] == [("GET", "devices", 200)] * 3

        with_lockers = [
            d
            async for d in client.devices.iterate(page_size=2, lockers=True, products=ALL_PRODUCTS)
        ]
        assert [d.device_id for d in with_lockers] == [f"{n:05d}" for n in range(1, 11)]
        assert [d.product for d in with_lockers[-3:]] == ["keyX", "keypad", "key20"]
        for device in with_lockers:
            held = sim.state.devices[device.device_id]
            expected = held.lockers if held.product in ("key30", "keyX") else 0
            assert device.lockers is not None
            assert len(device.lockers) == expected


async def test_device_get_with_lockers_shows_which_key_hangs_where(
    sim: Simulator, client: LivionKeyClient
) -> None:
    plain = await client.devices.get("00001")
    assert plain.device_id == "00001"
    assert plain.name == sim.state.devices["00001"].name
    assert plain.lockers is None
    device = await client.devices.get("00001", lockers=True)
    assert device.lockers is not None
    assert [locker.locker_index for locker in device.lockers] == list(range(30))
    held = {k.locker_index: k for k in sim.state.devices["00001"].keys.values()}
    assert len(held) == 5
    for locker in device.lockers:
        key = held.get(locker.locker_index)
        if key is None:
            assert (locker.state, locker.is_key_inside, locker.key) == ("lockerEmpty", False, None)
        else:
            assert locker.state == "lockerWithKey"
            assert locker.is_key_inside is True
            assert locker.key is not None
            assert (locker.key.id, locker.key.name) == (key.key_id, key.key_name)


async def test_device_keys_lockers_and_one_locker(sim: Simulator, client: LivionKeyClient) -> None:
    keys = await client.devices.keys("00002")
    held = sim.state.devices["00002"].keys
    assert [k.key_id for k in keys] == ["A0001", "A0002", "A0003", "A0004", "A0005"]
    for key in keys:
        assert key.device_id == "00002"
        assert key.name == held[key.key_id].key_name
        assert key.locker_index == held[key.key_id].locker_index
        assert key.shared is False
        assert key.backup_codes == tuple(held[key.key_id].backup_codes)
        assert key.contracts == ()

    lockers = await client.devices.lockers("00002")
    assert len(lockers) == 30
    occupied = {locker.locker_index: locker.key.id for locker in lockers if locker.key is not None}
    assert occupied == {k.locker_index: k.key_id for k in held.values()}

    index = held["A0003"].locker_index
    one = await client.devices.locker("00002", index)
    assert one.locker_index == index
    assert one.key is not None
    assert one.key.id == "A0003"
    assert one.is_key_inside is True
    sim.fetch_key("00002", "A0003")
    fetched = await client.devices.locker("00002", index)
    assert (fetched.state, fetched.is_key_inside) == ("lockerWithoutKey", False)


async def test_device_contracts_lists_the_contracts_on_its_keys(
    sim: Simulator, client: LivionKeyClient
) -> None:
    assert await client.devices.contracts("00001") == []
    first = await client.contracts.create(contract("c-1"))
    second = await client.contracts.create(contract("c-2", KeyRef("00001", "A0002")))
    await client.contracts.create(contract("elsewhere", KeyRef("00002", "A0001")))
    listed = await client.devices.contracts("00001")
    assert sorted((c.id, c.contract_id) for c in listed) == sorted(
        [(first.id, "c-1"), (second.id, "c-2")]
    )
    assert {c.id for c in listed} == {
        c.object_id for c in sim.contracts() if c.devices[0].device_id == "00001"
    }


async def test_open_door_succeeds_on_an_online_free_device() -> None:
    seen: list[RequestEvent] = []
    trace, urls = url_recorder()
    async with running(on_request=seen.append, trace_configs=[trace]) as (sim, client):
        await client.devices.open_door("00001", 3)
    assert [(e.method, e.path, e.status) for e in seen][-1] == (
        "POST",
        "devices/00001/opendoor",
        200,
    )
    assert [(m, u.path) for m, u in urls][-1] == ("POST", "/devices/00001/opendoor")
    assert sim.stats.requests == 2  # the login and the one door: never resent


# ---------------------------------------------------------------------------- keys


async def test_key_create_update_get_status_backup_codes_delete(
    sim: Simulator, client: LivionKeyClient
) -> None:
    device = sim.state.devices["00001"]
    free = device.free_locker()
    assert free is not None
    made = await client.keys.create(
        NewKey(key_id="K-100", name="Van 1", device_id="00001", key_code="123456")
    )
    assert made.locker_index == free
    held = device.keys["K-100"]
    assert (held.key_name, held.locker_index, held.key_code, held.shared) == (
        "Van 1",
        free,
        "123456",
        False,
    )

    taken = {k.locker_index for k in device.keys.values()}
    target = next(i for i in range(30) if i not in taken)
    await client.keys.update(
        "K-100",
        device_id="00001",
        name="Van 2",
        key_code="654321",
        locker_index=target,
        shared=True,
    )
    assert (held.key_name, held.locker_index, held.key_code, held.shared) == (
        "Van 2",
        target,
        "654321",
        True,
    )

    key = await client.keys.get("K-100", device_id="00001", key_status=True)
    assert (key.key_id, key.device_id, key.name, key.locker_index) == (
        "K-100",
        "00001",
        "Van 2",
        target,
    )
    assert key.shared is True
    assert key.key_code == "654321"
    assert key.backup_codes == tuple(held.backup_codes)
    assert len(key.backup_codes) == 2
    assert (await client.keys.get("K-100")).device_id == "00001"  # found without deviceId

    added = await client.keys.status("K-100", device_id="00001")
    assert added.action == "key-added"
    sim.fetch_key("00001", "K-100")
    fetched = await client.keys.status("K-100", device_id="00001")
    assert fetched.action == "key-fetched"
    assert fetched.source == "device"
    assert fetched.source_id == "00001"
    assert fetched.tag == (device.tag,)
    assert fetched.id == held.events[-1].event_id
    assert fetched.data is not None
    assert fetched.data.before is not None
    assert (fetched.data.before.locker_index, fetched.data.before.key_id) == (target, "K-100")
    assert fetched.data.after is not None
    assert fetched.data.after.key_id is None

    old_codes = list(held.backup_codes)
    requests = sim.stats.requests
    codes = await client.keys.regenerate_backup_codes("K-100", device_id="00001")
    assert list(codes) == held.backup_codes  # read back: the answer says only "updated"
    assert list(codes) != old_codes
    assert sim.stats.requests == requests + 2

    await client.keys.delete("K-100", device_id="00001")
    assert "K-100" not in device.keys


async def test_key_get_with_key_status_reports_the_latest_event_on_each_contract(
    sim: Simulator, client: LivionKeyClient
) -> None:
    made = await client.contracts.create(contract("booking-ks"))
    sim.fetch_key("00001", "A0001")
    key = await client.keys.get("A0001", device_id="00001", key_status=True)
    # Livion's GET /keys/:id example lists the key's contracts without their object ids.
    assert [(c.id, c.contract_id) for c in key.contracts] == [(None, "booking-ks")]
    assert made.id is not None
    status = key.contracts[0].key_status
    assert status is not None
    assert status.action == "key-fetched"
    assert status.timestamp is not None
    without = await client.keys.get("A0001", device_id="00001")
    assert without.contracts[0].key_status is None
    sim.return_key("00001", "A0001")
    assert (await client.keys.status("A0001", device_id="00001")).action == "key-returned"


# ---------------------------------------------------------------------------- contracts


async def test_contract_create_get_update_pincode_find_delete() -> None:
    trace, urls = url_recorder()
    async with running(trace_configs=[trace]) as (sim, client):
        ref = KeyRef("00001", "A0001")
        made = await client.contracts.create(
            contract("booking-543553", ref, free_text="door code at the desk")
        )
        (held,) = sim.contracts()
        assert made.id == held.object_id
        assert made.pincode == held.pincode
        assert made.pincode is not None
        assert re.fullmatch(r"\d{6}", made.pincode)

        got = await client.contracts.get(made.id)
        assert got.id == made.id
        assert got.contract_id == "booking-543553"
        assert got.keys == (ref,)
        assert got.key_id == "A0001"
        assert (got.start, got.end) == (START, START + DAY)
        assert got.perm is False
        assert got.person == "John Doe"
        assert got.pincode == held.pincode
        assert got.free_text == "door code at the desk"
        assert got.tag == (sim.state.devices["00001"].tag,)
        assert got.type is None  # no answer of Livion's shows it
        assert [(c.email, c.language) for c in got.contacts] == [("john@example.com", "en-gb")]

        await client.contracts.update(
            made.id,
            ContractUpdate(
                keys=[ref],
                end=START + 3 * DAY,
                person="Jane Roe",
                contacts=[Contact(email="jane@example.com", language="fi-fi")],
                free_text="late arrival",
            ),
        )
        assert (held.person, held.end, held.free_text) == (
            "Jane Roe",
            (START + 3 * DAY).timestamp(),
            "late arrival",
        )
        assert [(c.email, c.language) for c in held.contacts] == [("jane@example.com", "fi-fi")]
        updated = await client.contracts.get(made.id)
        assert (updated.person, updated.end, updated.start) == ("Jane Roe", START + 3 * DAY, START)

        assert await client.contracts.set_pincode(made.id, [ref], "4321") == "4321"
        assert held.pincode == "4321"
        regenerated = await client.contracts.set_pincode(made.id, [ref])
        assert regenerated == held.pincode
        assert regenerated != "4321"
        assert (await client.contracts.get(made.id)).pincode == regenerated

        found = await client.contracts.find("booking-543553")
        assert found is not None
        assert found.id == made.id
        assert await client.contracts.find("booking-543553", device_ids=["00002"]) is None
        assert await client.contracts.find("no-such-booking") is None

        await client.contracts.delete(made.id, cancellation=True)
        assert sim.contracts() == []
        method, url = urls[-1]
        assert (method, url.path, url.query.get("cancellation")) == (
            "DELETE",
            f"/contracts/{made.id}",
            "true",
        )
        assert await client.contracts.find("booking-543553") is None


async def test_permanent_and_multi_device_contracts(
    sim: Simulator, client: LivionKeyClient
) -> None:
    refs = (KeyRef("00001", "A0002"), KeyRef("00002", "A0002"))
    made = await client.contracts.create(
        contract("forever", *refs, end=None, perm=True, pincode="98765")
    )
    assert made.pincode == "98765"
    got = await client.contracts.get(made.id)
    assert got.perm is True
    assert got.end is None
    assert got.keys == refs
    devices = sim.state.devices
    assert got.tag == tuple(dict.fromkeys((devices["00001"].tag, devices["00002"].tag)))
    assert sim.contracts()[0].end is None


# ---------------------------------------------------------------------------- documented errors


async def test_unknown_device_key_contract_and_locker_are_not_found(
    client: LivionKeyClient,
) -> None:
    await fails_with(client.devices.get("99999"), NotFoundError, 400, "Device not found")
    await fails_with(client.devices.keys("99999"), NotFoundError, 400, "Device keys not found")
    await fails_with(client.devices.contracts("99999"), NotFoundError, 400, "No devices")
    await fails_with(client.devices.lockers("99999"), NotFoundError, 400, "Device not found")
    await fails_with(client.devices.locker("00001", 30), NotFoundError, 404, "locker not found")
    await fails_with(client.keys.get("NOPE", device_id="00001"), NotFoundError, 400, "no such key")
    await fails_with(client.keys.get("NOPE"), NotFoundError, 400, "no such key")
    await fails_with(
        client.keys.status("NOPE", device_id="00001"), NotFoundError, 400, "no such key"
    )
    await fails_with(
        client.keys.update("NOPE", device_id="00001", name="x"), NotFoundError, 400, "no such key"
    )
    await fails_with(
        client.keys.delete("A0001", device_id="99999"), NotFoundError, 400, "no such key"
    )
    await fails_with(
        client.keys.create(NewKey(key_id="K", name="x", device_id="99999")),
        NotFoundError,
        400,
        "no such device",
    )
    await fails_with(
        client.contracts.create(contract("x", KeyRef("00001", "NOPE"))),
        NotFoundError,
        400,
        "KeyId not found",
    )
    missing = "0" * 24
    await fails_with(client.contracts.get(missing), NotFoundError, 400, "Contract not found")
    await fails_with(
        client.contracts.update(missing, ContractUpdate(keys=[KeyRef("00001", "A0001")])),
        NotFoundError,
        400,
        "Contract not found",
    )
    # DELETE documents only "Delete contract failed": a look-up tells that it is not there.
    await fails_with(
        client.contracts.delete(missing),
        NotFoundError,
        400,
        "Delete contract failed: it does not exist",
    )


async def test_conflicts_land_on_their_classes(sim: Simulator, client: LivionKeyClient) -> None:
    await client.contracts.create(contract("booking-1", pincode="1111"))
    await fails_with(
        client.contracts.create(contract("booking-1", KeyRef("00002", "A0001"))),
        DuplicateContractError,
        400,
        "ContractId already in use",
    )
    await fails_with(
        client.contracts.create(contract("booking-2", start=START + timedelta(hours=12))),
        ContractOverlapError,
        400,
        "Overlapping contract existing",
    )
    await fails_with(
        client.contracts.create(contract("booking-3", KeyRef("00002", "A0001"), pincode="1111")),
        PincodeConflictError,
        400,
        "Pincode already used in existing contracts",
    )
    other = await client.contracts.create(contract("booking-4", KeyRef("00003", "A0001")))
    await fails_with(
        client.contracts.set_pincode(other.id, [KeyRef("00003", "A0001")], "1111"),
        PincodeConflictError,
        400,
        "Pincode already used in existing contracts",
    )
    await fails_with(
        client.keys.create(NewKey(key_id="A0001", name="again", device_id="00001")),
        DuplicateKeyError,
        400,
        "key already exists with that keyId",
    )
    assert sorted(sim.contracts_by_contract_id()) == ["booking-1", "booking-4"]
    assert sim.stats.duplicate_contract_ids_refused == 1


async def test_windows_the_server_refuses_are_validation_errors(
    sim: Simulator, client: LivionKeyClient
) -> None:
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    await fails_with(
        client.contracts.create(contract("late", start=past, end=START)),
        ValidationError,
        400,
        "Start time should be in the future",
    )
    made = await client.contracts.create(contract("window"))
    ref = KeyRef("00001", "A0001")
    # Each side is fine alone; only the server knows the other side of the window.
    await fails_with(
        client.contracts.update(made.id, ContractUpdate(keys=[ref], end=START - DAY)),
        ValidationError,
        400,
        "Start time should be before End time",
    )
    await fails_with(
        client.contracts.update(made.id, ContractUpdate(keys=[ref], start=START + 2 * DAY)),
        ValidationError,
        400,
        "Start time should be before End time",
    )
    await fails_with(
        client.contracts.update(made.id, ContractUpdate(keys=[ref], start=past)),
        ValidationError,
        400,
        "Start time should be in the future",
    )
    held = sim.contracts()[0]
    assert (held.start, held.end) == (START.timestamp(), (START + DAY).timestamp())


async def test_locker_allocation_failures_are_no_free_locker_errors(
    sim: Simulator, client: LivionKeyClient
) -> None:
    # 00004 is a keyX: one locker, already holding A0001.
    await fails_with(
        client.keys.create(NewKey(key_id="K2", name="x", device_id="00004")),
        NoFreeLockerError,
        400,
        "no free lockers",
    )
    await fails_with(
        client.keys.create(NewKey(key_id="K3", name="x", device_id="00001", locker_index=30)),
        NoFreeLockerError,
        400,
        "lockerIndex is too big",
    )
    occupied = sim.state.devices["00001"].keys["A0002"].locker_index
    await fails_with(
        client.keys.update("A0001", device_id="00001", locker_index=occupied),
        NoFreeLockerError,
        400,
        "no free lockers",
    )
    await fails_with(
        client.devices.open_door("00001", 30), NoFreeLockerError, 400, "Locker index is too big"
    )
    assert "K2" not in sim.state.devices["00004"].keys
    assert "K3" not in sim.state.devices["00001"].keys


async def test_reserved_or_offline_device_is_busy(sim: Simulator, client: LivionKeyClient) -> None:
    answer = await control(sim, "devices/00001", {"reserved": True})
    assert answer == {
        "id": "00001",
        "product": "key30",
        "account": "demo@example.com",
        "connectionState": "connected",
        "reserved": True,
        "busy": False,
    }
    await fails_with(
        client.devices.open_door("00001", 0), DeviceBusyError, 409, "Device is reserved"
    )
    await control(sim, "devices/00002", {"connectionState": "offline"})
    await fails_with(client.devices.open_door("00002", 0), DeviceBusyError, 400, "Device error")
    await control(sim, "devices/00001", {"reserved": False})
    requests = sim.stats.requests
    await client.devices.open_door("00001", 0)
    assert sim.stats.requests == requests + 1
    assert client.stats.retries == 0  # a door is never opened twice


async def test_wrong_password_is_an_authentication_error(sim: Simulator) -> None:
    async with LivionKeyClient(
        sim.config.email, "not-the-password", base_url=sim.url, rate_limit=FAST
    ) as client:
        await fails_with(
            client.login(),
            LoginError,
            400,
            "Firebase: Error (auth/invalid-login-credentials).",
        )
        await fails_with(
            client.devices.list(),
            LoginError,
            400,
            "Firebase: Error (auth/invalid-login-credentials).",
        )
        # The refusal is remembered: the second call is refused without asking again.
        assert client.stats.logins == 1
    assert sim.stats.logins == 0
    assert sim.stats.requests == 1


async def test_a_throttled_login_is_rate_limited_without_waiting_past_max_wait() -> None:
    async with (
        Simulator(SimConfig(login_limit=1, login_window=60.0)) as sim,
        LivionKeyClient(
            sim.config.email, "not-the-password", base_url=sim.url, rate_limit=FAST, max_wait=0.5
        ) as client,
    ):
        await fails_with(
            client.login(),
            LoginError,
            400,
            "Firebase: Error (auth/invalid-login-credentials).",
        )
        began = time.monotonic()
        with pytest.raises(RateLimitedError) as info:
            await client.login()  # 429 "Too many login attempts" + Retry-After: 60
        assert time.monotonic() - began < 0.5
        assert info.value.retry_after is not None
        assert 55.0 < info.value.retry_after <= 60.0
        assert sim.stats.throttled == 1
        assert client.stats.throttled == 1


@pytest.mark.parametrize("listed_first", ["nothing", "list", "page"])
async def test_key20_and_keypad_are_refused_locally_whatever_was_listed_first(
    sim: Simulator, client: LivionKeyClient, listed_first: str
) -> None:
    if listed_first == "list":  # the plain listing shows no product (and no key20 or keypad)
        assert [d.product for d in await client.devices.list()] == [None] * 4
    elif listed_first == "page":
        await client.devices.page(products=["key30"])
    before = sim.stats.requests
    # The first refusal costs one account-wide listing (which shows every product), sent once.
    with pytest.raises(UnsupportedDeviceError):
        await client.devices.keys("00006")
    assert sim.stats.requests == before + 1 + (1 if listed_first == "nothing" else 0)
    assert await client.devices.product("00005") == "keypad"
    assert await client.devices.product("00006") == "key20"
    before = sim.stats.requests
    key20 = KeyRef("00006", "A0001")
    keypad = KeyRef("00005", "A0001")
    refused: list[Awaitable[object]] = [
        client.devices.keys("00006"),
        client.devices.contracts("00005"),
        client.keys.create(NewKey(key_id="K", name="x", device_id="00006")),
        client.keys.update("A0001", device_id="00006", name="x"),
        client.keys.delete("A0001", device_id="00005"),
        client.keys.get("A0001", device_id="00006"),
        client.keys.status("A0001", device_id="00005"),
        client.keys.regenerate_backup_codes("A0001", device_id="00006"),
        client.contracts.create(contract("on-key20", key20)),
        client.contracts.create(contract("mixed", KeyRef("00001", "A0001"), keypad)),
        client.contracts.update("0" * 24, ContractUpdate(keys=[keypad])),
        client.contracts.set_pincode("0" * 24, [key20]),
    ]
    for call in refused:
        with pytest.raises(UnsupportedDeviceError) as info:
            await call
        assert info.value.status is None
        assert "device 0000" in info.value.message
        assert ("LivionKey20" in info.value.message) or ("LivionKeyPad" in info.value.message)
    assert sim.stats.requests == before  # refused locally: nothing was sent
    assert sim.contracts() == []
    # A device that V1 serves is unaffected by what was learnt.
    assert len(await client.devices.keys("00001")) == 5


async def test_another_accounts_device_is_not_authorized() -> None:
    config = SimConfig(
        extra_accounts=[AccountConfig(email="other@example.com", password="pw", devices=1, keys=1)]
    )
    async with running(config) as (sim, client):
        foreign = sim.state.accounts["other@example.com"][0]
        with pytest.raises(AuthenticationError) as info:
            await client.devices.keys(foreign)
        assert info.value.status == 401
        assert NOT_AUTHORIZED.match(info.value.message), info.value.message
        assert sim.stats.logins == 2  # the 401 made it log in again once, then gave up
        assert sim.stats.unauthorized == 2


# ---------------------------------------------------------------------------- auth


async def test_a_thousand_concurrent_calls_on_a_cold_client_log_in_once(sim: Simulator) -> None:
    async with LivionKeyClient(
        sim.config.email, sim.config.password, base_url=sim.url, rate_limit=FAST, max_connections=32
    ) as client:
        results = await asyncio.gather(*(client.devices.get("00001") for _ in range(1000)))
        assert {d.device_id for d in results} == {"00001"}
        assert client.stats.logins == 1
        assert client.stats.max_in_flight <= 32
    assert sim.stats.logins == 1
    assert sim.stats.requests == 1001
    assert sim.stats.unauthorized == 0


async def test_short_tokens_are_refreshed_before_expiry_on_a_fake_clock() -> None:
    # A whole second: the login answer's HTTP-date then carries the exact expiry.
    clock = SharedClock(float(int(time.time())))
    lifetime = 4.0
    logins_at: list[float] = []

    def record(event: RequestEvent) -> None:
        if event.path == "auth/login":
            logins_at.append(clock.epoch())

    config = SimConfig(token_lifetime=lifetime, clock=clock.epoch)
    async with running(
        config,
        clock=clock.monotonic,
        wall_clock=clock.epoch,
        sleep=clock.sleep,
        on_request=record,
    ) as (sim, client):
        started = clock.epoch()
        for _ in range(120):
            device = await client.devices.get("00001")
            assert device.device_id == "00001"
            clock.advance(0.1)
        elapsed = clock.epoch() - started
        assert sim.stats.unauthorized == 0
        assert client.stats.unauthorized == 0
        assert sim.stats.requests == 120 + sim.stats.logins
    # The client refreshes a quarter of the lifetime before expiry: one login per 3 s at most.
    refresh_period = lifetime * 3 / 4
    assert elapsed >= 12.0
    assert elapsed == pytest.approx(120 * 0.1 + sum(clock.sleeps))  # no real time needed
    assert sim.stats.logins == len(logins_at)
    assert elapsed / lifetime <= sim.stats.logins <= elapsed / refresh_period + 1
    gaps = [b - a for a, b in itertools.pairwise(logins_at)]
    assert all(gap >= refresh_period - 0.1 for gap in gaps), gaps
    assert all(gap < lifetime for gap in gaps), gaps


async def test_revoked_tokens_cost_exactly_one_more_login(sim: Simulator) -> None:
    async with LivionKeyClient(
        sim.config.email, sim.config.password, base_url=sim.url, rate_limit=FAST
    ) as client:
        first = await asyncio.gather(*(client.devices.keys("00001") for _ in range(50)))
        assert sim.stats.logins == 1
        assert sim.revoke_tokens() == 1
        second = await asyncio.gather(*(client.devices.keys("00001") for _ in range(50)))
        assert all(len(keys) == 5 for keys in first + second)
        assert sim.stats.logins == 2
        assert client.stats.logins == 2
        assert 1 <= sim.stats.unauthorized <= 50
        assert client.stats.unauthorized == sim.stats.unauthorized
        assert client.stats.failures == 0


# ---------------------------------------------------------------------------- faults


async def test_a_get_survives_injected_5xx_answers() -> None:
    config = SimConfig(seed=3, faults=Faults(fail_rate=0.3))
    async with running(config) as (sim, client):
        for _ in range(8):
            assert len(await client.devices.keys("00001")) == 5
        assert sim.stats.failed >= 1
        assert client.stats.retries == sim.stats.failed
        # The login, the one listing that taught the client the devices' products, the calls.
        assert sim.stats.requests == 1 + 1 + 8 + sim.stats.failed


async def test_a_get_survives_dropped_connections() -> None:
    config = SimConfig(seed=5, faults=Faults(drop_rate=0.3))
    async with running(config) as (sim, client):
        for _ in range(8):
            assert (await client.devices.get("00002")).device_id == "00002"
        assert sim.stats.dropped >= 1
        # Every drop cost exactly one resend. Who resent it varies: aiohttp itself silently
        # resends an idempotent method once after a disconnect, else the client's retry does.
        assert sim.stats.requests == 1 + 8 + sim.stats.dropped
        assert client.stats.failures == 0


async def test_a_slow_answer_beyond_the_timeout_is_a_transport_error() -> None:
    config = SimConfig(faults=Faults(slow_rate=1.0, slow_seconds=1.0))
    async with running(config, timeout=0.2, max_attempts=2) as (sim, client):
        began = time.monotonic()
        with pytest.raises(TransportError) as info:
            await client.devices.get("00001")
        took = time.monotonic() - began
        assert type(info.value) is TransportError
        assert info.value.status is None
        assert "GET devices/00001" in info.value.message
        assert client.stats.retries == 1  # a GET is retried, then given up
        assert sim.stats.slowed == 2
        assert took < 1.0  # it did not wait for the slow answers


async def test_a_contract_post_dropped_after_commit_is_ambiguous_but_exists() -> None:
    # The raw path (reconcile=False): the POST is never resent; `find` settles it.
    config = SimConfig(faults=Faults(drop_after_commit_rate=1.0))
    async with running(config) as (sim, client):
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.contracts.create(contract("booking-dropped"), reconcile=False)
        assert (info.value.method, info.value.path, info.value.status) == (
            "POST",
            "contracts",
            None,
        )
        assert sim.stats.dropped == 1
        assert client.stats.retries == 0  # never resent blindly
        grouped = sim.contracts_by_contract_id()
        assert list(grouped) == ["booking-dropped"]
        assert len(grouped["booking-dropped"]) == 1
        sim.faults.drop_after_commit_rate = 0.0
        found = await client.contracts.find("booking-dropped")
        assert found is not None
        assert found.id == grouped["booking-dropped"][0].object_id


async def test_a_contract_post_answered_5xx_is_ambiguous_and_not_resent() -> None:
    async with running() as (sim, client):
        assert await client.devices.product("00001") == "key30"  # learnt before the faults
        sim.faults.fail_rate, sim.faults.fail_statuses = 1.0, (503,)
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.contracts.create(contract("booking-503"), reconcile=False)
        assert info.value.status == 503
        assert sim.stats.failed == 1
        assert sim.contracts() == []  # the fault struck before the handler
        assert client.stats.retries == 0


async def test_a_slow_contract_post_is_ambiguous_and_committed() -> None:
    async with running(timeout=0.2) as (sim, client):
        assert await client.devices.product("00001") == "key30"  # learnt before the faults
        sim.faults.slow_rate, sim.faults.slow_seconds = 1.0, 1.0
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.contracts.create(contract("booking-slow"), reconcile=False)
        assert info.value.status is None
        assert [c.contract_id for c in sim.contracts()] == ["booking-slow"]
        assert client.stats.retries == 0


def delete_sends(sim: Simulator, fault: str) -> tuple[aiohttp.TraceConfig, list[str]]:
    """A trace that records each DELETE as it is sent, and clears ``fault`` from the second on.

    So exactly the first DELETE meets the fault, whoever resends it (aiohttp or the client).
    """
    sent: list[str] = []

    async def on_sent(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        if params.method == "DELETE":
            sent.append(params.url.path)
            if len(sent) > 1:
                setattr(sim.faults, fault, 0.0)

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_sent)
    return trace, sent


async def test_a_delete_resent_after_a_timeout_that_committed_is_done() -> None:
    async with Simulator(SimConfig()) as sim:
        trace, sent = delete_sends(sim, "slow_rate")
        async with LivionKeyClient(
            sim.config.email,
            sim.config.password,
            base_url=sim.url,
            rate_limit=FAST,
            timeout=0.2,
            trace_configs=[trace],
        ) as client:
            made = await client.contracts.create(contract("booking-slow-delete"))
            sim.faults.slow_rate, sim.faults.slow_seconds = 1.0, 1.0
            await client.contracts.delete(made.id)  # the resend's 404 means "already done"
            assert client.stats.retries == 1
        assert sim.contracts() == []
        assert sent == [f"/contracts/{made.id}"] * 2
        assert sim.stats.slowed == 1


# ---------------------------------------------------------------------------- README


def _quick_start_block(readme: str) -> str | None:
    """The first ```python block under the ``## Quick start`` heading (before the next ``## ``)."""
    section = re.search(r"^## Quick start[^\n]*\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if section is None:
        return None
    block = re.search(r"^```python[^\n]*\n(.*?)^```", section.group(1), re.M | re.S)
    return None if block is None else block.group(1)


def _readme_quick_start() -> str:
    path = ROOT / "README.md"
    if not path.exists():
        pytest.fail(f"{path} does not exist yet: the lead adds it with a '## Quick start' section")
    code = _quick_start_block(path.read_text(encoding="utf-8"))
    if code is None:
        pytest.fail(
            "README.md has no ```python block under a '## Quick start' heading; the quick start "
            "must be a runnable ```python block there (it uses the embedded Simulator)"
        )
    return code


def test_readme_quick_start_runs() -> None:
    """The README's quick start, run as written (a script, or top-level ``await`` code)."""
    code = _readme_quick_start()
    compiled = compile(
        code, str(ROOT / "README.md") + ":quick-start", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    namespace: dict[str, Any] = {"__name__": "__main__"}
    result = eval(compiled, namespace)  # noqa: S307 - our own README, on purpose
    if inspect.iscoroutine(result):  # top-level await: run it the way a notebook would
        asyncio.run(result)
    assert "LivionKeyClient" in code, "the quick start shows the client"
    assert "Simulator" in code, "the quick start runs on the embedded simulator"


# ---------------------------------------------------------------------------- known client bugs
# Each test below fails today because of a client bug (its reason says which). strict=True: once
# the bug is fixed the test passes, pytest reports XPASS(strict) as a failure, and the mark goes.


async def test_a_delete_whose_connection_drops_after_commit_is_done() -> None:
    async with Simulator(SimConfig()) as sim:
        trace, sent = delete_sends(sim, "drop_after_commit_rate")
        async with LivionKeyClient(
            sim.config.email,
            sim.config.password,
            base_url=sim.url,
            rate_limit=FAST,
            trace_configs=[trace],
        ) as client:
            made = await client.contracts.create(contract("booking-drop-delete"))
            sim.faults.drop_after_commit_rate = 1.0
            await client.contracts.delete(made.id)  # raises NotFoundError today
        assert sim.contracts() == []
        assert sim.stats.dropped == 1
        assert len(sent) == 2  # the dropped DELETE and its resend


@pytest.mark.parametrize(
    "pincode", ["1234\n", "\u0661\u0662\u0663\u0664", "\uff11\uff12\uff13\uff14"]
)
async def test_a_malformed_pincode_is_refused_before_sending(
    sim: Simulator, client: LivionKeyClient, pincode: str
) -> None:
    await fails_with(
        client.contracts.create(contract("booking-pin", pincode=pincode)),
        ValidationError,
        None,
        "pincode must be 4 to 8 digits",
    )
    assert sim.stats.requests == 0


async def test_a_client_clock_more_than_an_hour_fast_still_logs_in_once() -> None:
    async with running(wall_clock=lambda: time.time() + 3700.0) as (sim, client):
        for _ in range(10):
            assert (await client.devices.get("00001")).device_id == "00001"
        assert sim.stats.unauthorized == 0
        assert sim.stats.logins == 1
