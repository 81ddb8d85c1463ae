"""``client.keys``: add, change, remove and look up the keys kept in automats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import attrs

from ._arguments import (
    as_ids,
    check_bool,
    check_callable,
    check_concurrency,
    check_id,
    check_int,
    check_number,
    check_text,
)
from ._convert import locker_index_wire, structure, unstructure
from ._devices import Devices, segment
from ._errors import DuplicateKeyError, NotFoundError, ValidationError
from ._exactly_once import ExactlyOnce, key_matches
from ._key_watch import KeyWatch
from ._models import CreatedKey, Key, KeyEvent, NewKey
from ._transport import Call, Transport
from ._validation import validate_new_key

__all__ = ["Keys"]

# The plain-text answers of POST /keys/:id (`Key updated`), DELETE (`Key deleted`) and
# POST /keys/:id/backupcodes (`backup codes updated`).
_UPDATED = ("updated",)
_DELETED = ("deleted",)
_BACKUP_CODES_UPDATED = ("backup codes updated",)


class Keys:
    """The ``/keys`` endpoints."""

    def __init__(
        self,
        transport: Transport,
        devices: Devices,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._devices = devices
        self._sleep = sleep
        self._clock = clock
        # The one exactly-once creator, shared by `create` and the bulk helpers.
        self.exactly_once: ExactlyOnce[NewKey, CreatedKey, Key] = ExactlyOnce(
            create=self._post,
            lookup=self._find_spec,
            matches=key_matches,
            result_of=lambda found: CreatedKey(locker_index=found.locker_index, reconciled=True),
            duplicate=DuplicateKeyError,
            name=lambda spec: f"key {spec.key_id!r} of device {spec.device_id}",
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"<Keys of {self._transport.base_url}>"

    async def create(self, key: NewKey, *, reconcile: bool = True) -> CreatedKey:
        """Add a key to an automat exactly once; answers the locker it was given.

        Never resent blindly: an unknown outcome is settled by looking the key up on its device
        (found and matching: returned with ``reconciled=True``), as ``contracts.create`` does;
        ``AmbiguousOutcomeError`` only when no look-up could settle it. ``reconcile=False``
        sends it once and leaves any ambiguity to you.
        """
        validate_new_key(key)
        check_bool("reconcile", reconcile)
        await self._devices.require_v1(key.device_id)
        if not reconcile:
            return await self._post(key)
        return await self.exactly_once.create(key)

    async def _post(self, key: NewKey) -> CreatedKey:
        """One ``POST /keys``, never resent once it may have reached the server."""
        data = await self._transport.request(
            Call("POST", "keys", json=unstructure(key), idempotent=False)
        )
        return structure(data, CreatedKey)  # documented: {"lockerIndex": 3}; nothing is no answer

    async def _find_spec(self, key: NewKey) -> Key | None:
        try:
            return await self.get(key.key_id, device_id=key.device_id)
        except NotFoundError:
            return None

    async def update(
        self,
        key_id: str,
        *,
        device_id: str,
        name: str | None = None,
        key_code: str | None = None,
        locker_index: int | None = None,
        check_locker_status: bool | None = None,
        shared: bool | None = None,
    ) -> None:
        """Change a key; arguments left ``None`` keep their value."""
        check_id("key_id", key_id)
        check_text("name", name)
        check_text("key_code", key_code)
        check_int("locker_index", locker_index, optional=True)
        check_bool("check_locker_status", check_locker_status, optional=True)
        check_bool("shared", shared, optional=True)
        await self._devices.require_v1(device_id)
        body: dict[str, Any] = {"deviceId": device_id}
        for wire, value in (
            ("keyName", name),
            ("keyCode", key_code),
            ("lockerIndex", None if locker_index is None else locker_index_wire(locker_index)),
            ("checkLockerStatus", check_locker_status),
            ("shared", shared),
        ):
            if value is not None:
                body[wire] = value
        await self._transport.request(
            Call("POST", f"keys/{segment(key_id)}", json=body, ack=_UPDATED)
        )

    async def delete(self, key_id: str, *, device_id: str) -> None:
        """Remove a key from its automat."""
        check_id("key_id", key_id)
        await self._devices.require_v1(device_id)
        await self._transport.request(
            Call(
                "DELETE",
                f"keys/{segment(key_id)}",
                params={"deviceId": device_id},
                gone_is_done=True,
                ack=_DELETED,
            )
        )

    async def get(
        self, key_id: str, *, device_id: str | None = None, key_status: bool = False
    ) -> Key:
        """One key with its contracts (each with its latest key status when asked)."""
        check_id("key_id", key_id)
        check_bool("key_status", key_status)
        params: dict[str, str] = {}
        if device_id is not None:
            await self._devices.require_v1(device_id)
            params["deviceId"] = device_id
        if key_status:
            params["keyStatus"] = "true"
        data = await self._transport.request(
            Call("GET", f"keys/{segment(key_id)}", params=params or None)
        )
        # The reference's example wraps the key in an array; the help centre does not.
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        key = structure(data, Key)
        return key if key.device_id or device_id is None else attrs.evolve(key, device_id=device_id)

    async def status(self, key_id: str, *, device_id: str) -> KeyEvent:
        """The key's latest event: added, fetched, returned, not returned."""
        check_id("key_id", key_id)
        await self._devices.require_v1(device_id)
        data = await self._transport.request(
            Call("GET", f"keys/{segment(key_id)}/status", params={"deviceId": device_id})
        )
        return structure(data, KeyEvent)

    async def regenerate_backup_codes(self, key_id: str, *, device_id: str) -> tuple[str, ...]:
        """New backup codes for a key, and answers them.

        Livion answers the regeneration with ``backup codes updated``, not the codes, so they
        are read back from the key (one more request) unless the answer carries them.
        """
        check_id("key_id", key_id)
        await self._devices.require_v1(device_id)
        data = await self._transport.request(
            Call(
                "POST",
                f"keys/{segment(key_id)}/backupcodes",
                json={"deviceId": device_id},
                ack=_BACKUP_CODES_UPDATED,
            )
        )
        if isinstance(data, dict):
            data = data.get("backupCodes")
        if isinstance(data, list) and data:  # the codes themselves, where a service answers them
            return structure(data, tuple[str, ...])
        return (await self.get(key_id, device_id=device_id)).backup_codes

    def watch(
        self,
        device_ids: Iterable[str] | str,
        *,
        interval: float = 30.0,
        relist_interval: float = 300.0,
        initial: bool = False,
        concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> KeyWatch:
        """Key-status changes of every key of ``device_ids``, by polling: an async iterator of
        :class:`~livionkey_async.KeyStatusEvent` for accounts without webhooks.

        Polls ``GET /keys/{id}/status`` of each key every ``interval`` seconds (at most
        ``concurrency`` at once, through the client's pacer) and yields the keys whose latest
        event changed; lists the devices' keys again every ``relist_interval`` seconds. The first
        poll only records a baseline unless ``initial`` (then it yields every key's current
        state). Transient failures are logged and retried at the next poll; a refused login, a
        device that cannot be watched or a closed client end it with the error. ``sleep`` and
        ``clock`` (monotonic seconds) default to the client's own.
        """
        ids = as_ids("device_ids", device_ids)
        if not ids:
            raise ValidationError("device_ids must name at least one device")
        check_number("interval", interval, positive=True)
        check_number("relist_interval", relist_interval, positive=True)
        check_bool("initial", initial)
        check_concurrency(concurrency)
        check_callable("sleep", sleep, optional=True)
        check_callable("clock", clock, optional=True)
        return KeyWatch(
            devices=self._devices,
            status=lambda device_id, key_id: self.status(key_id, device_id=device_id),
            device_ids=list(dict.fromkeys(ids)),
            interval=interval,
            relist_interval=relist_interval,
            initial=initial,
            concurrency=concurrency,
            closed=lambda: self._transport.closed,
            sleep=self._sleep if sleep is None else sleep,
            clock=self._clock if clock is None else clock,
        )
