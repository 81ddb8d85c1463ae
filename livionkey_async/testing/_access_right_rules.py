"""The LivionKeyPad routes: keypad access rights (``/accessrights``) and a keypad's own
``/devices/{id}/accessrights`` and ``unlock``.

Answers in Livion's words (``apidoc-livionkeypad``): an empty body is ``Missing accessRight
parameters``, a taken reference ``AccessId already in use``, a device that is not a keypad
``Device is not a keypad``, a pincode in use ``Pincode already used in existing accessRights``,
an unknown access right ``AccessRight not found`` (``Delete accessRight failed`` on ``DELETE``);
updates answer ``AccessRight updated``, deletes ``AccessRight deleted successfully``, a pincode
regeneration the bare JSON string of the new pincode. ``GET /accessrights/{id}`` names the
reference ``contractId`` and the keypad's listing ``accessRightId``, as the two examples do.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._assumptions import Assumed
from ._config import SimConfig
from ._messages import Ack, Msg, SimError
from ._parse import (
    opt_bool,
    opt_str,
    parse_body,
    parse_contacts,
    parse_date,
    parse_pincode,
    parse_recurrent,
    require,
    require_str,
    truthy,
)
from ._records import SimAccessRight, SimDevice
from ._store import SimStore
from ._wire import JSONObj, Text

__all__ = ["AccessRightRules"]

_DAY = 86400.0


class AccessRightRules:
    """Answers the keypad routes from the store."""

    def __init__(self, store: SimStore, config: SimConfig) -> None:
        self._store = store
        self._config = config

    # ------------------------------------------------------------------ reading the body

    def _keypads(self, account: str, value: object) -> list[SimDevice]:
        if value is None or value == []:
            raise SimError(400, Msg.NO_DEVICES)
        if not isinstance(value, list):
            raise SimError(400, Assumed.malformed("devices"))
        keypads: list[SimDevice] = []
        for item in value:
            if not isinstance(item, dict):
                raise SimError(400, Assumed.malformed("devices"))
            device_id = require_str(item, "id", Msg.missing("deviceId"))
            device = self._store.device(account, device_id, v1=False)
            if device.product != "keypad":
                raise SimError(400, Msg.NOT_A_KEYPAD)
            keypads.append(device)
        return keypads

    def _window(
        self, fields: Mapping[str, object], now: float, previous: SimAccessRight | None
    ) -> tuple[float, float | None, bool | None]:
        start = parse_date(require(fields, "start"), "start")
        perm = opt_bool(fields, "perm")
        end = None
        if not perm:
            end = parse_date(require(fields, "end"), "end")
            if start >= end:
                raise SimError(400, Msg.START_BEFORE_END)
        unchanged = previous is not None and start == previous.start
        if not unchanged and start <= now - self._config.start_grace:
            raise SimError(400, Msg.START_IN_FUTURE)
        if opt_bool(fields, "modifyTime") is not False:
            start = start - start % _DAY
            end = None if end is None else end - end % _DAY + _DAY - 0.001
        return start, end, perm

    def _pincode(self, account: str, wanted: str | None, now: float, skip: str | None) -> str:
        taken = {
            right.pincode
            for right in self._store.access_rights.values()
            if right.account == account and right.object_id != skip and right.live(now)
        }
        if wanted is not None:
            if wanted in taken:
                raise SimError(400, Msg.ACCESS_RIGHT_PINCODE_USED)
            return wanted
        while True:
            pincode = f"{self._store.rng.randrange(10**6):06d}"
            if pincode not in taken:
                return pincode

    def _right(self, account: str, object_id: str, missing: str) -> SimAccessRight:
        right = self._store.access_rights.get(object_id)
        if right is None:
            raise SimError(400, missing)
        if right.account != account:
            raise self._store.not_authorized()
        return right

    # ------------------------------------------------------------------ the routes

    def create(self, account: str, body: object) -> JSONObj:
        """``POST /accessrights``: answer ``{id, pincode}`` or the documented refusal."""
        fields = parse_body(body, Msg.MISSING_ACCESS_RIGHT_PARAMETERS)
        access_right_id = require_str(fields, "accessRightId")
        person = require_str(fields, "person")
        contacts = parse_contacts(require(fields, "contacts"))
        store = self._store
        now = store.clock()
        start, end, perm = self._window(fields, now, None)
        keypads = self._keypads(account, fields.get("devices"))
        if any(
            r.account == account and r.access_right_id == access_right_id
            for r in store.access_rights.values()
        ):
            raise SimError(400, Msg.ACCESS_ID_IN_USE)
        right = SimAccessRight(
            object_id=store.object_id(now),
            access_right_id=access_right_id,
            account=account,
            device_ids=[d.device_id for d in keypads],
            pincode=self._pincode(account, parse_pincode(fields.get("pincode")), now, None),
            start=start,
            end=end,
            perm=perm,
            person=person,
            contacts=contacts,
            free_text=opt_str(fields, "freeText"),
            tag=list(dict.fromkeys(d.tag for d in keypads)),
            recurrent=parse_recurrent(fields.get("recurrent")),
        )
        store.access_rights[right.object_id] = right
        return {"id": right.object_id, "pincode": right.pincode}

    def get(self, account: str, object_id: str) -> JSONObj:
        return self._right(account, object_id, Msg.ACCESS_RIGHT_NOT_FOUND).to_wire(listing=False)

    def update(self, account: str, object_id: str, body: object) -> Text:
        """``POST /accessrights/{id}``: ``devices``, ``start`` and ``end`` (or ``perm``)."""
        fields = parse_body(body, Msg.MISSING_ACCESS_RIGHT_PARAMETERS)
        right = self._right(account, object_id, Msg.ACCESS_RIGHT_NOT_FOUND)
        now = self._store.clock()
        keypads = self._keypads(account, fields.get("devices"))
        start, end, perm = self._window(fields, now, right)
        pincode = right.pincode
        wanted = parse_pincode(fields.get("pincode"))
        if wanted is not None and wanted != right.pincode:
            pincode = self._pincode(account, wanted, now, right.object_id)
        right.device_ids = [d.device_id for d in keypads]
        right.start, right.end, right.perm, right.pincode = start, end, perm, pincode
        if truthy(fields.get("person")):
            right.person = require_str(fields, "person")
        if fields.get("contacts") is not None:
            right.contacts = parse_contacts(fields["contacts"])
        if "freeText" in fields:
            right.free_text = opt_str(fields, "freeText")
        if fields.get("recurrent") is not None:
            right.recurrent = parse_recurrent(fields["recurrent"])
        return Text(Ack.ACCESS_RIGHT_UPDATED)

    def regenerate_pincode(self, account: str, object_id: str, body: object) -> str:
        fields = parse_body(body, Msg.NO_DEVICES)
        right = self._right(account, object_id, Msg.ACCESS_RIGHT_NOT_FOUND)
        self._keypads(account, fields.get("devices"))
        right.pincode = self._pincode(account, None, self._store.clock(), right.object_id)
        return right.pincode

    def delete(self, account: str, object_id: str) -> Text:
        right = self._right(account, object_id, Msg.DELETE_ACCESS_RIGHT_FAILED)
        del self._store.access_rights[right.object_id]
        return Text(Ack.ACCESS_RIGHT_DELETED)

    def device_access_rights(self, account: str, device_id: str) -> list[JSONObj]:
        device = self._store.device(account, device_id, v1=False, missing=Msg.NO_DEVICES)
        if device.product != "keypad":
            raise SimError(400, Msg.NO_DEVICES)
        return [
            right.to_wire()
            for right in self._store.access_rights.values()
            if device.device_id in right.device_ids
        ]
