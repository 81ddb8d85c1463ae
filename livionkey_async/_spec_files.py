"""Reading bulk job files (CSV or JSON lines) into ``NewContract`` specs.

Operators write these by hand or export them from a booking system, so every row is checked
and every problem is reported with its line number before anything is sent. Pure: takes text
lines, returns specs or raises ``SpecFileError``.

CSV columns (header row required; the order is free):
``contract_id, device_id, key_id, start, end, person, email, phone, language, send_email,
send_sms, pincode, perm, free_text, type``, or ``keys`` instead of ``device_id``/``key_id`` as
``DEVICE/KEY;DEVICE/KEY`` for a contract on several keys. ``start``/``end`` are ISO-8601 with a
zone (``2026-12-01T15:00:00Z``). JSON lines: one object per line with the same names, where
``keys`` may also be a list of ``{"device_id", "key_id"}`` objects.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast, get_args

from ._errors import ValidationError
from ._models import Contact, ContractType, KeyRef, Language, NewContract
from ._validation import validate_new_contract

__all__ = [
    "COLUMNS",
    "SpecFileError",
    "cell_flag",
    "cell_instant",
    "cell_text",
    "csv_rows",
    "parse_instant",
    "read_rows",
    "read_spec_file",
]

T = TypeVar("T")

COLUMNS = (
    "contract_id",
    "device_id",
    "key_id",
    "keys",
    "start",
    "end",
    "person",
    "email",
    "phone",
    "language",
    "send_email",
    "send_sms",
    "pincode",
    "perm",
    "free_text",
    "type",
)
_TRUE = frozenset({"1", "true", "yes", "y"})
_FALSE = frozenset({"", "0", "false", "no", "n"})


class SpecFileError(ValidationError):
    """A job file has rows that are not valid contracts; ``problems`` lists them by line."""

    def __init__(self, problems: list[str]) -> None:
        shown = "\n".join(problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} bad row(s):\n{shown}{more}")
        self.problems = problems


def read_spec_file(name: str, lines: Iterable[str]) -> list[NewContract]:
    """Every row of a ``.csv`` or ``.jsonl`` file as a checked ``NewContract``."""
    is_json = name.endswith((".jsonl", ".ndjson", ".json"))
    rows = _json_rows(lines) if is_json else csv_rows(lines, COLUMNS)
    return read_rows(rows, _checked_spec)


def read_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], spec_of: Callable[[Mapping[str, Any]], T]
) -> list[T]:
    """Every row as a spec (``spec_of`` builds and checks one), or ``SpecFileError`` listing
    every bad row by its line."""
    specs: list[T] = []
    problems: list[str] = []
    for line, row in rows:
        try:
            specs.append(spec_of(row))
        except (ValidationError, ValueError, TypeError) as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise SpecFileError(problems)
    return specs


def csv_rows(
    lines: Iterable[str], columns: tuple[str, ...]
) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """The rows of a CSV with a header naming only ``columns``, cells stripped, with their line."""
    reader = csv.DictReader(lines)
    unknown = set(reader.fieldnames or ()) - set(columns)
    if not reader.fieldnames:
        raise SpecFileError(["line 1: the CSV needs a header row naming its columns"])
    if unknown:
        raise SpecFileError([f"line 1: unknown column(s) {sorted(unknown)}; known: {columns}"])
    for row in reader:
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _json_rows(lines: Iterable[str]) -> Iterable[tuple[int, Mapping[str, Any]]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SpecFileError([f"line {number}: not JSON ({exc.msg})"]) from None
        if not isinstance(row, dict):
            raise SpecFileError([f"line {number}: expected a JSON object"])
        yield number, row


def cell_text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    return str(value)


def cell_flag(row: Mapping[str, Any], name: str) -> bool | None:
    value = row.get(name)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return None if text == "" else False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def parse_instant(text: str, name: str = "date") -> datetime:
    """A date an operator wrote (ISO-8601, ``Z`` allowed). A missing zone is kept missing, for
    validation to refuse: guessing one is how bookings end up an hour off."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} is not an ISO-8601 date: {text!r}") from None


def cell_instant(row: Mapping[str, Any], name: str) -> datetime | None:
    text = cell_text(row, name)
    return None if text is None else parse_instant(text, name)


def _keys(row: Mapping[str, Any]) -> list[KeyRef]:
    keys = row.get("keys")
    if isinstance(keys, list):
        return [KeyRef(str(k["device_id"]), str(k["key_id"])) for k in keys]
    if keys:
        refs = []
        for pair in str(keys).split(";"):
            device_id, sep, key_id = pair.strip().partition("/")
            if not sep:
                raise ValueError(f"keys must be DEVICE/KEY pairs separated by ';', not {pair!r}")
            refs.append(KeyRef(device_id, key_id))
        return refs
    device, key = cell_text(row, "device_id"), cell_text(row, "key_id")
    if device is None or key is None:
        raise ValueError("each row needs device_id and key_id (or keys)")
    return [KeyRef(device, key)]


def _checked_spec(row: Mapping[str, Any]) -> NewContract:
    spec = _spec(row)
    validate_new_contract(spec)
    return spec


def _spec(row: Mapping[str, Any]) -> NewContract:
    contract_id = cell_text(row, "contract_id")
    person = cell_text(row, "person")
    start = cell_instant(row, "start")
    if contract_id is None or person is None or start is None:
        raise ValueError("contract_id, person and start are required")
    language = cell_text(row, "language")
    if language is not None and language not in get_args(Language):
        raise ValueError(f"language must be one of {get_args(Language)}, not {language!r}")
    contract_type = cell_text(row, "type") or "default"
    if contract_type not in get_args(ContractType):
        raise ValueError(f"type must be one of {get_args(ContractType)}")
    email, phone = cell_text(row, "email"), cell_text(row, "phone")
    contacts = []
    if email or phone:
        contacts.append(
            Contact(
                email=email,
                phone_number=phone,
                send_email=cell_flag(row, "send_email"),
                send_sms=cell_flag(row, "send_sms"),
                language=cast(Language | None, language),
            )
        )
    return NewContract(
        contract_id=contract_id,
        keys=_keys(row),
        start=start,
        end=cell_instant(row, "end"),
        person=person,
        contacts=contacts,
        perm=bool(cell_flag(row, "perm")),
        free_text=cell_text(row, "free_text"),
        pincode=cell_text(row, "pincode"),
        type=cast(ContractType, contract_type),
    )
