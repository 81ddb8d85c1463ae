"""``client.keys.watch``: key-status events by polling, for accounts without webhooks.

Livion pushes a ``key-status`` webhook when a key is fetched or returned; an account without a
webhook endpoint has only ``GET /keys/{id}/status``, the latest event of one key. A
:class:`KeyWatch` asks it for every key of the watched devices once per ``interval``, through
the client's own request path (its login, pacer and retries), and yields a
:class:`~livionkey_async.KeyStatusEvent` (``shape=None``) for each key whose latest event
changed since the previous poll, so a bot handles a polled event as it handles a pushed one.

What it watches and yields:

- **Which keys**: every key of the given devices (``GET /devices/{id}/keys``), listed at the first
  poll and listed again every ``relist_interval`` seconds, so keys hung or removed meanwhile are
  followed; a device whose listing failed is listed again at the next poll.
- **The first poll** (and the first sight of a key found by a later listing) records a baseline
  and yields nothing, so a restarted bot does not react again to what it already handled;
  ``initial=True`` yields the current state of every key instead.
- **Only changes**: a key's latest event is compared by its id, action and time; polling sees at
  most one change per key per interval (the latest), never the events in between.
- **Errors**: a failed status or listing (a connection lost, a 5xx, a 429 beyond the client's own
  retries) is logged at WARNING and tried again at the next poll, the key keeping its baseline; a
  key that no longer exists is dropped until the next listing. The watch ends with the error
  when nothing can work again: the login or the account's access refused
  (``AuthenticationError``, ``LoginError`` among them), a device that is unknown or not a V1 key
  automat (``NotFoundError``, ``UnsupportedDeviceError``), or the client closed.
- **Stopping**: cancelling the task that iterates, or ``await watch.aclose()`` (from any task: a
  waiting ``async for`` then ends at once), ends the watch; nothing keeps running behind it.

Each poll costs one request per key (and one per device when it lists them), all through the
shared pacer: choose ``interval`` with the account's rate limit in mind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ._bounded_map import bounded_map
from ._errors import (
    AuthenticationError,
    LivionKeyError,
    NotFoundError,
    TransportError,
    UnsupportedDeviceError,
)
from ._events import KeyStatusEvent
from ._models import Key, KeyEvent

if TYPE_CHECKING:
    from ._devices import Devices

__all__ = ["KeyWatch", "key_status_event"]

log = logging.getLogger("livionkey_async.keys")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
StatusOf = Callable[[str, str], Awaitable[KeyEvent]]  # (device_id, key_id) -> latest event
Target = tuple[str, str]  # (device_id, key_id)
Identity = tuple[str | None, str | None, object]

# The errors after which no later poll can succeed: the watch ends with them.
_FATAL = (AuthenticationError, UnsupportedDeviceError)


def key_status_event(device_id: str, key_id: str, latest: KeyEvent) -> KeyStatusEvent:
    """The :class:`KeyStatusEvent` a key's latest event (``GET /keys/{id}/status``) stands for:
    ``state`` is its action (``key-fetched``, ``key-returned``, ``key-not-returned``, ...)."""
    data = latest.data
    position = None if data is None else (data.after or data.before)
    state = latest.action or (data.value if data is not None else None) or "unknown"
    return KeyStatusEvent(
        state=state,
        key_id=key_id,
        device_id=device_id,
        locker_index=None if position is None else position.locker_index,
        storage_type="device",
        occurred_at=latest.timestamp or (data.source_time if data is not None else None),
        tag=latest.tag,
        event_id=latest.id,
    )


def _identity(latest: KeyEvent) -> Identity:
    return (latest.id, latest.action, latest.timestamp)


class KeyWatch:
    """An async iterator of :class:`KeyStatusEvent`: the changes of the watched keys' statuses.

    Made by ``client.keys.watch(...)``; use it as ``async for event in watch`` (optionally inside
    ``async with watch``, which closes it on the way out). ``ticks``: polls done; ``errors``:
    failed requests survived; ``watched``: the ``(device_id, key_id)`` pairs followed now.
    """

    def __init__(
        self,
        *,
        devices: Devices,
        status: StatusOf,
        device_ids: Sequence[str],
        interval: float,
        relist_interval: float,
        initial: bool,
        concurrency: int,
        closed: Callable[[], bool],
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self._devices = devices
        self._status = status
        self.device_ids = tuple(device_ids)
        self.interval = interval
        self.relist_interval = relist_interval
        self.initial = initial
        self._concurrency = concurrency
        self._closed = closed
        self._sleep = sleep
        self._clock = clock
        self._keys: dict[str, tuple[str, ...]] = {}  # device -> its keys, as last listed
        self._listed_at: dict[str, float] = {}
        self._seen: dict[Target, Identity] = {}
        self._pending: deque[KeyStatusEvent] = deque()
        self._next_at: float | None = None
        self._stop = asyncio.Event()
        self._done = False
        self.ticks = 0
        self.errors = 0

    def __repr__(self) -> str:
        return f"<KeyWatch of {len(self.device_ids)} device(s) every {self.interval:g} s>"

    @property
    def watched(self) -> list[Target]:
        return [(device, key) for device in self.device_ids for key in self._keys.get(device, ())]

    # -- the iterator --------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> KeyStatusEvent:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            try:
                if self._next_at is not None:
                    await self._wait(self._next_at - self._clock())
                    if self._done:
                        raise StopAsyncIteration
                self._next_at = self._clock() + self.interval
                events = await self._tick()
            except BaseException:  # an error that ends it, a cancel, or aclose()
                self._finish()
                raise
            if not self._done:
                self._pending.extend(events)
        return self._pending.popleft()

    async def aclose(self) -> None:
        """End the watch: a waiting ``async for`` ends at once; later iterations end at once."""
        self._finish()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _finish(self) -> None:
        self._done = True
        self._pending.clear()
        self._stop.set()

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds with the injected sleep, or less if :meth:`aclose` comes."""
        if delay <= 0:
            return
        sleeper = asyncio.ensure_future(self._sleep(delay))
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((sleeper, stopper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
            await asyncio.gather(sleeper, stopper, return_exceptions=True)
        if not sleeper.cancelled():
            sleeper.result()  # a sleep that failed fails the watch

    # -- one poll ------------------------------------------------------------------------------

    async def _tick(self) -> list[KeyStatusEvent]:
        if self._closed():
            raise TransportError("the client is closed; the key watch ends")
        now = self._clock()
        due = [
            device
            for device in self.device_ids
            if device not in self._listed_at
            or now - self._listed_at[device] >= self.relist_interval
        ]
        if due:
            await bounded_map(self._list, due, self._concurrency)
        targets = self.watched
        latest = await bounded_map(self._poll, targets, self._concurrency)
        self.ticks += 1
        events: list[KeyStatusEvent] = []
        for target, event in zip(targets, latest, strict=True):
            if event is None:
                continue
            before = self._seen.get(target)
            self._seen[target] = _identity(event)
            if before != self._seen[target] and (before is not None or self.initial):
                events.append(key_status_event(*target, event))
        return events

    async def _list(self, device_id: str) -> None:
        try:
            keys: list[Key] = await self._devices.keys(device_id)
        except LivionKeyError as exc:
            self._survive(exc, f"listing the keys of device {device_id}")
            return
        self._keys[device_id] = tuple(key.key_id for key in keys)
        self._listed_at[device_id] = self._clock()
        listed = set(self._keys[device_id])
        for target in [t for t in self._seen if t[0] == device_id and t[1] not in listed]:
            del self._seen[target]

    async def _poll(self, target: Target) -> KeyEvent | None:
        device_id, key_id = target
        try:
            return await self._status(device_id, key_id)
        except NotFoundError as exc:
            if self._closed():
                raise
            # The key is gone: stop asking until a listing shows it again.
            self.errors += 1
            log.info("keys.watch: key %s of device %s is gone (%s)", key_id, device_id, exc)
            self._keys[device_id] = tuple(k for k in self._keys[device_id] if k != key_id)
            self._seen.pop(target, None)
            return None
        except LivionKeyError as exc:
            self._survive(exc, f"the status of key {key_id} of device {device_id}")
            return None

    def _survive(self, exc: LivionKeyError, what: str) -> None:
        """Log a failure and carry on, unless it is one that no later poll can undo."""
        if isinstance(exc, _FATAL) or self._closed():
            raise exc
        if isinstance(exc, NotFoundError):  # an unknown device: the caller's mistake
            raise exc
        self.errors += 1
        log.warning("keys.watch: %s failed (%s); trying again at the next poll", what, exc)
