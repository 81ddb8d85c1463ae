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
from ._transport import watch_sends

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
    into what a create answers (marked as reconciled); ``duplicate`` is the error for "the
    reference is taken" (``None``: there is no reference, so no refusal means that); ``name``
    names an item in messages; ``resend=False`` never sends a create again once one may have
    landed (where nothing on the server would refuse a second copy).

    ``await exactly_once.create(spec)`` serves one caller (``contracts.create``): a cancellation
    propagates. ``await exactly_once(spec)`` is the bulk helpers' work function: a cancellation
    is settled by a last look-up and reported as the item's outcome, unless no create ever left
    (cancelled while logging in or queued for the pacer): then the item was not attempted.
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

    async def create(self, spec: S) -> R:
        """The created (or found) item; ``AmbiguousOutcomeError`` only when no look-up could
        settle it."""
        value, _ = await self._create_once(spec)
        return value

    async def __call__(self, spec: S) -> R | Settled[R]:
        with watch_sends() as sends:
            try:
                value, reconciled = await self._create_once(spec)
            except asyncio.CancelledError:
                if not sends.sent:  # no create left: nothing to look for
                    return Settled(None, outcome=Outcome.NOT_ATTEMPTED, reconciled=False)
                return await self._settle_cancelled(spec)
        return Settled(value, outcome=Outcome.SUCCEEDED) if reconciled else value

    async def _create_once(self, spec: S) -> tuple[R, bool]:
        """The item and whether a look-up settled it."""
        unknown: AmbiguousOutcomeError | None = None  # an earlier create may have landed
        for attempt in range(MAX_CREATES):
            try:
                return await self._create(spec), False
            except AmbiguousOutcomeError as exc:
                log.debug("%s: outcome unknown (%s), looking it up", self._name(spec), exc)
                unknown = exc
            except LivionKeyError as exc:
                if unknown is None and not self._taken(exc):
                    raise
                # Taken, or refused for clashing with the copy an earlier create may have made.
                settled = await self._settle(spec, exc, unknown)
                if settled is None:
                    raise
                return settled, True
            settled = await self._settle(spec, unknown, unknown)
            if settled is not None:
                return settled, True
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
    ) -> R | None:
        """Look the item up: found and matching is a success, found and different a duplicate.

        A look-up that fails (even on a refused login) leaves an unknown outcome unknown
        (``AmbiguousOutcomeError``) and a taken reference taken (``cause``).
        """
        try:
            existing = await self._lookup(spec)
        except LivionKeyError as failed:
            if unknown is None:
                raise cause from None
            raise AmbiguousOutcomeError(
                f"{self._name(spec)}: its create may or may not have been applied, and looking "
                f"it up failed ({type(failed).__name__}: {failed})",
                method=unknown.method,
                path=unknown.path,
                status=unknown.status,
            ) from None
        if existing is None:
            return None
        if not self._matches(existing, spec):
            if self._taken(cause):
                raise cause  # the server's own words: the reference is taken
            raise (self._duplicate or ConflictError)(
                f"{self._name(spec)} is already used by a different one", status=cause.status
            )
        log.debug("%s: found on the server, counted as created", self._name(spec))
        return self._result_of(existing)

    def _taken(self, error: LivionKeyError) -> bool:
        """Whether ``error`` is the server saying the caller's reference is taken."""
        return self._duplicate is not None and isinstance(error, self._duplicate)

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
