"""The request path every API call takes: token, pacing, one HTTP exchange, retries, errors.

One ``aiohttp.ClientSession`` per client, created inside the running loop (or the caller's own,
which is then never closed here). A request first takes one of ``max_connections`` slots, then
waits for the shared pacer, and only then touches the pool, so aiohttp never queues it and no
connection is held while anything sleeps.

Time is bounded twice. **Per attempt**: once a request holds its slot and the pacer lets it out,
one ``asyncio.timeout`` of ``timeout`` seconds covers its whole exchange (connecting, sending the
body, the head, the body), so a server that trickles bytes or stops reading cannot stretch it;
aiohttp's ``total`` is not used, since it would count time spent waiting for a pooled connection.
**Per call**: ``deadline`` seconds (or the earlier end of a ``Transport.deadline()`` block) for
everything, waits for the pacer, 429 pauses, backoffs and retries included; every wait that would
end past it fails at once (``RateLimitedError`` for a pause or the pacer's queue, the last
failure for a backoff), and an attempt gets only what is left of it. The client's own deadline
costs nothing more than clock readings; a block's, which a caller chose, also bounds waits for a
connection slot and for a login with one timer. Answers are read up to ``max_answer_bytes``.

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
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Protocol

import aiohttp
import attrs
from tenacity import AsyncRetrying, RetryCallState, wait_random_exponential
from yarl import URL

from ._arguments import check_number
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
    shown,
)
from ._gate import Gate
from ._http import (
    DEFAULT_MAX_ANSWER_BYTES,
    _DeadlineSpent,
    _NotSent,
    decode_body,
    never_left,
    new_session,
    read_body,
    retryable,
    transport_error,
)
from ._ratelimit_headers import RateLimitHint, parse_rate_limit
from ._retry_budget import RetryBudget
from ._stats import Counters, RequestEvent

__all__ = [
    "Call",
    "Deadline",
    "ErrorMapper",
    "SendWatch",
    "Transport",
    "encode_json",
    "sent_url",
    "watch_sends",
]

log = logging.getLogger("livionkey_async.transport")

_URL_CACHE = 1024  # paths whose joined URL is kept (cleared whole when full)
# The longest text answer read as an acknowledgement (``Contract deleted successfully``).
_ACK_MAX = 200

# The deadlines of the ``Transport.deadline()`` blocks the current task is in: (transport,
# clock time) pairs, so a block bounds the calls of its own client only.
_DEADLINES: ContextVar[tuple[tuple[Transport, float], ...]] = ContextVar(
    "livionkey_async_deadlines", default=()
)


class SendWatch:
    """Whether a write (a request that is not idempotent) left for the server while watched."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = False


_SENDS: ContextVar[SendWatch | None] = ContextVar("livionkey_async_sends", default=None)


def _closed_error() -> TransportError:
    return TransportError("the client is closed; enter it again with `async with`")


def _mark_sent() -> None:
    watch = _SENDS.get()
    if watch is not None:
        watch.sent = True


@contextmanager
def watch_sends() -> Iterator[SendWatch]:
    """Note whether any write of this task (and of tasks it starts) leaves meanwhile: a
    cancelled create that never left is not attempted, not an unknown outcome."""
    watch = SendWatch()
    token = _SENDS.set(watch)
    try:
        yield watch
    finally:
        _SENDS.reset(token)


class Deadline:
    """``with transport.deadline(seconds):`` (or ``async with``): every call of this transport
    made inside, in this task and the tasks it starts, ends within ``seconds`` of entering, as a
    typed error if need be. Blocks nest (the earliest end counts); a block never extends the
    client's own per-call ``deadline``."""

    __slots__ = ("_seconds", "_token", "_transport")

    def __init__(self, transport: Transport, seconds: float) -> None:
        check_number("seconds", seconds, positive=True)
        self._transport = transport
        self._seconds = float(seconds)
        self._token: Any = None

    def __enter__(self) -> Deadline:
        until = self._transport._clock() + self._seconds
        self._token = _DEADLINES.set((*_DEADLINES.get(), (self._transport, until)))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _DEADLINES.reset(self._token)

    async def __aenter__(self) -> Deadline:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


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
    """One answer: its status, its body (``None``: larger than ``max_answer_bytes``), its hints."""

    status: int
    body: bytes | None
    hint: RateLimitHint


