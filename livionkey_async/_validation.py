"""Local checks of what the caller asks for, run before anything is sent.

A request the server would refuse for its shape alone is refused here instead, with a
``ValidationError`` that names the field: it costs no request, no rate-limit token and, in a
bulk job, fails only its own item. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import get_args

from ._assumptions import PINCODE_PATTERN
from ._errors import ValidationError
from ._models import (
    AccessRightUpdate,
    Contact,
    ContractUpdate,
    KeyRef,
    Language,
    NewAccessRight,
    NewContract,
    NewKey,
    Recurrence,
)

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

_LANGUAGES = frozenset(get_args(Language))
_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def check_aware(name: str, value: datetime | None) -> None:
    """A naive datetime is ambiguous: refuse it rather than guess its zone."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValidationError(
            f"{name} must be a timezone-aware datetime (for example datetime(..., tzinfo=UTC))"
        )


def check_id(name: str, value: object) -> None:
    """Ids go into URL paths: they must be non-empty strings without a slash."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string")
    if "/" in value or "?" in value or "#" in value or value.strip(".") == "":
        raise ValidationError(f"{name} must not contain '/', '?' or '#', nor be '.' or '..'")


def _check_keys(keys: Iterable[KeyRef]) -> None:
    refs = tuple(keys)
    if not refs:
        raise ValidationError("keys must name at least one KeyRef(device_id, key_id)")
    for ref in refs:
        if not isinstance(ref, KeyRef):
            raise ValidationError(f"keys must hold KeyRef objects, not {type(ref).__name__}")
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
        if not isinstance(item, Recurrence):
            raise ValidationError(
                f"recurrent must hold Recurrence objects, not {type(item).__name__}"
            )
        for name in ("start_time", "end_time"):
            value = getattr(item, name)
            if not isinstance(value, str) or not _CLOCK_TIME.fullmatch(value):
                raise ValidationError(f"Recurrence.{name} must be a time of day as 'HH:MM'")
        if not item.days <= frozenset(range(7)):
            raise ValidationError("Recurrence.days are numbered 0 to 6")


def _check_contacts(contacts: Iterable[Contact]) -> None:
    for contact in contacts:
        if not isinstance(contact, Contact):
            raise ValidationError(
                f"contacts must hold Contact objects, not {type(contact).__name__}"
            )
        if contact.language is not None and contact.language not in _LANGUAGES:
            raise ValidationError(
                f"contact language {contact.language!r} is not one of {sorted(_LANGUAGES)}"
            )
        if contact.send_email and not contact.email:
            raise ValidationError("a contact with send_email needs an email")
        if contact.send_sms and not contact.phone_number:
            raise ValidationError("a contact with send_sms needs a phone_number")


def _check_pincode(pincode: str | None) -> None:
    if pincode is not None and not PINCODE_PATTERN.fullmatch(pincode):
        raise ValidationError("pincode must be 4 to 8 digits")


def _check_window(start: datetime | None, end: datetime | None, perm: bool | None) -> None:
    check_aware("start", start)
    check_aware("end", end)
    if perm and end is not None:
        raise ValidationError("a permanent contract (perm=True) has no end")
    if start is not None and end is not None and end <= start:
        raise ValidationError("end must be after start")


def validate_new_contract(spec: NewContract) -> None:
    """Raise ``ValidationError`` when ``spec`` cannot be a valid contract."""
    if not isinstance(spec, NewContract):
        raise ValidationError(f"expected a NewContract, not {type(spec).__name__}")
    check_id("contract_id", spec.contract_id)
    _check_keys(spec.keys)
    if not isinstance(spec.person, str) or not spec.person.strip():
        raise ValidationError("person must be a non-empty string")
    if not isinstance(spec.start, datetime):
        raise ValidationError("start is required and must be a datetime")
    _check_window(spec.start, spec.end, spec.perm)
    if spec.type not in ("default", "fetch", "return"):
        raise ValidationError("type must be 'default', 'fetch' or 'return'")
    if spec.type == "return" and spec.end is None:
        raise ValidationError("a 'return' contract needs an end")
    _check_contacts(spec.contacts)
    _check_pincode(spec.pincode)
    _check_recurrent(spec.recurrent)


def validate_contract_update(update: ContractUpdate) -> None:
    """Raise ``ValidationError`` when ``update`` cannot be applied to any contract."""
    if not isinstance(update, ContractUpdate):
        raise ValidationError(f"expected a ContractUpdate, not {type(update).__name__}")
    _check_keys(update.keys)
    _check_window(update.start, update.end, update.perm)
    if update.person is not None and not update.person.strip():
        raise ValidationError("person must not be empty")
    if update.contacts is not None:
        _check_contacts(update.contacts)
    _check_pincode(update.pincode)
    _check_recurrent(update.recurrent)


def validate_new_key(spec: NewKey) -> None:
    """Raise ``ValidationError`` when ``spec`` cannot be a valid key."""
    if not isinstance(spec, NewKey):
        raise ValidationError(f"expected a NewKey, not {type(spec).__name__}")
    check_id("key_id", spec.key_id)
    check_id("device_id", spec.device_id)
    if not isinstance(spec.name, str) or not spec.name.strip():
        raise ValidationError("name must be a non-empty string")
    if spec.locker_index is not None and (
        isinstance(spec.locker_index, bool) or spec.locker_index < 0
    ):
        raise ValidationError("locker_index must be a non-negative integer")


def validate_new_access_right(spec: NewAccessRight) -> None:
    """Raise ``ValidationError`` when ``spec`` cannot be a valid keypad access right."""
    if not isinstance(spec, NewAccessRight):
        raise ValidationError(f"expected a NewAccessRight, not {type(spec).__name__}")
    check_id("access_right_id", spec.access_right_id)
    check_device_ids(spec.device_ids)
    if not isinstance(spec.person, str) or not spec.person.strip():
        raise ValidationError("person must be a non-empty string")
    if not isinstance(spec.start, datetime):
        raise ValidationError("start is required and must be a datetime")
    _check_window(spec.start, spec.end, spec.perm)
    _check_contacts(spec.contacts)
    _check_pincode(spec.pincode)
    _check_recurrent(spec.recurrent)


def validate_access_right_update(update: AccessRightUpdate) -> None:
    """Raise ``ValidationError`` when ``update`` cannot be applied to any access right."""
    if not isinstance(update, AccessRightUpdate):
        raise ValidationError(f"expected an AccessRightUpdate, not {type(update).__name__}")
    check_device_ids(update.device_ids)
    if not isinstance(update.start, datetime):
        raise ValidationError("start is required on every access right update")
    _check_window(update.start, update.end, update.perm)
    if update.end is None and not update.perm:
        raise ValidationError("an access right update needs an end, or perm=True")
    if update.person is not None and not update.person.strip():
        raise ValidationError("person must not be empty")
    if update.contacts is not None:
        _check_contacts(update.contacts)
    _check_pincode(update.pincode)
    _check_recurrent(update.recurrent)
