"""Reading the other bulk job files: keys to add, contract updates, contracts to cancel.

The same rules as contract files (``_spec_files``): CSV with a header row or JSON lines with the
same names, every row checked before anything is sent, problems reported once with their lines.
Updates and cancels name a contract by its object ``id`` or by your ``contract_id``; ``Target``
keeps both until the command has resolved the reference (one account-wide listing). Pure.

Keys: ``device_id, key_id, name`` (required), ``key_code, locker_index, check_locker_status,
shared``. Updates: ``id`` or ``contract_id``, then the fields to change, each left unchanged
when empty: ``device_id``+``key_id`` or ``keys`` (default: the contract's own), ``start, end,
perm, person, email, phone, language, send_email, send_sms, free_text, pincode``. Cancels:
``id`` or ``contract_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._models import ContractUpdate, KeyRef, NewKey
from ._spec_files import (
    contacts_field,
    flag_field,
    instant_field,
    keys_field,
    read_numbered_rows,
    read_rows,
    text_field,
)
from ._validation import check_id, validate_contract_update, validate_new_key

__all__ = [
    "CANCEL_COLUMNS",
    "KEY_COLUMNS",
    "UPDATE_COLUMNS",
    "Target",
    "UpdateRow",
    "read_cancel_file",
    "read_key_file",
    "read_update_file",
]

KEY_COLUMNS = (
    "device_id",
    "key_id",
    "name",
    "key_code",
    "locker_index",
    "check_locker_status",
    "shared",
)
_TARGET = (("id",), ("contract_id",))
_CHANGES = (
    "start",
    "end",
    "perm",
    "person",
    "email",
    "phone",
    "language",
    "send_email",
    "send_sms",
    "free_text",
    "pincode",
)
UPDATE_COLUMNS = ("id", "contract_id", "device_id", "key_id", "keys", *_CHANGES)
CANCEL_COLUMNS = ("id", "contract_id")


@attrs.frozen
class Target:
    """The contract a row names: its object ``id``, or your ``contract_id`` to look up."""

    id: str | None
    contract_id: str | None
    line: int = 0

    @property
    def label(self) -> str:
        return self.id or f"contract_id {self.contract_id}"


@attrs.frozen
class UpdateRow:
    """One row of an update file: the contract, its new keys (none: keep them), the rest."""

    target: Target
    keys: tuple[KeyRef, ...]
    changes: Mapping[str, Any]

    def update(self, current_keys: Iterable[KeyRef]) -> ContractUpdate:
        """The update to send, checked; ``current_keys`` when the row names no keys."""
        update = ContractUpdate(keys=self.keys or tuple(current_keys), **self.changes)
        validate_contract_update(update)
        return update


def read_key_file(name: str, lines: Iterable[str]) -> list[NewKey]:
    """Every row of a keys file as a checked ``NewKey``."""
    return read_rows(name, lines, KEY_COLUMNS, ("device_id", "key_id", "name"), (), _key)


def read_update_file(name: str, lines: Iterable[str]) -> list[UpdateRow]:
    """Every row of an update file; checked as far as it can be before the contract is known."""
    rows = read_numbered_rows(name, lines, UPDATE_COLUMNS, (), _TARGET, _update)
    return [attrs.evolve(row, target=attrs.evolve(row.target, line=n)) for n, row in rows]


def read_cancel_file(name: str, lines: Iterable[str]) -> list[Target]:
    """Every row of a cancel file: the contract it names."""
    rows = read_numbered_rows(name, lines, CANCEL_COLUMNS, (), _TARGET, _target)
    return [attrs.evolve(target, line=n) for n, target in rows]


def _key(row: Mapping[str, Any]) -> NewKey:
    device_id, key_id, key_name = (text_field(row, n) for n in ("device_id", "key_id", "name"))
    if device_id is None or key_id is None or key_name is None:
        raise ValueError("device_id, key_id and name are required")
    locker = text_field(row, "locker_index")
    try:
        locker_index = None if locker is None else int(locker)
    except ValueError:
        raise ValueError(f"locker_index must be a whole number, not {locker!r}") from None
    key = NewKey(
        key_id=key_id,
        name=key_name,
        device_id=device_id,
        key_code=text_field(row, "key_code"),
        locker_index=locker_index,
        check_locker_status=flag_field(row, "check_locker_status"),
        shared=bool(flag_field(row, "shared")),
    )
    validate_new_key(key)
    return key


def _target(row: Mapping[str, Any]) -> Target:
    object_id, contract_id = text_field(row, "id"), text_field(row, "contract_id")
    if object_id is None and contract_id is None:
        raise ValueError("each row needs an id or a contract_id")
    if object_id is not None:
        check_id("id", object_id)
    return Target(object_id, contract_id)


def _update(row: Mapping[str, Any]) -> UpdateRow:
    target = _target(row)
    named = any(text_field(row, n) for n in ("keys", "device_id", "key_id"))
    changes: dict[str, Any] = {
        "start": instant_field(row, "start"),
        "end": instant_field(row, "end"),
        "perm": flag_field(row, "perm"),
        "person": text_field(row, "person"),
        "free_text": text_field(row, "free_text"),
        "pincode": text_field(row, "pincode"),
    }
    contacts = contacts_field(row)
    if contacts:
        changes["contacts"] = contacts
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes and not named:
        raise ValueError("the row changes nothing")
    keys = tuple(keys_field(row)) if named else ()
    if keys:  # the rest is checked once the contract is known
        validate_contract_update(ContractUpdate(keys=keys, **changes))
    return UpdateRow(target, keys, changes)
