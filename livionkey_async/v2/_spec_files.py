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

import csv
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from .._errors import ValidationError
from .._spec_files import SpecFileError, parse_instant
from ._models import (
    Contact,
    ContractType,
    NewContractKey,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
    UserVerification,
)
from ._validation import validate_new_iloq_contract, validate_new_mechanical_contract

__all__ = ["ILOQ_COLUMNS", "MECHANICAL_COLUMNS", "read_iloq_specs", "read_mechanical_specs"]

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
_TYPES = {
    "default": ContractType.DEFAULT,
    "fetch": ContractType.FETCH,
    "return": ContractType.RETURN,
}
_TRUE = frozenset({"1", "true", "yes", "y"})
_FALSE = frozenset({"0", "false", "no", "n"})


def _read(
    lines: Iterable[str],
    columns: tuple[str, ...],
    spec_of: Callable[[Mapping[str, str]], T],
    validate: Callable[[T], None],
) -> list[T]:
    reader = csv.DictReader(lines)
    if not reader.fieldnames:
        raise SpecFileError(["line 1: the CSV needs a header row naming its columns"])
    unknown = set(reader.fieldnames) - set(columns)
    if unknown:
        raise SpecFileError([f"line 1: unknown column(s) {sorted(unknown)}; known: {columns}"])
    specs: list[T] = []
    problems: list[str] = []
    for row in reader:
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            spec = spec_of(cells)
            validate(spec)
        except (ValidationError, ValueError) as exc:
            problems.append(f"line {reader.line_num}: {exc}")
            continue
        specs.append(spec)
    if problems:
        raise SpecFileError(problems)
    return specs


def read_iloq_specs(lines: Iterable[str]) -> list[NewIloqKeyContract]:
    """Every row of an iLOQ job CSV as a checked ``NewIloqKeyContract``."""
    return _read(lines, ILOQ_COLUMNS, _iloq_spec, validate_new_iloq_contract)


def read_mechanical_specs(lines: Iterable[str]) -> list[NewMechanicalKeyContract]:
    """Every row of a mechanical job CSV as a checked ``NewMechanicalKeyContract``."""
    return _read(lines, MECHANICAL_COLUMNS, _mechanical_spec, validate_new_mechanical_contract)


def _text(row: Mapping[str, str], name: str) -> str | None:
    return row.get(name) or None


def _list(row: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in (row.get(name) or "").split(";") if part.strip()]


def _flag(row: Mapping[str, str], name: str) -> bool | None:
    text = (row.get(name) or "").lower()
    if not text:
        return None
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"{name} must be true or false, not {row[name]!r}")


def _number(row: Mapping[str, str], name: str) -> int | None:
    text = row.get(name) or ""
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number, not {text!r}")
    return int(text)


def _instant(row: Mapping[str, str], name: str) -> datetime | None:
    text = _text(row, name)
    return None if text is None else parse_instant(text, name)


def _contact(row: Mapping[str, str]) -> Contact | None:
    name = _text(row, "name")
    if name is None:
        if any(_text(row, column) for column in _CONTACT):
            raise ValueError("a contact needs a name")
        return None
    return Contact(
        name=name,
        email=_text(row, "email"),
        phone_number=_text(row, "phone"),
        language=_text(row, "language"),
        send_email=_flag(row, "send_email"),
        send_sms=_flag(row, "send_sms"),
    )


def _iloq_spec(row: Mapping[str, str]) -> NewIloqKeyContract:
    kind = (row.get("type") or "default").lower()
    if kind not in _TYPES:
        raise ValueError(f"type must be one of {sorted(_TYPES)}, not {kind!r}")
    return NewIloqKeyContract(
        contract_type=_TYPES[kind],
        access_right_ids=_list(row, "access_rights"),
        key_automat_id=_text(row, "automat_id"),
        group_id=_text(row, "group_id"),
        number_of_keys=_number(row, "number_of_keys"),
        key_ids=_list(row, "key_ids"),
        start=_instant(row, "start"),
        end=_instant(row, "end"),
        pincodes=_list(row, "pincodes"),
        contact=_contact(row),
    )


def _mechanical_spec(row: Mapping[str, str]) -> NewMechanicalKeyContract:
    contract_id, start, contact = _text(row, "id"), _instant(row, "start"), _contact(row)
    if contract_id is None or start is None or contact is None:
        raise ValueError("id, start and name are required")
    keys = _list(row, "keys")
    pincode = _text(row, "pincode")
    if pincode is not None and len(keys) != 1:
        raise ValueError("pincode is for a contract on a single key")
    verification = _number(row, "user_verification")
    if verification is not None and verification not in tuple(UserVerification):
        raise ValueError("user_verification must be 0, 1 or 2")
    return NewMechanicalKeyContract(
        id=contract_id,
        start=start,
        end=_instant(row, "end"),
        contact=contact,
        keys=[NewContractKey(key, pincode=pincode) for key in keys],
        user_verification=None if verification is None else UserVerification(verification),
        free_locker_after_fetch=_flag(row, "free_locker_after_fetch"),
    )
