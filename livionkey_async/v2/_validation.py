"""Local checks of what the caller sends to API v2, run before anything is sent.

The rules are the API's own (``types/api.ts``: which fields each contract type requires, that the
pincodes match the keys, that automat and manual-storage keys do not mix); a request that breaks
one is a ``ValidationError`` naming the field, at no cost in requests. Pure functions, no I/O;
the core's ``check_id`` and ``check_aware`` do the same jobs as for V1.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import get_args

from .._assumptions import PINCODE_PATTERN
from .._errors import ValidationError
from .._validation import check_aware, check_id
from ._assumptions import MAX_PAGE_LIMIT
from ._models import (
    AutomatUpdate,
    Contact,
    ContractType,
    GroupType,
    GroupUpdate,
    IloqApiUser,
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
    OrganizationUnitType,
    Product,
    UserVerification,
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
_PRODUCTS = frozenset(get_args(Product))


def _expect(value: object, cls: type, what: str) -> None:
    if not isinstance(value, cls):
        raise ValidationError(f"expected {what}, not {type(value).__name__}")


def _text(name: str, value: object, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string")


def _ids(name: str, values: Iterable[object]) -> None:
    for value in values:
        check_id(name, value)


def check_limit(limit: int | None) -> None:
    """A page size the API accepts: 1 to 100."""
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_LIMIT
    ):
        raise ValidationError(f"limit must be an integer from 1 to {MAX_PAGE_LIMIT}")


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
    _expect(contact, Contact, "a Contact")
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
    _expect(storage, KeyStorage, "a KeyStorage")
    if (storage.automat_id is None) == (storage.manual_storage_info is None):
        raise ValidationError(f"{name} needs exactly one of automat_id and manual_storage_info")
    if storage.automat_id is not None:
        check_id(f"{name}.automat_id", storage.automat_id)
    _text(f"{name}.manual_storage_info", storage.manual_storage_info)


# -- automats --------------------------------------------------------------------------------------


def validate_new_automat(spec: NewAutomat) -> None:
    _expect(spec, NewAutomat, "a NewAutomat")
    for name in ("name", "address", "postal_code", "postal_office", "timezone"):
        _text(name, getattr(spec, name), required=True)
    if spec.product not in _PRODUCTS:
        raise ValidationError(f"product must be one of {sorted(_PRODUCTS)}")
    for name in ("organization_unit_id", "group_id"):
        value = getattr(spec, name)
        if value is not None:
            check_id(name, value)
    _text("label", spec.label)


def validate_automat_update(update: AutomatUpdate) -> None:
    _expect(update, AutomatUpdate, "an AutomatUpdate")
    for name in ("name", "label", "timezone"):
        _text(name, getattr(update, name))
    _ids("groups", update.groups or ())


# -- iLOQ ------------------------------------------------------------------------------------------


def validate_new_iloq_contract(spec: NewIloqKeyContract) -> None:
    """The fields each contract type requires (``DefaultKeyContractDto`` and its siblings)."""
    _expect(spec, NewIloqKeyContract, "a NewIloqKeyContract")
    kind = spec.contract_type
    if not isinstance(kind, ContractType):
        raise ValidationError("contract_type must be a ContractType (DEFAULT, FETCH or RETURN)")
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


def validate_iloq_update(update: IloqContractUpdate) -> None:
    _expect(update, IloqContractUpdate, "an IloqContractUpdate")
    _window(update.start, update.end)
    _contact(update.contact, iloq=True)


# -- mechanical ------------------------------------------------------------------------------------


def validate_new_mechanical_key(spec: NewMechanicalKey) -> None:
    _expect(spec, NewMechanicalKey, "a NewMechanicalKey")
    check_id("id", spec.id)
    _storage("selected_storage", spec.selected_storage)
    if spec.shared and spec.selected_storage.automat_id is None:
        raise ValidationError("only a key kept in an automat can be shared")
    _text("name", spec.name)
    _text("rfid_hex", spec.rfid_hex)
    if spec.organization_unit_id is not None:
        check_id("organization_unit_id", spec.organization_unit_id)


def validate_mechanical_key_update(update: MechanicalKeyUpdate) -> None:
    _expect(update, MechanicalKeyUpdate, "a MechanicalKeyUpdate")
    if update.selected_storage is not None:
        _storage("selected_storage", update.selected_storage)
    _text("name", update.name)
    _text("rfid_hex", update.rfid_hex)


def _contract_key(key: NewContractKey) -> None:
    _expect(key, NewContractKey, "NewContractKey objects in keys")
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


def validate_new_mechanical_contract(spec: NewMechanicalKeyContract) -> None:
    _expect(spec, NewMechanicalKeyContract, "a NewMechanicalKeyContract")
    if spec.id is not None:
        check_id("id", spec.id)
    if not isinstance(spec.start, datetime):
        raise ValidationError("start is required and must be a datetime")
    _window(spec.start, spec.end)
    if spec.contact is None:
        raise ValidationError("contact is required")
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
    if spec.user_verification is not None and not isinstance(
        spec.user_verification, UserVerification
    ):
        raise ValidationError("user_verification must be a UserVerification")
    _text("pick_up_info_for_manual_storage_keys", spec.pick_up_info_for_manual_storage_keys)


def validate_mechanical_contract_update(update: MechanicalContractUpdate) -> None:
    _expect(update, MechanicalContractUpdate, "a MechanicalContractUpdate")
    _window(update.start, update.end)
    _contact(update.contact, iloq=False)
    if update.user_verification is not None and not isinstance(
        update.user_verification, UserVerification
    ):
        raise ValidationError("user_verification must be a UserVerification")


# -- groups, organization units, service accounts --------------------------------------------------


def validate_new_group(spec: NewGroup) -> None:
    _expect(spec, NewGroup, "a NewGroup")
    _text("name", spec.name, required=True)
    check_id("customer_id", spec.customer_id)
    if not isinstance(spec.type, GroupType):
        raise ValidationError("type must be a GroupType (DEVICE or KEY)")


def validate_group_update(update: GroupUpdate) -> None:
    _expect(update, GroupUpdate, "a GroupUpdate")
    _text("name", update.name)
    if update.customer_id is not None:
        check_id("customer_id", update.customer_id)


def validate_new_organization_unit(spec: NewOrganizationUnit) -> None:
    _expect(spec, NewOrganizationUnit, "a NewOrganizationUnit")
    _text("name", spec.name, required=True)
    check_id("customer_id", spec.customer_id)
    if not isinstance(spec.type, OrganizationUnitType):
        raise ValidationError("type must be an OrganizationUnitType")
    if spec.parent_id is not None:
        check_id("parent_id", spec.parent_id)
    user = spec.iloq_api_user
    if user is not None:
        _expect(user, IloqApiUser, "an IloqApiUser")
        for name in ("service_address", "customer_code", "username", "password"):
            _text(f"iloq_api_user.{name}", getattr(user, name), required=True)


def validate_new_service_account(spec: NewServiceAccount) -> None:
    _expect(spec, NewServiceAccount, "a NewServiceAccount")
    check_id("organization_unit_id", spec.organization_unit_id)
    _text("name", spec.name, required=True)
