"""Writes Livion answers in words: ``Key updated``, ``Contract deleted successfully``...

Such an answer is success and returns nothing; anything else that is not the documented answer
(an HTML page, a refusal dressed as success) is a typed error, never data. A delete answered
``Delete contract failed`` is settled by looking the object up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from wire_support import BASE, FakeTime, calls, learn_products, login_answer, new_client, url

from livionkey_async import (
    ApiError,
    ContractUpdate,
    DeleteFailedError,
    KeyRef,
    LivionKeyClient,
    NotFoundError,
    ResponseFormatError,
)


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(mocked: Any) -> AsyncIterator[LivionKeyClient]:
    fake_time = FakeTime()
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok"), repeat=True)
    async with new_client(fake_time) as made:
        await learn_products(mocked, made, {"00053": "key30", "kp-1": "keypad"})
        yield made


Write = Callable[[LivionKeyClient], Awaitable[object]]
UPDATE = ContractUpdate(keys=[KeyRef("00053", "A1")], person="Jane")
WRITES: dict[str, tuple[str, Any, Write, str]] = {
    "keys.update": (
        "POST",
        url("/keys/A1"),
        lambda c: c.keys.update("A1", device_id="00053", name="x"),
        "Key updated",
    ),
    "keys.delete": (
        "DELETE",
        url("/keys/A1", deviceId="00053"),
        lambda c: c.keys.delete("A1", device_id="00053"),
        "Key deleted",
    ),
    "contracts.update": (
        "POST",
        url("/contracts/c1"),
        lambda c: c.contracts.update("c1", UPDATE),
        "Contract updated",
    ),
    "contracts.delete": (
        "DELETE",
        url("/contracts/c1"),
        lambda c: c.contracts.delete("c1"),
        "Contract deleted successfully",
    ),
    "devices.open_door": (
        "POST",
        url("/devices/00053/opendoor"),
        lambda c: c.devices.open_door("00053", 2),
        "Command sent successfuly",
    ),
    "keypad.unlock": (
        "POST",
        url("/devices/kp-1/unlock"),
        lambda c: c.keypad.unlock("kp-1"),
        "Command sent successfuly",
    ),
    "keypad.delete": (
        "DELETE",
        url("/accessrights/ar-1"),
        lambda c: c.keypad.delete("ar-1"),
        "AccessRight deleted successfully",
    ),
}


@pytest.mark.parametrize(("method", "where", "write", "text"), WRITES.values(), ids=list(WRITES))
@pytest.mark.parametrize(
    "answer",
    ["documented", "documented with a newline", "empty", "json"],
)
async def test_a_documented_acknowledgement_is_success(
    client: LivionKeyClient,
    mocked: Any,
    method: str,
    where: Any,
    write: Write,
    text: str,
    answer: str,
) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "documented": {"body": text},
        "documented with a newline": {"body": text + "\n"},
        "empty": {"body": ""},
        "json": {"payload": {"success": True}},
    }
    mocked.add(where, method, **bodies[answer])
    assert await write(client) is None
    assert len(mocked.requests[(method, where)]) == 1


@pytest.mark.parametrize(("method", "where", "write", "text"), WRITES.values(), ids=list(WRITES))
async def test_an_html_page_answered_as_success_is_not_taken_for_one(
    client: LivionKeyClient, mocked: Any, method: str, where: Any, write: Write, text: str
) -> None:
    mocked.add(where, method, body=f"<html><body>{text}? Gateway says hello</body></html>")
    with pytest.raises(ResponseFormatError) as info:
        await write(client)
    assert "unexpected body" in info.value.message


async def test_a_refusal_dressed_as_success_is_an_error(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(url("/keys/A1"), payload={"success": False, "message": "no such key"})
    with pytest.raises(NotFoundError) as info:
        await client.keys.update("A1", device_id="00053", name="x")
    assert info.value.message == "no such key"


async def test_unrelated_text_is_not_an_acknowledgement(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(url("/contracts/c1"), body="Service temporarily in maintenance mode")
    with pytest.raises(ResponseFormatError):
        await client.contracts.update("c1", UPDATE)


# -- "Delete contract failed": gone, or still there? --------------------------------------------

DELETES: dict[str, tuple[Any, Any, Callable[[LivionKeyClient], Awaitable[None]], str]] = {
    "contract": (
        url("/contracts/c1"),
        url("/contracts/c1"),
        lambda c: c.contracts.delete("c1"),
        "Delete contract failed",
    ),
    "access right": (
        url("/accessrights/ar-1"),
        url("/accessrights/ar-1"),
        lambda c: c.keypad.delete("ar-1"),
        "Delete accessRight failed",
    ),
}


@pytest.mark.parametrize(
    ("target", "lookup", "delete", "failed"), DELETES.values(), ids=list(DELETES)
)
async def test_failed_after_an_unknown_outcome_and_gone_is_deleted(
    client: LivionKeyClient,
    mocked: Any,
    target: Any,
    lookup: Any,
    delete: Callable[[LivionKeyClient], Awaitable[None]],
    failed: str,
) -> None:
    # The first DELETE lands but its answer is lost; the resend finds nothing to delete.
    mocked.delete(target, exception=aiohttp.ServerDisconnectedError())
    mocked.delete(target, status=400, body=failed)
    mocked.get(lookup, status=400, body="Contract not found")
    await delete(client)  # no error: deleted
    assert len(mocked.requests[("DELETE", target)]) == 2
    assert len(mocked.requests[("GET", lookup)]) == 1


@pytest.mark.parametrize(
    ("target", "lookup", "delete", "failed"), DELETES.values(), ids=list(DELETES)
)
async def test_failed_at_once_and_gone_never_existed(
    client: LivionKeyClient,
    mocked: Any,
    target: Any,
    lookup: Any,
    delete: Callable[[LivionKeyClient], Awaitable[None]],
    failed: str,
) -> None:
    mocked.delete(target, status=400, body=failed)
    mocked.get(lookup, status=400, body="AccessRight not found")
    with pytest.raises(NotFoundError) as info:
        await delete(client)
    assert info.value.message == f"{failed}: it does not exist"


@pytest.mark.parametrize(
    ("target", "lookup", "delete", "failed"), DELETES.values(), ids=list(DELETES)
)
async def test_failed_and_still_there_is_a_delete_failure(
    client: LivionKeyClient,
    mocked: Any,
    target: Any,
    lookup: Any,
    delete: Callable[[LivionKeyClient], Awaitable[None]],
    failed: str,
) -> None:
    mocked.delete(target, exception=aiohttp.ServerDisconnectedError())
    mocked.delete(target, status=400, body=failed)
    mocked.get(lookup, payload={"id": "c1", "contractId": "x", "devices": []})
    with pytest.raises(DeleteFailedError) as info:
        await delete(client)
    assert isinstance(info.value, ApiError)
    assert info.value.message == failed


async def test_backup_code_regeneration_never_returns_its_status_text(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(url("/keys/A1/backupcodes"), body="backup codes updated")
    mocked.get(url("/keys/A1", deviceId="00053"), payload=[{"keyId": "A1", "backupCodes": ["1"]}])
    assert await client.keys.regenerate_backup_codes("A1", device_id="00053") == ("1",)
    mocked.post(url("/keys/A1/backupcodes"), body="<html>oops</html>")
    with pytest.raises(ResponseFormatError):
        await client.keys.regenerate_backup_codes("A1", device_id="00053")
    assert len(calls(mocked, "GET", "/keys/A1", deviceId="00053")) == 1
