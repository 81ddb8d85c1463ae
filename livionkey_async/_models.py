"""Typed models of every object LivionKey sends or accepts.

Frozen attrs classes, so a result can be shared between coroutines without copying. Secrets
(pincodes, key codes, backup codes, tokens) are kept out of every ``repr``. Conversion to and
from the wire lives in ``_convert``; local checks of what the caller asked for in ``_validation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, TypeVar

import attrs

from ._errors import ValidationError

__all__ = [
    "AccessRight",
    "AccessRightUpdate",
    "Contact",
    "Contract",
    "ContractType",
    "ContractUpdate",
    "CreatedAccessRight",
    "CreatedContract",
    "CreatedKey",
    "Device",
    "DevicePage",
    "Key",
    "KeyEvent",
    "KeyEventData",
    "KeyPosition",
    "KeyRef",
    "KeyStatus",
    "Language",
    "Locker",
    "LockerKey",
    "LoginResult",
    "NewAccessRight",
    "NewContract",
    "NewKey",
    "PageInfo",
    "Recurrence",
    "SyncState",
]

T = TypeVar("T")

Language = Literal["fi-fi", "en-gb", "swe-swe", "no-no", "da-da"]
ContractType = Literal["default", "fetch", "return"]


def _strings(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``tag`` arrives as a string, a list of strings or nothing: always a tuple here."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def _tuple(name: str, value: Iterable[T]) -> tuple[T, ...]:
    """``value`` as a tuple; one that is not iterable is a ``ValidationError`` naming the field
    (what each item must be, ``_typed_fields`` checks before anything is sent)."""
    try:
        return tuple(value)
    except TypeError:
        raise ValidationError(f"{name} must be a sequence, not {type(value).__name__}") from None


def _keyrefs(value: Iterable[KeyRef]) -> tuple[KeyRef, ...]:
    return _tuple("keys", value)


def _contacts(value: Iterable[Contact]) -> tuple[Contact, ...]:
    return _tuple("contacts", value)


def _optional_contacts(value: Iterable[Contact] | None) -> tuple[Contact, ...] | None:
    return None if value is None else _tuple("contacts", value)


def _recurrences(value: Iterable[Recurrence]) -> tuple[Recurrence, ...]:
    return _tuple("recurrent", value)


def _optional_recurrences(value: Iterable[Recurrence] | None) -> tuple[Recurrence, ...] | None:
    return None if value is None else _tuple("recurrent", value)


def _ids(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else _tuple("device_ids", value)


def _days(value: Iterable[int]) -> frozenset[int]:
    try:
        return frozenset(value)
    except TypeError:
        raise ValidationError(f"days must be a set of day numbers, not {value!r:.40}") from None


@attrs.frozen
class KeyRef:
    """One key in one automat: what a contract gives access to."""

    device_id: str
    key_id: str


@attrs.frozen
class Contact:
    """Who Livion notifies about a contract, and how (``name``: how the message addresses them)."""

    email: str | None = None
    phone_number: str | None = None
    send_sms: bool | None = None
    send_email: bool | None = None
    language: Language | None = None
    name: str | None = None


@attrs.frozen
class Recurrence:
    """A weekly schedule within a contract's window: valid on ``days`` (0 to 6, numbered as
    Livion numbers them) between ``start_time`` and ``end_time`` (``"08:00"``, ``"17:00"``)."""

    start_time: str
    end_time: str
    days: frozenset[int] = attrs.field(default=frozenset(), converter=_days)


@attrs.frozen
class SyncState:
    """When the automat last synchronised with the cloud."""

    timestamp: datetime | None = None
    is_synced: bool | None = None


@attrs.frozen
class LockerKey:
    """The key a locker holds or is reserved for."""

    id: str | None = None
    name: str | None = None


@attrs.frozen
class Locker:
    """One locker of an automat (a LivionKey30 has 30, a LivionKey1 one)."""

    locker_index: int
    state: str | None = None
    is_key_inside: bool | None = None
    key: LockerKey | None = None


@attrs.frozen
class Device:
    """A key automat. ``GET /devices`` sends it as ``deviceId`` or as ``id`` depending on shape."""

    device_id: str
    name: str | None = None
    product: str | None = None
    tag: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    connection_state: str | None = None
    synced: SyncState | None = None
    lockers: tuple[Locker, ...] | None = None


@attrs.frozen
class PageInfo:
    """Where a page of ``GET /devices?limit=`` sits in the whole list."""

    start: int | None = None
    end: int | None = None
    has_next: bool = False


@attrs.frozen
class DevicePage:
    """One page of devices and where it sits."""

    devices: tuple[Device, ...]
    page_info: PageInfo


@attrs.frozen
class KeyStatus:
    """The latest key event attached to a contract (``GET /keys/{id}?keyStatus=true``)."""

    action: str | None = None
    timestamp: datetime | None = None


@attrs.frozen
class Contract:
    """A contract as the server holds it. ``id`` is the object id used in paths (``None`` where
    Livion leaves it out: inside ``GET /keys/{id}``); ``contract_id`` is the integrator's own
    reference. A ``null`` ``perm`` reads as ``False``, a ``null`` ``recurrent`` as no schedule."""

    id: str | None = None
    contract_id: str | None = None
    keys: tuple[KeyRef, ...] = ()
    key_id: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    start: datetime | None = None
    end: datetime | None = None
    perm: bool = False
    person: str | None = None
    contacts: tuple[Contact, ...] = ()
    free_text: str | None = None
    tag: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    recurrent: tuple[Recurrence, ...] = attrs.field(default=(), converter=_recurrences)
    type: str | None = None
    key_status: KeyStatus | None = None


@attrs.frozen
class Key:
    """A key kept in an automat."""

    key_id: str
    name: str | None = None
    device_id: str | None = None
    shared: bool = False
    locker_index: int | None = None
    key_code: str | None = attrs.field(default=None, repr=False)
    backup_codes: tuple[str, ...] = attrs.field(default=(), repr=False)
    contracts: tuple[Contract, ...] = ()


@attrs.frozen
class KeyPosition:
    """Where a key was or is: its locker."""

    locker_index: int | None = None
    key_id: str | None = None


@attrs.frozen
class KeyEventData:
    """What a key event changed."""

    before: KeyPosition | None = None
    after: KeyPosition | None = None
    text: str | None = None
    value: str | None = None
    source_time: datetime | None = None
    attachment: tuple[str, ...] = attrs.field(default=(), converter=_strings)


@attrs.frozen
class KeyEvent:
    """The latest event of a key (``GET /keys/{id}/status``): added, fetched, returned..."""

    id: str | None = None
    timestamp: datetime | None = None
    tag: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    source: str | None = None
    source_id: str | None = None
    action: str | None = None
    data: KeyEventData | None = None


@attrs.frozen
class CreatedContract:
    """What ``POST /contracts`` answers: the object id and the pincode.

    ``reconciled`` is true when the create's outcome was unknown (or the ``contract_id`` was
    taken) and the contract was found on the server by its ``contract_id``, matching the spec.
    It is not part of the value: equality and hashing ignore it.
    """

    id: str
    pincode: str | None = attrs.field(default=None, repr=False)
    reconciled: bool = attrs.field(default=False, eq=False, kw_only=True)


@attrs.frozen
class CreatedKey:
    """What ``POST /keys`` answers: the locker the key was given. ``reconciled`` as for
    :class:`CreatedContract`: found on the server by its ``key_id`` after an unknown outcome."""

    locker_index: int | None = None
    reconciled: bool = attrs.field(default=False, eq=False, kw_only=True)


@attrs.frozen
class LoginResult:
    """A bearer token and when the server says it expires."""

    token: str = attrs.field(repr=False)
    expiration_time: datetime | None = None


@attrs.frozen
class NewContract:
    """A contract to create. ``contract_id`` is your own unique reference (a booking number):
    it is what makes creation exactly-once, since the server refuses it twice."""

    contract_id: str
    keys: tuple[KeyRef, ...] = attrs.field(converter=_keyrefs)
    start: datetime
    person: str
    contacts: tuple[Contact, ...] = attrs.field(default=(), converter=_contacts)
    end: datetime | None = None
    perm: bool = False
    free_text: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    type: ContractType = "default"
    recurrent: tuple[Recurrence, ...] = attrs.field(default=(), converter=_recurrences)


@attrs.frozen
class ContractUpdate:
    """New values for an existing contract; ``None`` leaves a field as it is.
    The server requires ``keys`` on every update."""

    keys: tuple[KeyRef, ...] = attrs.field(converter=_keyrefs)
    start: datetime | None = None
    end: datetime | None = None
    perm: bool | None = None
    person: str | None = None
    contacts: tuple[Contact, ...] | None = attrs.field(default=None, converter=_optional_contacts)
    free_text: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    recurrent: tuple[Recurrence, ...] | None = attrs.field(
        default=None, converter=_optional_recurrences
    )


@attrs.frozen
class NewKey:
    """A key to add to an automat. Without ``locker_index`` the automat picks a free locker."""

    key_id: str
    name: str
    device_id: str
    key_code: str | None = attrs.field(default=None, repr=False)
    locker_index: int | None = None
    check_locker_status: bool | None = None
    shared: bool = False


@attrs.frozen
class AccessRight:
    """A keypad access right (the LivionKeyPad API): who may open the keypad's lock with which
    pincode, and when. ``access_right_id`` is the integrator's own reference (Livion's examples
    name it ``accessRightId`` in listings and ``contractId`` in ``GET /accessrights/{id}``)."""

    id: str | None = None
    access_right_id: str | None = None
    device_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    pincode: str | None = attrs.field(default=None, repr=False)
    start: datetime | None = None
    end: datetime | None = None
    perm: bool = False
    person: str | None = None
    contacts: tuple[Contact, ...] = ()
    free_text: str | None = None
    tag: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    recurrent: tuple[Recurrence, ...] = attrs.field(default=(), converter=_recurrences)


@attrs.frozen
class NewAccessRight:
    """A keypad access right to create. ``access_right_id`` is your own unique reference.
    ``modify_time=False`` keeps ``start``/``end`` exactly (by default Livion widens them to
    the start and end of their days)."""

    access_right_id: str
    device_ids: tuple[str, ...] = attrs.field(converter=_ids)
    start: datetime
    person: str
    contacts: tuple[Contact, ...] = attrs.field(default=(), converter=_contacts)
    end: datetime | None = None
    perm: bool = False
    free_text: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    modify_time: bool | None = None
    recurrent: tuple[Recurrence, ...] = attrs.field(default=(), converter=_recurrences)


@attrs.frozen
class AccessRightUpdate:
    """New values for a keypad access right. Livion requires ``device_ids``, ``start`` and
    either ``end`` or ``perm=True`` on every update; ``None`` leaves the rest as they are."""

    device_ids: tuple[str, ...] = attrs.field(converter=_ids)
    start: datetime
    end: datetime | None = None
    perm: bool | None = None
    person: str | None = None
    contacts: tuple[Contact, ...] | None = attrs.field(default=None, converter=_optional_contacts)
    free_text: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    modify_time: bool | None = None
    recurrent: tuple[Recurrence, ...] | None = attrs.field(
        default=None, converter=_optional_recurrences
    )


@attrs.frozen
class CreatedAccessRight:
    """What ``POST /accessrights`` answers: the object id and the pincode."""

    id: str
    pincode: str | None = attrs.field(default=None, repr=False)
