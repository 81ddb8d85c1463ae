"""The webhook endpoint: verify, parse, deduplicate, hand the event over, answer.

One :class:`WebhookReceiver` serves any web framework: :meth:`WebhookReceiver.handle` takes the
raw body and the headers and returns the answer to give; ``aiohttp_handler`` and ``asgi_app``
(in ``_http``) adapt it to aiohttp and to ASGI. The application takes events one of two ways:

- **a bounded queue** (``async for event in receiver``): a delivery is answered 2xx as soon as its
  event is queued; when the queue is full it is answered 503 with ``Retry-After`` and not
  remembered, so Livion delivers it again later: nothing is dropped silently;
- **async callbacks** (``@receiver.on(KeyStatusEvent)``): the callbacks run before the answer;
  2xx once they all returned, 500 if one raised or timed out. Livion then retries the delivery
  (same ``webhook-id``, re-signed) on its own durable schedule, about 6 hours, and holds later
  events of the same device and type behind it, so order is kept; a local retry would lose the
  event when this process stops and let later events overtake it. Callbacks should be quick.

A delivery is claimed in the dedupe store before it is handed over, completed once the queue or
the callbacks have it, and released when they fail, so a failed event is never taken for a
handled one; a duplicate that arrives while the first copy is still being handled is answered 503.
A dedupe store that fails (a shared one whose Redis does not answer) is logged, never raised: a
claim that fails is answered 503 with ``Retry-After`` (nothing was handed over, Livion delivers
it again), and once the application has the event its answer stands even if completing or
releasing the claim fails (the claim then lapses after the store's ``pending_ttl``).
Every refusal is a status Livion's legacy service retries (5xx) or one it should not (401, 400,
413: retrying cannot fix them).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from .._arguments import (
    as_texts,
    check_callable,
    check_int,
    check_methods,
    check_number,
    check_text,
)
from .._errors import LivionKeyError, ValidationError
from .._events import Event, WebhookEvent
from ._dedupe import Claim, DedupeStore, InMemoryDedupeStore
from ._errors import WebhookPayloadError, WebhookVerificationError
from ._http import Receive, Scope, Send, aiohttp_response, asgi_app
from ._parse import event_from_json, fingerprint, load_json
from ._signing import (
    DEFAULT_TOLERANCE,
    Secrets,
    header,
    signing_keys,
    verify_api_key,
    verify_signature,
)

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["ReceiverStats", "WebhookReceiver", "WebhookResponse"]

logger = logging.getLogger("livionkey_async.webhooks")

E = TypeVar("E", bound=WebhookEvent)
T = TypeVar("T")
Handler = Callable[[E], Awaitable[object]]


@attrs.frozen
class WebhookResponse:
    """The answer to give a delivery: status, a short text (never a secret), extra headers."""

    status: int
    text: str
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.define
class ReceiverStats:
    """What a receiver has seen. ``accepted``: handed to the application (answered 2xx);
    ``duplicates``: answered 2xx without handing over again; ``unhandled``: answered 2xx with no
    callback for the event's type; ``unauthorized``/``malformed``/``too_large``: 401/400/413;
    ``failed``: a callback raised (500); ``busy``: queue full, closed or being handled (503)."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    unhandled: int = 0
    unauthorized: int = 0
    malformed: int = 0
    too_large: int = 0
    failed: int = 0
    busy: int = 0


class _Closed:
    """The end-of-stream marker an iterator finds in the queue after :meth:`close`."""


_CLOSED: Final = _Closed()


