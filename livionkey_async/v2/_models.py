"""Typed models of every object API v2 sends or accepts (``types/api.ts`` of Livion's repository).

Frozen attrs classes, as for V1. What the server sends is read tolerantly: only ``id`` is
required, everything else has a default, a ``null`` list is an empty tuple. What the caller sends
(``New*``, ``*Update``) is checked in ``_validation`` before anything leaves. The numeric codes of
the wire (contract types 1/2/3, group types, user verification, organization unit types) are
Python enums; in what the server sends, a code this version does not know is kept as the plain
``int`` it is (so ``contract.contract_type`` is a ``ContractType``, an ``int``, or ``None``), and
an empty one (``userVerification: ""``) reads as ``None``: one new code never makes a whole
object, or a whole page, unreadable. Secrets (pincodes, the iLOQ API user's password, a new
service account's private key) are kept out of every ``repr``. Conversion lives in ``_convert``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Generic, Literal, TypeVar

import attrs

from .._errors import ValidationError

__all__ = [
    "Automat",
    "AutomatGroup",
    "AutomatLocation",
    "AutomatLocker",
    "AutomatLockerKey",
    "AutomatUpdate",
    "Contact",
    "ContractKeyStorage",
    "ContractType",
    "Group",
    "GroupMember",
    "GroupType",
    "GroupUpdate",
    "IloqAccessRight",
    "IloqApiUser",
    "IloqApiUserInfo",
    "IloqContractKey",
    "IloqContractUpdate",
    "IloqKeyContract",
    "IloqKeyStorage",
    "KeyStatus",
    "KeyStorage",
    "Language",
    "MechanicalContractKey",
    "MechanicalContractUpdate",
    "MechanicalKey",
    "MechanicalKeyContract",
    "MechanicalKeyUpdate",
    "NewAutomat",
    "NewContractKey",
    "NewGroup",
    "NewIloqKeyContract",
    "NewMechanicalKey",
    "NewMechanicalKeyContract",
    "NewOrganizationUnit",
    "NewServiceAccount",
    "NotificationChannel",
    "Notifications",
    "OrganizationUnit",
    "OrganizationUnitType",
    "Page",
    "PincodeSent",
    "Product",
    "ServiceAccount",
    "StorageKind",
    "UserVerification",
]

T = TypeVar("T")

Language = Literal["en", "fi", "sv", "de", "no", "fr"]
Product = Literal["key20", "key30"]


def _tuple(name: str, value: Iterable[T]) -> tuple[T, ...]:
    """``value`` as a tuple (one string: a tuple of it); one that is not iterable is a
    ``ValidationError`` naming the field (what each item must be, ``_typed_fields`` checks
    before anything is sent)."""
    if isinstance(value, str):
        return (value,)  # type: ignore[return-value]  # a string stands for one of them
    try:
        return tuple(value)
    except TypeError:
        raise ValidationError(f"{name} must be a sequence, not {type(value).__name__}") from None


def _groups(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _tuple("groups", value)


def _access_right_ids(value: Iterable[str]) -> tuple[str, ...]:
    return _tuple("access_right_ids", value)


def _key_ids(value: Iterable[str]) -> tuple[str, ...]:
    return _tuple("key_ids", value)


def _pincodes(value: Iterable[str]) -> tuple[str, ...]:
    return _tuple("pincodes", value)


def _keys(value: Iterable[NewContractKey]) -> tuple[NewContractKey, ...]:
    return _tuple("keys", value)


def _usable_pincodes(
    keys: Iterable[IloqContractKey] | Iterable[MechanicalContractKey],
) -> tuple[str, ...]:
    """The pincodes of a contract's keys still usable for it (not in history), in key order."""
    return tuple(
        key.storage_info.pincode
        for key in keys
        if not key.in_history
        and key.storage_info is not None
        and key.storage_info.pincode is not None
    )


# -- the wire's numeric codes ----------------------------------------------------------------------


class ContractType(enum.IntEnum):
    """An iLOQ key contract's type: hand a key over and take it back, only hand it, only take it."""

    DEFAULT = 1
    FETCH = 2
    RETURN = 3


class GroupType(enum.IntEnum):
    """What a group holds: automats (devices) or keys."""

    DEVICE = 1
    KEY = 2


class UserVerification(enum.IntEnum):
    """How the recipient of a mechanical key contract proves who they are (sent as "0"/"1"/"2")."""

    NONE = 0
    SIGNATURE = 1
    STRONG_AUTHENTICATION = 2


