"""``client.keypad`` against the simulator over loopback: a keypad access right's whole life."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import (
    AccessRightUpdate,
    Contact,
    DuplicateAccessRightError,
    LivionKeyClient,
    NewAccessRight,
    NewKey,
    NotFoundError,
    Recurrence,
    UnsupportedDeviceError,
)
from livionkey_async.testing import SimConfig, Simulator

KEYPAD = "00005"
START = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimConfig()) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[LivionKeyClient]:
    async with LivionKeyClient(
        sim.config.email, sim.config.password, base_url=sim.url, rate_limit=1000
    ) as made:
        yield made


def right(access_right_id: str, **extra: object) -> NewAccessRight:
    return NewAccessRight(
        access_right_id=access_right_id,
        device_ids=[KEYPAD],
        start=START,
        end=START + timedelta(days=3),
        person="John Doe",
        contacts=[Contact(name="John", email="john@example.com")],
        modify_time=False,
        **extra,  # type: ignore[arg-type]
    )


async def test_an_access_right_from_creation_to_deletion(
    sim: Simulator, client: LivionKeyClient
) -> None:
    schedule = Recurrence("08:00", "17:00", days={1, 2, 3, 4, 5})
    made = await client.keypad.create(right("booking-7", pincode="2580", recurrent=[schedule]))
    assert made.pincode == "2580"

    got = await client.keypad.get(made.id)
    assert (got.id, got.access_right_id, got.device_ids) == (made.id, "booking-7", (KEYPAD,))
    assert (got.start, got.end) == (START, START + timedelta(days=3))
    assert got.recurrent == (schedule,)
    assert got.contacts[0].name == "John"

    assert [r.access_right_id for r in await client.keypad.device_access_rights(KEYPAD)] == [
        "booking-7"
    ]
    assert [r.id for r in await client.keypad.list()] == [made.id]
    found = await client.keypad.find("booking-7")
    assert found is not None
    assert found.id == made.id
    assert await client.keypad.find("nobody") is None

    await client.keypad.update(
        made.id,
        AccessRightUpdate(device_ids=[KEYPAD], start=START, perm=True, person="Jane"),
    )
    updated = await client.keypad.get(made.id)
    assert (updated.person, updated.perm, updated.end) == ("Jane", True, None)

    pincode = await client.keypad.regenerate_pincode(made.id, [KEYPAD])
    assert pincode.isdigit()
    assert pincode != "2580"
    assert (await client.keypad.get(made.id)).pincode == pincode

    await client.keypad.unlock(KEYPAD)

    await client.keypad.delete(made.id, cancellation=True)
    with pytest.raises(NotFoundError):
        await client.keypad.get(made.id)
    with pytest.raises(NotFoundError, match="Delete accessRight failed: it does not exist"):
        await client.keypad.delete(made.id)


async def test_a_reference_is_taken_once(client: LivionKeyClient) -> None:
    await client.keypad.create(right("booking-8"))
    with pytest.raises(DuplicateAccessRightError):
        await client.keypad.create(right("booking-8"))


async def test_keypads_and_key_automats_keep_to_their_own_apis(
    sim: Simulator, client: LivionKeyClient
) -> None:
    with pytest.raises(UnsupportedDeviceError):
        await client.keypad.unlock("00001")
    with pytest.raises(UnsupportedDeviceError):
        await client.keypad.create(
            NewAccessRight(
                access_right_id="x", device_ids=["00001"], start=START, person="p", perm=True
            )
        )
    with pytest.raises(UnsupportedDeviceError):
        await client.keys.create(NewKey(key_id="K", name="n", device_id=KEYPAD))
    with pytest.raises(UnsupportedDeviceError):
        await client.devices.contracts(KEYPAD)
    assert sim.state.store.access_rights == {}
