"""The one cattrs converter between the wire's JSON and our models, and its quirks.

LivionKey's JSON is camelCase, names a device ``deviceId`` in one ``/devices`` shape and ``id`` in
the other, sends a locker index as a string or an int, a ``tag`` as a string or a list, and dates
as ISO-8601 except the login's HTTP-date. Every such quirk is handled here, once; the rest of the
library only sees models. Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import ResponseFormatError
from ._models import Contract, ContractUpdate, Device, Key, KeyRef, NewContract, NewKey

__all__ = ["converter", "format_datetime", "parse_datetime", "structure", "unstructure"]

T = TypeVar("T")

# Wire names that are not simply the camelCase of our field name.
_RENAMES: dict[type, dict[str, str]] = {
    Key: {"name": "keyName"},
    NewKey: {"name": "keyName"},
    KeyRef: {"device_id": "id"},
    Contract: {"keys": "devices"},
    NewContract: {"keys": "devices"},
    ContractUpdate: {"keys": "devices"},
}
# Fields the server requires even when empty, so they are sent even at their default.
_ALWAYS_SENT: dict[type, frozenset[str]] = {NewContract: frozenset({"contacts"})}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse_datetime(value: object) -> datetime:
    """An ISO-8601 instant (``Z`` or an offset) or an HTTP-date, as an aware UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
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
        return tuple(_structure_str(item, str) for item in value)
    raise ValueError("not a string or a list of strings")


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(datetime, lambda value, _: parse_datetime(value))
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_strings)

    def names(cls: type) -> dict[str, str]:
        renames = _RENAMES.get(cls, {})
        return {a.name: renames.get(a.name, _camel(a.name)) for a in attrs.fields(cls)}

    def structure_factory(cls: type) -> Callable[[Any, type], Any]:
        overrides = {field: override(rename=wire) for field, wire in names(cls).items()}
        return make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def unstructure_factory(cls: type) -> Callable[[Any], Any]:
        overrides = {
            field: override(rename=wire, omit_if_default=field not in _ALWAYS_SENT.get(cls, ()))
            for field, wire in names(cls).items()
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)

    structure_device = structure_factory(Device)

    def device_hook(value: Any, cls: type) -> Device:
        # GET /devices without `limit` says `deviceId`; with `limit` and GET /devices/{id}, `id`.
        if isinstance(value, Mapping) and "deviceId" not in value and "id" in value:
            value = {**value, "deviceId": value["id"]}
        device: Device = structure_device(value, cls)
        return device

    conv.register_structure_hook(Device, device_hook)
    return conv


converter = _make_converter()


def structure(data: object, cls: type[T]) -> T:
    """Read ``data`` (decoded JSON) as ``cls``, or raise ``ResponseFormatError``.

    The error says where the body differs from the documented shape, never what it held.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        where = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, Exception) else ""
        raise ResponseFormatError(
            f"unexpected {getattr(cls, '__name__', cls)} in the answer: {where}"
        ) from None


def unstructure(value: object) -> Any:
    """A model as wire JSON (camelCase, ISO dates, defaults left out)."""
    return converter.unstructure(value)
