"""iLOQ's wire, read liberally and checked strictly: addresses, answers and error bodies.

Field names are matched case-insensitively and nulls count as absent, so ``"Name": null`` or a
``lockGroup_ID`` spelling do not break a check; anything the checks cannot work without becomes a
``ResponseFormatError`` saying what was expected, never what the body held. Conversion reuses the
core cattrs converter (its int/str hooks accept numbers sent as text). Pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import cattrs
from attrs import field, frozen
from cattrs.gen import make_dict_structure_fn, override
from yarl import URL

from .._client import _is_loopback
from .._convert import converter as _core_converter
from .._errors import (
    ApiError,
    AuthenticationError,
    LivionKeyError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    ValidationError,
    redact,
)
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
_MAX_MESSAGE = 300


def checked_url(address: object, *, what: str = "service_address") -> URL:
    """``address`` as a base URL ending in ``/``: https, or plain http to a loopback host only.

    Raises ``ValidationError`` naming ``what`` otherwise (a port out of range or a broken host
    included).
    """
    example = "an https:// URL such as https://s5.iloq.com/iloqws"
    if not isinstance(address, str):
        raise ValidationError(f"{what} must be {example}")
    try:
        url = URL(address.strip())
        host = url.host
        url.port  # noqa: B018 (yarl checks the port only when asked)
    except ValueError:
        raise ValidationError(f"{what} must be {example}, not {address!r}") from None
    if url.scheme not in ("https", "http") or not host:
        raise ValidationError(f"{what} must be {example}, not {address!r}")
    if url.user is not None or url.password is not None:
        raise ValidationError(f"{what} must not contain a user name or password")
    if url.scheme == "http" and not _is_loopback(host):
        raise ValidationError(f"{what} must use https (plain http only to a loopback host)")
    path = url.path if url.path.endswith("/") else url.path + "/"
    return url.with_path(path).with_query(None).with_fragment(None)


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
    try:
        return _converter.structure(data, cls)
    except Exception as exc:
        where = "; ".join(cattrs.transform_error(exc))
        raise ResponseFormatError(f"unexpected {what} answer: {where}") from None


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
    shortened and with every ``known`` secret and anything credential-like hidden."""
    text = body.decode("utf-8", "replace").strip()
    message: Any = text
    try:
        data = json.loads(text) if text[:1] in ("{", '"') else None
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, Mapping):
        fields = {str(k).lower(): v for k, v in data.items()}
        message = next(
            (fields[f] for f in ERROR_MESSAGE_FIELDS if isinstance(fields.get(f), str)), text
        )
    elif isinstance(data, str):
        message = data
    if message.lstrip().startswith("<"):
        message = "(an HTML page)"
    # Redacted whole, then cut: a cut through a secret would hide it from the redaction.
    message = " ".join(redact(message, known).split())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return message or "(no message)"


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
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except RecursionError:
        raise ResponseFormatError("the answer is nested too deeply") from None
    except ValueError:
        return text
