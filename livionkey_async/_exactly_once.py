"""Create a contract (or a key) exactly once, even when the network lies.

A create whose outcome is unknown (the connection dropped after sending, a timeout, a 5xx) is
never blindly resent. The object is looked up by the caller's own reference first: found and
matching the spec, it is a success; found but different, a duplicate error; not found, the
create is sent again. Any refusal after an unknown outcome ("ContractId already in use", but
also an overlap or a pincode clash with the copy that landed late) is settled the same way, and
so is "already in use" on a first attempt, so a rerun of a job that partly succeeded is a
success, not a duplicate. The server's uniqueness of ``contractId`` (and ``keyId``) is what makes
this safe when the first request lands after the look-up.

Where the server keeps no reference of the caller's (API v2's iLOQ key contracts), nothing makes
a resend safe: with ``resend=False`` a create whose outcome is unknown is looked up (the best
settlement there is) and, when not found, reported as unknown rather than sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from ._errors import AmbiguousOutcomeError, ConflictError, LivionKeyError
from ._fanout import CANCEL_GRACE, Outcome, Settled
from ._models import Contract, Key, NewContract, NewKey

__all__ = ["ExactlyOnce", "contract_matches", "key_matches"]

log = logging.getLogger("livionkey_async.bulk")

S = TypeVar("S")  # what to create
R = TypeVar("R")  # what a create answers
F = TypeVar("F")  # the object as a look-up finds it

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


class ExactlyOnce(Generic[S, R, F]):
    """Creates one item exactly once, settling every unknown outcome by a look-up.

    ``create`` sends it; ``lookup`` finds it by the caller's reference (``None`` when absent);
    ``matches`` tells whether what was found is this spec; ``result_of`` turns what was found
    into what a create answers; ``duplicate`` is the error for "the reference is taken" (``None``:
    there is no reference, so no refusal means that); ``name`` names an item in messages;
    ``resend=False`` never sends a create again once one may have landed.
    """

    def __init__(
        self,
        *,
        create: Callable[[S], Awaitable[R]],
        lookup: Callable[[S], Awaitable[F | None]],
        matches: Callable[[F, S], bool],
        result_of: Callable[[F], R],
        duplicate: type[ConflictError] | None,
        name: Callable[[S], str],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        resend: bool = True,
    ) -> None:
        self._create = create
        self._lookup = lookup
        self._matches = matches
        self._result_of = result_of
        self._duplicate = duplicate
        self._name = name
        self._sleep = sleep
        self._resend = resend

    async def __call__(self, spec: S) -> R | Settled[R]:
        try:
            return await self._create_once(spec)
        except asyncio.CancelledError:
            return await self._settle_cancelled(spec)

    async def _create_once(self, spec: S) -> R | Settled[R]:
        unknown: AmbiguousOutcomeError | None = None  # an earlier create may have landed
        for attempt in range(MAX_CREATES):
            try:
                return await self._create(spec)
            except AmbiguousOutcomeError as exc:
                log.debug("%s: outcome unknown (%s), looking it up", self._name(spec), exc)
                unknown = exc
            except LivionKeyError as exc:
                taken = self._duplicate is not None and isinstance(exc, self._duplicate)
                if unknown is None and not taken:
                    raise
                # Taken, or refused for clashing with the copy an earlier create may have made.
                settled = await self._settle(spec, exc, unknown)
                if settled is None:
                    raise
                return settled
            settled = await self._settle(spec, unknown, unknown)
            if settled is not None:
                return settled
            if not self._resend:
                raise AmbiguousOutcomeError(
                    f"{self._name(spec)}: the create may or may not have been applied, and no "
                    "matching object was found; it is not sent again (nothing would stop a "
                    f"second copy): check before creating it again ({unknown.message})",
                    method=unknown.method,
                    path=unknown.path,
                    status=unknown.status,
                )
            await self._sleep(min(2.0, 0.1 * 2**attempt))
        assert unknown is not None
        raise AmbiguousOutcomeError(
            f"{self._name(spec)}: {MAX_CREATES} creates ended without an answer and it was not "
            f"found afterwards (last: {unknown.message})",
            method=unknown.method,
            path=unknown.path,
            status=unknown.status,
        )

    async def _settle(
        self, spec: S, cause: LivionKeyError, unknown: AmbiguousOutcomeError | None
    ) -> Settled[R] | None:
        """Look the item up: found and matching is a success, found and different a duplicate."""
        existing = await self._look_up(spec, unknown)
        if existing is None:
            return None
        if not self._matches(existing, spec):
            raise (self._duplicate or ConflictError)(
                f"{self._name(spec)} is already used by a different one", status=cause.status
            )
        log.debug("%s: found on the server, counted as created", self._name(spec))
        return Settled(self._result_of(existing), outcome=Outcome.SUCCEEDED)

    async def _look_up(self, spec: S, unknown: AmbiguousOutcomeError | None) -> F | None:
        """The look-up. After an unknown outcome, a look-up that fails leaves it unknown: the
        item must fail as ``AmbiguousOutcomeError`` (a journal then remembers it), never as the
        look-up's own error."""
        if unknown is None:
            return await self._lookup(spec)
        try:
            return await self._lookup(spec)
        except AmbiguousOutcomeError:
            raise
        except LivionKeyError as exc:
            raise AmbiguousOutcomeError(
                f"{self._name(spec)}: the create may or may not have been applied, and looking "
                f"it up failed ({type(exc).__name__}: {exc.message})",
                method=unknown.method,
                path=unknown.path,
                status=unknown.status,
            ) from None

    async def _settle_cancelled(self, spec: S) -> Settled[R]:
        """The job was cancelled while this create was in flight: did it land?"""
        try:
            async with asyncio.timeout(CANCEL_GRACE * 0.9):
                existing = await self._lookup(spec)
        except (TimeoutError, LivionKeyError):
            existing = None
        if existing is not None and self._matches(existing, spec):
            return Settled(self._result_of(existing), outcome=Outcome.SUCCEEDED)
        error = AmbiguousOutcomeError(
            f"{self._name(spec)}: cancelled while its create was in flight, and not found on the "
            "server then: it may still appear (a rerun settles it)",
            method="POST",
            path="",
        )
        return Settled(None, outcome=Outcome.FAILED, reconciled=False, error=error)
