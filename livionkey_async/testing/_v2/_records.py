"""What the API v2 simulator holds, one mutable record per object, and each one's wire shape.

The shapes are ``types/api.ts``'s: ``Automat``, ``IloqKeyContract``, ``MechanicalKey``,
``MechanicalKeyContract``, ``Group``, ``OrganizationUnit``. Times are epoch seconds inside and
the wire's ISO-8601 with milliseconds outside.
"""

from __future__ import annotations

import math

from attrs import define, field
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .._wire import JSONObj, iso

__all__ = [
    "ContractKey",
    "SimAutomat",
    "SimGroup",
    "SimIloqContract",
    "SimIloqKey",
    "SimLocker",
    "SimMechanicalContract",
    "SimMechanicalKey",
    "SimOrganizationUnit",
    "SimServiceAccount",
    "contact_wire",
    "overlaps",
]

# Key states a contract's key goes through (webhooks.md's key-status states).
FETCHED = "key-fetched"
RETURNED = "key-returned"


def overlaps(a_start: float, a_end: float | None, b_start: float, b_end: float | None) -> bool:
    """Whether [a_start, a_end) and [b_start, b_end) meet (no end: for ever)."""
    return a_start < (math.inf if b_end is None else b_end) and b_start < (
        math.inf if a_end is None else a_end
    )


def contact_wire(contact: JSONObj | None, *, iloq: bool) -> JSONObj | None:
    """A stored contact as the API answers it: every field present, ``null`` when unset."""
    if contact is None:
        return None
    wire: JSONObj = {
        "name": contact.get("name"),
        "email": contact.get("email"),
        "phoneNumber": contact.get("phoneNumber"),
        "sendSms": bool(contact.get("sendSms", False)),
        "sendEmail": bool(contact.get("sendEmail", False)),
        "language": contact.get("language", "en"),
        "notifications": contact.get("notifications") or {},
    }
    if iloq:
        wire["iloqPersonId"] = contact.get("iloqPersonId")
    return wire


@define
class SimLocker:
    index: int
    key_id: str | None = None
    key_inside: bool = False


@define
class SimAutomat:
    id: str
    name: str
    product: str
    organization_unit_id: str
    address: str | None = None
    postal_code: str | None = None
    postal_office: str | None = None
    timezone: str | None = "Europe/Helsinki"
    label: str | None = None
    groups: list[str] = field(factory=list)
    hw_id: str | None = None
    installation_pincode: str | None = None
    lifecycle_state: str = "active"
    lockers: list[SimLocker] = field(factory=list)
    active_at: float | None = None  # an installed automat becomes active then

    def locker_of(self, key_id: str) -> SimLocker | None:
        return next((locker for locker in self.lockers if locker.key_id == key_id), None)

    def free_locker(self) -> SimLocker | None:
        return next((locker for locker in self.lockers if locker.key_id is None), None)

    def to_wire(self, group_names: dict[str, str], key_names: dict[str, str]) -> JSONObj:
        return {
            "id": self.id,
            "name": self.name,
            "location": {
                "address": self.address,
                "postalCode": self.postal_code,
                "postalOffice": self.postal_office,
            },
            "label": self.label,
            "groups": [{"id": g, "name": group_names.get(g, g)} for g in self.groups],
            "hwId": self.hw_id,
            "timezone": self.timezone,
            "installationPincode": self.installation_pincode,
            "lockers": [
                {
                    "lockerIndex": str(locker.index),
                    "isKeyInside": locker.key_inside,
                    "key": None
                    if locker.key_id is None
                    else {"id": locker.key_id, "name": key_names.get(locker.key_id, locker.key_id)},
                }
                for locker in self.lockers
            ],
            "lifecycleState": self.lifecycle_state,
        }


@define
class SimIloqKey:
    """An iLOQ S5 key: in an automat's locker, or out (with a guest, or not yet returned)."""

    id: str
    automat_id: str | None


@define
class ContractKey:
    """One key of a contract: where it is picked up or left, its pincode, how far it got."""

    id: str
    automat_id: str | None = None
    pincode: str | None = None
    manual_storage_info: str | None = None
    status: str | None = None
    in_history: bool = False


