"""The one cattrs converter between the wire's JSON and our models, and its quirks.

LivionKey's JSON is camelCase, names a device ``deviceId`` in one ``/devices`` shape and ``id`` in
the other, sends a locker index as a string or an int, a ``tag`` as a string or a list, ``null``
where a field has nothing to say (``perm``, ``freeText``), ``recurrent`` as an array of weekly
schedules (``[]`` for none), ``attachment`` as an array that may hold ``null``, a keypad access
right's devices as ``[{"id": ...}]`` and its reference as ``accessRightId`` or ``contractId``, and
dates as ISO-8601 except the login's HTTP-date. Every such quirk is handled here, once; the rest
of the library only sees models. A ``null`` reads as "not given": the field keeps its default,
and only a field the client cannot work without is required. Pure, no I/O.

What we send follows the reference exactly: ``lockerIndex`` as a string (the reference types it
String on ``POST /keys``, ``POST /keys/:id`` and ``opendoor``), ``recurrent`` days as an object
of seven booleans keyed ``"0"`` to ``"6"``, unset fields left out.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import ResponseFormatError, shown
from ._models import (
    AccessRight,
    AccessRightUpdate,
    Contract,
    ContractUpdate,
    CreatedContract,
    CreatedKey,
    Device,
    Key,
    KeyRef,
    NewAccessRight,
    NewContract,
    NewKey,
    Recurrence,
)

__all__ = [
    "converter",
    "format_datetime",
    "locker_index_wire",
    "parse_datetime",
    "structure",
    "unstructure",
]

T = TypeVar("T")

# Wire names that are not simply the camelCase of our field name.
_RENAMES: dict[type, dict[str, str]] = {
    Key: {"name": "keyName"},
    NewKey: {"name": "keyName"},
    KeyRef: {"device_id": "id"},
    Contract: {"keys": "devices"},
    NewContract: {"keys": "devices"},
    ContractUpdate: {"keys": "devices"},
    AccessRight: {"device_ids": "devices"},
    NewAccessRight: {"device_ids": "devices"},
    AccessRightUpdate: {"device_ids": "devices"},
}
# Other names a field arrives under in some of Livion's shapes, tried in order after its own.
_ALIASES: dict[type, dict[str, tuple[str, ...]]] = {
    # GET /devices without `limit` says `deviceId`; with `limit` and GET /devices/{id}, `id`.
    Device: {"deviceId": ("id",)},
    # GET /devices/{id}/accessrights says `accessRightId`; GET /accessrights/{id}, `contractId`.
    AccessRight: {"accessRightId": ("contractId",)},
}
# Fields the server requires even when empty, so they are sent even at their default.
_ALWAYS_SENT: dict[type, frozenset[str]] = {
    NewContract: frozenset({"contacts"}),
    NewAccessRight: frozenset({"contacts"}),
}
# Fields that are ours, never the wire's: not read from an answer, not sent.
_LOCAL: dict[type, frozenset[str]] = {
    CreatedContract: frozenset({"reconciled"}),
    CreatedKey: frozenset({"reconciled"}),
}
_WEEK = range(7)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse_datetime(value: object) -> datetime:
    """An ISO-8601 instant (``Z`` or an offset) or an HTTP-date, as an aware UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            # Python 3.11 reads the wire's "...Z" as it is; a lower-case "z" needs help.
            parsed = datetime.fromisoformat(value if value[-1] != "z" else value[:-1] + "Z")
        except ValueError:
            try:
                parsed = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError) as exc:
                raise ValueError("not an ISO-8601 date or an HTTP-date") from exc
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    else:
        raise ValueError("not a date")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """The wire's date form: ISO-8601 in UTC with milliseconds, ``2026-10-01T12:00:00.000Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("not a boolean")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise ValueError("not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError("not an integer")


def _structure_str(value: object, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError("not a string")


def _structure_strings(value: object, _: type) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        # `attachment` arrives as `[null]`: a null inside the list holds nothing.
        return tuple(_structure_str(item, str) for item in value if item is not None)
    raise ValueError("not a string or a list of strings")


def locker_index_wire(index: int) -> str:
    """A locker index as the reference types it in what we send: a string."""
    return str(index)


def _structure_days(value: object, _: type) -> frozenset[int]:
    """``{"0": true, "1": false, ...}`` (or a list of day numbers): the set of days that are on."""
    if isinstance(value, Mapping):
        days = {_structure_int(day, int) for day, on in value.items() if _structure_bool(on, bool)}
    elif isinstance(value, list | tuple):
        days = {_structure_int(day, int) for day in value}
    else:
        raise ValueError("not an object of days")
    if not days <= set(_WEEK):
        raise ValueError("days are numbered 0 to 6")
    return frozenset(days)


def _unstructure_days(days: frozenset[int]) -> dict[str, bool]:
    return {str(day): day in days for day in _WEEK}


def _device_refs(value: object, _: type) -> tuple[str, ...]:
    """A keypad access right's ``devices``: ``[{"id": ...}]`` (or bare ids) as device ids."""
    if not isinstance(value, list | tuple):
        raise ValueError("not a list of devices")
    ids = (item.get("id") if isinstance(item, Mapping) else item for item in value)
    return tuple(_structure_str(device_id, str) for device_id in ids if device_id is not None)


def _device_refs_wire(ids: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"id": device_id} for device_id in ids]


def _optional(hook: Callable[[Any, type], T], scalar: type) -> Callable[[Any, type], T | None]:
    def structure_optional(value: Any, _: type) -> T | None:
        return None if value is None else hook(value, scalar)

    return structure_optional


