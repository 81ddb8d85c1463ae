"""iLOQ's wire, read liberally and checked strictly: addresses, answers and error bodies.

Field names are matched case-insensitively and nulls count as absent, so ``"Name": null`` or a
``lockGroup_ID`` spelling do not break a check; anything the checks cannot work without becomes a
``ResponseFormatError`` saying what was expected, never what the body held. Conversion reuses the
core cattrs converter (its int/str hooks accept numbers sent as text), and addresses, bodies and
error messages are checked, decoded and cut by the core's own helpers. Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import cattrs
from attrs import field, frozen
from cattrs.gen import make_dict_structure_fn, override
from yarl import URL

from .._convert import converter as _core_converter
from .._convert import structure
from .._errors import (
    ApiError,
    AuthenticationError,
    LivionKeyError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    ValidationError,
    message_of,
)
from .._http import checked_url as _checked_url
from .._http import decode_body
from ._assumptions import ERROR_MESSAGE_FIELDS
from ._models import LockGroup

__all__ = [
    "SessionAnswer",
    "checked_url",
    "decode",
    "error_for",
    "error_message",
    "parse_lock_groups",
    "parse_rights_mask",
    "parse_session",
    "parse_url",
    "session_id_in",
]

T = TypeVar("T")


def checked_url(address: object, *, what: str = "service_address") -> URL:
    """``address`` as a base URL ending in ``/``: https, or plain http to a loopback host only.

    Raises ``ValidationError`` naming ``what`` otherwise (a port out of range, a broken host, or
    a user name and password in it included).
    """
    return _checked_url(
        address, what=what, example="https://s5.iloq.com/iloqws", allow_insecure=None
    )


def parse_url(answer: object, service: URL) -> URL | None:
    """``GetUrl``'s answer: ``None`` for null or empty (keep the service address), else the base
    URL to use (absolute, or a path on the service address's host)."""
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return None
    if not isinstance(answer, str):
        raise ResponseFormatError("GetUrl answered something other than a URL string")
    text = answer.strip()
    if text.startswith("/"):
        text = str(service.with_path(text))
    try:
        return checked_url(text, what="the URL GetUrl answered")
    except ValidationError as exc:
        raise ResponseFormatError(exc.message) from None


@frozen
class SessionAnswer:
    """``CreateSession``'s answer. The session id is a credential: never in a repr."""

    result: int | None = None
    session_id: str | None = field(default=None, repr=False)


@frozen
class _RightsAnswer:
    rights_mask: int


def _lowered(data: object) -> object:
    """Keys lower-cased, null values dropped (so attrs defaults apply)."""
    if isinstance(data, Mapping):
        return {str(k).lower(): v for k, v in data.items() if v is not None}
    return data


def _make_converter() -> cattrs.Converter:
    conv = _core_converter.copy()
    wire: dict[type, dict[str, str]] = {
        LockGroup: {
            "lock_group_id": "lockgroup_id",
            "name": "name",
            "option_mask": "optionmask",
            "state": "state",
        },
        SessionAnswer: {"result": "result", "session_id": "sessionid"},
        _RightsAnswer: {"rights_mask": "rightsmask"},
    }
    for cls, names in wire.items():
        overrides = {name: override(rename=key) for name, key in names.items()}
        conv.register_structure_hook(
            cls,
            _lowering(make_dict_structure_fn(cls, conv, **overrides)),  # type: ignore[arg-type]
        )
    return conv


def _lowering(hook: Callable[[Any, type], Any]) -> Callable[[Any, type], Any]:
    def structure(value: Any, cls: type) -> Any:
        return hook(_lowered(value), cls)

    return structure


_converter = _make_converter()


def _structure(data: object, cls: type[T], what: str) -> T:
    return structure(data, cls, conv=_converter, what=what)


def parse_session(answer: object) -> SessionAnswer:
    """``CreateSession``'s ``{"Result": int, "SessionID": str}``."""
    if not isinstance(answer, Mapping):
        raise ResponseFormatError("CreateSession answered something other than a JSON object")
    return _structure(answer, SessionAnswer, "CreateSession")


def session_id_in(answer: object) -> str | None:
    """The ``SessionID`` of an answer, however malformed the rest (a session to kill)."""
    if isinstance(answer, Mapping):
        for name, value in answer.items():
            if str(name).lower() == "sessionid" and isinstance(value, str) and value:
                return value
    return None


def parse_lock_groups(answer: object) -> tuple[LockGroup, ...]:
    """``LockGroups``' list of locking systems (a single object is read as a list of one)."""
    if answer is None:
        return ()
    items = [answer] if isinstance(answer, Mapping) else answer
    if not isinstance(items, list):
        raise ResponseFormatError("LockGroups answered something other than a list")
    return tuple(_structure(item, LockGroup, "LockGroups") for item in items)


def parse_rights_mask(answer: object) -> int:
    """``SetLockgroup``'s ``{"RightsMask": int64}`` (a bare number is accepted too)."""
    if isinstance(answer, int | str) and not isinstance(answer, bool):
        answer = {"RightsMask": answer}
    return _structure(answer, _RightsAnswer, "SetLockgroup").rights_mask


def error_message(body: bytes, known: Iterable[str] = ()) -> str:
    """The human message in an error body (``{"Message": ...}``, a JSON string or plain text),
    with every ``known`` secret and anything credential-like hidden, then shortened."""
    text = body.decode("utf-8", "replace")
    return message_of(text, known, fields=ERROR_MESSAGE_FIELDS)


def error_for(
    status: int, body: bytes, *, location: str | None = None, known: Iterable[str] = ()
) -> LivionKeyError:
    """The typed error for one non-2xx answer (``location``: a redirect's target)."""
    if 300 <= status < 400:
        target = f" to {location}" if location else ""
        return ApiError(f"redirected{target}; use that address instead", status=status)
    message = error_message(body, known)
    if status == 429:
        return RateLimitedError(message, status=status)
    if status >= 500:
        return ServerError(message, status=status)
    if status in (401, 403):
        return AuthenticationError(message, status=status)
    if status == 404:
        return NotFoundError(message, status=status)
    return ApiError(message, status=status)


def decode(body: bytes) -> object:
    """A JSON answer; a body that is not JSON is taken as plain text (liberal)."""
    value = decode_body(body, text=True)
    return value.strip() if isinstance(value, str) else value
