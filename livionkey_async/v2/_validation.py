"""Local checks of what the caller sends to API v2, run before anything is sent.

The rules are the API's own (``types/api.ts``: which fields each contract type requires, that the
pincodes match the keys, that automat and manual-storage keys do not mix); a request that breaks
one is a ``ValidationError`` naming the field, at no cost in requests. Every field is first
checked against its annotation (the core's ``_typed_fields``); the core's ``check_id`` and
``check_aware`` do the same jobs as for V1. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import get_args

from .._arguments import check_aware, check_id, check_int
from .._assumptions import PINCODE_PATTERN
from .._errors import ValidationError
from .._typed_fields import check_fields
from ._assumptions import MAX_PAGE_LIMIT
from ._models import (
    AutomatUpdate,
    Contact,
    ContractType,
    GroupUpdate,
    IloqContractUpdate,
    KeyStorage,
    Language,
    MechanicalContractUpdate,
    MechanicalKeyUpdate,
    NewAutomat,
    NewContractKey,
    NewGroup,
    NewIloqKeyContract,
    NewMechanicalKey,
    NewMechanicalKeyContract,
    NewOrganizationUnit,
    NewServiceAccount,
)

__all__ = [
    "check_id",
    "check_limit",
    "check_pincode",
    "validate_automat_update",
    "validate_group_update",
    "validate_iloq_update",
    "validate_mechanical_contract_update",
    "validate_mechanical_key_update",
    "validate_new_automat",
    "validate_new_group",
    "validate_new_iloq_contract",
    "validate_new_mechanical_contract",
    "validate_new_mechanical_key",
    "validate_new_organization_unit",
    "validate_new_service_account",
]

_LANGUAGES = frozenset(get_args(Language))


def _text(name: str, value: object, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string")


def _ids(name: str, values: Iterable[object]) -> None:
    for value in values:
        check_id(name, value)


def check_limit(limit: object, name: str = "limit", *, optional: bool = True) -> None:
    """A page size the API accepts: 1 to 100 (or, when ``optional``, ``None``: the server's
    default)."""
    check_int(name, limit, low=1, high=MAX_PAGE_LIMIT, optional=optional)


def check_pincode(name: str, value: object) -> None:
    if not isinstance(value, str) or not PINCODE_PATTERN.fullmatch(value):
        raise ValidationError(f"{name} must be 4 to 8 digits")


def _window(start: datetime | None, end: datetime | None) -> None:
    check_aware("start", start)
    check_aware("end", end)
    if start is not None and end is not None and end <= start:
        raise ValidationError("end must be after start")


def _contact(contact: Contact | None, *, iloq: bool) -> None:
    if contact is None:
        return
    _text("contact.name", contact.name, required=True)
    _text("contact.email", contact.email)
    _text("contact.phone_number", contact.phone_number)
    if contact.language is not None and contact.language not in _LANGUAGES:
        raise ValidationError(
            f"contact.language {contact.language!r} is not one of {sorted(_LANGUAGES)}"
        )
    if contact.iloq_person_id is not None and not iloq:
        raise ValidationError("contact.iloq_person_id exists only on iLOQ key contracts")
    if contact.send_email and not contact.email:
        raise ValidationError("a contact with send_email needs an email")
    if contact.send_sms and not contact.phone_number:
        raise ValidationError("a contact with send_sms needs a phone_number")


def _storage(name: str, storage: KeyStorage) -> None:
    if (storage.automat_id is None) == (storage.manual_storage_info is None):
        raise ValidationError(f"{name} needs exactly one of automat_id and manual_storage_info")
    if storage.automat_id is not None:
        check_id(f"{name}.automat_id", storage.automat_id)
    _text(f"{name}.manual_storage_info", storage.manual_storage_info)


# -- automats --------------------------------------------------------------------------------------


def validate_new_automat(spec: NewAutomat, name: str = "automat") -> None:
    check_fields(name, spec, NewAutomat)
    for field in ("name", "address", "postal_code", "postal_office", "timezone"):
        _text(field, getattr(spec, field), required=True)
    for field in ("organization_unit_id", "group_id"):
        value = getattr(spec, field)
        if value is not None:
            check_id(field, value)
    _text("label", spec.label)


def validate_automat_update(update: AutomatUpdate, name: str = "update") -> None:
    check_fields(name, update, AutomatUpdate)
    for field in ("name", "label", "timezone"):
        _text(field, getattr(update, field))
    _ids("groups", update.groups or ())


# -- iLOQ ------------------------------------------------------------------------------------------


def validate_new_iloq_contract(spec: NewIloqKeyContract, name: str = "contract") -> None:
    """The fields each contract type requires (``DefaultKeyContractDto`` and its siblings)."""
    check_fields(name, spec, NewIloqKeyContract)
    kind = spec.contract_type
    _window(spec.start, spec.end)
    _ids("access_right_ids", spec.access_right_ids)
    _ids("key_ids", spec.key_ids)
    for name in ("key_automat_id", "group_id"):
        value = getattr(spec, name)
        if value is not None:
            check_id(name, value)
    _contact(spec.contact, iloq=True)
    if kind is ContractType.RETURN:
        if not spec.key_ids:
            raise ValidationError("a RETURN contract needs key_ids (the keys to take back)")
        if spec.end is None:
            raise ValidationError("a RETURN contract needs an end")
        if spec.access_right_ids or spec.number_of_keys is not None:
            raise ValidationError("a RETURN contract takes no access_right_ids nor number_of_keys")
        keys = len(spec.key_ids)
    else:
        if not spec.access_right_ids:
            raise ValidationError(f"a {kind.name} contract needs access_right_ids")
        if spec.start is None:
            raise ValidationError(f"a {kind.name} contract needs a start")
        if kind is ContractType.DEFAULT and spec.end is None:
            raise ValidationError("a DEFAULT contract needs an end")
        from_automat = spec.key_automat_id is not None or spec.group_id is not None
        if not from_automat and not spec.key_ids:
            raise ValidationError(
                "say where the keys come from: key_automat_id or group_id (with "
                "number_of_keys), or key_ids"
            )
        if from_automat and spec.number_of_keys is None:
            raise ValidationError("number_of_keys is required with key_automat_id or group_id")
        if spec.number_of_keys is not None and (
            isinstance(spec.number_of_keys, bool)
            or not isinstance(spec.number_of_keys, int)
            or spec.number_of_keys < 1
        ):
            raise ValidationError("number_of_keys must be a positive integer")
        keys = spec.number_of_keys if spec.number_of_keys is not None else len(spec.key_ids)
    for pincode in spec.pincodes:
        check_pincode("pincodes", pincode)
    if spec.pincodes and len(spec.pincodes) != keys:
        raise ValidationError(f"pincodes must give one pincode per key ({keys}), or none")


def validate_iloq_update(update: IloqContractUpdate, name: str = "update") -> None:
    check_fields(name, update, IloqContractUpdate)
    _window(update.start, update.end)
    _contact(update.contact, iloq=True)


# -- mechanical ------------------------------------------------------------------------------------


def validate_new_mechanical_key(spec: NewMechanicalKey, name: str = "key") -> None:
    check_fields(name, spec, NewMechanicalKey)
    check_id("id", spec.id)
    _storage("selected_storage", spec.selected_storage)
    if spec.shared and spec.selected_storage.automat_id is None:
        raise ValidationError("only a key kept in an automat can be shared")
    _text("name", spec.name)
    _text("rfid_hex", spec.rfid_hex)
    if spec.organization_unit_id is not None:
        check_id("organization_unit_id", spec.organization_unit_id)


def validate_mechanical_key_update(update: MechanicalKeyUpdate, name: str = "update") -> None:
    check_fields(name, update, MechanicalKeyUpdate)
    if update.selected_storage is not None:
        _storage("selected_storage", update.selected_storage)
    _text("name", update.name)
    _text("rfid_hex", update.rfid_hex)


def _contract_key(key: NewContractKey) -> None:
    check_id("keys[].id", key.id)
    if key.manual_storage_info is not None and (
        key.pincode is not None or key.automat_id is not None
    ):
        raise ValidationError(f"key {key.id}: a manual-storage key takes no pincode nor automat_id")
    if key.pincode is not None:
        check_pincode("keys[].pincode", key.pincode)
    if key.automat_id is not None:
        check_id("keys[].automat_id", key.automat_id)
    _text("keys[].manual_storage_info", key.manual_storage_info)


def validate_new_mechanical_contract(
    spec: NewMechanicalKeyContract, name: str = "contract"
) -> None:
    check_fields(name, spec, NewMechanicalKeyContract)
    if spec.id is not None:
        check_id("id", spec.id)
    _window(spec.start, spec.end)
    _contact(spec.contact, iloq=False)
    if not spec.keys:
        raise ValidationError("keys must name at least one key")
    for key in spec.keys:
        _contract_key(key)
    if len({key.id for key in spec.keys}) != len(spec.keys):
        raise ValidationError("keys must not name the same key twice")
    manual = {key.manual_storage_info is not None for key in spec.keys}
    if len(manual) > 1:
        raise ValidationError("automat keys and manual-storage keys cannot mix in one contract")
    _text("pick_up_info_for_manual_storage_keys", spec.pick_up_info_for_manual_storage_keys)


def validate_mechanical_contract_update(
    update: MechanicalContractUpdate, name: str = "update"
) -> None:
    check_fields(name, update, MechanicalContractUpdate)
    _window(update.start, update.end)
    _contact(update.contact, iloq=False)


# -- groups, organization units, service accounts --------------------------------------------------


def validate_new_group(spec: NewGroup, name: str = "group") -> None:
    check_fields(name, spec, NewGroup)
    _text("name", spec.name, required=True)
    check_id("customer_id", spec.customer_id)


def validate_group_update(update: GroupUpdate, name: str = "update") -> None:
    check_fields(name, update, GroupUpdate)
    _text("name", update.name)
    if update.customer_id is not None:
        check_id("customer_id", update.customer_id)


def validate_new_organization_unit(spec: NewOrganizationUnit, name: str = "unit") -> None:
    check_fields(name, spec, NewOrganizationUnit)
    _text("name", spec.name, required=True)
    check_id("customer_id", spec.customer_id)
    if spec.parent_id is not None:
        check_id("parent_id", spec.parent_id)
    user = spec.iloq_api_user
    if user is not None:
        for field in ("service_address", "customer_code", "username", "password"):
            _text(f"iloq_api_user.{field}", getattr(user, field), required=True)


def validate_new_service_account(spec: NewServiceAccount, name: str = "account") -> None:
    check_fields(name, spec, NewServiceAccount)
    check_id("organization_unit_id", spec.organization_unit_id)
    _text("name", spec.name, required=True)
