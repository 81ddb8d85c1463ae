"""``client.devices``: the automats of the account, their keys, contracts and lockers.

Also remembers each device's product as listings reveal it, so a V1 key or contract operation
aimed at a LivionKey20 or a keypad is refused locally with ``UnsupportedDeviceError``.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import quote

import attrs

from ._assumptions import UNSUPPORTED_PRODUCTS
from ._convert import structure
from ._errors import UnsupportedDeviceError, ValidationError
from ._models import Contract, Device, DevicePage, Key, Locker
from ._transport import Call, Transport
from ._validation import check_id

__all__ = ["Devices", "segment"]

MAX_PAGE_SIZE = 50


def segment(value: str) -> str:
    """One path segment, escaped."""
    return quote(value, safe="")


class Devices:
    """The ``/devices`` endpoints."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._products: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<Devices of {self._transport.base_url}>"

    def _remember(self, devices: Iterable[Device]) -> None:
        for device in devices:
            if device.product:
                self._products[device.device_id] = device.product

    def require_v1(self, device_id: str) -> None:
        """Refuse a V1 key/contract operation on a device known to need another API."""
        check_id("device_id", device_id)
        product = self._products.get(device_id)
        if product in UNSUPPORTED_PRODUCTS:
            raise UnsupportedDeviceError(f"device {device_id}: {UNSUPPORTED_PRODUCTS[product]}")

    async def list(self, *, products: Iterable[str] | None = None) -> list[Device]:
        """Every device of the account (``key30`` and ``keyX`` unless ``products`` says more)."""
        params = _products_param(products)
        data = await self._transport.request(Call("GET", "devices", params=params or None))
        devices = structure(data, list[Device])
        self._remember(devices)
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
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if after is not None and after < 0:
            raise ValidationError("after must not be negative")
        params = _products_param(products)
        params["limit"] = str(limit)
        if after is not None:
            params["after"] = str(after)
        if lockers:
            params["extend"] = "lockers"
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
        wanted = None if products is None else tuple(products)
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
        params = {"extend": "lockers"} if lockers else None
        data = await self._transport.request(
            Call("GET", f"devices/{segment(device_id)}", params=params)
        )
        device = structure(data, Device)
        self._remember([device])
        return device

    async def keys(self, device_id: str) -> builtins.list[Key]:
        """The keys kept in a device."""
        self.require_v1(device_id)
        data = await self._transport.request(Call("GET", f"devices/{segment(device_id)}/keys"))
        return [attrs.evolve(key, device_id=device_id) for key in structure(data, list[Key])]

    async def contracts(self, device_id: str) -> builtins.list[Contract]:
        """The contracts on a device's keys."""
        self.require_v1(device_id)
        data = await self._transport.request(Call("GET", f"devices/{segment(device_id)}/contracts"))
        return structure(data, list[Contract])

    async def lockers(self, device_id: str) -> builtins.list[Locker]:
        """Every locker of a device, with what it holds."""
        check_id("device_id", device_id)
        data = await self._transport.request(Call("GET", f"devices/{segment(device_id)}/lockers"))
        return structure(_field(data, "lockers"), list[Locker])

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
                json={"lockerIndex": locker_index},
                idempotent=False,
            )
        )


def _products_param(products: Iterable[str] | None) -> dict[str, str]:
    if products is None:
        return {}
    wanted = [products] if isinstance(products, str) else list(products)
    if not wanted or not all(isinstance(p, str) and p for p in wanted):
        raise ValidationError("products must name at least one product, e.g. ['key30', 'keyX']")
    return {"products": ",".join(wanted)}


def _check_index(locker_index: int) -> None:
    if isinstance(locker_index, bool) or not isinstance(locker_index, int) or locker_index < 0:
        raise ValidationError("locker_index must be a non-negative integer")


def _field(data: Any, name: str) -> Any:
    """``{deviceId, lockers: [...]}`` → the list; tolerate a bare answer too."""
    if isinstance(data, dict) and name in data:
        return data[name]
    return data