class OrganizationUnitType(enum.IntEnum):
    """What an organization unit is (``ORGANIZATION`` only for Livion's special users)."""

    ORGANIZATION = 0
    COUNTRY = 1
    AREA = 2
    TOWN = 3
    DISTRICT = 4
    COMPANY = 5
    OTHER = 6


class StorageKind(enum.IntEnum):
    """Where mechanical keys live, as the key list filters them (``selectedStorage``)."""

    DEVICE = 1
    MANUAL = 2


# -- shared ----------------------------------------------------------------------------------------


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its items and the cursor to the next page.

    ``has_next`` is ``None`` when the answer does not say (the access-rights list).
    """

    data: tuple[T, ...] = ()
    after: str | None = None
    limit: int | None = None
    has_next: bool | None = None


@attrs.frozen
class NotificationChannel:
    """Whether Livion sends one kind of notification by SMS and/or by email."""

    sms: bool = False
    email: bool = False


@attrs.frozen(kw_only=True)
class Notifications:
    """Per-event notification settings. When given, the contact's ``send_sms``/``send_email``
    are ignored, and an event left out here sends nothing."""

    contract_key_fetched: NotificationChannel | None = None
    contract_key_returned: NotificationChannel | None = None
    contract_created: NotificationChannel | None = None
    contract_start_reminder: NotificationChannel | None = None
    contract_end_reminder: NotificationChannel | None = None
    contract_keys_not_returned: NotificationChannel | None = None
    contract_updated: NotificationChannel | None = None
    contract_signature_requested: NotificationChannel | None = None


@attrs.frozen
class Contact:
    """The recipient of a key contract, and what Livion tells them.

    ``send_sms``/``send_email`` use the organization's defaults per event; ``notifications``
    overrides them event by event. ``iloq_person_id`` exists only on iLOQ contracts. A PMS that
    sends its own messages sets both flags to ``False``.
    """

    name: str
    email: str | None = None
    phone_number: str | None = None
    send_sms: bool | None = None
    send_email: bool | None = None
    language: str | None = None
    notifications: Notifications | None = None
    iloq_person_id: str | None = None


# -- automats --------------------------------------------------------------------------------------


@attrs.frozen
class AutomatLocation:
    """Where an automat stands (every field optional in an update)."""

    address: str | None = None
    postal_code: str | None = None
    postal_office: str | None = None


@attrs.frozen
class AutomatGroup:
    id: str
    name: str | None = None


@attrs.frozen
class AutomatLockerKey:
    """The key assigned to a locker."""

    id: str
    name: str | None = None


@attrs.frozen
class AutomatLocker:
    """One locker; ``locker_index`` counts from 0 (sent as a string)."""

    locker_index: int
    is_key_inside: bool = False
    key: AutomatLockerKey | None = None


@attrs.frozen
class Automat:
    """A key automat. ``lifecycle_state`` is ``active`` or ``waitingForInstall`` (then
    ``installation_pincode`` is what the installer types on site)."""

    id: str
    name: str | None = None
    location: AutomatLocation | None = None
    label: str | None = None
    groups: tuple[AutomatGroup, ...] = ()
    hw_id: str | None = None
    timezone: str | None = None
    installation_pincode: str | None = attrs.field(default=None, repr=False)
    lockers: tuple[AutomatLocker, ...] = ()
    lifecycle_state: str | None = None


@attrs.frozen(kw_only=True)
class NewAutomat:
    """An automat to install: ``product`` is ``key20`` (iLOQ S5 keys) or ``key30`` (mechanical)."""

    name: str
    address: str
    postal_code: str
    postal_office: str
    timezone: str
    product: Product
    organization_unit_id: str | None = None
    label: str | None = None
    group_id: str | None = None


@attrs.frozen(kw_only=True)
class AutomatUpdate:
    """Fields to change on an automat; ``None`` leaves a field as it is. ``groups`` replaces the
    automat's groups (ids)."""

    name: str | None = None
    label: str | None = None
    groups: tuple[str, ...] | None = attrs.field(default=None, converter=_groups)
    timezone: str | None = None
    location: AutomatLocation | None = None


@attrs.frozen
class PincodeSent:
    """The answer to ``send_pincode``: whether the automat took the command, and why not."""

    success: bool = False
    reason: str | None = None


# -- iLOQ ------------------------------------------------------------------------------------------


@attrs.frozen
class IloqAccessRight:
    """An iLOQ access right (the doors and areas a key opens), programmed into a key on fetch."""

    id: str
    name: str | None = None
    real_estate_path: str | None = None


