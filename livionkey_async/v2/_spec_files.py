"""Reading API v2 bulk job files (CSV) into key contract specs, every row checked first.

A booking system exports one row per booking; every problem is reported with its line number
before anything is sent (``SpecFileError``, the V1 reader's). Lists inside a cell are separated
by ``;``. Times are ISO-8601 with a zone (``2026-12-01T15:00:00Z``). Pure: text lines in, specs
out.

iLOQ columns: ``type`` (default, fetch or return), ``access_rights``, ``automat_id`` or
``group_id`` with ``number_of_keys``, ``key_ids``, ``start``, ``end``, ``pincodes``, and the
contact: ``name``, ``email``, ``phone``, ``language``, ``send_email``, ``send_sms``.

Mechanical columns: ``id`` (your reference, required), ``keys``, ``pincode`` (for a single key),
``start``, ``end``, ``user_verification`` (0, 1 or 2), ``free_locker_after_fetch``, and the
same contact columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from .._spec_files import flag_field, instant_field, read_rows, text_field
from ._models import (
    Contact,
    ContractType,
    NewContractKey,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
    UserVerification,
)
from ._validation import validate_new_iloq_contract, validate_new_mechanical_contract

__all__ = [
    "CONTRACT_TYPES",
    "ILOQ_COLUMNS",
    "MECHANICAL_COLUMNS",
    "read_iloq_specs",
    "read_mechanical_specs",
]

T = TypeVar("T")

_CONTACT = ("name", "email", "phone", "language", "send_email", "send_sms")
ILOQ_COLUMNS = (
    "type",
    "access_rights",
    "automat_id",
    "group_id",
    "number_of_keys",
    "key_ids",
    "start",
    "end",
    "pincodes",
    *_CONTACT,
)
MECHANICAL_COLUMNS = (
    "id",
    "keys",
    "pincode",
    "start",
    "end",
    "user_verification",
    "free_locker_after_fetch",
    *_CONTACT,
)
# An iLOQ contract type by the name a file or a command line gives it.
CONTRACT_TYPES = {kind.name.lower(): kind for kind in ContractType}


def _read(
    lines: Iterable[str],
    columns: tuple[str, ...],
    spec_of: Callable[[Mapping[str, Any]], T],
    validate: Callable[[T], None],
) -> list[T]:
    def checked(row: Mapping[str, Any]) -> T:
        spec = spec_of(row)
        validate(spec)
        return spec

    return read_rows("the CSV", lines, columns, (), (), checked)


def read_iloq_specs(lines: Iterable[str]) -> list[NewIloqKeyContract]:
    """Every row of an iLOQ job CSV as a checked ``NewIloqKeyContract``."""
    return _read(lines, ILOQ_COLUMNS, _iloq_spec, validate_new_iloq_contract)


def read_mechanical_specs(lines: Iterable[str]) -> list[NewMechanicalKeyContract]:
    """Every row of a mechanical job CSV as a checked ``NewMechanicalKeyContract``."""
    return _read(lines, MECHANICAL_COLUMNS, _mechanical_spec, validate_new_mechanical_contract)


def _list(row: Mapping[str, Any], name: str) -> list[str]:
    return [part.strip() for part in (row.get(name) or "").split(";") if part.strip()]


def _number(row: Mapping[str, Any], name: str) -> int | None:
    text = row.get(name) or ""
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number, not {text!r}")
    return int(text)


def _contact(row: Mapping[str, Any]) -> Contact | None:
    name = text_field(row, "name")
    if name is None:
        if any(text_field(row, column) for column in _CONTACT):
            raise ValueError("a contact needs a name")
        return None
    return Contact(
        name=name,
        email=text_field(row, "email"),
        phone_number=text_field(row, "phone"),
        language=text_field(row, "language"),
        send_email=flag_field(row, "send_email"),
        send_sms=flag_field(row, "send_sms"),
    )


def _iloq_spec(row: Mapping[str, Any]) -> NewIloqKeyContract:
    kind = (row.get("type") or "default").lower()
    if kind not in CONTRACT_TYPES:
        raise ValueError(f"type must be one of {sorted(CONTRACT_TYPES)}, not {kind!r}")
    return NewIloqKeyContract(
        contract_type=CONTRACT_TYPES[kind],
        access_right_ids=_list(row, "access_rights"),
        key_automat_id=text_field(row, "automat_id"),
        group_id=text_field(row, "group_id"),
        number_of_keys=_number(row, "number_of_keys"),
        key_ids=_list(row, "key_ids"),
        start=instant_field(row, "start"),
        end=instant_field(row, "end"),
        pincodes=_list(row, "pincodes"),
        contact=_contact(row),
    )


def _mechanical_spec(row: Mapping[str, Any]) -> NewMechanicalKeyContract:
    contract_id, start, contact = text_field(row, "id"), instant_field(row, "start"), _contact(row)
    if contract_id is None or start is None or contact is None:
        raise ValueError("id, start and name are required")
    keys = _list(row, "keys")
    pincode = text_field(row, "pincode")
    if pincode is not None and len(keys) != 1:
        raise ValueError("pincode is for a contract on a single key")
    verification = _number(row, "user_verification")
    if verification is not None and verification not in tuple(UserVerification):
        raise ValueError("user_verification must be 0, 1 or 2")
    return NewMechanicalKeyContract(
        id=contract_id,
        start=start,
        end=instant_field(row, "end"),
        contact=contact,
        keys=[NewContractKey(key, pincode=pincode) for key in keys],
        user_verification=None if verification is None else UserVerification(verification),
        free_locker_after_fetch=flag_field(row, "free_locker_after_fetch"),
    )
