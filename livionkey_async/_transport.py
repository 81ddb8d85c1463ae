"""The request path every API call takes: token, pacing, one HTTP exchange, retries, errors.

One ``aiohttp.ClientSession`` per client, created inside the running loop (or the caller's own,
which is then never closed here). A request first takes one of ``max_connections`` slots, then
waits for the shared pacer, and only then touches the pool, so aiohttp never queues it and no
connection is held while anything sleeps. Timeouts are per attempt (``sock_connect`` and
``sock_read``): aiohttp's ``total`` would count time spent waiting for a pooled connection.

tenacity drives the retries: a 429 is retried for every request (the pacer holds every caller
for the ``Retry-After``); connection errors, timeouts and 5xx only for idempotent requests, within
a retry budget. A non-idempotent write that may have reached the server is never sent again: it
raises ``AmbiguousOutcomeError`` for the caller (or the bulk helpers) to reconcile.

A call is put on the wire once: its URL (query string included, encoded as aiohttp sends it) and
its JSON body serialised to bytes, which every attempt sends as they are. How an attempt is
authenticated is the ``Authenticator``'s business (a V1 bearer token, a v2 signature over exactly
those bytes); how an error answer maps to the exception tree is the ``error_mapper``'s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import aiohttp
import attrs
from tenacity import AsyncRetrying, RetryCallState, wait_random_exponential
from yarl import URL

from ._auth import Authenticator
from ._errors import (
    AmbiguousOutcomeError,
    AuthenticationError,
    DeleteFailedError,
    LivionKeyError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
    error_from_response,
    message_of,
)
from ._gate import Gate
from ._lenient_json import loads_lenient
from ._ratelimit_headers import RateLimitHint, parse_rate_limit
from ._retry_budget import RetryBudget
from ._stats import Counters, RequestEvent

__all__ = ["Call", "ErrorMapper", "Transport", "encode_json", "sent_url"]

log = logging.getLogger("livionkey_async.transport")

_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_URL_CACHE = 1024  # paths whose joined URL is kept (cleared whole when full)


class ErrorMapper(Protocol):
    """Maps one non-2xx answer (status, body text) to the typed error (``error_from_response``);
    ``overrides`` are the call's ``messages``."""

    def __call__(
        self,
        status: int,
        body: str,
        *,
        retry_after: float | None,
        known: Iterable[str],
        overrides: Mapping[str, type[LivionKeyError]] | None,
    ) -> LivionKeyError: ...


