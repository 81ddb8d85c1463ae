"""Checks that a model the caller built holds, in every field, what the field's annotation says.

attrs does not check types, so ``NewContract(person=5, end="tomorrow")`` builds; sent, it would
be refused by the server at best, and at worst crash on the way (``"tomorrow".astimezone``). The
``validate_*`` functions run :func:`check_fields` first, so that every field of every model a
caller sends (V1 and API v2 alike) is type-checked, including fields added later, with a
``ValidationError`` naming the field (``keys[1].device_id must be a string, not int``); their
own rules (a window's order, a pincode's digits) then only ever see well-typed values.

What each annotation accepts: ``str`` valid Unicode text (a lone surrogate cannot be sent),
``int`` an integer (not a bool) the wire carries exactly (``_assumptions.MAX_WIRE_INT``),
``bool`` a bool, ``datetime`` an aware datetime within the years 1 to 9999 once in UTC, a
``Literal`` one of its values, an enum one of its members, ``tuple[X, ...]``/``frozenset[X]``
items that are each an ``X``, a model one checked the same way. A check is compiled once per
model class. Pure, no I/O.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from ._arguments import check_aware, check_bool, check_int, check_text, type_name
from ._errors import ValidationError

__all__ = ["check_fields"]

Check = Callable[[str, object], None]

_compiled: dict[type, tuple[tuple[str, Check], ...]] = {}


def check_fields(name: str, value: object, cls: type) -> None:
    """``value`` must be a ``cls`` whose every field holds what its annotation says; a wrong
    type is a ``ValidationError`` naming ``name`` (the parameter) or the field."""
    if not isinstance(value, cls):
        raise ValidationError(f"{name} must be a {cls.__name__}, not {type_name(value)}")
    _check_model("", value, cls)


def _check_model(prefix: str, value: object, cls: type) -> None:
    checks = _compiled.get(cls)
    if checks is None:
        hints = typing.get_type_hints(cls)
        checks = _compiled[cls] = tuple(
            (field.name, _compile(hints[field.name])) for field in attrs.fields(cls)
        )
    for field_name, check in checks:
        check(prefix + field_name, getattr(value, field_name))


def _compile(hint: Any) -> Check:
    """The check of one annotation (``TypeError`` at first use for one it does not know, so a
    model field of a new kind cannot go unchecked)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return _union(args)
    if origin is Literal:
        return _literal(args)
    if origin in (tuple, frozenset):
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            raise TypeError(f"no check for {hint!r}")
        return _items(origin, _compile(args[0]))
    simple = _SIMPLE.get(hint)
    if simple is not None:
        return simple
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _instance(hint)
    if isinstance(hint, type) and attrs.has(hint):
        return _model(hint)
    raise TypeError(f"no check for {hint!r}")


def _union(args: tuple[Any, ...]) -> Check:
    optional = type(None) in args
    checks = [_compile(arg) for arg in args if arg is not type(None)]

    def check(path: str, value: object) -> None:
        if value is None and optional:
            return
        first: ValidationError | None = None
        for member in checks:
            try:
                member(path, value)
                return
            except ValidationError as exc:
                first = first or exc
        assert first is not None
        raise first

    return check


def _literal(allowed: tuple[Any, ...]) -> Check:
    def check(path: str, value: object) -> None:
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(f"{path} must be one of {sorted(allowed)}, not {value!r:.40}")

    return check


def _items(kind: type, item: Check) -> Check:
    what = "tuple" if kind is tuple else "frozenset"

    def check(path: str, value: object) -> None:
        if not isinstance(value, kind) or not isinstance(value, tuple | frozenset):
            raise ValidationError(f"{path} must be a {what}, not {type_name(value)}")
        for index, member in enumerate(value):
            item(f"{path}[{index}]", member)

    return check


def _instance(cls: type) -> Check:
    def check(path: str, value: object) -> None:
        if not isinstance(value, cls):
            raise ValidationError(f"{path} must be a {cls.__name__}, not {type_name(value)}")

    return check


def _model(cls: type) -> Check:
    def check(path: str, value: object) -> None:
        if not isinstance(value, cls):
            raise ValidationError(f"{path} must be a {cls.__name__}, not {type_name(value)}")
        _check_model(f"{path}.", value, cls)

    return check


def _text(path: str, value: object) -> None:
    check_text(path, value, required=False, optional=False)


def _int(path: str, value: object) -> None:
    check_int(path, value, low=None)


def _bool(path: str, value: object) -> None:
    check_bool(path, value)


def _datetime(path: str, value: object) -> None:
    if not isinstance(value, datetime):
        raise ValidationError(f"{path} must be a datetime, not {type_name(value)}")
    check_aware(path, value)


_SIMPLE: dict[object, Check] = {str: _text, int: _int, bool: _bool, datetime: _datetime}
