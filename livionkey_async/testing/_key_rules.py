"""The ``/keys`` routes: hang, change, remove and look up keys, their status and backup codes.

Also the control plane's key actions (the person fetched or returned a key), since they only
change what these routes answer.

Answers in Livion's words: ``POST /keys`` refuses a missing field with ``keyId is required``
or ``deviceId is required`` and an unknown device with ``no such device``; ``POST /keys/{keyId}``
answers ``Key updated``, ``DELETE`` ``Key deleted``, backup-code regeneration ``backup codes
updated`` (not the codes); ``DELETE`` and ``status`` without ``deviceId`` answer ``Missing
deviceId from query parameters``; ``GET /keys/{keyId}`` answers the key wrapped in an array, its
contracts without their object ids, as Livion's example does.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

from ._messages import Ack, Msg, SimError
from ._parse import opt_bool, opt_locker_index, opt_str, parse_body, require_str
from ._records import SimDevice, SimKey
from ._store import SimStore
from ._vocabulary import KEY_ACTIONS, V1_PRODUCTS
from ._wire import JSONObj, Text, iso

__all__ = ["KeyRules"]


class KeyRules:
    """Answers the ``/keys`` routes from the store."""

    def __init__(self, store: SimStore) -> None:
        self._store = store

    def create_key(self, account: str, body: object) -> JSONObj:
        """``POST /keys``: hang a new key, in the locker asked for or the first free one."""
        fields = parse_body(body)
        device_id = require_str(fields, "deviceId", Msg.required("deviceId"))
        key_id = require_str(fields, "keyId", Msg.required("keyId"))
        key_name = require_str(fields, "keyName", Msg.required("keyName"))
        key_code = opt_str(fields, "keyCode")
        shared = opt_bool(fields, "shared")
        opt_bool(fields, "checkLockerStatus")
        index = opt_locker_index(fields)
        store = self._store
        device = store.device(account, device_id, missing=Msg.NO_SUCH_DEVICE)
        if key_id in device.keys:
            raise SimError(400, Msg.KEY_EXISTS)
        index = self._allocate(device, index, None)
        store.add_key(
            device,
            key_id=key_id,
            key_name=key_name,
            locker_index=index,
            shared=bool(shared),
            key_code=key_code,
            now=store.clock(),
        )
        return {"lockerIndex": index}

    @staticmethod
    def _allocate(device: SimDevice, wanted: int | None, moving: SimKey | None) -> int:
        if wanted is None:
            free = device.free_locker()
            if free is None:
                raise SimError(400, Msg.NO_FREE_LOCKERS)
            return free
        if wanted >= device.lockers:
            raise SimError(400, Msg.LOCKER_INDEX_TOO_BIG)
        holder = device.key_in_locker(wanted)
        if holder is not None and holder is not moving:
            raise SimError(400, Msg.NO_FREE_LOCKERS)
        return wanted

    def update_key(self, account: str, key_id: str, body: object) -> Text:
        """``POST /keys/{keyId}``: rename, recode, move or (un)share a key."""
        fields = parse_body(body)
        device_id = require_str(fields, "deviceId", Msg.required("deviceId"))
        key_name = opt_str(fields, "keyName")
        key_code = opt_str(fields, "keyCode")
        shared = opt_bool(fields, "shared")
        opt_bool(fields, "checkLockerStatus")
        index = opt_locker_index(fields)
        store = self._store
        device = store.device(account, device_id, missing=Msg.NO_SUCH_DEVICE)
        key = store.key(device, key_id)
        new_index = key.locker_index if index is None else self._allocate(device, index, key)
        if shared is False and key.shared:
            mine = store.key_contracts(key)
            for i, a in enumerate(mine):
                if any(a.overlaps(b.start, b.end) for b in mine[i + 1 :]):
                    raise SimError(400, Msg.OVERLAP)
        key.locker_index = new_index
        if key_name:
            key.key_name = key_name
        if key_code is not None:
            key.key_code = key_code
        if shared is not None:
            key.shared = shared
        return Text(Ack.KEY_UPDATED)

    def delete_key(self, account: str, key_id: str, device_id: str | None) -> Text:
        if not device_id:
            raise SimError(400, Msg.MISSING_DEVICE_ID_QUERY)
        store = self._store
        device = store.device(account, device_id, missing=Msg.NO_SUCH_KEY)
        store.key(device, key_id)
        del device.keys[key_id]
        return Text(Ack.KEY_DELETED)

    def get_key(
        self, account: str, key_id: str, *, device_id: str | None = None, key_status: bool = False
    ) -> list[JSONObj]:
        """``GET /keys/{keyId}``: the key with its contracts, wrapped in an array."""
        store = self._store
        if device_id:
            key = store.key(store.device(account, device_id, missing=Msg.NO_SUCH_KEY), key_id)
        else:
            found = [
                store.devices[d].keys[key_id]
                for d in store.accounts[account]
                if store.devices[d].product in V1_PRODUCTS and key_id in store.devices[d].keys
            ]
            if not found:
                raise SimError(400, Msg.NO_SUCH_KEY)
            key = found[0]
        contracts: list[JSONObj] = []
        for contract in store.key_contracts(key):
            wire = contract.to_wire(with_id=False)
            if key_status and key.events:
                latest = key.events[-1]
                wire["keyStatus"] = {"action": latest.action, "timestamp": iso(latest.timestamp)}
            contracts.append(wire)
        return [
            {
                "keyId": key.key_id,
                "deviceId": key.device_id,
                "keyName": key.key_name,
                "keyCode": key.key_code,
                "lockerIndex": key.locker_index,
                "shared": key.shared,
                "backupCodes": list(key.backup_codes),
                "contracts": contracts,
            }
        ]

    def key_status(self, account: str, key_id: str, device_id: str | None) -> JSONObj:
        if not device_id:
            raise SimError(400, Msg.MISSING_DEVICE_ID_QUERY)
        store = self._store
        key = store.key(store.device(account, device_id, missing=Msg.NO_SUCH_KEY), key_id)
        return key.events[-1].to_wire()

    def regenerate_backup_codes(self, account: str, key_id: str, body: object) -> Text:
        fields = parse_body(body)
        device_id = require_str(fields, "deviceId", Msg.required("deviceId"))
        store = self._store
        key = store.key(store.device(account, device_id, missing=Msg.NO_SUCH_DEVICE), key_id)
        key.backup_codes = store.backup_codes()
        return Text(Ack.BACKUP_CODES_UPDATED)

    def key_action(self, device_id: str, key_id: str, action: str) -> JSONObj:
        """Control plane: the person fetched or returned a key (or failed to return it)."""
        if action not in KEY_ACTIONS[1:]:
            raise SimError(400, f"unknown key action {action!r}")
        store = self._store
        device = store.devices.get(device_id)
        if device is None or device.product not in V1_PRODUCTS:
            raise SimError(400, Msg.DEVICE_NOT_FOUND)
        key = store.key(device, key_id)
        if action == "key-fetched":
            key.inside = False
        elif action == "key-returned":
            key.inside = True
        return store.event(device, key, action, store.clock()).to_wire()
