"""What the public signatures say, read by introspection: every public entry point of both
clients (and of the webhook and iLOQ helpers), a valid value for each of its parameters, and
whether a value is well-formed for a parameter's annotation.

``test_input_signatures`` calls each entry point with one parameter spoiled; this module only
knows the signatures. A well-formed value is an instance of what the annotation says, with the
client's reading of "instance": text of valid Unicode, an integer (never a bool) the wire
carries exactly, a finite number, an aware datetime within the years 1 to 9999 in UTC.
"""

from __future__ import annotations

import collections.abc
import enum
import inspect
import math
import os
import types
import typing
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Union, get_args, get_origin

import attrs
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from livionkey_async import (
    AccessRightUpdate,
    Contact,
    ContractUpdate,
    KeyRef,
    LivionKeyClient,
    NewAccessRight,
    NewContract,
    NewKey,
)
from livionkey_async._assumptions import MAX_WIRE_INT
from livionkey_async.v2 import (
    AutomatUpdate,
    ContractType,
    GroupUpdate,
    IloqContractUpdate,
    KeyStorage,
    LivionKeyV2Client,
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
from livionkey_async.v2 import Contact as V2Contact

__all__ = [
    "SOON",
    "VALID_MODELS",
    "Entry",
    "hints_of",
    "is_source",
    "valid_value",
    "well_formed",
]

SOON = datetime.now(UTC) + timedelta(days=1)
LATER = SOON + timedelta(days=1)
_V2_CONTACT = V2Contact(name="Fuzz", email="f@example.com")

VALID_MODELS: dict[type, object] = {
    KeyRef: KeyRef("00001", "A0001"),
    Contact: Contact(email="f@example.com", language="en-gb"),
    NewContract: NewContract(
        contract_id="c-1",
        keys=[KeyRef("00001", "A0001")],
        start=SOON,
        end=LATER,
        person="P",
        contacts=[Contact(email="f@example.com", send_email=True)],
        pincode="123456",
    ),
    ContractUpdate: ContractUpdate(keys=[KeyRef("00001", "A0001")], end=LATER),
    NewKey: NewKey(key_id="K1", name="Key", device_id="00001", locker_index=3),
    NewAccessRight: NewAccessRight(
        access_right_id="a-1", device_ids=["00005"], start=SOON, end=LATER, person="P"
    ),
    AccessRightUpdate: AccessRightUpdate(device_ids=["00005"], start=SOON, end=LATER),
    NewAutomat: NewAutomat(
        name="A",
        address="Street 1",
        postal_code="00100",
        postal_office="Helsinki",
        timezone="Europe/Helsinki",
        product="key30",
    ),
    AutomatUpdate: AutomatUpdate(name="A", groups=["g-1"]),
    NewIloqKeyContract: NewIloqKeyContract(
        contract_type=ContractType.DEFAULT,
        access_right_ids=["ar-1"],
        start=SOON,
        end=LATER,
        key_automat_id="automat-1",
        number_of_keys=1,
        contact=_V2_CONTACT,
    ),
    IloqContractUpdate: IloqContractUpdate(end=LATER),
    NewMechanicalKey: NewMechanicalKey(id="mk-1", selected_storage=KeyStorage(automat_id="a-1")),
    MechanicalKeyUpdate: MechanicalKeyUpdate(name="K"),
    NewMechanicalKeyContract: NewMechanicalKeyContract(
        id="mc-1", start=SOON, end=LATER, contact=_V2_CONTACT, keys=[NewContractKey("mk-1")]
    ),
    MechanicalContractUpdate: MechanicalContractUpdate(end=LATER),
    NewGroup: NewGroup(name="G", customer_id="customer-1"),
    GroupUpdate: GroupUpdate(name="G"),
    NewOrganizationUnit: NewOrganizationUnit(name="U", customer_id="customer-1"),
    NewServiceAccount: NewServiceAccount(organization_unit_id="ou-1", name="S"),
}

# Names only imported for type checking in the modules that annotate with them.
_NAMESPACE = {
    "RSAPrivateKey": RSAPrivateKey,
    "LivionKeyClient": LivionKeyClient,
    "LivionKeyV2Client": LivionKeyV2Client,
}


@attrs.frozen
class Entry:
    """One public entry point: ``label`` (``contracts.create``), the callable, its parameters
    (``self`` left out) and their annotations."""

    label: str
    function: Callable[..., Any]
    parameters: tuple[inspect.Parameter, ...]
    hints: Mapping[str, Any]


def hints_of(label: str, function: Callable[..., Any]) -> Entry:
    target = function.__init__ if isinstance(function, type) else function  # type: ignore[misc]
    hints = typing.get_type_hints(target, localns=_NAMESPACE)
    parameters = tuple(
        p for p in inspect.signature(function).parameters.values() if p.name != "self"
    )
    return Entry(label, function, parameters, hints)


def is_source(hint: Any) -> bool:
    """A bulk helper's items: an iterable or an async iterable (``_fanout.Source``)."""
    return get_origin(hint) in (Union, types.UnionType) and any(
        get_origin(arg) is AsyncIterable for arg in get_args(hint)
    )


def valid_value(name: str, hint: Any, valid: Mapping[str, object]) -> object:
    """A value the entry point accepts for a required parameter (``valid``: by name first)."""
    if name in valid:
        return valid[name]
    if is_source(hint):
        item = get_args(get_args(hint)[0])[0]
        if item is str:
            return ["deadbeef"]
        if get_origin(item) is tuple:
            return [("deadbeef", VALID_MODELS[ContractUpdate])]
        return [VALID_MODELS[item]]
    if hint in VALID_MODELS:
        return VALID_MODELS[hint]
    if hint is str or str in get_args(hint):
        return "00001"
    if hint is int:
        return 0
    origin = get_origin(hint)
    if origin is collections.abc.Iterable:
        return [VALID_MODELS[get_args(hint)[0]]] if get_args(hint)[0] in VALID_MODELS else []
    raise LookupError(f"no valid value known for {name}: {hint!r}")


def well_formed(value: object, hint: Any) -> bool:
    """Whether ``value`` is what ``hint`` says (see the module's docstring)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any or hint is object:
        return True
    if hint is type(None):
        return value is None
    if origin in (Union, types.UnionType):
        return any(well_formed(value, arg) for arg in args)
    if origin is Literal:
        return isinstance(value, str) and value in args
    if hint is str:
        return isinstance(value, str) and _unicode(value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and -MAX_WIRE_INT <= value <= MAX_WIRE_INT
        )
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)
    if hint is bytes:
        return isinstance(value, bytes)
    if hint is datetime:
        return isinstance(value, datetime) and _aware(value)
    if origin is collections.abc.Callable or hint is Callable:
        return callable(value)
    if origin is AsyncIterable:
        return isinstance(value, AsyncIterable)
    if origin in (collections.abc.Iterable, collections.abc.Sequence, tuple, list, frozenset):
        if not isinstance(value, origin if origin is not collections.abc.Iterable else Iterable):
            return False
        if isinstance(value, bytes | bytearray):
            return False
        items = list(value)  # every value tried is a container
        item_hint = args[0] if args else Any
        return all(well_formed(item, item_hint) for item in items)
    if origin in (collections.abc.Mapping, dict):
        return isinstance(value, Mapping) and all(
            well_formed(k, args[0]) and well_formed(v, args[1]) for k, v in value.items()
        )
    if origin is os.PathLike:
        return isinstance(value, os.PathLike)
    if origin is not None and isinstance(origin, type):
        return isinstance(value, origin)  # a generic class (BulkReport[...])
    if isinstance(hint, type) and getattr(hint, "_is_protocol", False):
        methods = [m for m, v in vars(hint).items() if callable(v) and not m.startswith("_")]
        return all(callable(getattr(value, m, None)) for m in methods)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return isinstance(value, hint)
    if isinstance(hint, type) and attrs.has(hint):
        if not isinstance(value, hint):
            return False
        field_hints = typing.get_type_hints(hint)
        return all(
            well_formed(getattr(value, field.name), field_hints[field.name])
            for field in attrs.fields(hint)
        )
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise TypeError(f"well_formed does not know {hint!r}")


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _finite(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _aware(moment: datetime) -> bool:
    try:
        return moment.utcoffset() is not None and moment.astimezone(UTC) is not None
    except (OverflowError, ValueError):
        return False
