"""The simulator pushes webhooks: each event to every subscription that wants it, as Livion does.

A :class:`WebhookPush` takes typed events (from the store's observer, ``enter_code`` and the
alarms), writes each in a subscription's shape with the webhooks package's ``encode_event``,
signs it with its ``sign`` (v2) or adds the shared-secret header (legacy), and POSTs it with
aiohttp from background tasks of the running simulator, never following a redirect. It follows
``_push_policy``: retries on Livion's schedules (times ``settings.time_scale``), re-signed each
time with the same ``webhook-id``, and one queue per subscription, source and event type, so a
delivery that is being retried holds the later events of its device and type behind it while
the others go on. Faults (``settings``) deliver an event twice or hold it back. Every attempt is
logged (``deliveries``); ``wait_idle`` waits until nothing is queued. Stopping cancels the tasks
and closes the session.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Iterable

import aiohttp
from attrs import define

from .._events import Event
from ..webhooks import encode_event, event_type, new_message_id, sign
from ._config import Clock
from ._push_model import DeliveryRecord, Outcome, WebhookSettings, WebhookSubscription
from ._push_policy import delivered, next_delay

__all__ = ["WebhookPush"]

log = logging.getLogger("livionkey_async.testing.webhooks")

Lane = tuple[str, str, str]  # (subscription id, source, event type)
USER_AGENT = "livionkey-async-simulator"


@define(kw_only=True)
class _Delivery:
    subscription: WebhookSubscription
    delivery_id: str
    event_type: str
    source: str
    body: bytes
    late: bool


class WebhookPush:
    """Subscriptions, their queues and the tasks that deliver them."""

    def __init__(self, *, clock: Clock, seed: int) -> None:
        self.settings = WebhookSettings()
        self.subscriptions: dict[str, WebhookSubscription] = {}
        self.deliveries: list[DeliveryRecord] = []
        self._clock = clock
        self._seed = seed
        self._rng = random.Random(seed)
        self._numbers = 0
        self._lanes: dict[Lane, deque[_Delivery]] = {}
        self._workers: dict[Lane, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> bool:
        return self._session is not None

    def next_id(self) -> str:
        self._numbers += 1
        return f"sub_{self._numbers}"

    # -- life cycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        self._idle = asyncio.Event()  # of this loop (a simulator may be started in another)
        if not self._lanes:
            self._idle.set()
        for lane in list(self._lanes):
            self._kick(lane)

    async def stop(self) -> None:
        """Cancel every delivery in flight (queued ones stay queued) and close the session."""
        session, self._session = self._session, None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if session is not None:
            await session.close()

    def reset(self) -> None:
        """No subscriptions, nothing queued or logged, default settings, the dice re-seeded."""
        for task in self._tasks:
            task.cancel()
        self._workers = {}
        self._lanes = {}
        self.subscriptions.clear()
        self.deliveries.clear()
        self.settings.restore()
        self._rng.seed(self._seed)
        self._numbers = 0
        self._idle.set()

    async def wait_idle(self) -> None:
        """Wait until every queued delivery has ended (delivered or given up)."""
        if self._lanes and not self.running:
            raise RuntimeError("deliveries are queued but the simulator is not running")
        await self._idle.wait()

    # -- publishing ------------------------------------------------------------------------------

    def publish(self, events: Iterable[Event], account: str) -> int:
        """Queue ``events`` of ``account`` for every subscription that wants them; answer how
        many deliveries were queued."""
        queued = 0
        for event in events:
            kind = event_type(event)
            source = getattr(event, "device_id", None) or getattr(event, "key_id", None) or "-"
            for sub in self.subscriptions.values():
                if sub.account != account or kind not in sub.event_types:
                    continue
                delivery = _Delivery(
                    subscription=sub,
                    delivery_id=new_message_id(),
                    event_type=kind,
                    source=source,
                    body=encode_event(event, shape=sub.shape),
                    late=self._roll(self.settings.late_rate),
                )
                lane = (sub.id, source, kind)
                self._lanes.setdefault(lane, deque()).append(delivery)
                self._idle.clear()
                self._kick(lane)
                queued += 1
        return queued

    def _kick(self, lane: Lane) -> None:
        if self._session is None or lane in self._workers:
            return
        task = asyncio.get_running_loop().create_task(self._drain(lane))
        self._workers[lane] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, lane: Lane) -> None:
        """Deliver a lane's events one after the other, each until it ends."""
        queue = self._lanes.get(lane)
        if queue is None:  # reset before the task started
            return
        try:
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
        finally:
            if self._workers.get(lane) is asyncio.current_task():
                del self._workers[lane]
            if not queue and self._lanes.get(lane) is queue:
                del self._lanes[lane]
            if not self._lanes:
                self._idle.set()

    # -- delivering ------------------------------------------------------------------------------

    def _roll(self, probability: float) -> bool:
        return probability > 0 and self._rng.random() < probability

    async def _deliver(self, delivery: _Delivery) -> None:
        late = delivery.late
        waited = self.settings.late_seconds if late else 0.0
        attempt = 0
        while True:
            attempt += 1
            if waited > 0:
                await asyncio.sleep(waited * self.settings.time_scale)
            status, error = await self._post(delivery)
            delay = next_delay(delivery.subscription.shape, attempt, status)
            outcome: Outcome = (
                "delivered"
                if delivered(status)
                else "retrying"
                if delay is not None
                else "given-up"
            )
            self._record(delivery, attempt, waited, status, error, outcome, late and attempt == 1)
            if delivered(status) and self._roll(self.settings.duplicate_rate):
                status, error = await self._post(delivery)
                self._record(delivery, attempt + 1, 0.0, status, error, "duplicate", False)
            if delay is None:
                return
            waited = delay

    async def _post(self, delivery: _Delivery) -> tuple[int | None, str | None]:
        """One attempt: the answer's status, or ``None`` and what went wrong."""
        session = self._session
        assert session is not None, "deliveries run only while the simulator runs"
        sub = delivery.subscription
        headers = {"content-type": "application/json"}
        if sub.shape == "v2":
            assert sub.secret is not None
            headers |= sign(
                delivery.body,
                sub.secret,
                msg_id=delivery.delivery_id,
                event_type=delivery.event_type,
                clock=self._clock,
            )
        elif sub.api_key is not None:
            headers[sub.api_key_header] = sub.api_key
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
        try:
            async with session.post(
                sub.url, data=delivery.body, headers=headers, allow_redirects=False, timeout=timeout
            ) as reply:
                await reply.read()
                return reply.status, None
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200]

    def _record(
        self,
        delivery: _Delivery,
        attempt: int,
        waited: float,
        status: int | None,
        error: str | None,
        outcome: Outcome,
        late: bool,
    ) -> None:
        record = DeliveryRecord(
            subscription_id=delivery.subscription.id,
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            source=delivery.source,
            attempt=attempt,
            waited=waited,
            status=status,
            error=error,
            outcome=outcome,
            late=late,
            at=self._clock(),
        )
        self.deliveries.append(record)
        log.debug(
            "webhook %s %s to %s, attempt %d: %s (%s)",
            delivery.event_type,
            delivery.delivery_id,
            delivery.subscription.id,
            attempt,
            status if status is not None else error,
            outcome,
        )
