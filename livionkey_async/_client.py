"""``LivionKeyClient``: one object per account, safe to share across thousands of coroutines.

It wires the layers together (token holder, pacer, retry budget, transport) and exposes the
resources as attributes; it does no HTTP itself. Use it as an async context manager, or call
``await client.close()`` when done.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self

import aiohttp
import attrs
from yarl import URL

from ._arguments import (
    check_bool,
    check_callable,
    check_instance,
    check_int,
    check_number,
    check_text,
)
from ._assumptions import DEFAULT_BASE_URL
from ._auth import BearerAuth, TokenHolder
from ._bulk import Bulk
from ._contracts import Contracts
from ._convert import structure
from ._devices import Devices
from ._errors import (
    AuthenticationError,
    LoginError,
    ResponseFormatError,
    ValidationError,
    error_from_response,
)
from ._gate import Gate
from ._http import DEFAULT_MAX_ANSWER_BYTES, checked_url
from ._keypad import Keypad
from ._keys import Keys
from ._models import LoginResult
from ._pacing import Pacer
from ._retry_budget import RetryBudget
from ._shared import SharedStore, account_key, check_store
from ._shared_login import SharedBearerAuth, SharedLogin
from ._shared_pacing import SharedPacer
from ._stats import ClientStats, Counters, RequestEvent
from ._transport import Call, Deadline, ErrorMapper, Transport

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RETRY_AFTER",
    "LivionKeyClient",
    "Pipeline",
    "build_pipeline",
    "check_options",
    "checked_base_url",
    "stats_snapshot",
]


def checked_base_url(base_url: str, allow_insecure: bool) -> URL:
    """The client's base URL, checked (``_http.checked_url``)."""
    check_bool("allow_insecure", allow_insecure)
    return checked_url(base_url, allow_insecure=allow_insecure)


# Seconds one call may take, waits and retries included; the longest one Retry-After pauses the
# client (README: "Limits and deadlines").
DEFAULT_DEADLINE = 300.0
DEFAULT_MAX_RETRY_AFTER = 120.0


def check_options(
    *,
    rate_limit: float | None,
    rate_hint: float | None = None,
    max_connections: int,
    timeout: float,
    max_attempts: int,
    max_throttled_attempts: int,
    deadline: float | None = DEFAULT_DEADLINE,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    max_wait: float = 0.0,
) -> None:
    """The pipeline options every client takes, checked the same way."""
    check_number("rate_limit", rate_limit, positive=True, optional=True)
    check_number("rate_hint", rate_hint, positive=True, optional=True)
    check_int("max_connections", max_connections, low=1)
    check_number("timeout", timeout, positive=True)
    check_number("max_wait", max_wait)
    check_int("max_attempts", max_attempts, low=1)
    check_int("max_throttled_attempts", max_throttled_attempts, low=1)
    check_number("deadline", deadline, positive=True, optional=True)
    check_number("max_retry_after", max_retry_after, positive=True)
    check_int("max_answer_bytes", max_answer_bytes, low=1024)


@attrs.frozen
class Pipeline:
    """The request path of one client: its counters, its pacer and the transport over both."""

    counters: Counters
    pacer: Gate
    transport: Transport
    account: str  # the account's name in a shared store (a digest)

    async def aclose(self) -> None:
        """Close the transport (and stop a shared pacer's reports on their way)."""
        if isinstance(self.pacer, SharedPacer):
            await self.pacer.aclose()
        await self.transport.close()