@attrs.define
class _Progress:
    """What the attempts of one call have learnt: whether one may have reached the server (and
    whether a write is on the wire now), the call's deadline (a clock time), the next backoff."""

    deadline: float | None = None
    maybe_applied: bool = False
    sending: bool = False
    delay: float = 0.0


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
        deadline: float | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
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
        # The attempt's own asyncio.timeout bounds the whole exchange; aiohttp only bounds the
        # socket's connect, so that a connection refused in time is known not to have been sent.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=timeout, sock_read=None
        )
        self._attempt_seconds = timeout
        self._deadline = deadline
        self._max_answer_bytes = max_answer_bytes
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
        """What to scrub from ``call``'s errors: the client's secrets, the call's own, and the
        secret fields of its body (a pincode, a key code, a password), wherever they are."""
        return (*self.secrets(), *call.secrets, *_secret_values(call.json))

    def deadline(self, seconds: float) -> Deadline:
        """A block whose calls (of this transport) end within ``seconds``: see ``Deadline``."""
        return Deadline(self, seconds)

    def _block_deadline(self) -> float | None:
        """The earliest end of the ``deadline()`` blocks of this transport the task is in."""
        return min((until for owner, until in _DEADLINES.get() if owner is self), default=None)

    # -- session lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Ready to send again (``async with client`` after a ``close``)."""
        self._closed = False
        self.pacer.open()
        self.session()

    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use inside the running loop."""
        if self._closed:
            raise _closed_error()
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = new_session(
                limit=self._max_connections, trace_configs=self._trace_configs
            )
        return self._session

    @property
    def closed(self) -> bool:
        """The client was closed (and not entered again): requests fail."""
        return self._closed

    async def close(self) -> None:
        """Close the session if this transport created it; a borrowed one is left open.
        Callers waiting in the pacer get the closed client's ``TransportError`` at once."""
        self._closed = True
        self.pacer.close()
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

    async def request(self, call: Call, _progress: _Progress | None = None) -> Any:
        """Send ``call`` (retrying as its kind allows) and return the decoded JSON answer."""
        progress = _progress
        if progress is None:
            deadline = None if self._deadline is None else self._clock() + self._deadline
            if _DEADLINES.get():
                until = self._block_deadline()
                if until is not None and (deadline is None or until < deadline):
                    return await self._bounded(call, _Progress(until))
            progress = _Progress(deadline)
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

    async def _bounded(self, call: Call, progress: _Progress) -> Any:
        """``request`` within a block's deadline, which its caller chose: one timer also bounds
        what the clock checks cannot see, waits for a connection slot and for a login."""
        assert progress.deadline is not None
        try:
            async with asyncio.timeout(progress.deadline - self._clock()) as backstop:
                return await self.request(call, progress)
        except TimeoutError:
            if not backstop.expired():
                raise
            failure = self._spent(call, progress)
            self.counters.failures += 1
        raise failure

    def _spent(self, call: Call, progress: _Progress) -> TransportError:
        """The error of a call whose deadline passed while it waited or was on the wire."""
        what = f"{call.method} {call.path}: its deadline passed"
        if not call.idempotent and (progress.sending or progress.maybe_applied):
            return AmbiguousOutcomeError(
                f"{what}; it may or may not have been applied", method=call.method, path=call.path
            )
        return _DeadlineSpent(what)

    async def _retry(
        self, call: Call, wire: _Wire, first: LivionKeyError, progress: _Progress
    ) -> Any:
        """tenacity takes over after a retryable first failure (replayed as its attempt 1)."""
        retrying = AsyncRetrying(
            retry=lambda state: self._should_retry(call, state, progress),
            stop=lambda state: self._stop(call, state),
            wait=lambda state: progress.delay,
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
            return await self._send(call, wire, number, progress)
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
            sent = not isinstance(exc, _NotSent | _DeadlineSpent)
            progress.maybe_applied = progress.maybe_applied or sent
            raise

    async def _send(self, call: Call, wire: _Wire, number: int, progress: _Progress) -> Any:
        credential: str | None = None
        if call.authenticated:
            credential = await self._credential()
        answer = await self._exchange(call, wire, credential, number, progress)
        if answer.status == 401 and credential is not None:
            self.counters.unauthorized += 1
            assert self.auth is not None
            if self.auth.refused(credential):
                # Livion V1: on a 401 drop the token, log in again and retry the request once.
                credential = await self._credential()
                answer = await self._exchange(call, wire, credential, number, progress)
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
            body = answer.body
            if body is None:
                raise ResponseFormatError(
                    f"{call.method} {call.path} answered success with more than "
                    f"{self._max_answer_bytes} bytes (max_answer_bytes)"
                )
            try:
                data = decode_body(body, text=bool(call.ack))
            except ResponseFormatError as exc:
                preview = shown(_text(body[:400]), self._secrets(call))[:120]
                failure = ResponseFormatError(
                    f"{call.method} {call.path} answered success with {exc.message}: {preview!r}"
                )
            else:
                return self._acknowledged(call, data) if call.ack else data
            raise failure
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
        callers that can use it), or the documented text (``None``): a short line holding one of
        the call's phrases, not markup."""
        if isinstance(data, Mapping) and data.get("success") is False:
            raise error_from_response(400, json.dumps(data), known=self._secrets(call))
        if not isinstance(data, str):
            return data
        text = data.strip().casefold()
        short = len(text) <= _ACK_MAX and not text.startswith("<")
        if short and any(phrase in text for phrase in call.ack):
            return None
        shown_text = message_of(data, self._secrets(call))
        raise ResponseFormatError(
            f"{call.method} {call.path} answered success with an unexpected body: "
            f"{shown_text[:80]!r} (expected {' / '.join(repr(p) for p in call.ack)})"
        )

    async def _exchange(
        self, call: Call, wire: _Wire, credential: str | None, attempt: int, progress: _Progress
    ) -> _Answer:
        """One HTTP exchange: paced, within a connection slot, its body read (up to the limit)
        within the attempt's time (``timeout``, or what is left of the call's deadline)."""
        status: int | None = None
        error: BaseException | None = None
        deadline = progress.deadline
        # A slot first, then the pacer: at most max_connections callers queue at the pacer, and
        # it sees whether it (callers waiting) or the pool (none waiting) sets the pace.
        async with self._slots:
            if deadline is not None and self._clock() >= deadline:  # spent waiting for a slot
                raise self._spent(call, progress)
            if self._closed:  # refused before the pacer gives it a slot
                raise _closed_error()
            sent_at = await self.pacer.acquire(deadline)
            limit = self._attempt_seconds
            if deadline is not None and deadline - sent_at < limit:
                limit = deadline - sent_at
                if limit <= 0:  # the pacer let it out late (a stalled event loop)
                    raise self._spent(call, progress)
            started = self._clock()
            counters = self.counters
            counters.requests += 1
            counters.in_flight += 1
            counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
            try:
                # Authenticated now, after the pacer: a signature's timestamp is fresh.
                headers = self._headers(call, wire, credential)
                session = self.session()
                if not call.idempotent:  # a write leaves now: its outcome may become unknown
                    progress.sending = True
                async with asyncio.timeout(limit):
                    async with session.request(
                        call.method,
                        wire.url,
                        data=wire.body,
                        headers=headers,
                        timeout=self._timeout,
                        allow_redirects=False,
                    ) as response:
                        body = await read_body(response, self._max_answer_bytes)
                        status = response.status
                        hint = parse_rate_limit(response.headers, now=self._wall_clock())
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = exc
            finally:
                counters.in_flight -= 1
                if progress.sending:  # a write: did it leave (an error, a cancellation)?
                    if never_left(error):
                        progress.sending = False
                    else:
                        _mark_sent()
                self._report(call, status, attempt, started, error)
        if error is not None:  # raised here, outside the handler: aiohttp's error is not chained
            raise self._transport_error(call, error, limit, limit < self._attempt_seconds)
        assert status is not None
        progress.sending = False
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

    def _transport_error(
        self, call: Call, exc: BaseException, limit: float, by_deadline: bool
    ) -> TransportError:
        failure = transport_error(
            f"{call.method} {call.path}",
            exc,
            idempotent=call.idempotent,
            secrets=self._secrets(call),
            timeout=limit,
        )
        if by_deadline and isinstance(exc, TimeoutError) and type(failure) is TransportError:
            return _DeadlineSpent(f"{failure.message} (what was left of its deadline)")
        return failure

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
        """Whether ``exc`` may be retried for ``call`` at all (the budget aside). A 429 asking
        for a pause longer than ``max_retry_after`` is not: its caller gets it (the pause the
        client takes is capped, so later calls go on)."""
        if (
            isinstance(exc, RateLimitedError)
            and exc.retry_after is not None
            and exc.retry_after > self.pacer.max_retry_after
        ):
            return False
        return retryable(exc, idempotent=call.idempotent)

    def _should_retry(self, call: Call, state: RetryCallState, progress: _Progress) -> bool:
        """Retryable, not out of attempts, its backoff ending before the call's deadline, and
        (but for a 429, which the pacer handles) within the retry budget; the budget is spent
        only on a retry that will happen."""
        exc = state.outcome.exception() if state.outcome is not None else None
        if exc is None or not self._retryable(call, exc) or self._stop(call, state):
            return False
        progress.delay = self._wait(call, state)
        if progress.deadline is not None and self._clock() + progress.delay >= progress.deadline:
            return False  # the last failure is the call's answer
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


def _text(body: bytes | None) -> str:
    if body is None:
        return "(an answer larger than max_answer_bytes, not read)"
    return body.decode("utf-8", "replace")


# The body fields whose values are secrets (the wire's names, API v1 and v2).
_SECRET_FIELDS = frozenset(
    {"password", "pincode", "pincodes", "installationPincode", "keyCode", "backupCodes"}
)


def _secret_values(body: Any, depth: int = 0) -> Iterator[str]:
    """The values of a request body's secret fields, at any depth (a contract's keys' pincodes)."""
    if depth > 8:
        return
    if isinstance(body, Mapping):
        for name, value in body.items():
            if name in _SECRET_FIELDS:
                if isinstance(value, str | int) and not isinstance(value, bool):
                    yield str(value)
                elif isinstance(value, list):
                    yield from (str(v) for v in value if isinstance(v, str | int))
            else:
                yield from _secret_values(value, depth + 1)
    elif isinstance(body, list):
        for item in body:
            yield from _secret_values(item, depth + 1)
