"""A small async client for the part of iLOQ's 5 Series Public API v2 the preflight needs.

``GetUrl`` → ``CreateSession`` → ``LockGroups`` → ``SetLockgroup`` → ``KillSession``, on aiohttp,
with the LivionKey client's own HTTP edge (``_http``): one deadline per attempt for its whole
exchange, answers read up to ``max_answer_bytes``, typed errors from the core tree that chain
nothing of aiohttp's, the core's retry policy with tenacity (retries only where a resend is
safe), TLS always verified (plain http only to a loopback host), no redirect followed (it could
carry the password elsewhere), and the password, API key and session id kept out of reprs, logs
and errors.

Retries: ``GetUrl``, ``LockGroups``, ``SetLockgroup`` and ``KillSession`` change nothing a second
call would undo, so connection failures, timeouts, 429 and 5xx are retried. ``CreateSession`` is
resent only when the connection failed before the request left: once it may have reached the
server, its lost answer would leave a session nobody can kill (the id is in that answer) and a
resend would open another, so it raises ``AmbiguousOutcomeError`` instead.

Sessions always end: ``async with await client.create_session(...) as session`` kills it on the
way out, on errors, timeouts and cancellation too. The kill runs to its end (bounded by its own
timeouts) before a cancellation is passed on, and a cancellation that arrives while
``CreateSession`` is in flight waits for its answer and kills the session it opened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
import attrs
from attrs import field, frozen
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_random_exponential
from yarl import URL

from .._arguments import check_callable, check_instance, check_int, check_number, check_text
from .._errors import (
    AmbiguousOutcomeError,
    LivionKeyError,
    ResponseFormatError,
)
from .._http import DEFAULT_MAX_ANSWER_BYTES, new_session, read_body, retryable, transport_error
from ._assumptions import KILL_GONE_STATUSES, SET_LOCKGROUP_PATH
from ._errors import SessionRefusedError, TlsError
from ._models import LockGroup
from ._wire import (
    checked_url,
    decode,
    error_for,
    parse_lock_groups,
    parse_rights_mask,
    parse_session,
    parse_url,
    session_id_in,
)

__all__ = ["IloqClient", "IloqSession", "TlsError"]

log = logging.getLogger("livionkey_async.iloq")

T = TypeVar("T")
_API = "api/v2/"
# Seconds a session may take to be killed when the caller is already being cancelled (Ctrl-C):
# one attempt, not the retry policy's minutes.
KILL_ON_CANCEL = 5.0


@frozen
class _Call:
    method: str
    path: str
    json: Any = field(default=None, repr=False)  # CreateSession's holds the password
    session_id: str | None = field(default=None, repr=False)
    idempotent: bool = True
    expect_body: bool = True

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


async def run_to_end(coro: Coroutine[Any, Any, T]) -> tuple[asyncio.Task[T], bool]:
    """Run ``coro`` to its end even if the caller is cancelled meanwhile.

    Returns the finished task and whether a cancellation arrived; the caller cleans up, then
    raises ``CancelledError`` itself. Used where stopping half-way would leave a session open.
    """
    task = asyncio.ensure_future(coro)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:
            cancelled = True
    return task, cancelled


class IloqClient:
    """One iLOQ service address. Use as an async context manager (it owns its aiohttp session
    unless you pass ``session``, which it never closes).

    ``timeout``: seconds per attempt, for its whole exchange. ``max_attempts``: tries per call
    where a retry is safe. ``api_key``: an iLOQ API gateway key, sent as ``x-api-key``.
    ``max_answer_bytes``: the largest answer read. ``sleep``: the backoff's sleep (tests inject
    one that returns at once).
    """

    def __init__(
        self,
        service_address: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 3,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        check_number("timeout", timeout, positive=True)
        check_int("max_attempts", max_attempts, low=1)
        check_int("max_answer_bytes", max_answer_bytes, low=1024)
        check_text("api_key", api_key)
        check_instance("session", session, aiohttp.ClientSession, optional=True)
        check_callable("sleep", sleep)
        self.service_url = checked_url(service_address)
        # Where session calls go: the service address, or what GetUrl resolved it to.
        self.url = self.service_url
        self.__api_key = api_key or None
        self._timeout_seconds = timeout
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=timeout, sock_read=None
        )
        self._max_answer_bytes = max_answer_bytes
        self._max_attempts = max_attempts
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._backoff = wait_random_exponential(multiplier=0.25, max=5.0)

    def __repr__(self) -> str:
        return f"IloqClient(url={str(self.url)!r})"

    async def __aenter__(self) -> Self:
        self._http()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the aiohttp session if this client created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    # -- the session flow ----------------------------------------------------------------------

    async def resolve_url(self, customer_code: str) -> URL | None:
        """``POST Url/GetUrl``: the base URL for this customer (``None``: keep the service
        address). Later calls use it. Never skip this step, iLOQ says, even when it answers
        empty."""
        call = _Call("POST", "Url/GetUrl", json={"CustomerCode": customer_code})
        resolved = parse_url(await self._request(call, self.service_url), self.service_url)
        self.url = resolved or self.service_url
        return resolved

    async def create_session(self, customer_code: str, username: str, password: str) -> IloqSession:
        """``POST CreateSession``: an open :class:`IloqSession` (use it with ``async with``), or
        ``SessionRefusedError`` with iLOQ's ``Result`` code. The password is sent once, here,
        and kept nowhere."""
        call = _Call(
            "POST",
            "CreateSession",
            json={
                "UserName": username,
                "Password": password,
                "CustomerCode": customer_code,
                "ApiKey": "",
                "ApiSecret": "",
            },
            idempotent=False,
        )
        task, cancelled = await run_to_end(self._open(call, password))
        del call, password
        if cancelled:
            if not task.cancelled() and task.exception() is None:
                await task.result().close()
            raise asyncio.CancelledError
        return task.result()

    async def _open(self, call: _Call, password: str) -> IloqSession:
        data = await self._request(call, self.url, known=(password,))
        try:
            answer = parse_session(data)
        except ResponseFormatError:
            # Unreadable, yet it may name a session: end it rather than leave it open.
            opened = session_id_in(data)
            if opened is not None:
                await IloqSession(self, opened).close()
            raise
        if answer.result == 1 and answer.session_id:
            return IloqSession(self, answer.session_id)
        if answer.session_id:  # an id without success: end it rather than leave it open
            await IloqSession(self, answer.session_id).close()
        if answer.result == 1:
            raise ResponseFormatError("CreateSession answered Result 1 without a SessionID")
        raise SessionRefusedError(
            f"CreateSession did not open a session (Result {answer.result})",
            result=answer.result,
        )

    # -- one request ---------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owns_session and self._session.closed):
            # Without aiohttp's hidden resends: CreateSession must never be resent behind our back.
            self._session = new_session(limit=4)
        return self._session

    async def _request(
        self, call: _Call, base: URL, *, known: Iterable[str] = (), attempts: int | None = None
    ) -> object:
        secrets = tuple(s for s in (*known, call.session_id, self.__api_key) if s)
        url = base.join(URL(_API + call.path))
        retrying = AsyncRetrying(
            retry=lambda state: self._should_retry(call, state),
            stop=stop_after_attempt(attempts or self._max_attempts),
            wait=self._backoff,
            sleep=self._sleep,
            before_sleep=lambda state: log.debug(
                "retrying %s after %s (attempt %d)",
                call.label,
                _describe(state),
                state.attempt_number + 1,
            ),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._exchange(call, url, secrets, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _exchange(
        self, call: _Call, url: URL, secrets: tuple[str, ...], number: int
    ) -> object:
        headers: dict[str, str] = {}
        if call.session_id is not None:
            headers["SessionId"] = call.session_id
        if self.__api_key is not None:
            headers["x-api-key"] = self.__api_key
        started = time.monotonic()
        failed: BaseException | None = None
        try:
            async with asyncio.timeout(self._timeout_seconds):
                async with self._http().request(
                    call.method,
                    url,
                    json=call.json,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    body = await read_body(response, self._max_answer_bytes)
                    status = response.status
                    location = response.headers.get("Location")
        except (aiohttp.ClientError, TimeoutError) as exc:
            failed = exc
        if failed is not None:  # raised here, outside the handler: aiohttp's error is not chained
            log.debug("%s -> %s (attempt %d)", call.label, type(failed).__name__, number)
            raise transport_error(
                call.label,
                failed,
                idempotent=call.idempotent,
                secrets=secrets,
                timeout=self._timeout_seconds,
            )
        log.debug(
            "%s -> %d in %.3fs (attempt %d)", call.label, status, time.monotonic() - started, number
        )
        if body is None:
            body = b"(an answer larger than max_answer_bytes, not read)"
            if 200 <= status < 300:
                raise ResponseFormatError(f"{call.label} answered more than max_answer_bytes")
        if 200 <= status < 300:
            return decode(body) if call.expect_body else None
        error = error_for(status, body, location=location, known=secrets)
        if status >= 500 and not call.idempotent:
            raise AmbiguousOutcomeError(
                f"{call.label} answered {status} ({error.message}): "
                "it may or may not have been applied",
                method=call.method,
                path=call.path,
                status=status,
            )
        raise error

    def _should_retry(self, call: _Call, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        return exc is not None and retryable(exc, idempotent=call.idempotent)


class IloqSession:
    """An open iLOQ session (the ``SessionId`` header of every call). ``killed``: ``None`` until
    :meth:`close`, then whether ``KillSession`` succeeded."""

    def __init__(self, client: IloqClient, session_id: str) -> None:
        self._client = client
        self.__session_id = session_id
        self.killed: bool | None = None

    def __repr__(self) -> str:
        return f"IloqSession(url={str(self._client.url)!r}, killed={self.killed!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def lock_groups(self) -> tuple[LockGroup, ...]:
        """``GET LockGroups``: the locking systems this user may use."""
        return parse_lock_groups(await self._call(_Call("GET", "LockGroups")))

    async def set_lockgroup(self, lock_group_id: str) -> int:
        """``POST SetLockgroup``: log in to one locking system; the user's ``RightsMask`` there."""
        call = _Call("POST", SET_LOCKGROUP_PATH, json={"LockGroup_ID": lock_group_id})
        return parse_rights_mask(await self._call(call))

    async def close(self) -> bool:
        """``GET KillSession`` (once; later calls return the first outcome). Never raises for a
        server or network failure (it is logged, and ``killed`` is ``False``). A cancellation
        that arrives meanwhile waits for the kill, then is passed on; a close that starts
        cancelled makes one quick attempt (``KILL_ON_CANCEL`` seconds) rather than retrying."""
        if self.killed is not None:
            return self.killed
        hurried = _cancelling()
        task, cancelled = await run_to_end(self._kill(hurried))
        self.killed = task.result()
        if cancelled:
            raise asyncio.CancelledError
        return self.killed

    async def _kill(self, hurried: bool) -> bool:
        call = _Call("GET", "KillSession", expect_body=False)
        try:
            if hurried:
                async with asyncio.timeout(KILL_ON_CANCEL):
                    await self._client._request(
                        attrs.evolve(call, session_id=self.__session_id),
                        self._client.url,
                        attempts=1,
                    )
            else:
                await self._call(call)
        except TimeoutError:
            log.warning(
                "KillSession did not answer within %gs after a cancellation; the session stays "
                "open until it expires",
                KILL_ON_CANCEL,
            )
            return False
        except LivionKeyError as exc:
            if exc.status in KILL_GONE_STATUSES:
                return True
            log.warning(
                "KillSession failed (%s: %s); the session stays open until it expires",
                type(exc).__name__,
                exc,
            )
            return False
        return True

    async def _call(self, call: _Call) -> object:
        call = attrs.evolve(call, session_id=self.__session_id)
        return await self._client._request(call, self._client.url)


def _cancelling() -> bool:
    """Whether the current task is being cancelled (its cleanup is running)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _describe(state: RetryCallState) -> str:
    exc = state.outcome.exception() if state.outcome is not None else None
    if isinstance(exc, LivionKeyError) and exc.status:
        return f"{type(exc).__name__} {exc.status}"
    return type(exc).__name__
