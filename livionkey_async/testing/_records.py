"""The simulated service's records: devices, keys, key events, contracts and keypad access
rights, and their wire views.

Plain mutable data with the few questions only a record can answer (which locker is free, do two
contracts overlap) and how each looks on the wire: in the shapes of Livion's published examples
(``perm`` and ``freeText`` as ``null`` when not set, ``recurrent`` as an array, a contact's
``name`` when given, a key event's ``attachment`` as ``[null]``). Who may change them, and how,
is in the rule modules.
"""

from __future__ import annotations

import math

from attrs import define, field, frozen

from ._vocabulary import LOCKERS
from ._wire import JSONObj, iso

__all__ = [
    "Contact",
    "ContractDevice",
    "KeyEvent",
    "SimAccessRight",
    "SimContract",
    "SimDevice",
    "SimKey",
]


@define(kw_only=True)
class KeyEvent:
    """One key status event (``GET /keys/{keyId}/status`` answers the latest)."""

    event_id: str
    timestamp: float
    action: str
    device_id: str
    key_id: str
    locker_index: int
    tag: str
    before_key: str | None
    after_key: str | None

    def to_wire(self) -> JSONObj:
        before: JSONObj | None = None
        if self.action != "key-added":
            before = {"lockerIndex": self.locker_index, "keyId": self.before_key}
        state = "lockerWithKey" if self.after_key else "emptyLocker"
        return {
            "id": self.event_id,
            "timestamp": iso(self.timestamp),
            "tag": [self.tag],
            "source": "device",
            "sourceId": self.device_id,
            "action": self.action,
            "data": {
                "before": before,
                "after": {"lockerIndex": self.locker_index, "keyId": self.after_key},
                "text": f'key status: "{state}" => event: "{self.action}"',
                "value": self.action,
                "sourceTime": iso(self.timestamp),
                "attachment": [None],
            },
        }


@define(kw_only=True)
class SimKey:
    """A physical key hung in one locker of one device."""

    key_id: str
    device_id: str
    key_name: str
    locker_index: int
    shared: bool = False
    key_code: str | None = field(default=None, repr=False)
    backup_codes: list[str] = field(factory=list, repr=False)
    inside: bool = True
    events: list[KeyEvent] = field(factory=list, repr=False)


@define(kw_only=True)
class SimDevice:
    """An automat: its product decides how many lockers it has and whether V1 serves it."""

    device_id: str
    account: str
    product: str
    name: str
    tag: str
    connection_state: str = "connected"
    synced_at: float = 0.0
    reserved: bool = False
    busy: bool = False
    keys: dict[str, SimKey] = field(factory=dict)

    @property
    def lockers(self) -> int:
        return LOCKERS[self.product]

    def key_in_locker(self, index: int) -> SimKey | None:
        for key in self.keys.values():
            if key.locker_index == index:
                return key
        return None

    def free_locker(self) -> int | None:
        taken = {k.locker_index for k in self.keys.values()}
        return next((i for i in range(self.lockers) if i not in taken), None)


@frozen
class ContractDevice:
    """One key of one device that a contract gives access to."""

    device_id: str
    key_id: str
    product: str


@frozen(kw_only=True)
class Contact:
    """Who the service notifies about a contract, and how."""

    email: str | None = None
    phone_number: str | None = None
    send_sms: bool = False
    send_email: bool = False
    language: str = "en-gb"
    name: str | None = None

    def to_wire(self) -> JSONObj:
        named: JSONObj = {} if self.name is None else {"name": self.name}
        return {
            **named,
            "email": self.email,
            "phoneNumber": self.phone_number,
            "sendEmail": self.send_email,
            "sendSms": self.send_sms,
            "language": self.language,
        }


@define(kw_only=True)
class SimContract:
    """A contract: who may fetch which keys, when, with which pincode."""

    object_id: str
    contract_id: str
    account: str
    devices: list[ContractDevice]
    pincode: str = field(repr=False)
    start: float
    end: float | None
    perm: bool | None
    person: str = field(repr=False)
    contacts: list[Contact] = field(repr=False)
    free_text: str | None = field(default=None, repr=False)
    tag: list[str] = field(factory=list)
    contract_type: str = "default"  # kept, but no answer of Livion's shows it
    recurrent: list[JSONObj] = field(factory=list)
    created_at: float = 0.0
    seq: int = 0

    def live(self, now: float) -> bool:
        return self.end is None or self.end > now

    def overlaps(self, start: float, end: float | None) -> bool:
        mine_end = math.inf if self.end is None else self.end
        theirs_end = math.inf if end is None else end
        return self.start < theirs_end and start < mine_end

    def to_wire(self, *, with_id: bool = True) -> JSONObj:
        """The contract as listings show it; ``with_id=False`` as ``GET /contracts/{id}`` and
        ``GET /keys/{id}`` show it (Livion's examples leave the object id out there)."""
        head: JSONObj = {"id": self.object_id} if with_id else {}
        return {
            **head,
            "contractId": self.contract_id,
            "keyId": self.devices[0].key_id if self.devices else None,
            "devices": [
                {"id": d.device_id, "keyId": d.key_id, "product": d.product} for d in self.devices
            ],
            "pincode": self.pincode,
            "start": iso(self.start),
            "end": None if self.end is None else iso(self.end),
            "perm": self.perm,
            "person": self.person,
            "contacts": [c.to_wire() for c in self.contacts],
            "freeText": self.free_text,
            "tag": self.tag,
            "recurrent": self.recurrent,
        }


@define(kw_only=True)
class SimAccessRight:
    """A keypad access right: who may open the keypad's lock with which pincode, and when."""

    object_id: str
    access_right_id: str
    account: str
    device_ids: list[str]
    pincode: str = field(repr=False)
    start: float
    end: float | None
    perm: bool | None
    person: str = field(repr=False)
    contacts: list[Contact] = field(repr=False)
    free_text: str | None = field(default=None, repr=False)
    tag: list[str] = field(factory=list)
    recurrent: list[JSONObj] = field(factory=list)

    def live(self, now: float) -> bool:
        return self.end is None or self.end > now

    def to_wire(self, *, listing: bool = True) -> JSONObj:
        """As ``GET /devices/{id}/accessrights`` shows it; ``listing=False`` as
        ``GET /accessrights/{id}`` does (its example names the reference ``contractId``)."""
        return {
            "id": self.object_id,
            ("accessRightId" if listing else "contractId"): self.access_right_id,
            "devices": [{"id": device_id} for device_id in self.device_ids],
            "pincode": self.pincode,
            "start": iso(self.start),
            "end": None if self.end is None else iso(self.end),
            "perm": self.perm,
            "person": self.person,
            "contacts": [c.to_wire() for c in self.contacts],
            "freeText": self.free_text,
            "tag": self.tag,
            "recurrent": self.recurrent,
        }