def encode_json(value: Any) -> bytes:
    """A JSON body as the bytes that are sent: compact, UTF-8, non-ASCII left as it is."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
            "utf-8"
        )
    except UnicodeEncodeError:
        raise ValidationError("the request holds text that is not valid Unicode") from None
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"the request cannot be sent as JSON: {exc}") from None


def sent_url(url: URL) -> str:
    """The absolute URL exactly as aiohttp sends it: its ``Host`` header and request target."""
    return f"{url.scheme}://{url.host_port_subcomponent}{url.raw_path_qs}"


@attrs.define
class Call:
    """One API request, described before it is sent.

    ``params``: the query, as a mapping or as pairs (a name may repeat). ``idempotent``: sending
    it twice has the effect of sending it once, so it may be resent after a failure that left its
    outcome unknown. ``gone_is_done``: a ``NotFoundError`` on a resend means an earlier attempt
    already did the job (a DELETE). ``is_gone``: how to tell, after a ``DeleteFailedError``,
    whether the object is gone (Livion documents no other answer for deleting what is not
    there). ``own_throttle``: the endpoint has a throttle of its own (the login's), so its 429
    waits out only this call and says nothing about the client's rate. ``ack``: the call answers
    a plain-text acknowledgement (``Key updated``), not data: the body must be empty, JSON (which
    the call returns, for the callers that can use it), or text holding one of these phrases.
    ``messages``: what a message means on this endpoint when it differs from the general table
    (lower-case prefixes). ``secrets``: what this request carries that must never be shown (a
    pincode, a password), scrubbed from its errors with the client's own secrets.
    """

    method: str
    path: str
    params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None
    json: Any = None
    idempotent: bool = True
    authenticated: bool = True
    gone_is_done: bool = False
    is_gone: Callable[[], Awaitable[bool]] | None = None
    own_throttle: bool = False
    ack: tuple[str, ...] = ()
    messages: Mapping[str, type[LivionKeyError]] | None = None
    secrets: tuple[str, ...] = ()


@attrs.frozen
class _Wire:
    """A call as it goes on the wire, built once: every attempt sends these very bytes."""

    url: URL
    body: bytes | None


@attrs.frozen
class _Answer:
    status: int
    body: bytes
    hint: RateLimitHint


class _NotSent(TransportError):
    """The connection failed before any byte of the request left: always safe to retry."""


@attrs.define
class _Progress:
    """What the attempts of one call have learnt: whether one may have reached the server."""

    maybe_applied: bool = False


class _LoginFailed(Exception):
    """Carries a login failure through the retry loop of the request that needed the token."""

    def __init__(self, error: LivionKeyError) -> None:
        super().__init__(error.message)
        self.error = error


class Transport:
    """Sends ``Call``s for one client; owns (or borrows) its aiohttp session."""

    def __init__(
        self,
        *,
        base_url: URL,
        pacer: Gate,
        budget: RetryBudget,
        counters: Counters,
        timeout: float,
        max_connections: int,
        max_attempts: int,
        max_throttled_attempts: int,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        on_request: Callable[[RequestEvent], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        error_mapper: ErrorMapper = error_from_response,
    ) -> None:
        self.base_url = base_url
        self._urls: dict[str, URL] = {}
        self.pacer = pacer
        self.counters = counters
        self.auth: Authenticator | None = None
        # What to scrub from error messages should the server echo it (password, tokens).
        self.secrets: Callable[[], Iterable[str]] = tuple
        self._budget = budget
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=timeout, sock_read=timeout
        )
        self._max_connections = max_connections
        self._slots = asyncio.Semaphore(max_connections)
        self._max_attempts = max_attempts
        self._max_throttled_attempts = max_throttled_attempts
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._trace_configs = list(trace_configs)
        self._on_request = on_request
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._backoff = wait_random_exponential(multiplier=0.25, max=10.0)
        self._error_mapper = error_mapper

    def _secrets(self, call: Call) -> tuple[str, ...]:
        """What to scrub from ``call``'s errors: the client's secrets and the call's own."""
        return (*self.secrets(), *call.secrets)

    # -- session lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Ready to send again (``async with client`` after a ``close``)."""
        self._closed = False
        self.session()

    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use inside the running loop."""
        if self._closed:
            raise TransportError("the client is closed; enter it again with `async with`")
        if self._session is None or (self._owns_session and self._session.closed):
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=self._max_connections
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trace_configs=self._trace_configs or None,
                headers={"User-Agent": "livionkey-async", "Accept": "application/json"},
            )
            # aiohttp silently resends an idempotent request once when a reused connection
            # drops; that resend bypasses our retry budget, our counters, and our knowledge that
            # a DELETE may already have been applied. Retries are ours alone (no public switch).
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
        return self._session

    @property
    def closed(self) -> bool:
        """The client was closed (and not entered again): requests fail."""
        return self._closed

    async def close(self) -> None:
        """Close the session if this transport created it; a borrowed one is left open."""
        self._closed = True
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    # -- the request path ----------------------------------------------------------------------

    def _wire(self, call: Call) -> _Wire:
        url = self._urls.get(call.path)
        if url is None:  # a path seen before (the same device, the same key) is joined once
            url = self.base_url.join(URL(call.path.lstrip("/")))
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            self._urls[call.path] = url
        if call.params:
            url = url.extend_query(call.params)
        return _Wire(url, None if call.json is None else encode_json(call.json))

    async def request(self, call: Call) -> Any:
        """Send ``call`` (retrying as its kind allows) and return the decoded JSON answer."""
        progress = _Progress()
        try:
            wire = self._wire(call)
            try:
                # Most calls succeed at once: only a failure that may be retried pays for the
                # retry machinery.
                return await self._attempt(call, wire, 1, progress)
            except LivionKeyError as exc:
                if not self._retryable(call, exc):
                    raise
                first = exc
            return await self._retry(call, wire, first, progress)
        except _LoginFailed as failed:
            self.counters.failures += 1
            raise failed.error from None
        except LivionKeyError:
            self.counters.failures += 1
            raise

    async def _retry(
        self, call: Call, wire: _Wire, first: LivionKeyError, progress: _Progress
    ) -> Any:
        """tenacity takes over after a retryable first failure (replayed as its attempt 1)."""
        retrying = AsyncRetrying(
            retry=lambda state: self._should_retry(call, state),
            stop=lambda state: self._stop(call, state),
            wait=lambda state: self._wait(call, state),
            sleep=self._sleep,
            before_sleep=lambda state: self._before_sleep(call, state),
            reraise=True,
        )
        replay: LivionKeyError | None = first
        async for attempt in retrying:
            with attempt:
                if replay is not None:
                    failed, replay = replay, None
                    raise failed
                number = attempt.retry_state.attempt_number
                return await self._attempt(call, wire, number, progress)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _attempt(self, call: Call, wire: _Wire, number: int, progress: _Progress) -> Any:
        """One attempt, remembering whether it may have reached the server."""
        try:
            return await self._send(call, wire, number)
        except NotFoundError:
            if call.gone_is_done and progress.maybe_applied:
                log.debug("%s %s: gone after a resend, done", call.method, call.path)
                return None
            raise
        except DeleteFailedError as failed:
            if call.is_gone is None or not await call.is_gone():
                raise
            if progress.maybe_applied:
                log.debug("%s %s: gone after a resend, done", call.method, call.path)
                return None
            raise NotFoundError(
                f"{failed.message}: it does not exist", status=failed.status
            ) from None
        except (TransportError, ServerError) as exc:
            progress.maybe_applied = progress.maybe_applied or not isinstance(exc, _NotSent)
            raise

    async def _send(self, call: Call, wire: _Wire, number: int) -> Any:
        credential: str | None = None
        if call.authenticated:
            credential = await self._credential()
        answer = await self._exchange(call, wire, credential, number)
        if answer.status == 401 and credential is not None:
            self.counters.unauthorized += 1
            assert self.auth is not None
            if self.auth.refused(credential):
                # Livion V1: on a 401 drop the token, log in again and retry the request once.
                credential = await self._credential()
                answer = await self._exchange(call, wire, credential, number)
                if answer.status == 401:
                    self.counters.unauthorized += 1
                    message = message_of(_text(answer.body), self._secrets(call))
                    raise AuthenticationError(message, status=401)
        return self._interpret(call, answer)

    async def _credential(self) -> str:
        """A credential; a failed login went through its own retries, so it is not retried."""
        assert self.auth is not None, "Transport.auth must be set before authenticated calls"
        try:
            return await self.auth.credential()
        except LivionKeyError as exc:
            raise _LoginFailed(exc) from None

    def _interpret(self, call: Call, answer: _Answer) -> Any:
        if 200 <= answer.status < 300:
            self._budget.refund()
            data = _decode(answer.body)
            return self._acknowledged(call, data) if call.ack else data
        text = _text(answer.body)
        if answer.status >= 500 and not call.idempotent:
            raise AmbiguousOutcomeError(
                f"{call.method} {call.path} answered {answer.status} "
                f"({message_of(text, self._secrets(call))}): "
                "it may or may not have been applied",
                method=call.method,
                path=call.path,
                status=answer.status,
            )
        if answer.status < 500 and answer.status != 429:
            self._budget.refund()
        raise self._error_mapper(
            answer.status,
            text,
            retry_after=answer.hint.retry_after,
            known=self._secrets(call),
            overrides=call.messages,
        )

    def _acknowledged(self, call: Call, data: Any) -> Any:
        """A success that answers an acknowledgement: nothing, JSON (returned as it is, for the
        callers that can use it), or the documented text (``None``)."""
        if isinstance(data, Mapping) and data.get("success") is False:
            raise error_from_response(400, json.dumps(data), known=self._secrets(call))
        if not isinstance(data, str):
            return data
        text = data.strip().casefold()
        if not text.startswith("<") and any(phrase in text for phrase in call.ack):
            return None
        shown = message_of(data, self._secrets(call))
        raise ResponseFormatError(
            f"{call.method} {call.path} answered success with an unexpected body: "
            f"{shown[:80]!r} (expected {' / '.join(repr(p) for p in call.ack)})"
        )

    async def _exchange(
        self, call: Call, wire: _Wire, credential: str | None, attempt: int
    ) -> _Answer:
        """One HTTP exchange: paced, within a connection slot, its body read in full."""
        status: int | None = None
        error: BaseException | None = None
        # A slot first, then the pacer: at most max_connections callers queue at the pacer, and
        # it sees whether it (callers waiting) or the pool (none waiting) sets the pace.
        async with self._slots:
            sent_at = await self.pacer.acquire()
            started = self._clock()
            counters = self.counters
            counters.requests += 1
            counters.in_flight += 1
            counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
            try:
                # Authenticated now, after the pacer: a signature's timestamp is fresh.
                headers = self._headers(call, wire, credential)
                async with self.session().request(
                    call.method,
                    wire.url,
                    data=wire.body,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    status = response.status
                    hint = parse_rate_limit(response.headers, now=self._wall_clock())
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = exc
                raise self._transport_error(call, exc) from None
            finally:
                counters.in_flight -= 1
                self._report(call, status, attempt, started, error)
        if status == 429:
            self.counters.throttled += 1
            if not call.own_throttle:
                self.pacer.on_throttled(sent_at, hint)
        else:
            self.pacer.on_success(sent_at, hint)
        return _Answer(status, body, hint)

    def _headers(self, call: Call, wire: _Wire, credential: str | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if wire.body is not None:
            headers["Content-Type"] = "application/json"
        if credential is not None:
            assert self.auth is not None
            headers.update(self.auth.headers(credential, call.method, wire.url, wire.body))
        return headers

    def _transport_error(self, call: Call, exc: BaseException) -> TransportError:
        what = f"{call.method} {call.path}: {type(exc).__name__}"
        detail = str(exc)
        if detail and "Bearer" not in detail:
            what = f"{what}: {detail}"
        if isinstance(exc, aiohttp.ClientSSLError):
            return TransportError(what)
        if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
            return _NotSent(what)
        if call.idempotent:
            return TransportError(what)
        return AmbiguousOutcomeError(
            f"{what}; it may or may not have been applied", method=call.method, path=call.path
        )

    def _report(
        self,
        call: Call,
        status: int | None,
        attempt: int,
        started: float,
        error: BaseException | None,
    ) -> None:
        elapsed = self._clock() - started
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s in %.3fs (attempt %d)",
                call.method,
                call.path,
                status if status is not None else type(error).__name__ if error else "cancelled",
                elapsed,
                attempt,
            )
        if self._on_request is not None:
            event = RequestEvent(
                method=call.method,
                path=call.path,
                status=status,
                attempt=attempt,
                elapsed=elapsed,
                error=None if error is None else type(error).__name__,
            )
            try:
                self._on_request(event)
            except Exception:
                log.exception("the on_request hook raised; ignoring it")

    # -- retry policy (tenacity callbacks) -----------------------------------------------------

    def _retryable(self, call: Call, exc: BaseException) -> bool:
        """Whether ``exc`` may be retried for ``call`` at all (the budget aside)."""
        if isinstance(exc, RateLimitedError):
            # A 429 from the server is retried for every request: nothing was done. A pause the
            # pacer refused to wait out (status None) goes to the caller.
            return exc.status == 429
        if isinstance(exc, _NotSent):
            return True
        if isinstance(exc, AmbiguousOutcomeError):
            return False
        if isinstance(exc, TransportError) or (
            isinstance(exc, ServerError) and exc.status in _RETRYABLE_STATUS
        ):
            return call.idempotent
        return False

    def _should_retry(self, call: Call, state: RetryCallState) -> bool:
        """Retryable, not out of attempts, and (but for a 429, which the pacer handles) within
        the retry budget; the budget is spent only on a retry that will happen."""
        exc = state.outcome.exception() if state.outcome is not None else None
        if exc is None or not self._retryable(call, exc) or self._stop(call, state):
            return False
        return isinstance(exc, RateLimitedError) or self._budget.try_spend()

    def _stop(self, call: Call, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimitedError):
            if call.own_throttle and _own_wait(exc) > self.pacer.max_wait:
                return True
            return state.attempt_number >= self._max_throttled_attempts
        return state.attempt_number >= self._max_attempts

    def _wait(self, call: Call, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimitedError):
            if call.own_throttle:  # only this call waits (see _stop for max_wait)
                return _own_wait(exc)
            return 0.0  # the pacer already holds every caller for the Retry-After
        return float(self._backoff(state))

    def _before_sleep(self, call: Call, state: RetryCallState) -> None:
        self.counters.retries += 1
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.debug(
            "retrying %s %s after %s (attempt %d, backoff %.2fs)",
            call.method,
            call.path,
            _describe(exc),
            state.attempt_number + 1,
            delay,
        )


def _own_wait(exc: RateLimitedError) -> float:
    return exc.retry_after if exc.retry_after is not None else 1.0


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, LivionKeyError):
        return f"{type(exc).__name__} {exc.status}" if exc.status else type(exc).__name__
    return type(exc).__name__


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _decode(body: bytes) -> Any:
    """The JSON answer, or the plain text for the endpoints that answer with text.

    A body that strict JSON refuses but that opens like JSON is read once more, forgiving the
    slips of Livion's own published examples (``_lenient_json``).
    """
    if not body or body.isspace():
        return None
    try:
        return json.loads(body)
    except ValueError:
        pass
    text = _text(body)
    if text.lstrip()[:1] in ("{", "["):
        try:
            return loads_lenient(text)
        except ValueError:
            pass
    return text
