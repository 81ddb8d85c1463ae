"""Reading a webhook body, in either of Livion's two shapes, as one typed event. Pure, no I/O.

- The **legacy** flat body: ``type`` names the event only for ``key-status`` and
  ``device-alarm``; for a contract update it is the contract's type (``default``, ``fetch``,
  ``return``), for a code entered the kind of code (``right-pincode``, ...); ``time`` is when.
- The **v2** envelope ``{specVersion, type, occurredAt, createdAt, organizationUnitId, data}``:
  ``type`` is the catalog name and ``data`` holds the event's fields.

Both are flattened to the event's camelCase field names and converted by the core's cattrs
converter (its date, integer-as-text and tag hooks). Anything that is JSON but not one of the
four documented events, a ``specVersion`` other than ``"1"`` included, becomes an
:class:`UnknownEvent` keeping the raw body; a body that is not JSON is a
:class:`WebhookPayloadError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

import cattrs

from .._convert import converter
from .._errors import ValidationError
from .._events import (
    CodeEnteredEvent,
    ContractUpdateEvent,
    DeviceAlarmEvent,
    Event,
    KeyStatusEvent,
    Shape,
    UnknownEvent,
)
from ._errors import WebhookPayloadError

__all__ = ["CATALOG", "event_from_json", "fingerprint", "load_json", "parse_event"]

CATALOG: dict[str, type[Event]] = {
    "key-status": KeyStatusEvent,
    "contract-update": ContractUpdateEvent,
    "code-entered": CodeEnteredEvent,
    "device-alarm": DeviceAlarmEvent,
}
"""The v2 catalog: event type name to event class."""

SPEC_VERSIONS = frozenset({"1"})
_CONTRACT_TYPES = frozenset({"default", "fetch", "return"})
_CODE_TYPES = frozenset({"right-pincode", "right-return-code", "right-access-code"})


def load_json(body: bytes | str) -> object:
    """``body`` decoded as JSON, or :class:`WebhookPayloadError` saying where it is not."""
    try:
        return json.loads(body)
    except RecursionError:
        raise WebhookPayloadError("the webhook body is nested too deeply") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise WebhookPayloadError(f"the webhook body is not JSON ({exc.msg} at {where})") from None
    except ValueError:  # UnicodeDecodeError: bytes in no encoding JSON allows
        raise WebhookPayloadError("the webhook body is not UTF-8 JSON") from None


def fingerprint(data: object, key: bytes) -> str:
    """A stable id of a decoded body (key order and spacing do not matter), keyed:
    ``hmac-sha256:<hex>``. A plain digest would give a legacy body's pincode or code away (they
    are few enough to try them all), and the id shows in reprs and logs; with a key that only the
    receivers of one integration share, workers still agree on it."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "hmac-sha256:" + hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def parse_event(body: bytes | str) -> Event:
    """The event a webhook body holds, in either shape. Pure: verify the delivery first."""
    if isinstance(body, str):
        try:
            raw = body.encode()
        except UnicodeEncodeError:  # text decoded by the caller with surrogateescape, say
            raise ValidationError("body must be valid Unicode text (or the raw bytes)") from None
    elif isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
    else:
        raise ValidationError(f"body must be bytes or str, not {type(body).__name__}")
    return event_from_json(load_json(raw), raw)


def event_from_json(data: object, raw: bytes) -> Event:
    """The event held by ``data`` (the decoded body); ``raw`` is kept by an ``UnknownEvent``."""
    if not isinstance(data, Mapping):
        return UnknownEvent(reason="the body is not a JSON object", body=raw)
    kind = data.get("type")
    kind = kind if isinstance(kind, str) else None
    payload = data.get("data")
    if isinstance(payload, Mapping) and (
        "specVersion" in data or "occurredAt" in data or kind in CATALOG
    ):
        return _from_envelope(data, payload, kind, raw)
    return _from_flat(data, kind, raw)


def _from_envelope(
    data: Mapping[str, object], payload: Mapping[str, object], kind: str | None, raw: bytes
) -> Event:
    version = data.get("specVersion")
    if version is not None and str(version) not in SPEC_VERSIONS:
        return UnknownEvent(
            type=kind,
            reason="unsupported specVersion",
            body=raw,
            spec_version=str(version)[:16],
            shape="v2",
        )
    cls = CATALOG.get(kind or "")
    if cls is None:
        return UnknownEvent(type=kind, reason="unknown event type", body=raw, shape="v2")
    fields = {
        **payload,
        "occurredAt": data.get("occurredAt"),
        "createdAt": data.get("createdAt"),
        "organizationUnitId": data.get("organizationUnitId"),
        "specVersion": version,
        "eventId": data.get("id"),
        "tag": None,
        "shape": "v2",
        "deliveryId": None,
    }
    return _structure(fields, cls, kind, raw, "v2")


def _from_flat(data: Mapping[str, object], kind: str | None, raw: bytes) -> Event:
    fields: dict[str, object] = {
        **data,
        "occurredAt": data.get("time"),
        "createdAt": None,
        "organizationUnitId": None,
        "specVersion": None,
        "eventId": None,
        "shape": "legacy",
        "deliveryId": None,
    }
    cls: type[Event]
    if kind == "key-status":
        cls = KeyStatusEvent
    elif kind == "device-alarm":
        cls = DeviceAlarmEvent
    elif kind in _CODE_TYPES or kind == "code-entered":
        cls, fields["codeType"] = CodeEnteredEvent, kind if kind in _CODE_TYPES else None
    elif kind in _CONTRACT_TYPES or kind == "contract-update":
        cls, fields["contractType"] = ContractUpdateEvent, kind if kind in _CONTRACT_TYPES else None
    else:
        return UnknownEvent(type=kind, reason="unknown event type", body=raw, shape="legacy")
    return _structure(fields, cls, kind, raw, "legacy")


def _structure(
    fields: Mapping[str, object], cls: type[Event], kind: str | None, raw: bytes, shape: Shape
) -> Event:
    try:
        event: Event = converter.structure(fields, cls)
    except Exception as exc:  # a documented type whose fields do not fit: say where, keep it
        where = "; ".join(cattrs.transform_error(exc))
        reason = f"{cls.__name__} not readable: {where}"
        return UnknownEvent(type=kind, reason=reason, body=raw, shape=shape)
    return event