@define
class SimIloqContract:
    id: str
    contract_type: int
    start: float
    end: float | None
    access_right_ids: list[str]
    contact: JSONObj | None
    keys: list[ContractKey]
    number_of_keys: int | None
    key_ids: list[str] | None
    key_automat_id: str | None
    group_id: str | None
    created: int = 0

    def holds_keys(self) -> bool:
        """A handover reserves its keys for its time; a return-only contract reserves none."""
        return self.contract_type != 3

    def to_wire(self) -> JSONObj:
        return {
            "id": self.id,
            "accessRightIds": self.access_right_ids or None,
            "start": iso(self.start),
            "end": None if self.end is None else iso(self.end),
            "contact": contact_wire(self.contact, iloq=True),
            "keys": [
                {
                    "id": key.id,
                    "status": key.status,
                    "storageInfo": {"deviceId": key.automat_id, "pincode": key.pincode},
                    "inHistory": key.in_history,
                }
                for key in self.keys
            ],
            "numberOfKeys": self.number_of_keys,
            "keyIds": self.key_ids,
            "keyAutomatId": self.key_automat_id,
            "groupId": self.group_id,
            "contractType": self.contract_type,
        }


@define
class SimMechanicalKey:
    id: str
    organization_unit_id: str
    name: str | None = None
    rfid_hex: str | None = None
    automat_id: str | None = None  # selected storage: an automat ...
    manual_storage_info: str | None = None  # ... or a manual storage
    away: bool = False
    shared: bool = False

    def storage_wire(self) -> JSONObj:
        if self.automat_id is not None:
            return {"automatId": self.automat_id}
        return {"manualStorageInfo": self.manual_storage_info}

    def to_wire(self) -> JSONObj:
        storage = self.storage_wire()
        return {
            "id": self.id,
            "name": self.name,
            "organizationUnitId": self.organization_unit_id,
            "rfidHex": self.rfid_hex,
            "selectedStorage": storage,
            "storage": None if self.away else storage,
            "targetStorage": storage,
            "status": {"available": not self.away},
            "shared": self.shared,
        }


@define
class SimMechanicalContract:
    id: str
    start: float
    end: float | None
    contact: JSONObj
    keys: list[ContractKey]
    free_locker_after_fetch: bool | None = None
    user_verification: str | None = None
    pick_up_info: str | None = None
    created: int = 0

    def to_wire(self) -> JSONObj:
        keys: list[JSONObj] = []
        for key in self.keys:
            storage: JSONObj = (
                {"manualStorageInfo": key.manual_storage_info}
                if key.manual_storage_info is not None
                else {"pincode": key.pincode, "automatId": key.automat_id}
            )
            keys.append(
                {
                    "id": key.id,
                    "storageInfo": storage,
                    "status": key.status,
                    "inHistory": key.in_history,
                }
            )
        return {
            "id": self.id,
            "start": iso(self.start),
            "end": None if self.end is None else iso(self.end),
            "contact": contact_wire(self.contact, iloq=False),
            "keys": keys,
            "freeLockerAfterFetch": self.free_locker_after_fetch,
            "userVerification": self.user_verification or "0",
            "pickUpInfoForManualStorageKeys": self.pick_up_info,
        }


@define
class SimGroup:
    id: str
    name: str
    customer_id: str | None
    type: int


@define
class SimOrganizationUnit:
    id: str
    name: str
    customer_id: str | None
    type: int
    parent_id: str | None = None
    iloq_api_user: JSONObj | None = None

    def to_wire(self) -> JSONObj:
        return {
            "id": self.id,
            "name": self.name,
            "customerId": self.customer_id,
            "iloqApiUser": self.iloq_api_user,
            "parentId": self.parent_id,
            "type": self.type,
        }


@define
class SimServiceAccount:
    id: str
    name: str
    organization_unit_id: str
    public_key: RSAPublicKey = field(repr=False)
    role: str = "integration"
