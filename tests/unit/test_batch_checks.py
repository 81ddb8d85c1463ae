"""Checks across the items of one batch: duplicate contract ids and overlapping windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import (
    ContractOverlapError,
    Key,
    KeyRef,
    NewContract,
    NotFoundError,
    ValidationError,
)
from livionkey_async._batch_checks import ContractBatchGuard

T0 = datetime(2031, 1, 1, tzinfo=UTC)
PRIVATE = KeyRef("1", "private")
SHARED = KeyRef("1", "shared")


def spec(cid: str, ref: KeyRef, start_h: int, end_h: int | None) -> NewContract:
    end = None if end_h is None else T0 + timedelta(hours=end_h)
    return NewContract(
        contract_id=cid,
        keys=[ref],
        start=T0 + timedelta(hours=start_h),
        end=end,
        perm=end is None,
        person="P",
    )


class KeysOf:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    async def __call__(self, device_id: str) -> list[Key]:
        self.calls.append(device_id)
        if self.fail:
            raise NotFoundError("Device not found", status=400)
        return [Key(key_id="private"), Key(key_id="shared", shared=True)]


async def test_windows_on_a_private_key_must_not_overlap_but_may_touch() -> None:
    keys_of = KeysOf()
    guard = ContractBatchGuard(keys_of)
    await guard.check(spec("a", PRIVATE, 10, 20))
    await guard.check(spec("b", PRIVATE, 20, 30))  # starts as the other ends
    await guard.check(spec("c", PRIVATE, 0, 10))  # ends as the first starts
    for cid, start, end in (("d", 15, 16), ("e", 5, 11), ("f", 29, 40), ("g", 0, 40)):
        with pytest.raises(ContractOverlapError, match=cid):
            await guard.check(spec(cid, PRIVATE, start, end))
    await guard.check(spec("h", PRIVATE, 40, None))  # permanent, after all the others
    with pytest.raises(ContractOverlapError):
        await guard.check(spec("i", PRIVATE, 1000, 1001))  # inside the permanent one
    assert keys_of.calls == ["1"]  # the device's keys are asked for once


async def test_shared_keys_may_overlap_and_contract_ids_are_unique() -> None:
    guard = ContractBatchGuard(KeysOf())
    await guard.check(spec("a", SHARED, 0, 10))
    await guard.check(spec("b", SHARED, 0, 10))
    with pytest.raises(ValidationError, match="more than once"):
        await guard.check(spec("a", PRIVATE, 50, 60))


async def test_a_device_that_cannot_be_listed_is_left_to_the_server() -> None:
    guard = ContractBatchGuard(KeysOf(fail=True))
    await guard.check(spec("a", PRIVATE, 0, 10))
    await guard.check(spec("b", PRIVATE, 0, 10))  # not known to be private: not refused here
