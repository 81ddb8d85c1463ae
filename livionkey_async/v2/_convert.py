"""The v2 converter: the core's cattrs converter, plus what API v2's JSON needs.

A copy of ``livionkey_async._convert.converter`` keeps every tolerant reader of the core (dates
as ISO-8601 or epoch, booleans and integers sent as strings, a ``null`` string list as empty) and
adds, for the v2 models only: camelCase names; a field left at a ``None`` or empty default is not
sent, while any other default (a contract type, ``away``) always is; a ``null`` list of objects
read as empty; the numeric codes as enums, read from a number or a digit string (in an answer,
typed ``Code | int | None``: an unknown code stays an ``int``, an empty one is ``None``); user
verification sent as the string the API wants; a new contract key's storage nested the way the
API nests it. Pure, no I/O.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .._convert import converter as core_converter
from .._convert import structure as core_structure
from ._models import (
    ContractType,
    GroupType,
    NewContractKey,
    OrganizationUnitType,
    StorageKind,
    UserVerification,
)

__all__ = ["converter", "structure", "unstructure"]

T = TypeVar("T")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _is_v2_model(cls: Any) -> bool:
    origin = typing.get_origin(cls) or cls
    return attrs.has(origin) and getattr(origin, "__module__", "").startswith(__package__ or "")


def _is_tuple_of_models(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and _is_v2_model(args[0])
    )


_CODES: tuple[type[enum.IntEnum], ...] = (
    ContractType,
    GroupType,
    UserVerification,
    OrganizationUnitType,
    StorageKind,
)


def _code_number(value: object, name: str) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a {name} code")
    return value


def _structure_code(value: object, cls: type[enum.IntEnum]) -> enum.IntEnum:
    return cls(_code_number(value, cls.__name__))


def _known_code(union: Any) -> type[enum.IntEnum] | None:
    """The code enum of an answer's ``Code | int | None`` field, else ``None``."""
    args = typing.get_args(union)
    if typing.get_origin(union) not in (typing.Union, types.UnionType) or int not in args:
        return None
    return next((arg for arg in args if arg in _CODES), None)


def _structure_code_or_int(value: object, union: Any) -> enum.IntEnum | int | None:
    """A code as the server sends it: known, the enum; unknown, the ``int``; empty, ``None``."""
    if value is None or value == "":
        return None
    cls = _known_code(union)
    assert cls is not None
    number = _code_number(value, cls.__name__)
    try:
        return cls(number)
    except ValueError:
        return number


def _omitted_when_unset(field: attrs.Attribute[Any]) -> bool:
    """A field whose default means "not given" is left out; a real default is always sent."""
    return field.default is None or field.default == ()


def _unstructure_new_contract_key(key: NewContractKey) -> dict[str, object]:
    out: dict[str, object] = {"id": key.id}
    if key.manual_storage_info is not None:
        out["storageInfo"] = {"manualStorageInfo": key.manual_storage_info}
    elif key.pincode is not None or key.automat_id is not None:
        storage = {"pincode": key.pincode, "automatId": key.automat_id}
        out["storageInfo"] = {k: v for k, v in storage.items() if v is not None}
    return out


def _make_converter() -> cattrs.Converter:
    conv = core_converter.copy()

    def structure_factory(cls: Any) -> Callable[[Any, type], Any]:
        origin = typing.get_origin(cls) or cls
        overrides = {f.name: override(rename=_camel(f.name)) for f in attrs.fields(origin)}
        return make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def unstructure_factory(cls: Any) -> Callable[[Any], Any]:
        overrides = {
            f.name: override(rename=_camel(f.name), omit_if_default=_omitted_when_unset(f))
            for f in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    def structure_models(value: Any, cls: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise ValueError("not a list")
        (item,) = typing.get_args(cls)[:1]
        return tuple(conv.structure(element, item) for element in value)

    # Registered after the core's hooks, so these win for the v2 models.
    conv.register_structure_hook_factory(_is_v2_model, structure_factory)
    conv.register_unstructure_hook_factory(_is_v2_model, unstructure_factory)
    conv.register_structure_hook_func(_is_tuple_of_models, structure_models)
    # Per class: the core's hook for int would otherwise take these int subclasses.
    for code in _CODES:
        conv.register_structure_hook(code, _structure_code)
    conv.register_structure_hook_func(lambda t: _known_code(t) is not None, _structure_code_or_int)
    conv.register_unstructure_hook(UserVerification, lambda code: str(int(code)))
    conv.register_unstructure_hook(NewContractKey, _unstructure_new_contract_key)
    return conv


converter = _make_converter()


def structure(data: object, cls: type[T]) -> T:
    """Read ``data`` (decoded JSON) as ``cls``, or raise ``ResponseFormatError`` saying where the
    answer differs from the documented shape (never what it held)."""
    return core_structure(data, cls, conv=converter)


def unstructure(value: object) -> Any:
    """A v2 model as wire JSON (camelCase, ISO dates, unset fields left out)."""
    return converter.unstructure(value)
