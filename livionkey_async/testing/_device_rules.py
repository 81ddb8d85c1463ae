"""The ``/devices`` routes: listings, one device, its keys, contracts and lockers, opening a door.

Also the control plane's device switch (offline, reserved), since it only changes what these
routes answer.

Each route answers with the message Livion documents for it: an unknown device is ``Device
not found`` on ``GET /devices/{id}``, the lockers and ``opendoor``, ``Device keys not found`` on
``GET /devices/{id}/keys`` and ``No devices`` on ``GET /devices/{id}/contracts``; a keypad's
lockers are ``not supported``; ``opendoor`` answers ``Command sent successfuly`` (sic), ``409
Device is reserved`` on a reserved device, ``Device error`` on a disconnected one and ``Device
busy`` on a busy one.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._assumptions import Assumed
from ._messages import Ack, Msg, SimError
from ._parse import parse_body, parse_count, parse_locker_index
from ._records import SimDevice
from ._store import SimStore
from ._vocabulary import ALL_PRODUCTS, MAX_LIMIT_WITH_LOCKERS, V1_PRODUCTS
from ._wire import JSONObj, Text, iso

# The control plane's names for the connection states, and the wire's.
_STATES = {
    "connected": "connected",
    "online": "connected",
    "disconnected": "disconnected",
    "offline": "disconnected",
}

__all__ = ["DeviceRules"]


class DeviceRules:
    """Answers the ``/devices`` routes from the store."""

    def __init__(self, store: SimStore) -> None:
        self._store = store

    @staticmethod
    def _locker_wire(device: SimDevice, index: int) -> JSONObj:
        key = device.key_in_locker(index)
        if key is None:
            state, inside, ref = "lockerEmpty", False, None
        else:
            state = "lockerWithKey" if key.inside else "lockerWithoutKey"
            inside, ref = key.inside, {"id": key.key_id, "name": key.key_name}
        return {"lockerIndex": str(index), "state": state, "isKeyInside": inside, "key": ref}

    def _lockers_wire(self, device: SimDevice) -> list[JSONObj]:
        if device.product not in V1_PRODUCTS:
            return []
        return [self._locker_wire(device, i) for i in range(device.lockers)]

    @staticmethod
    def _synced(device: SimDevice) -> JSONObj:
        return {"timestamp": iso(device.synced_at), "isSynced": True}

    def list_devices(
        self,
        account: str,
        *,
        products: Sequence[str] = (),
        extend: str | None = None,
        limit: str | None = None,
        after: str | None = None,
    ) -> object:
        """``GET /devices``: a bare array without ``limit``, a page object with it."""
        wanted: list[str] = []
        for value in products:
            wanted.extend(p.strip() for p in value.split(",") if p.strip())
        if any(p not in ALL_PRODUCTS for p in wanted):
            raise SimError(400, Assumed.malformed("products"))
        chosen = set(wanted) if wanted else set(V1_PRODUCTS)
        with_lockers = extend == "lockers"
        if (with_lockers or after is not None) and limit is None:
            raise SimError(400, Msg.required("limit"))
        store = self._store
        devices = [
            store.devices[d] for d in store.accounts[account] if store.devices[d].product in chosen
        ]
        if limit is None:
            return [
                {
                    "deviceId": d.device_id,
                    "name": d.name,
                    "tag": d.tag,
                    "connectionState": d.connection_state,
                    "synced": self._synced(d),
                }
                for d in devices
            ]
        size = parse_count(limit, "limit", minimum=1)
        if with_lockers and size > MAX_LIMIT_WITH_LOCKERS:
            raise SimError(400, Assumed.LIMIT_TOO_BIG)
        start = 0 if after is None else parse_count(after, "after", minimum=0)
        page = devices[start : start + size]
        items: list[JSONObj] = []
        for d in page:
            item: JSONObj = {
                "id": d.device_id,
                "product": d.product,
                "name": d.name,
                "tag": d.tag,
                "connectionState": d.connection_state,
                "synced": self._synced(d),
            }
            if with_lockers:
                item["lockers"] = self._lockers_wire(d)
            items.append(item)
        end = start + len(page)
        return {
            "devices": items,
            "pageInfo": {"start": start, "end": end, "hasNext": end < len(devices)},
        }

    def get_device(self, account: str, device_id: str, *, extend: str | None = None) -> JSONObj:
        device = self._store.device(account, device_id, v1=False)
        out: JSONObj = {
            "id": device.device_id,
            "name": device.name,
            "tag": device.tag,
            "connectionState": device.connection_state,
            "synced": self._synced(device),
        }
        if extend == "lockers":
            out["lockers"] = self._lockers_wire(device)
        return out

    def device_keys(self, account: str, device_id: str) -> list[JSONObj]:
        store = self._store
        device = store.device(account, device_id, missing=Msg.DEVICE_KEYS_NOT_FOUND)
        return [
            {
                "keyId": k.key_id,
                "keyName": k.key_name,
                "shared": k.shared,
                "contracts": [c.to_wire() for c in store.key_contracts(k)],
                "backupCodes": list(k.backup_codes),
                "lockerIndex": k.locker_index,
            }
            for k in device.keys.values()
        ]

    def device_contracts(self, account: str, device_id: str) -> list[JSONObj]:
        device = self._store.device(account, device_id, missing=Msg.NO_DEVICES)
        return [
            c.to_wire()
            for c in self._store.contracts.values()
            if any(d.device_id == device.device_id for d in c.devices)
        ]

    def _locker_device(self, account: str, device_id: str) -> SimDevice:
        device = self._store.device(account, device_id, v1=False)
        if device.product not in V1_PRODUCTS:
            raise SimError(400, Msg.NOT_SUPPORTED)
        return device

    def device_lockers(self, account: str, device_id: str) -> JSONObj:
        device = self._locker_device(account, device_id)
        return {"deviceId": device.device_id, "lockers": self._lockers_wire(device)}

    def device_locker(self, account: str, device_id: str, locker_index: str) -> JSONObj:
        device = self._locker_device(account, device_id)
        index = parse_locker_index(locker_index)
        if index >= device.lockers:
            raise SimError(404, Msg.LOCKER_NOT_FOUND)
        return {"deviceId": device.device_id, "locker": self._locker_wire(device, index)}

    def open_door(self, account: str, device_id: str, body: object) -> Text:
        device = self._store.device(account, device_id, v1=False)
        fields = parse_body(body)
        if device.product not in V1_PRODUCTS:
            raise SimError(400, Msg.COMMAND_NOT_FOUND)
        if "lockerIndex" not in fields or fields["lockerIndex"] in (None, ""):
            raise SimError(400, Msg.required("lockerIndex"))
        index = parse_locker_index(fields["lockerIndex"])
        if index >= device.lockers:
            raise SimError(400, Msg.LOCKER_INDEX_TOO_BIG_DOOR)
        check_ready(device)
        return Text(Ack.COMMAND_SENT)

    def unlock(self, account: str, device_id: str) -> Text:
        """``POST /devices/{id}/unlock``: open a keypad's lock."""
        device = self._store.device(account, device_id, v1=False)
        if device.product != "keypad":
            raise SimError(400, Msg.COMMAND_NOT_FOUND)
        check_ready(device)
        return Text(Ack.COMMAND_SENT)

    def set_device(
        self,
        device_id: str,
        *,
        connection_state: str | None = None,
        reserved: bool | None = None,
        busy: bool | None = None,
    ) -> JSONObj:
        """Control plane: disconnect, reserve or busy a device (``opendoor`` then fails)."""
        device = self._store.devices.get(device_id)
        if device is None:
            raise SimError(400, Msg.DEVICE_NOT_FOUND)
        if connection_state is not None:
            if connection_state not in _STATES:
                raise SimError(400, Assumed.malformed("connectionState"))
            device.connection_state = _STATES[connection_state]
        if reserved is not None:
            device.reserved = reserved
        if busy is not None:
            device.busy = busy
        return {
            "id": device.device_id,
            "product": device.product,
            "account": device.account,
            "connectionState": device.connection_state,
            "reserved": device.reserved,
            "busy": device.busy,
        }


def check_ready(device: SimDevice) -> None:
    """A command reaches only a connected, free device."""
    if device.reserved:
        raise SimError(409, Msg.DEVICE_RESERVED)
    if device.connection_state != "connected":
        raise SimError(400, Msg.DEVICE_ERROR)
    if device.busy:
        raise SimError(400, Msg.DEVICE_BUSY)
