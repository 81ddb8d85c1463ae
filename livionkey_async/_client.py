"""``LivionKeyClient``: one object per account, safe to share across thousands of coroutines.

It wires the layers together (token holder, pacer, retry budget, transport) and exposes the
resources as attributes; it does no HTTP itself. Use it as an async context manager, or call
``await client.close()`` when done.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
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
from ._errors import AuthenticationError, LoginError, ValidationError, error_from_response
from ._keypad import Keypad
from ._keys import Keys
from ._models import LoginResult
from ._pacing import Pacer
from ._retry_budget import RetryBudget
from ._stats import ClientStats, Counters, RequestEvent
from ._transport import Call, ErrorMapper, Transport

__all__ = [
    "LivionKeyClient",
    "Pipeline",
    "build_pipeline",
    "check_options",
    "checked_base_url",
    "stats_snapshot",
]


def checked_base_url(base_url: str, allow_insecure: bool) -> URL:
    check_text("base_url", base_url, required=True)
    check_bool("allow_insecure", allow_insecure)
    try:
        url = URL(base_url)
        url.port  # noqa: B018 (yarl checks the port only when asked)
    except ValueError:
        raise ValidationError(f"base_url must be an http(s) URL, not {base_url!r}") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ValidationError(f"base_url must be an http(s) URL, not {base_url!r}")
    if url.scheme == "http" and not allow_insecure and not _is_loopback(url.host):
        raise ValidationError(
            "base_url must use https (plain http is allowed only for loopback hosts, "
            "or with allow_insecure=True)"
        )
    path = url.path if url.path.endswith("/") else url.path + "/"
    return url.with_path(path).with_query(None).with_fragment(None)


def check_options(
    *,
    rate_limit: float | None,
    rate_hint: float | None = None,
    max_connections: int,
    timeout: float,
    max_attempts: int,
    max_throttled_attempts: int,
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


@attrs.frozen
class Pipeline:
    """The request path of one client: its counters, its pacer and the transport over both."""

    counters: Counters
    pacer: Pacer
    transport: Transport


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
) -> Pipeline:
    """The pipeline options every client takes (V1's and API v2's), checked and wired in one
    place; the client sets the transport's ``auth`` and ``secrets``."""
    check_options(
        rate_limit=rate_limit,
        rate_hint=rate_hint,
        max_connections=max_connections,
        timeout=timeout,
        max_attempts=max_attempts,
        max_throttled_attempts=max_throttled_attempts,
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
    counters = Counters()
    pacer = Pacer(
        rate_limit=rate_limit, rate_hint=rate_hint, max_wait=max_wait, clock=clock, sleep=sleep
    )
    transport = Transport(
        base_url=checked_base_url(base_url, allow_insecure),
        pacer=pacer,
        budget=RetryBudget(),
        counters=counters,
        timeout=timeout,
        max_connections=max_connections,
        max_attempts=max_attempts,
        max_throttled_attempts=max_throttled_attempts,
        session=session,
        trace_configs=trace_configs,
        on_request=on_request,
        sleep=sleep,
        clock=clock,
        wall_clock=wall_clock,
        error_mapper=error_mapper,
    )
    return Pipeline(counters, pacer, transport)


def stats_snapshot(counters: Counters, pacer: Pacer) -> ClientStats:
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LivionKeyClient:
    """An asyncio client for the LivionKey API V1 (``devices``, ``keys``, ``contracts``) and the
    LivionKeyPad API that shares its base URL and login (``keypad``).

    ``rate_limit``: a ceiling in requests per second; ``None`` discovers the server's limit.
    ``rate_hint``: where discovery starts instead of its slow start, typically the
    ``stats.learnt_rate`` of an earlier run (a web service that restarts keeps it): held like a
    discovered rate, probed upwards later, lowered on a 429.
    ``max_connections``: most requests in flight (the connection pool's size). ``timeout``:
    seconds per attempt, for connecting and for each read. ``refresh_margin``: log in again this
    long before the token expires. ``max_wait``: the longest a 429 pause may hold a request
    before it fails with ``RateLimitedError``. ``session``: your own aiohttp session (never
    closed by the client). ``allow_insecure``: permit plain ``http://`` to a non-loopback host.
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
        session: aiohttp.ClientSession | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        on_request: Callable[[RequestEvent], None] | None = None,
        allow_insecure: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
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
            session=session,
            trace_configs=trace_configs,
            on_request=on_request,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
        )
        self._counters, self._pacer = pipeline.counters, pipeline.pacer
        self._transport = pipeline.transport
        self._auth = TokenHolder(
            self._login, refresh_margin=refresh_margin, clock=clock, wall_clock=wall_clock
        )
        self._transport.auth = BearerAuth(self._auth)
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
    def stats(self) -> ClientStats:
        """A snapshot of what this client has done: requests, logins, retries, 429s, pacing."""
        return stats_snapshot(self._counters, self._pacer)

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
        await self._transport.close()

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
        return structure(data, LoginResult)
