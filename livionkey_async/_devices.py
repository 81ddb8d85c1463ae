"""``client.devices``: the automats of the account, their keys, contracts and lockers.

Also knows each device's product, so a V1 key or contract operation aimed at a LivionKey20 or a
keypad (or a keypad operation aimed at a key automat) is refused locally with
``UnsupportedDeviceError``, whatever the caller listed first: products are remembered from every
listing that shows them, and a device not yet known is learnt from one account-wide listing (a
page per 50 devices), fetched once and shared by every caller, and again at most every
``CATALOGUE_TTL`` seconds should an unknown device come up.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any
from urllib.parse import quote

import attrs

from ._arguments import as_ids, check_bool, check_id, check_int
from ._assumptions import (
    CATALOGUE_PRODUCTS,
    CATALOGUE_TTL,
    DOCUMENTED_PRODUCTS,
    UNSUPPORTED_PRODUCTS,
    V1_PRODUCTS,
)
from ._convert import locker_index_wire, structure
from ._errors import (
    AuthenticationError,
    LivionKeyError,
    NotFoundError,
    UnsupportedDeviceError,
    ValidationError,
)
from ._models import Contract, Device, DevicePage, Key, Locker
from ._transport import Call, Transport

__all__ = ["COMMAND_SENT", "Devices", "segment"]

log = logging.getLogger("livionkey_async.devices")

MAX_PAGE_SIZE = 50
_UNRESERVED = re.compile(r"[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*")
# `opendoor` and `unlock` answer `Command sent successfuly` (sic).
COMMAND_SENT = ("command sent",)
# What the plain listing (no `products`) holds: one of the V1 pair, whichever it is.
_V1_LISTED = "|".join(V1_PRODUCTS)
# On a device's listing endpoints, "No devices" means the device is unknown.
_UNKNOWN_DEVICE = {"no devices": NotFoundError}


def segment(value: str) -> str:
    """One path segment, escaped (ids of unreserved characters, the usual ones, as they are)."""
    if _UNRESERVED.fullmatch(value):
        return value
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:  # a lone surrogate: the callers' check_id says which argument
        raise ValidationError("an id must be valid Unicode text") from None


class Devices:
    """The ``/devices`` endpoints."""

    def __init__(self, transport: Transport, *, clock: Callable[[], float] = time.monotonic):
        self._transport = transport
        self._clock = clock
        self._products: dict[str, str] = {}
        self._catalogue_lock = asyncio.Lock()
        self._catalogue_at: float | None = None

    def __repr__(self) -> str:
        return f"<Devices of {self._transport.base_url}>"

    def _remember(self, devices: Iterable[Device], product: str | None = None) -> None:
        for device in devices:
            known = device.product or product
            if known:
                self._products[device.device_id] = known

    async def product(self, device_id: str) -> str | None:
        """The device's product (``key30``, ``keyX``, ``keypad``, ``key20``), or ``None`` when
        the account's listing does not show it; learnt once, then remembered."""
        known = await self._learnt(device_id)
        return None if known == _V1_LISTED else known

    async def _learnt(self, device_id: str) -> str | None:
        """What is known of the device's product (``_V1_LISTED``: one of the V1 pair)."""
        check_id("device_id", device_id)
        if device_id not in self._products:
            async with self._catalogue_lock:
                fresh = self._catalogue_at is not None and (
                    self._clock() - self._catalogue_at < CATALOGUE_TTL
                )
                if device_id not in self._products and not fresh:
                    await self._learn_products()
        return self._products.get(device_id)

    async def _learn_products(self) -> None:
        """One account-wide listing that shows every device's product. A failure (but a refused
        login) is not the caller's: the server still judges the request itself."""
        self._catalogue_at = self._clock()
        # If the service refuses the product this library assumes (a 4xx), ask for the documented.
        for products in (CATALOGUE_PRODUCTS, DOCUMENTED_PRODUCTS):
            try:
                async for _ in self.iterate(products=products):
                    pass
                return
            except AuthenticationError:
                raise
            except LivionKeyError as exc:
                log.debug("could not list the devices to learn their products: %s", exc)
                if exc.status is None or not 400 <= exc.status < 500:
                    return

    async def require_v1(self, device_id: str) -> None:
        """Refuse a V1 key/contract operation on a device that needs another API."""
        product = await self.product(device_id)
        if product in UNSUPPORTED_PRODUCTS:
            raise UnsupportedDeviceError(f"device {device_id}: {UNSUPPORTED_PRODUCTS[product]}")

    async def require_keypad(self, device_id: str) -> None:
        """Refuse a keypad operation on a device known not to be a keypad."""
        known = await self._learnt(device_id)
        if known is not None and known != "keypad":
            what = "LivionKey30 or LivionKey1" if known == _V1_LISTED else known
            raise UnsupportedDeviceError(f"device {device_id} is a {what}, not a keypad")

    async def list(self, *, products: Iterable[str] | None = None) -> builtins.list[Device]:
        """Every device of the account (``key30`` and ``keyX`` unless ``products`` says more)."""
        wanted = _products(products)
        params = [("products", p) for p in wanted]
        data = await self._transport.request(Call("GET", "devices", params=params or None))
        devices = structure(data, builtins.list[Device])
        # This shape shows no product: what was asked for says it when it can.
        if not wanted:
            self._remember(devices, _V1_LISTED)
        elif len(wanted) == 1:
            self._remember(devices, wanted[0])
        return devices

    async def page(
        self,
        *,
        limit: int = MAX_PAGE_SIZE,
        after: int | None = None,
        lockers: bool = False,
        products: Iterable[str] | None = None,
    ) -> DevicePage:
        """One page of devices (``limit`` at most 50), optionally with their lockers."""
        check_int("limit", limit, low=1, high=MAX_PAGE_SIZE)
        check_int("after", after, optional=True)
        check_bool("lockers", lockers)
        params = [("products", p) for p in _products(products)]
        params.append(("limit", str(limit)))
        if after is not None:
            params.append(("after", str(after)))
        if lockers:
            params.append(("extend", "lockers"))
        data = await self._transport.request(Call("GET", "devices", params=params))
        page = structure(data, DevicePage)
        self._remember(page.devices)
        return page

    async def iterate(
        self,
        *,
        page_size: int = MAX_PAGE_SIZE,
        lockers: bool = False,
        products: Iterable[str] | None = None,
    ) -> AsyncIterator[Device]:
        """Every device, fetched a page at a time."""
        check_int("page_size", page_size, low=1, high=MAX_PAGE_SIZE)
        check_bool("lockers", lockers)
        wanted = None if products is None else _products(products)
        after: int | None = None
        while True:
            page = await self.page(limit=page_size, after=after, lockers=lockers, products=wanted)
            for device in page.devices:
                yield device
            if not page.page_info.has_next or not page.devices:
                return
            end = page.page_info.end
            after = end if end is not None else (after or 0) + len(page.devices)

    async def get(self, device_id: str, *, lockers: bool = False) -> Device:
        """One device, optionally with its lockers."""
        check_id("device_id", device_id)
        check_bool("lockers", lockers)
        params = {"extend": "lockers"} if lockers else None
        data = await self._transport.request(
            Call("GET", f"devices/{segment(device_id)}", params=params)
        )
        device = structure(data, Device)
        self._remember([device])
        return device

    async def keys(self, device_id: str) -> builtins.list[Key]:
        """The keys kept in a device."""
        await self.require_v1(device_id)
        data = await self._transport.request(Call("GET", f"devices/{segment(device_id)}/keys"))
        return [
            attrs.evolve(key, device_id=device_id) for key in structure(data, builtins.list[Key])
        ]

    async def contracts(self, device_id: str) -> builtins.list[Contract]:
        """The contracts on a device's keys (none: an empty list)."""
        await self.require_v1(device_id)
        call = Call("GET", f"devices/{segment(device_id)}/contracts", messages=_UNKNOWN_DEVICE)
        try:
            data = await self._transport.request(call)
        except NotFoundError as exc:
            # The listing's own "Contract not found": the device has none.
            if exc.message.lower().startswith("contract not found"):
                return []
            raise
        return structure(data, builtins.list[Contract])

    async def lockers(self, device_id: str) -> builtins.list[Locker]:
        """Every locker of a device, with what it holds."""
        check_id("device_id", device_id)
        data = await self._transport.request(Call("GET", f"devices/{segment(device_id)}/lockers"))
        return structure(_field(data, "lockers"), builtins.list[Locker])

    async def locker(self, device_id: str, locker_index: int) -> Locker:
        """One locker of a device."""
        check_id("device_id", device_id)
        _check_index(locker_index)
        data = await self._transport.request(
            Call("GET", f"devices/{segment(device_id)}/lockers/{locker_index}")
        )
        return structure(_field(data, "locker"), Locker)

    async def open_door(self, device_id: str, locker_index: int) -> None:
        """Open one locker's door. Not resent after an unknown outcome: a door is physical."""
        check_id("device_id", device_id)
        _check_index(locker_index)
        await self._transport.request(
            Call(
                "POST",
                f"devices/{segment(device_id)}/opendoor",
                json={"lockerIndex": locker_index_wire(locker_index)},
                idempotent=False,
                ack=COMMAND_SENT,
            )
        )


def _products(products: Iterable[str] | None) -> builtins.list[str]:
    if products is None:
        return []
    wanted = builtins.list(as_ids("products", products))
    if not wanted:
        raise ValidationError("products must name at least one product, e.g. ['key30', 'keyX']")
    return wanted


def _check_index(locker_index: int) -> None:
    check_int("locker_index", locker_index)


def _field(data: Any, name: str) -> Any:
    """``{deviceId, lockers: [...]}`` → the list; tolerate a bare answer too."""
    if isinstance(data, dict) and name in data:
        return data[name]
    return data