def build_pipeline(
    *,
    base_url: str,
    allow_insecure: bool,
    rate_limit: float | None,
    rate_hint: float | None,
    max_connections: int,
    timeout: float,
    max_wait: float,
    max_attempts: int,
    max_throttled_attempts: int,
    session: aiohttp.ClientSession | None,
    trace_configs: Sequence[aiohttp.TraceConfig],
    on_request: Callable[[RequestEvent], None] | None,
    sleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
    error_mapper: ErrorMapper = error_from_response,
    deadline: float | None = DEFAULT_DEADLINE,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    store: SharedStore | None = None,
    identity: str = "",
) -> Pipeline:
    """The pipeline options every client takes (V1's and API v2's), checked and wired in one
    place; the client sets the transport's ``auth`` and ``secrets``. With a ``store``, the pacing
    is the budget the account (``identity`` at this base URL) shares there with the other
    processes."""
    check_options(
        rate_limit=rate_limit,
        rate_hint=rate_hint,
        max_connections=max_connections,
        timeout=timeout,
        max_attempts=max_attempts,
        max_throttled_attempts=max_throttled_attempts,
        deadline=deadline,
        max_retry_after=max_retry_after,
        max_answer_bytes=max_answer_bytes,
        max_wait=max_wait,
    )
    check_instance("session", session, aiohttp.ClientSession, optional=True)
    if not isinstance(trace_configs, Sequence) or not all(
        isinstance(config, aiohttp.TraceConfig) for config in trace_configs
    ):
        raise ValidationError("trace_configs must be a sequence of aiohttp.TraceConfig")
    check_callable("on_request", on_request, optional=True)
    for name, hook in (("sleep", sleep), ("clock", clock), ("wall_clock", wall_clock)):
        check_callable(name, hook)
    check_store("store", store)
    counters = Counters()
    url = checked_base_url(base_url, allow_insecure)
    account = account_key(str(url), identity)

    def local(ceiling: float | None, hint: float | None) -> Pacer:
        return Pacer(
            rate_limit=ceiling,
            rate_hint=hint,
            max_wait=max_wait,
            max_retry_after=max_retry_after,
            clock=clock,
            sleep=sleep,
        )

    pacer: Gate
    if store is None:
        pacer = local(rate_limit, rate_hint)
    else:
        budget = store.rate_budget(
            account, rate_limit=rate_limit, initial_rate=30.0, burst=1, min_rate=0.5
        )
        pacer = SharedPacer(
            budget,
            store.health,
            local=local,
            rate_limit=rate_limit,
            rate_hint=rate_hint,
            max_wait=max_wait,
            max_retry_after=max_retry_after,
            retry_interval=store.retry_interval,
            clock=clock,
            sleep=sleep,
        )
    transport = Transport(
        base_url=url,
        pacer=pacer,
        budget=RetryBudget(),
        counters=counters,
        timeout=timeout,
        max_connections=max_connections,
        max_attempts=max_attempts,
        max_throttled_attempts=max_throttled_attempts,
        deadline=deadline,
        max_answer_bytes=max_answer_bytes,
        session=session,
        trace_configs=trace_configs,
        on_request=on_request,
        sleep=sleep,
        clock=clock,
        wall_clock=wall_clock,
        error_mapper=error_mapper,
    )
    return Pipeline(counters, pacer, transport, account)


def stats_snapshot(counters: Counters, pacer: Gate) -> ClientStats:
    """What a client has done so far, read at once from its counters and its pacer."""
    return ClientStats(
        requests=counters.requests,
        logins=counters.logins,
        retries=counters.retries,
        throttled=counters.throttled,
        unauthorized=counters.unauthorized,
        failures=counters.failures,
        in_flight=counters.in_flight,
        max_in_flight=counters.max_in_flight,
        current_rate=pacer.rate,
        paused_seconds=pacer.paused_seconds,
        congestion_events=pacer.congestion_events,
        learnt_rate=pacer.learnt_rate,
    )