class WebhookReceiver:
    """Receives Livion's webhooks for the application: verified, typed, deduplicated.

    ``signing_secret``: the subscription's ``whsec_...`` secret (or several, during a change) for
    signed v2 deliveries; ``api_key``: the legacy shared-secret header's value (or several), sent
    in ``api_key_header``. At least one is required; a delivery carrying ``webhook-*`` headers is
    checked against the signing secret, any other against the api key. ``dedupe``: a
    :class:`DedupeStore`, ``True`` for one in memory, ``False`` for none. ``max_body_size``:
    bytes, larger bodies are answered 413. ``queue_size``: events held for ``async for``.
    ``tolerance``: seconds a signature's timestamp may be off. ``handler_timeout``: seconds the
    callbacks of one event may take (``None``: no limit). ``retry_after``: seconds suggested in a
    503. ``clock``: Unix seconds, for the timestamp check.
    """

    def __init__(
        self,
        *,
        signing_secret: Secrets | None = None,
        api_key: str | Sequence[str] | None = None,
        api_key_header: str = "x-api-key",
        dedupe: DedupeStore | bool = True,
        max_body_size: int = 256 * 1024,
        queue_size: int = 1000,
        tolerance: float = DEFAULT_TOLERANCE,
        handler_timeout: float | None = 30.0,
        retry_after: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = (
            []
            if signing_secret is None
            else signing_keys(signing_secret, required=False, name="signing_secret")
        )
        self._api_keys: list[str] = []
        if api_key is not None:
            self._api_keys = list(as_texts("api_key", api_key))
        if not self._keys and not self._api_keys:
            raise ValidationError("a WebhookReceiver needs a signing_secret or an api_key")
        check_text("api_key_header", api_key_header, required=True)
        if not isinstance(dedupe, bool):
            methods = ("claim", "complete", "release")
            check_methods("dedupe", dedupe, methods, "True, False or a DedupeStore")
        check_int("max_body_size", max_body_size, low=1)
        check_int("queue_size", queue_size, low=1)
        check_number("tolerance", tolerance)
        check_number("handler_timeout", handler_timeout, positive=True, optional=True)
        check_int("retry_after", retry_after)
        check_callable("clock", clock)
        # The key of a legacy delivery's id: from a secret every receiver of this integration
        # shares (so workers agree), never the bare digest of a body holding a pincode.
        shared = self._api_keys[0].encode() if self._api_keys else self._keys[0]
        self._fingerprint_key = hmac.new(b"livionkey-async delivery id", shared, "sha256").digest()
        self.api_key_header = api_key_header
        self.dedupe: DedupeStore | None
        if isinstance(dedupe, bool):
            self.dedupe = InMemoryDedupeStore() if dedupe else None
        else:
            self.dedupe = dedupe
        self.max_body_size = max_body_size
        self.queue_size = queue_size
        self.tolerance = tolerance
        self.handler_timeout = handler_timeout
        self.retry_after = retry_after
        self.stats = ReceiverStats()
        self._clock = clock
        self._handlers: list[tuple[type[WebhookEvent], Handler[WebhookEvent]]] = []
        self._queue: asyncio.Queue[Event | _Closed] = asyncio.Queue()
        self._iterated = False
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"WebhookReceiver(signed={bool(self._keys)}, legacy={bool(self._api_keys)}, "
            f"handlers={len(self._handlers)}, queued={self.queued})"
        )

    # -- handing events to the application ------------------------------------------------------

    def on(self, event_type: type[E]) -> Callable[[Handler[E]], Handler[E]]:
        """Decorate an async callback run for every event of ``event_type`` (a subclass of
        :class:`WebhookEvent`; ``WebhookEvent`` itself for all). A receiver with callbacks does
        not queue events."""
        self._refuse_if_iterated()

        def register(handler: Handler[E]) -> Handler[E]:
            self.add_handler(event_type, handler)
            return handler

        return register

    def add_handler(self, event_type: type[E], handler: Handler[E]) -> None:
        """Run ``handler`` for every event of ``event_type``: :meth:`on` without decorating."""
        self._refuse_if_iterated()
        self._handlers.append((event_type, handler))  # type: ignore[arg-type]

    def _refuse_if_iterated(self) -> None:
        if self._iterated:
            raise RuntimeError("this receiver is iterated: its events go to the queue")

    def __aiter__(self) -> AsyncIterator[Event]:
        """Events in arrival order, until :meth:`close`; several iterators share the work."""
        if self._handlers:
            raise RuntimeError("this receiver hands its events to callbacks, not to a queue")
        self._iterated = True
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        while True:
            item = await self._queue.get()
            if isinstance(item, _Closed):
                self._queue.put_nowait(item)  # for the other iterators
                return
            yield item

    @property
    def queued(self) -> int:
        """Events waiting in the queue."""
        return self._queue.qsize() - (1 if self._closed else 0)

    def close(self) -> None:
        """Stop: later deliveries are answered 503; iterators end after the queued events."""
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(_CLOSED)

    # -- one delivery ---------------------------------------------------------------------------

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Verify, parse, deduplicate and hand over one delivery; return the answer to give.

        ``body``: the raw request body, exactly as received; ``headers``: the request's headers
        (any case). For a framework without an adapter here.
        """
        self.stats.received += 1
        if len(body) > self.max_body_size:
            self.stats.too_large += 1
            return WebhookResponse(413, f"body larger than {self.max_body_size} bytes")
        try:
            delivery_id = self._verify(body, headers)
        except WebhookVerificationError as exc:
            self.stats.unauthorized += 1
            logger.warning("webhook delivery refused (%s): %s", exc.reason, exc.message)
            return WebhookResponse(401, exc.message)
        try:
            data = load_json(body)
        except WebhookPayloadError as exc:
            self.stats.malformed += 1
            logger.warning("webhook delivery refused: %s", exc.message)
            return WebhookResponse(400, exc.message)
        key = delivery_id if delivery_id is not None else fingerprint(data, self._fingerprint_key)
        event = attrs.evolve(event_from_json(data, body), delivery_id=key)
        return await self._accept(event, key)

    def _verify(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        signed = any(header(headers, name) for name in ("webhook-signature", "webhook-id"))
        if self._keys and (signed or not self._api_keys):
            return verify_signature(
                body, headers, self._keys, tolerance=self.tolerance, clock=self._clock
            )
        verify_api_key(headers, self._api_keys, header_name=self.api_key_header)
        return None

    async def _accept(self, event: Event, key: str) -> WebhookResponse:
        if self._closed:
            return self._busy("the receiver is closed")
        claim: Claim | None = "new"
        if self.dedupe is not None:
            claim = await self._ask_store(
                self.dedupe.claim, key, event, "answered 503 so Livion retries"
            )
        if claim is None:
            return self._busy("the dedupe store did not answer")
        if claim == "done":
            self.stats.duplicates += 1
            logger.debug("webhook %s %s: a duplicate", type(event).__name__, key)
            return WebhookResponse(200, "duplicate")
        if claim == "pending":
            return self._busy("this delivery is being handled")
        handed_over = False
        try:
            reply = await (self._run_handlers(event) if self._handlers else self._enqueue(event))
            handed_over = reply.status < 300
            return reply
        finally:
            if self.dedupe is not None:
                if handed_over:
                    then = "the answer stands; the claim lapses after the store's pending_ttl"
                    await self._ask_store(self.dedupe.complete, key, event, then)
                else:
                    then = "a retry is answered 503 until the claim lapses (pending_ttl)"
                    await self._ask_store(self.dedupe.release, key, event, then)

    async def _ask_store(
        self, call: Callable[[str], Awaitable[T]], key: str, event: Event, then: str
    ) -> T | None:
        """``call(key)`` on the dedupe store; a failure is logged (its type, and the message of
        this library's own errors, which hold no secret) and answered ``None``."""
        try:
            return await call(key)
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}" if isinstance(exc, LivionKeyError) else ""
            logger.warning(
                "webhook %s %s: the dedupe store's %s failed (%s); %s",
                type(event).__name__,
                key,
                getattr(call, "__name__", "call"),
                why or type(exc).__name__,
                then,
            )
            return None

    async def _run_handlers(self, event: Event) -> WebhookResponse:
        handlers = [handler for kind, handler in self._handlers if isinstance(event, kind)]
        name = type(event).__name__
        if not handlers:
            self.stats.unhandled += 1
            logger.debug("webhook %s %s: no callback for it", name, event.delivery_id)
            return WebhookResponse(200, "ok (no handler)")
        try:
            async with asyncio.timeout(self.handler_timeout):
                for handler in handlers:
                    await handler(event)
        except Exception:
            self.stats.failed += 1
            logger.exception(
                "webhook %s %s: a callback failed; answered 500 so Livion retries",
                name,
                event.delivery_id,
            )
            return WebhookResponse(500, "handler failed")
        self.stats.accepted += 1
        logger.debug("webhook %s %s handled", name, event.delivery_id)
        return WebhookResponse(200, "ok")

    async def _enqueue(self, event: Event) -> WebhookResponse:
        if self._closed:  # closed while the dedupe store was asked: nobody would read it
            return self._busy("the receiver is closed")
        if self.queued >= self.queue_size:
            logger.warning(
                "webhook %s %s: queue full (%d); answered 503 so Livion retries",
                type(event).__name__,
                event.delivery_id,
                self.queue_size,
            )
            return self._busy("queue full")
        self._queue.put_nowait(event)
        self.stats.accepted += 1
        logger.debug("webhook %s %s queued", type(event).__name__, event.delivery_id)
        return WebhookResponse(200, "ok")

    def _busy(self, why: str) -> WebhookResponse:
        self.stats.busy += 1
        return WebhookResponse(503, why, {"Retry-After": str(self.retry_after)})

    # -- web framework adapters -----------------------------------------------------------------

    async def aiohttp_handler(self, request: web.Request) -> web.Response:
        """An aiohttp handler: ``app.router.add_post("/livion", receiver.aiohttp_handler)``."""
        return await aiohttp_response(self, request)

    async def asgi_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI application (Starlette/FastAPI: ``app.mount("/livion", receiver.asgi_app)``);
        it answers POST on any path, and ends the event stream on lifespan shutdown."""
        await asgi_app(self, scope, receive, send)
