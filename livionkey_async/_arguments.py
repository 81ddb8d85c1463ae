"""Small checkers of what a caller passes, shared by every public method of both clients.

Each takes the argument's name and value and raises a ``ValidationError`` naming it when the
value is of the wrong type or out of range, before anything is sent: ``end="tomorrow"``,
``pincode=123456``, ``limit="5"``, an id holding a lone surrogate (which no request can carry),
an aware datetime whose UTC value lies past year 9999. A method calls the checkers its
parameters need; the models' fields are checked from their annotations (``_typed_fields``).
Pure functions, no I/O.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from ._assumptions import MAX_WIRE_INT
from ._errors import ValidationError
from ._shard import Shard

__all__ = [
    "as_ids",
    "as_shard",
    "as_texts",
    "check_aware",
    "check_bool",
    "check_callable",
    "check_concurrency",
    "check_id",
    "check_instance",
    "check_int",
    "check_number",
    "check_path",
    "check_source",
    "check_text",
    "type_name",
]

T = TypeVar("T")


def type_name(value: object) -> str:
    return type(value).__name__


def _unicode(name: str, value: str) -> None:
    # Text with a lone surrogate (from a mis-decoded file, say) cannot be encoded to be sent.
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(f"{name} must be valid Unicode text") from None


def check_text(name: str, value: object, *, required: bool = False, optional: bool = True) -> None:
    """A string of valid Unicode; ``required``: not blank; ``optional``: ``None`` passes."""
    if value is None and optional and not required:
        return
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {type_name(value)}")
    if required and not value.strip():
        raise ValidationError(f"{name} must be a non-empty string")
    _unicode(name, value)


def check_id(name: str, value: object) -> None:
    """Ids go into URL paths: non-empty strings of valid Unicode, without ``/``, ``?`` or
    ``#``, and neither ``.`` nor ``..``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string")
    if "/" in value or "?" in value or "#" in value or value.strip(".") == "":
        raise ValidationError(f"{name} must not contain '/', '?' or '#', nor be '.' or '..'")
    _unicode(name, value)


def as_ids(name: str, value: object) -> tuple[str, ...]:
    """Ids given as one string or as an iterable of them, each checked (``check_id``)."""
    if isinstance(value, str):
        ids: tuple[object, ...] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        ids = tuple(value)
    else:
        raise ValidationError(f"{name} must be an id or an iterable of ids, not {type_name(value)}")
    for item in ids:
        check_id(name, item)
    return ids  # type: ignore[return-value]  # each one checked to be a str


def as_texts(name: str, value: object) -> tuple[str, ...]:
    """One string or an iterable of them (keys to accept, say), each non-empty valid text."""
    if isinstance(value, str):
        texts: tuple[object, ...] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray | Mapping):
        texts = tuple(value)
    else:
        raise ValidationError(f"{name} must be a string or several, not {type_name(value)}")
    for text in texts:
        check_text(name, text, required=True)
    return texts  # type: ignore[return-value]  # each one checked to be a str


def check_bool(name: str, value: object, *, optional: bool = False) -> None:
    """``True`` or ``False`` (``None`` too when ``optional``); nothing merely truthy."""
    if not isinstance(value, bool) and not (optional and value is None):
        raise ValidationError(f"{name} must be True or False, not {type_name(value)}")


def check_int(
    name: str,
    value: object,
    *,
    low: int | None = 0,
    high: int = MAX_WIRE_INT,
    optional: bool = False,
) -> None:
    """An integer (not a bool) within ``low..high`` (``low=None``: ``-high``)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer, not {type_name(value)}")
    bottom = -high if low is None else low
    if not bottom <= value <= high:
        raise ValidationError(f"{name} must be between {bottom} and {high}")


def check_number(
    name: str,
    value: object,
    *,
    positive: bool = False,
    optional: bool = False,
) -> None:
    """A finite number (an int or a float, not a bool), at least 0 (above 0 when
    ``positive``)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number, not {type_name(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite or value < 0 or (positive and value == 0):
        bound = "positive" if positive else "at least 0"
        raise ValidationError(f"{name} must be a finite number, {bound}")


def check_aware(name: str, value: object) -> None:
    """``None``, or a timezone-aware datetime whose UTC value the wire can carry (the years 1
    to 9999): a naive one is ambiguous, refused rather than guessed."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, not {type_name(value)}")
    try:
        aware = value.tzinfo is not None and value.utcoffset() is not None
        if aware:
            value.astimezone(UTC)
    except (OverflowError, ValueError, TypeError):  # past year 9999 in UTC, or a broken tzinfo
        raise ValidationError(f"{name} must fall within the years 1 to 9999 in UTC") from None
    if not aware:
        raise ValidationError(
            f"{name} must be a timezone-aware datetime (for example datetime(..., tzinfo=UTC))"
        )


def check_instance(name: str, value: object, cls: type, *, optional: bool = False) -> None:
    if not isinstance(value, cls) and not (optional and value is None):
        raise ValidationError(f"{name} must be a {cls.__name__}, not {type_name(value)}")


def check_methods(
    name: str, value: object, methods: tuple[str, ...], what: str, *, optional: bool = False
) -> None:
    """``value`` has every one of ``methods`` (what a protocol asks: a store, say)."""
    if value is None and optional:
        return
    if not all(callable(getattr(value, method, None)) for method in methods):
        raise ValidationError(f"{name} must be {what}, not {type_name(value)}")


def check_callable(name: str, value: object, *, optional: bool = False) -> None:
    if not callable(value) and not (optional and value is None):
        raise ValidationError(f"{name} must be callable, not {type_name(value)}")


def check_path(name: str, value: object) -> None:
    """``None``, or a file path (a non-empty string or an ``os.PathLike``)."""
    if value is not None and not isinstance(value, str | os.PathLike):
        raise ValidationError(f"{name} must be a file path, not {type_name(value)}")
    if isinstance(value, str):
        check_text(name, value, required=True)


def check_concurrency(value: object) -> None:
    check_int("concurrency", value, low=1)


def check_source(name: str, value: object) -> None:
    """What a bulk job reads its items from: an iterable or an async iterable (not text)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable | AsyncIterable):
        raise ValidationError(
            f"{name} must be a list, an iterable or an async iterable, not {type_name(value)}"
        )


def as_shard(name: str, value: object) -> Shard | None:
    """``None``, a ``Shard``, or its text (``"2/4"``), as a ``Shard``."""
    if value is None or isinstance(value, Shard):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a Shard or 'I/N' text, not {type_name(value)}")
    try:
        return Shard.parse(value)
    except ValueError:
        raise ValidationError(
            f"{name} must be 'I/N' with 1 <= I <= N (for example '2/4')"
        ) from None