def _structure_recurrences(value: object, _: type) -> tuple[Recurrence, ...]:
    # `recurrent` is `[]` for no schedule; older answers say `false` (or nothing) instead.
    if value is None or isinstance(value, bool):
        return ()
    if not isinstance(value, list | tuple):
        raise ValueError("not a list of schedules")
    return tuple(converter.structure(item, Recurrence) for item in value)


# Per class, per field: how to read and write it when the type alone does not say.
_FIELD_HOOKS: dict[type, dict[str, dict[str, Callable[..., Any]]]] = {
    Recurrence: {"days": {"struct_hook": _structure_days, "unstruct_hook": _unstructure_days}},
    NewKey: {"locker_index": {"unstruct_hook": locker_index_wire}},
    AccessRight: {"device_ids": {"struct_hook": _device_refs}},
    NewAccessRight: {"device_ids": {"unstruct_hook": _device_refs_wire}},
    AccessRightUpdate: {"device_ids": {"unstruct_hook": _device_refs_wire}},
}


def _is_sequence(cls: Any) -> bool:
    origin, args = typing.get_origin(cls), typing.get_args(cls)
    return (origin is list and len(args) == 1) or (
        origin is tuple and len(args) == 2 and args[1] is Ellipsis
    )


def _sequence_factory(cls: Any, conv: cattrs.Converter) -> Callable[[Any, type], Any]:
    """A JSON array as ``list[X]`` or ``tuple[X, ...]``, read item by item and refused at its first
    bad item (cattrs' own reader goes on and collects an error per item: a million bad items
    would cost minutes and a message of millions of characters). Text is not an array of
    characters, nor an object an array of its keys."""
    item_type = typing.get_args(cls)[0]
    make: Callable[[list[Any]], Any] = list if typing.get_origin(cls) is list else tuple
    hook = conv.get_structure_hook(item_type)

    def structure_sequence(value: Any, _: type) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError(f"not a JSON array: {type(value).__name__}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(hook(item, item_type))
            except Exception as exc:
                note = IterableValidationNote(f"Structuring {cls} @ {index}", index, item_type)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                raise IterableValidationError(f"While structuring {cls!r}", [exc], cls) from None
        return make(items)

    return structure_sequence


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    # First: the more specific sequence hooks registered below take precedence over it.
    conv.register_structure_hook_factory(_is_sequence, _sequence_factory)
    conv.register_structure_hook(datetime, lambda value, _: parse_datetime(value))
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_strings)
    # The optional scalars directly: cattrs' generic Optional hook dispatches on every value.
    for scalar, hook in (
        (str, _structure_str),
        (int, _structure_int),
        (bool, _structure_bool),
        (datetime, lambda value, _: parse_datetime(value)),
    ):
        conv.register_structure_hook(scalar | None, _optional(hook, scalar))
    conv.register_structure_hook_func(lambda t: t == tuple[Recurrence, ...], _structure_recurrences)

    def names(cls: type) -> dict[str, str]:
        renames = _RENAMES.get(cls, {})
        return {a.name: renames.get(a.name, _camel(a.name)) for a in attrs.fields(cls)}

    def field_override(cls: type, field: str, **options: Any) -> Any:
        hooks: dict[str, Any] = _FIELD_HOOKS.get(cls, {}).get(field, {})
        return override(**options, **hooks)

    def structure_factory(cls: type) -> Callable[[Any, type], Any]:
        wire_names = names(cls)
        local = _LOCAL.get(cls, frozenset())
        overrides = {
            f: field_override(cls, f, rename=wire, omit=f in local)
            for f, wire in wire_names.items()
        }
        structure_fields: Callable[[Any, type], Any] = make_dict_structure_fn(
            cls, conv, **overrides
        )
        aliases = tuple(_ALIASES.get(cls, {}).items())

        def structure_object(value: Any, target: type) -> Any:
            if not isinstance(value, Mapping):
                raise ValueError(f"not a JSON object: {type(value).__name__}")
            # `null` means "not given": the field keeps its default (or is missing if required).
            if None in value.values():
                value = {k: v for k, v in value.items() if v is not None}
            for wire, others in aliases:
                if wire not in value:
                    alias = next((o for o in others if o in value), None)
                    if alias is not None:
                        value = {**value, wire: value[alias]}
            return structure_fields(value, target)

        return structure_object

    def unstructure_factory(cls: type) -> Callable[[Any], Any]:
        overrides = {
            field: field_override(
                cls,
                field,
                rename=wire,
                omit_if_default=field not in _ALWAYS_SENT.get(cls, ()),
                omit=field in _LOCAL.get(cls, ()),
            )
            for field, wire in names(cls).items()
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


converter = _make_converter()


def _describe_failure(exc: Exception) -> str:
    """Where a structuring failure lies (``invalid value @ $[3].keyName``), a few places at most,
    never the values themselves."""
    places = cattrs.transform_error(exc)
    more = f"; and {len(places) - 3} more" if len(places) > 3 else ""
    return shown("; ".join(places[:3]) + more)


def structure(
    data: object, cls: type[T], *, conv: cattrs.Converter | None = None, what: str | None = None
) -> T:
    """Read ``data`` (decoded JSON) as ``cls``, or raise ``ResponseFormatError``.

    The error says where the body differs from the documented shape, never what it held, and
    chains nothing (cattrs' errors may quote the values). ``conv``: another converter built on
    this one (API v2's, iLOQ's); ``what``: the answer's name in the message (default: the type's).
    """
    try:
        return (converter if conv is None else conv).structure(data, cls)
    except Exception as exc:
        name = what or getattr(typing.get_origin(cls) or cls, "__name__", str(cls))
        failure = ResponseFormatError(f"unexpected {name} in the answer: {_describe_failure(exc)}")
    raise failure


def unstructure(value: object) -> Any:
    """A model as wire JSON (camelCase, ISO dates, defaults left out)."""
    return converter.unstructure(value)