class LivionKeyClient:
    """An asyncio client for the LivionKey API V1 (``devices``, ``keys``, ``contracts``) and the
    LivionKeyPad API that shares its base URL and login (``keypad``).

    ``rate_limit``: a ceiling in requests per second; ``None`` discovers the server's limit.
    ``rate_hint``: where discovery starts instead of its slow start, typically the
    ``stats.learnt_rate`` of an earlier run (a web service that restarts keeps it): held like a
    discovered rate, probed upwards later, lowered on a 429.
    ``max_connections``: most requests in flight (the connection pool's size). ``timeout``:
    seconds per attempt, for its whole exchange (connecting, sending, the answer read in full).
    ``deadline``: seconds one call may take in all, waits and retries included (``None``: no
    such bound); ``client.deadline(seconds)`` bounds the calls of a block more tightly.
    ``refresh_margin``: log in again this long before the token expires. ``max_wait``: the
    longest a 429 pause may hold a request before it fails with ``RateLimitedError``.
    ``max_retry_after``: the longest one ``Retry-After`` pauses the client (the call that got a
    longer one fails with ``RateLimitedError``). ``max_answer_bytes``: the largest answer read
    (a larger success is a ``ResponseFormatError``). ``session``: your own aiohttp session
    (never closed by the client). ``allow_insecure``: permit plain ``http://`` to a non-loopback
    host.
    """

    def __init__(
        self,
        email: str,
        password: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: float | None = None,
        rate_hint: float | None = None,
        max_connections: int = 16,
        timeout: float = 30.0,
        refresh_margin: float = 300.0,
        max_wait: float = 60.0,
        max_attempts: int = 4,
        max_throttled_attempts: int = 20,
        deadline: float | None = DEFAULT_DEADLINE,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        on_request: Callable[[RequestEvent], None] | None = None,
        allow_insecure: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        store: SharedStore | None = None,
    ) -> None:
        check_text("email", email, required=True)
        check_text("password", password, required=True)
        check_number("refresh_margin", refresh_margin)
        self._email = email
        self.__password = password
        self._sleep = sleep
        pipeline = build_pipeline(
            base_url=base_url,
            allow_insecure=allow_insecure,
            rate_limit=rate_limit,
            rate_hint=rate_hint,
            max_connections=max_connections,
            timeout=timeout,
            max_wait=max_wait,
            max_attempts=max_attempts,
            max_throttled_attempts=max_throttled_attempts,
            deadline=deadline,
            max_retry_after=max_retry_after,
            max_answer_bytes=max_answer_bytes,
            session=session,
            trace_configs=trace_configs,
            on_request=on_request,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            store=store,
            identity=email,
        )
        self._pipeline = pipeline
        self._store = store
        self._counters, self._pacer = pipeline.counters, pipeline.pacer
        self._transport = pipeline.transport
        login: Callable[[], Awaitable[LoginResult]] = self._login
        shared = None
        if store is not None:
            shared = login = SharedLogin(
                self._login,
                store.token_cache(pipeline.account),
                store.health,
                lock_ttl=store.lock_ttl,
                sleep=sleep,
                wall_clock=wall_clock,
            )
        self._auth = TokenHolder(
            login, refresh_margin=refresh_margin, clock=clock, wall_clock=wall_clock
        )
        self._transport.auth = (
            BearerAuth(self._auth) if shared is None else SharedBearerAuth(self._auth, shared)
        )
        self._transport.secrets = lambda: (password, *self._auth.secrets())
        self.devices = Devices(self._transport, clock=clock)
        self.keys = Keys(self._transport, self.devices, sleep=sleep, clock=clock)
        self.contracts = Contracts(self._transport, self.devices, sleep=sleep)
        self.keypad = Keypad(self._transport, self.devices)
        self.bulk = Bulk(self)

    def __repr__(self) -> str:
        return f"LivionKeyClient(email={self._email!r}, base_url={str(self.base_url)!r})"

    @property
    def base_url(self) -> URL:
        return self._transport.base_url

    @property
    def store(self) -> SharedStore | None:
        """What this client shares with the account's other processes (``store=``), if any."""
        return self._store

    @property
    def stats(self) -> ClientStats:
        """A snapshot of what this client has done: requests, logins, retries, 429s, pacing."""
        return stats_snapshot(self._counters, self._pacer)

    def deadline(self, seconds: float) -> Deadline:
        """A block in which every call of this client ends within ``seconds`` (waits, retries
        and a login included), with a typed error if need be: ``TransportError`` (a timeout, an
        unknown outcome of a write as ``AmbiguousOutcomeError``) or ``RateLimitedError`` (a pause
        or the pacer's queue would outlast it). ``with client.deadline(5):`` or ``async with``;
        tasks started inside inherit it; blocks nest, and the earliest end counts."""
        return self._transport.deadline(seconds)

    async def __aenter__(self) -> Self:
        self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop a background login and close the connection pool (unless it is the caller's
        own session). Requests after this raise ``TransportError`` until the client is entered
        again with ``async with``."""
        await self._auth.aclose()
        await self._pipeline.aclose()

    async def login(self) -> None:
        """Log in now rather than on the first request (to fail fast on wrong credentials).

        A refused login is remembered: later requests raise ``LoginError`` without asking the
        server again (repeated logins trip its login throttle). This asks again."""
        await self._auth.token(retry_refused=True)

    def _journal_pepper(self) -> bytes:
        """The bulk journal's key for its digest of secrets: only the password gives it."""
        message = b"livionkey-async journal\0" + self._email.encode()
        return hmac.new(self.__password.encode(), message, hashlib.sha256).digest()

    async def _login(self) -> LoginResult:
        self._counters.logins += 1
        call = Call(
            "POST",
            "auth/login",
            json={"email": self._email, "password": self.__password},
            authenticated=False,
            own_throttle=True,
        )
        try:
            data = await self._transport.request(call)
        except (AuthenticationError, ValidationError) as exc:
            # Wrong credentials and malformed logins are both 400s; both mean "cannot log in".
            raise LoginError(exc.message, status=exc.status) from None
        except ResponseFormatError as exc:
            raise LoginError(f"the login answered no usable token ({exc.message})") from None
        token = data.get("token") if isinstance(data, dict) else None
        if not _usable_token(token):
            # Never `Authorization: Bearer ` (nor a header broken by a line feed): a login that
            # answers no token cannot be used, as one that is refused.
            raise LoginError("the login answered success without a usable token")
        try:
            return structure(data, LoginResult)
        except ResponseFormatError as exc:
            raise LoginError(f"the login answered no usable token ({exc.message})") from None


def _usable_token(token: object) -> bool:
    """A bearer token is a string of printable ASCII without spaces (a JWT is), not empty."""
    return (
        isinstance(token, str)
        and bool(token)
        and token.isascii()
        and token.isprintable()
        and " " not in token
    )
