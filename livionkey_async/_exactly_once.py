"""Create a contract (or a key) exactly once, even when the network lies.

A create whose outcome is unknown (the connection dropped after sending, a timeout, a 5xx) is
never blindly resent. The object is looked up by the caller's own reference first: found and
matching the spec, it is a success; found but different, a ``DuplicateContractError``; not found,
the create is sent again. A "ContractId already in use" answer is settled the same way, so a
rerun of a job that partly succeeded is a success, not a duplicate. The server's uniqueness of
``contractId`` (and ``keyId``) is what makes this safe when the first request lands late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from ._errors import (
    AmbiguousOutcomeError,
    DuplicateContractError,
    DuplicateKeyError,
    LivionKeyError,
    NotFoundError,
)
from ._fanout import CANCEL_GRACE, Outcome, Settled
from ._models import Contract, CreatedContract, CreatedKey, Key, NewContract, NewKey

__all__ = ["ContractCreator", "KeyCreator", "contract_matches", "key_matches"]

log = logging.getLogger("livionkey_async.bulk")

Sleep = Callable[[float], Awaitable[None]]
# Creates sent for one item before its ambiguity is reported as a failure.
MAX_CREATES = 4


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    # The wire keeps milliseconds: compare at that precision.
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 0.001


def contract_matches(existing: Contract, spec: NewContract) -> bool:
    """Whether the server's contract is the one ``spec`` describes."""
    return (
        existing.contract_id == spec.contract_id
        and set(existing.keys) == set(spec.keys)
        and _same_instant(existing.start, spec.start)
        and _same_instant(existing.end, spec.end)
        and (existing.person or "") == spec.person
        and bool(existing.perm) == spec.perm
        and (spec.pincode is None or existing.pincode == spec.pincode)
    )


def key_matches(existing: Key, spec: NewKey) -> bool:
    """Whether the server's key is the one ``spec`` describes."""
    return (
        existing.key_id == spec.key_id
        and (existing.device_id in (None, spec.device_id))
        and existing.name == spec.name
        and (spec.locker_index is None or existing.locker_index == spec.locker_index)
    )


class ContractCreator:
    """Creates one ``NewContract`` exactly once, reconciling every unknown outcome."""

    def __init__(
        self,
        create: Callable[[NewContract], Awaitable[CreatedContract]],
        find: Callable[[NewContract], Awaitable[Contract | None]],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._create = create
        self._find = find
        self._sleep = sleep

    async def __call__(self, spec: NewContract) -> CreatedContract | Settled[CreatedContract]:
        try:
            return await self._create_once(spec)
        except asyncio.CancelledError:
            return await self._settle_cancelled(spec)

    async def _create_once(self, spec: NewContract) -> CreatedContract | Settled[CreatedContract]:
        last: LivionKeyError | None = None
        for attempt in range(MAX_CREATES):
            try:
                return await self._create(spec)
            except AmbiguousOutcomeError as exc:
                log.debug("contract %s: outcome unknown (%s), looking it up", spec.contract_id, exc)
                last = exc
            except DuplicateContractError as exc:
                last = exc
            settled = await self._reconcile(spec, last)
            if settled is not None:
                return settled
            if isinstance(last, DuplicateContractError):
                raise last  # in use, yet not found on its devices: nothing to reconcile with
            await self._sleep(min(2.0, 0.1 * 2**attempt))
        assert last is not None
        raise AmbiguousOutcomeError(
            f"contract {spec.contract_id}: {MAX_CREATES} creates ended without an answer and it "
            f"was not found afterwards (last: {last.message})",
            method="POST",
            path="contracts",
            status=last.status,
        )

    async def _reconcile(
        self, spec: NewContract, cause: LivionKeyError | None
    ) -> Settled[CreatedContract] | None:
        existing = await self._find(spec)
        if existing is None:
            return None
        if not contract_matches(existing, spec):
            raise DuplicateContractError(
                f"contract_id {spec.contract_id!r} is already used by a different contract "
                f"({existing.id})",
                status=cause.status if cause is not None else None,
            )
        log.debug("contract %s: found on the server, counted as created", spec.contract_id)
        created = CreatedContract(id=existing.id, pincode=existing.pincode)
        return Settled(created, outcome=Outcome.SUCCEEDED)

    async def _settle_cancelled(self, spec: NewContract) -> Settled[CreatedContract]:
        """The job was cancelled while this create was in flight: did it land?"""
        try:
            async with asyncio.timeout(CANCEL_GRACE * 0.9):
                existing = await self._find(spec)
        except (TimeoutError, LivionKeyError):
            return Settled(None, outcome=Outcome.NOT_ATTEMPTED, reconciled=False)
        if existing is not None and contract_matches(existing, spec):
            return Settled(
                CreatedContract(existing.id, existing.pincode), outcome=Outcome.SUCCEEDED
            )
        return Settled(None, outcome=Outcome.NOT_ATTEMPTED)


class KeyCreator:
    """Creates one ``NewKey`` exactly once, reconciling every unknown outcome."""

    def __init__(
        self,
        create: Callable[[NewKey], Awaitable[CreatedKey]],
        get: Callable[[NewKey], Awaitable[Key]],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._create = create
        self._get = get
        self._sleep = sleep

    async def __call__(self, spec: NewKey) -> CreatedKey | Settled[CreatedKey]:
        last: LivionKeyError | None = None
        for attempt in range(MAX_CREATES):
            try:
                return await self._create(spec)
            except (AmbiguousOutcomeError, DuplicateKeyError) as exc:
                last = exc
            try:
                existing = await self._get(spec)
            except NotFoundError:
                if isinstance(last, DuplicateKeyError):
                    raise last from None
                await self._sleep(min(2.0, 0.1 * 2**attempt))
                continue
            if not key_matches(existing, spec):
                raise DuplicateKeyError(
                    f"key_id {spec.key_id!r} is already used by a different key",
                    status=last.status,
                )
            created = CreatedKey(locker_index=existing.locker_index)
            return Settled(created, outcome=Outcome.SUCCEEDED)
        assert last is not None
        raise AmbiguousOutcomeError(
            f"key {spec.key_id}: {MAX_CREATES} creates ended without an answer and it was not "
            f"found afterwards (last: {last.message})",
            method="POST",
            path="keys",
            status=last.status,
        )