@attrs.frozen
class IloqKeyStorage:
    """Where an iLOQ key of a contract waits: the automat and the pincode that opens it
    (``None`` once the key is no longer usable for the contract)."""

    device_id: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class IloqContractKey:
    id: str
    status: str | None = None
    storage_info: IloqKeyStorage | None = None
    in_history: bool = False


@attrs.frozen
class IloqKeyContract:
    """An iLOQ key contract as the server holds it (``contract_type``: an ``int`` when the code
    is one this version does not know)."""

    id: str
    contract_type: ContractType | int | None = None
    start: datetime | None = None
    end: datetime | None = None
    access_right_ids: tuple[str, ...] = ()
    contact: Contact | None = None
    keys: tuple[IloqContractKey, ...] = ()
    number_of_keys: int | None = None
    key_ids: tuple[str, ...] = ()
    key_automat_id: str | None = None
    group_id: str | None = None

    @property
    def pincodes(self) -> tuple[str, ...]:
        """The pincodes of the keys still usable for this contract, in key order."""
        return _usable_pincodes(self.keys)


@attrs.frozen(kw_only=True)
class NewIloqKeyContract:
    """An iLOQ key contract to create. What each type needs (checked before sending):

    - ``DEFAULT`` (hand over, then take back): ``access_right_ids``, ``start``, ``end``, and where
      the keys come from: ``key_automat_id`` or ``group_id`` with ``number_of_keys``, or
      ``key_ids``;
    - ``FETCH`` (hand over only): the same, with ``end`` optional;
    - ``RETURN`` (take back only): ``key_ids`` and ``end``; ``start`` defaults to now.

    ``pincodes``: one per key, or none for generated ones. The API takes no reference of yours:
    see the README on what that means for a create whose outcome is unknown.
    """

    contract_type: ContractType = ContractType.DEFAULT
    access_right_ids: tuple[str, ...] = attrs.field(default=(), converter=_access_right_ids)
    start: datetime | None = None
    end: datetime | None = None
    contact: Contact | None = None
    number_of_keys: int | None = None
    key_automat_id: str | None = None
    group_id: str | None = None
    key_ids: tuple[str, ...] = attrs.field(default=(), converter=_key_ids)
    pincodes: tuple[str, ...] = attrs.field(default=(), converter=_pincodes, repr=False)


@attrs.frozen(kw_only=True)
class IloqContractUpdate:
    """Fields to change on an iLOQ key contract; ``None`` leaves a field as it is."""

    contact: Contact | None = None
    start: datetime | None = None
    end: datetime | None = None


# -- mechanical keys and their contracts -----------------------------------------------------------


@attrs.frozen
class KeyStorage:
    """Where a mechanical key is kept: an automat, or a manual storage (a shelf, a drawer).
    Exactly one of the two is set when you send it."""

    automat_id: str | None = None
    manual_storage_info: str | None = None


@attrs.frozen
class KeyStatus:
    available: bool = False


@attrs.frozen
class MechanicalKey:
    """A mechanical key: where it belongs (``selected_storage``), where it is (``storage``,
    ``None`` while away) and where it should go next (``target_storage``)."""

    id: str
    organization_unit_id: str | None = None
    name: str | None = None
    rfid_hex: str | None = None
    selected_storage: KeyStorage | None = None
    storage: KeyStorage | None = None
    target_storage: KeyStorage | None = None
    status: KeyStatus | None = None
    shared: bool = False

    @property
    def available(self) -> bool:
        return self.status is not None and self.status.available


@attrs.frozen(kw_only=True)
class NewMechanicalKey:
    """A mechanical key to create; ``id`` is yours and unique. ``shared`` allows overlapping
    contracts (automat keys only)."""

    id: str
    selected_storage: KeyStorage
    away: bool = False
    name: str | None = None
    organization_unit_id: str | None = None
    rfid_hex: str | None = None
    shared: bool | None = None


@attrs.frozen(kw_only=True)
class MechanicalKeyUpdate:
    """Fields to change on a mechanical key; ``None`` leaves a field as it is."""

    name: str | None = None
    rfid_hex: str | None = None
    selected_storage: KeyStorage | None = None
    shared: bool | None = None


@attrs.frozen
class ContractKeyStorage:
    """Where the key of a contract is picked up: an automat and its pincode, or a manual storage."""

    pincode: str | None = attrs.field(default=None, repr=False)
    automat_id: str | None = None
    manual_storage_info: str | None = None


