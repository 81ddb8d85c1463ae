"""Reading bulk job files (CSV or JSON lines) into ``NewContract`` specs.

Operators write these by hand or export them from a booking system, so every row is checked
and every problem is reported with its line number before anything is sent: a column the CSV
lacks once (line 1), the same problem on many rows once with their lines, a file without rows
as such. Pure: takes text lines, returns specs or raises ``SpecFileError``.

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
    "Problems",
    "SpecFileError",
    "contacts_field",
    "flag_field",
    "instant_field",
    "keys_field",
    "parse_instant",
    "read_numbered_rows",
    "read_rows",
    "read_spec_file",
    "text_field",
]

T = TypeVar("T")

# A CSV must have these columns, and one of the groups of ``_ONE_OF``.
_REQUIRED = ("contract_id", "start", "person")
_ONE_OF = (("device_id", "key_id"), ("keys",))
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
        what = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {what}:\n{shown}{more}")
        self.problems = problems


def read_spec_file(name: str, lines: Iterable[str]) -> list[NewContract]:
    """Every row of a ``.csv`` or ``.jsonl`` file as a checked ``NewContract``."""
    return read_rows(name, lines, COLUMNS, _REQUIRED, _ONE_OF, _contract)


def _contract(row: Mapping[str, Any]) -> NewContract:
    spec = _spec(row)
    validate_new_contract(spec)
    return spec


def read_rows(
    name: str,
    lines: Iterable[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    one_of: tuple[tuple[str, ...], ...],
    parse: Callable[[Mapping[str, Any]], T],
) -> list[T]:
    """Every row of a ``.csv`` or ``.jsonl`` job file, parsed and checked by ``parse``.

    The CSV header must name ``required`` and one group of ``one_of``, and nothing outside
    ``columns``. Problems are gathered before anything is returned; rows with the same problem
    are reported in one line.
    """
    rows = read_numbered_rows(name, lines, columns, required, one_of, parse)
    return [spec for _, spec in rows]


def read_numbered_rows(
    name: str,
    lines: Iterable[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    one_of: tuple[tuple[str, ...], ...],
    parse: Callable[[Mapping[str, Any]], T],
) -> list[tuple[int, T]]:
    """``read_rows``, each row with its line number (for problems found later)."""
    is_json = name.endswith((".jsonl", ".ndjson", ".json"))
    rows = _json_rows(lines) if is_json else _csv_rows(lines, columns, required, one_of)
    specs: list[tuple[int, T]] = []
    problems = Problems()
    count = 0
    for line, row in rows:
        count += 1
        try:
            specs.append((line, parse(row)))
        except (ValidationError, ValueError, TypeError, KeyError) as exc:
            problems.add(line, f"missing {exc}" if isinstance(exc, KeyError) else str(exc))
    problems.raise_any()
    if not count:
        raise SpecFileError([f"{name} has no rows: nothing to do"])
    return specs


class Problems:
    """Problems found in a job file, the same one on many rows reported once with its lines."""

    def __init__(self) -> None:
        self._lines: dict[str, list[int]] = {}

    def add(self, line: int, message: str) -> None:
        self._lines.setdefault(message, []).append(line)

    def raise_any(self) -> None:
        if self._lines:
            raise SpecFileError([f"{_lines(at)}: {what}" for what, at in self._lines.items()])


def _lines(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:5])
    more = f" and {len(numbers) - 5} more" if len(numbers) > 5 else ""
    return f"lines {shown}{more}"


def _csv_rows(
    lines: Iterable[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    one_of: tuple[tuple[str, ...], ...],
) -> Iterable[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(lines)
    if not reader.fieldnames:
        raise SpecFileError(["line 1: the CSV needs a header row naming its columns"])
    present = {name.strip() for name in reader.fieldnames if name}
    unknown = present - set(columns)
    if unknown:
        raise SpecFileError([f"line 1: unknown column(s) {sorted(unknown)}; known: {columns}"])
    missing = [name for name in required if name not in present]
    if one_of and not any(all(name in present for name in group) for group in one_of):
        missing.append(" or ".join("+".join(group) for group in one_of))
    if missing:
        raise SpecFileError([f"line 1: missing column(s): {', '.join(missing)}"])
    for row in reader:
        yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}


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


def text_field(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    return str(value)


def flag_field(row: Mapping[str, Any], name: str) -> bool | None:
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


def instant_field(row: Mapping[str, Any], name: str) -> datetime | None:
    text = text_field(row, name)
    return None if text is None else parse_instant(text, name)


def keys_field(row: Mapping[str, Any]) -> list[KeyRef]:
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
    device, key = text_field(row, "device_id"), text_field(row, "key_id")
    if device is None or key is None:
        raise ValueError("each row needs device_id and key_id (or keys)")
    return [KeyRef(device, key)]


def contacts_field(row: Mapping[str, Any]) -> list[Contact]:
    """The row's one contact (``email``, ``phone``, ``language``, ``send_*``), or none."""
    language = text_field(row, "language")
    if language is not None and language not in get_args(Language):
        raise ValueError(f"language must be one of {get_args(Language)}, not {language!r}")
    email, phone = text_field(row, "email"), text_field(row, "phone")
    if not (email or phone):
        if language is not None:
            raise ValueError("language is the contact's: give an email or a phone too")
        return []
    contact = Contact(
        email=email,
        phone_number=phone,
        send_email=flag_field(row, "send_email"),
        send_sms=flag_field(row, "send_sms"),
        language=cast(Language | None, language),
    )
    return [contact]


def _spec(row: Mapping[str, Any]) -> NewContract:
    contract_id = text_field(row, "contract_id")
    person = text_field(row, "person")
    start = instant_field(row, "start")
    if contract_id is None or person is None or start is None:
        raise ValueError("contract_id, person and start are required")
    contacts = contacts_field(row)
    contract_type = text_field(row, "type") or "default"
    if contract_type not in get_args(ContractType):
        raise ValueError(f"type must be one of {get_args(ContractType)}")
    return NewContract(
        contract_id=contract_id,
        keys=keys_field(row),
        start=start,
        end=instant_field(row, "end"),
        person=person,
        contacts=contacts,
        perm=bool(flag_field(row, "perm")),
        free_text=text_field(row, "free_text"),
        pincode=text_field(row, "pincode"),
        type=cast(ContractType, contract_type),
    )
