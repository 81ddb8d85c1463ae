"""Local checks of what the caller asks for, run before anything is sent.

A request the server would refuse for its shape alone is refused here instead, with a
``ValidationError`` that names the field: it costs no request, no rate-limit token and, in a
bulk job, fails only its own item. Every field is first checked against its annotation
(``_typed_fields``), then against the rules below. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from ._arguments import check_aware, check_id
from ._assumptions import PINCODE_PATTERN
from ._errors import ValidationError
from ._models import (
    AccessRightUpdate,
    Contact,
    ContractUpdate,
    KeyRef,
    NewAccessRight,
    NewContract,
    NewKey,
    Recurrence,
)
from ._typed_fields import check_fields

__all__ = [
    "check_aware",
    "check_device_ids",
    "check_id",
    "validate_access_right_update",
    "validate_contract_update",
    "validate_new_access_right",
    "validate_new_contract",
    "validate_new_key",
]

_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _check_keys(keys: Iterable[KeyRef]) -> None:
    refs = tuple(keys)
    if not refs:
        raise ValidationError("keys must name at least one KeyRef(device_id, key_id)")
    for ref in refs:
        check_id("KeyRef.device_id", ref.device_id)
        check_id("KeyRef.key_id", ref.key_id)


def check_device_ids(device_ids: Iterable[str]) -> None:
    """A keypad call names at least one device, each a valid id."""
    ids = tuple(device_ids)
    if not ids:
        raise ValidationError("device_ids must name at least one keypad")
    for device_id in ids:
        check_id("device_ids", device_id)


def _check_recurrent(recurrent: Iterable[Recurrence] | None) -> None:
    for item in recurrent or ():
        for name in ("start_time", "end_time"):
            if not _CLOCK_TIME.fullmatch(getattr(item, name)):
                raise ValidationError(f"Recurrence.{name} must be a time of day as 'HH:MM'")
        if not item.days <= frozenset(range(7)):
            raise ValidationError("Recurrence.days are numbered 0 to 6")


def _check_contacts(contacts: Iterable[Contact]) -> None:
    for contact in contacts:
        if contact.send_email and not contact.email:
            raise ValidationError("a contact with send_email needs an email")
        if contact.send_sms and not contact.phone_number:
            raise ValidationError("a contact with send_sms needs a phone_number")


def _check_pincode(pincode: str | None) -> None:
    if pincode is not None and not PINCODE_PATTERN.fullmatch(pincode):
        raise ValidationError("pincode must be 4 to 8 digits")


def _check_window(start: datetime | None, end: datetime | None, perm: bool | None) -> None:
    if perm and end is not None:
        raise ValidationError("a permanent contract (perm=True) has no end")
    if start is not None and end is not None and end <= start:
        raise ValidationError("end must be after start")


def validate_new_contract(spec: NewContract, name: str = "contract") -> None:
    """Raise ``ValidationError`` when ``spec`` cannot be a valid contract."""
    check_fields(name, spec, NewContract)
    check_id("contract_id", spec.contract_id)
    _check_keys(spec.keys)
    if not spec.person.strip():
        raise ValidationError("person must be a non-empty string")
    _check_window(spec.start, spec.end, spec.perm)
    if spec.type == "return" and spec.end is None:
        raise ValidationError("a 'return' contract needs an end")
    _check_contacts(spec.contacts)
    _check_pincode(spec.pincode)
    _check_recurrent(spec.recurrent)


def validate_contract_update(update: ContractUpdate, name: str = "update") -> None:
    """Raise ``ValidationError`` when ``update`` cannot be applied to any contract."""
    check_fields(name, update, ContractUpdate)
    _check_keys(update.keys)
    _check_window(update.start, update.end, update.perm)
    if update.person is not None and not update.person.strip():
        raise ValidationError("person must not be empty")
    if update.contacts is not None:
        _check_contacts(update.contacts)
    _check_pincode(update.pincode)
    _check_recurrent(update.recurrent)


def validate_new_key(spec: NewKey, name: str = "key") -> None:
    """Raise ``ValidationError`` when ``spec`` cannot be a valid key."""
    check_fields(name, spec, NewKey)
    check_id("key_id", spec.key_id)
    check_id("device_id", spec.device_id)
    if not spec.name.strip():
        raise ValidationError("name must be a non-empty string")
    if spec.locker_index is not None and spec.locker_index < 0:
        raise ValidationError("locker_index must be a non-negative integer")


def validate_new_access_right(spec: NewAccessRight, name: str = "access_right") -> None:
    """Raise ``ValidationError`` when ``spec`` cannot be a valid keypad access right."""
    check_fields(name, spec, NewAccessRight)
    check_id("access_right_id", spec.access_right_id)
    check_device_ids(spec.device_ids)
    if not spec.person.strip():
        raise ValidationError("person must be a non-empty string")
    _check_window(spec.start, spec.end, spec.perm)
    _check_contacts(spec.contacts)
    _check_pincode(spec.pincode)
    _check_recurrent(spec.recurrent)


def validate_access_right_update(update: AccessRightUpdate, name: str = "update") -> None:
    """Raise ``ValidationError`` when ``update`` cannot be applied to any access right."""
    check_fields(name, update, AccessRightUpdate)
    check_device_ids(update.device_ids)
    _check_window(update.start, update.end, update.perm)
    if update.end is None and not update.perm:
        raise ValidationError("an access right update needs an end, or perm=True")
    if update.person is not None and not update.person.strip():
        raise ValidationError("person must not be empty")
    if update.contacts is not None:
        _check_contacts(update.contacts)
    _check_pincode(update.pincode)
    _check_recurrent(update.recurrent)