@attrs.frozen
class MechanicalContractKey:
    id: str
    storage_info: ContractKeyStorage | None = None
    status: str | None = None
    in_history: bool = False


@attrs.frozen
class MechanicalKeyContract:
    """A mechanical key contract as the server holds it (``user_verification``: an ``int`` when
    the code is one this version does not know, ``None`` when not set or empty)."""

    id: str
    start: datetime | None = None
    end: datetime | None = None
    contact: Contact | None = None
    keys: tuple[MechanicalContractKey, ...] = ()
    free_locker_after_fetch: bool | None = None
    user_verification: UserVerification | int | None = None
    pick_up_info_for_manual_storage_keys: str | None = None

    @property
    def pincodes(self) -> tuple[str, ...]:
        """The pincodes of the keys still usable for this contract, in key order."""
        return _usable_pincodes(self.keys)


@attrs.frozen
class NewContractKey:
    """One key of a new mechanical contract. ``pincode`` (else generated) and ``automat_id`` for a
    key handed from an automat, ``manual_storage_info`` for one handed from a manual storage; the
    storage only when it differs from the key's current one."""

    id: str
    pincode: str | None = attrs.field(default=None, repr=False)
    automat_id: str | None = None
    manual_storage_info: str | None = None


@attrs.frozen(kw_only=True)
class NewMechanicalKeyContract:
    """A mechanical key contract to create. ``id`` is your own unique reference (else the server
    makes one): with it, a create whose outcome is unknown can be settled by looking it up, and
    the bulk helpers require it."""

    start: datetime
    contact: Contact
    keys: tuple[NewContractKey, ...] = attrs.field(converter=_keys)
    end: datetime | None = None
    id: str | None = None
    user_verification: UserVerification | None = None
    pick_up_info_for_manual_storage_keys: str | None = None
    free_locker_after_fetch: bool | None = None


@attrs.frozen(kw_only=True)
class MechanicalContractUpdate:
    """Fields to change on a mechanical key contract; ``None`` leaves a field as it is. A new
    ``contact`` replaces the whole contact."""

    start: datetime | None = None
    end: datetime | None = None
    contact: Contact | None = None
    user_verification: UserVerification | None = None
    pick_up_info_for_manual_storage_keys: str | None = None


# -- groups, organization units, service accounts --------------------------------------------------


@attrs.frozen
class GroupMember:
    id: str
    name: str | None = None


@attrs.frozen
class Group:
    """A group of automats (key handovers pick an automat of the group) or of keys (``type``: an
    ``int`` when the code is one this version does not know)."""

    id: str
    name: str | None = None
    customer_id: str | None = None
    type: GroupType | int | None = None
    members: tuple[GroupMember, ...] = ()


@attrs.frozen(kw_only=True)
class NewGroup:
    name: str
    customer_id: str
    type: GroupType = GroupType.DEVICE


@attrs.frozen(kw_only=True)
class GroupUpdate:
    name: str | None = None
    customer_id: str | None = None


@attrs.frozen(kw_only=True)
class IloqApiUser:
    """The iLOQ API user to give a new organization unit: the four pieces of a LivionKey20
    set-up, all required."""

    service_address: str
    customer_code: str
    username: str
    password: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class NewOrganizationUnit:
    """An organization unit to create; a LivionKey20 site needs its ``iloq_api_user``."""

    name: str
    customer_id: str
    type: OrganizationUnitType = OrganizationUnitType.COUNTRY
    parent_id: str | None = None
    iloq_api_user: IloqApiUser | None = None


@attrs.frozen
class IloqApiUserInfo:
    """An organization unit's iLOQ API user as the server answers it: every field may be
    missing (a server may mask or leave out the password)."""

    service_address: str | None = None
    customer_code: str | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class OrganizationUnit:
    """An organization unit (``type``: an ``int`` when the code is one this version does not
    know)."""

    id: str
    name: str | None = None
    customer_id: str | None = None
    iloq_api_user: IloqApiUserInfo | None = None
    parent_id: str | None = None
    type: OrganizationUnitType | int | None = None


@attrs.frozen(kw_only=True)
class NewServiceAccount:
    organization_unit_id: str
    name: str


@attrs.frozen
class ServiceAccount:
    """A service account. ``private_key`` is answered once, by the create: store it then."""

    id: str
    name: str | None = None
    role: str | None = None
    private_key: str | None = attrs.field(default=None, repr=False)
    organization_unit_id: str | None = None
