"""What the worker processes of one account share, as the small protocols the core needs.

A web service runs several processes on one LivionKey account. Passed a store
(``LivionKeyClient(..., store=...)``), a client shares with the others a login (a token cache
with a lock: :class:`TokenCache`) and a rate budget (:class:`RateBudget`); the bulk helpers
take a journal from it (``_journal.JournalBackend``) and the webhook receiver a dedupe store.
The core only knows these protocols; ``livionkey_async.redis`` implements them on Redis.
Without a store (``store=None``) nothing here is used and a client behaves as it always did.

A store that cannot be reached raises :class:`StoreUnavailable` (a custom store may raise any
``StoreError``); the core then carries on alone
(its own login, conservative local pacing) and :class:`StoreHealth` says so once in the log, and
once more when the store answers again. Where nothing can go on without the store (a shared
journal), the caller gets it as the public ``StoreError`` it derives from.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Protocol, cast

import attrs

from ._arguments import check_instance, check_number
from ._errors import StoreError, ValidationError

if TYPE_CHECKING:
    from ._journal import JournalBackend

__all__ = [
    "STORE_METHODS",
    "STORE_PROPERTIES",
    "CachedToken",
    "Grant",
    "RateBudget",
    "SharedStore",
    "StoreHealth",
    "StoreUnavailable",
    "TokenCache",
    "account_key",
    "check_store",
]

log = logging.getLogger("livionkey_async.shared")


class StoreUnavailable(StoreError):
    """The shared store did not answer (or answered nonsense); the message names no secret.

    A ``StoreError``, so that one escaping where nobody expected it is still a typed error."""


def account_key(base_url: str, identity: str) -> str:
    """A stable name for one account of one service, safe to put in a key: a digest, so neither
    the email nor the address appears in the store's key space."""
    digest = hashlib.sha256(f"{base_url}\0{identity.casefold()}".encode()).hexdigest()
    return digest[:24]


class StoreHealth:
    """Whether the store answered last time; each change is logged once, not every request."""

    __slots__ = ("available", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.available = True

    def __repr__(self) -> str:
        return f"<StoreHealth {self.name} {'up' if self.available else 'down'}>"

    def failed(self, error: BaseException, fallback: str) -> None:
        if self.available:
            self.available = False
            log.warning(
                "%s unreachable (%s): %s until it answers again", self.name, error, fallback
            )

    def answered(self) -> None:
        if not self.available:
            self.available = True
            log.warning("%s answers again: sharing the login and the rate budget", self.name)


@attrs.frozen
class CachedToken:
    """The shared bearer token and when it expires (epoch seconds)."""

    token: str = attrs.field(repr=False)
    expires_at: float


class TokenCache(Protocol):
    """The account's token, shared by its processes, and a lock so that one of them logs in."""

    async def get(self) -> CachedToken | None: ...

    async def put(self, token: str, expires_at: float) -> None: ...

    async def drop(self, token: str) -> None:
        """Forget the shared token, only if it is still ``token`` (the one the server refused)."""
        ...

    async def lock(self, ttl: float) -> str | None:
        """Take the login lock for ``ttl`` seconds; its owner value, or ``None`` if taken."""
        ...

    async def extend(self, owner: str, ttl: float) -> bool:
        """Make the lock last ``ttl`` seconds from now, only if ``owner`` still holds it
        (``False``: it lapsed or another process holds it)."""
        ...

    async def unlock(self, owner: str) -> None:
        """Release the lock, only if ``owner`` still holds it."""
        ...


@attrs.frozen
class Grant:
    """What the shared budget answered (times are the store's clock, in seconds).

    ``slot``: when the request may leave; ``generation`` changes whenever the plan changes (a
    pause, a new rate), so a slot taken before is void; ``members``: processes seen lately;
    ``refused``: an ``acquire`` that reserved nothing, its slot (or the pause) being longer than
    it accepted (``slot`` is then the one it would have had).
    """

    now: float
    slot: float
    pause_until: float
    generation: int
    rate: float | None
    learnt: float | None
    members: int
    events: int
    paused: float
    mode: str
    new_event: bool = False
    refused: bool = False


class RateBudget(Protocol):
    """One rate budget for every process of an account (a GCRA and a rate finder)."""

    async def acquire(
        self, hint: float | None, *, longest: float | None = None, max_pause: float | None = None
    ) -> Grant:
        """Reserve the next slot (``hint``: where a budget the store does not have yet starts),
        unless it is more than ``longest`` seconds away or the budget is paused for more than
        ``max_pause`` seconds: then reserve nothing and answer ``refused`` (``None``: any)."""
        ...

    async def plan(self) -> tuple[int, float] | None:
        """The current generation and pause end, ``None`` if the budget was lost (a restart)."""
        ...

    async def throttled(
        self,
        sent_at: float,
        generation: int,
        retry_after: float | None,
        default_pause: float,
        initial_pause: float,
    ) -> Grant:
        """A 429 answered the request let out at ``sent_at`` (store time) on a slot given in
        ``generation``: pause everyone; a new congestion event lowers the rate."""
        ...

    async def pause(self, seconds: float) -> Grant:
        """Hold every process for ``seconds`` (a quota exhausted until its reset)."""
        ...


STORE_METHODS = ("token_cache", "rate_budget", "journal", "aclose")
"""What a ``store=`` is checked for before a client takes it: these methods ..."""

STORE_PROPERTIES = ("health", "lock_ttl", "retry_interval")
"""... and these properties."""


def check_store(name: str, value: object) -> None:
    """``None`` or a :class:`SharedStore`: a store missing a method or a property of the
    protocol is refused naming it, before a client takes it (not with an ``AttributeError`` at
    its first request)."""
    if value is None:
        return
    missing = [m for m in STORE_METHODS if not callable(getattr(value, m, None))]
    missing += [p for p in STORE_PROPERTIES if not hasattr(value, p)]
    if missing:
        raise ValidationError(
            f"{name} must be a SharedStore (RedisStore): {type(value).__name__} has no "
            f"{', '.join(missing)}"
        )
    store = cast("SharedStore", value)
    check_instance(f"{name}.health", store.health, StoreHealth)
    check_number(f"{name}.lock_ttl", store.lock_ttl, positive=True)
    check_number(f"{name}.retry_interval", store.retry_interval, positive=True)


class SharedStore(Protocol):
    """What a client is given as ``store=``: the shared pieces of one account."""

    @property
    def health(self) -> StoreHealth: ...

    @property
    def lock_ttl(self) -> float:
        """Seconds a login lock holds if its process never releases it (it died)."""
        ...

    @property
    def retry_interval(self) -> float:
        """Seconds between tries of a store that did not answer (pacing alone meanwhile)."""
        ...

    def token_cache(self, account: str) -> TokenCache: ...

    def rate_budget(
        self,
        account: str,
        *,
        rate_limit: float | None,
        initial_rate: float | None,
        burst: int,
        min_rate: float,
    ) -> RateBudget: ...

    def journal(self, name: str) -> JournalBackend:
        """A bulk journal every process shares (``journal=store.journal(name)``)."""
        ...

    async def aclose(self) -> None: ...
