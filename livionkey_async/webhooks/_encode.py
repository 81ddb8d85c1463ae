"""Writing an event as the body Livion would send, in either shape: the other half of ``_parse``.

Strict in what it sends: the fields in the documents' order, compact JSON, dates as the wire's
``2026-10-01T12:00:00.000Z``, absent values left out (a device alarm's ``start``, ``end`` and
``acknowledged`` are always sent, ``end`` as ``null`` while active, as documented). Used by the
``webhooks send`` command and by anything that plays Livion's part (a simulator, a test).
"""

from __future__ import annotations

import json

from .._arguments import check_instance
from .._convert import unstructure
from .._errors import ValidationError
from .._events import (
    CodeEnteredEvent,
    ContractUpdateEvent,
    DeviceAlarmEvent,
    Event,
    KeyStatusEvent,
    Shape,
    UnknownEvent,
    WebhookEvent,
)
from ._parse import CATALOG

__all__ = ["encode_event", "event_type"]

# Each event's own fields, by wire name, in the order each document lists them.
_V2_DATA: dict[type[Event], tuple[str, ...]] = {
    KeyStatusEvent: (
        "state", "storageType", "deviceId", "lockerIndex", "keyId", "contractId",
        "contractObjectId",
    ),
    ContractUpdateEvent: (
        "contractType", "contractId", "contractObjectId", "pincode", "start", "end", "deviceId",
        "keyId",
    ),
    CodeEnteredEvent: (
        "codeType", "code", "deviceId", "lockerIndex", "keyId", "contractId", "contractObjectId",
    ),
    DeviceAlarmEvent: ("alarmType", "state", "deviceId", "start", "end", "acknowledged"),
}  # fmt: skip
_LEGACY: dict[type[Event], tuple[str, ...]] = {
    KeyStatusEvent: (
        "deviceId", "lockerIndex", "keyId", "contractId", "contractObjectId", "state", "time",
        "tag",
    ),
    ContractUpdateEvent: (
        "pincode", "contractId", "contractObjectId", "time", "start", "end", "deviceId", "keyId",
        "tag",
    ),
    CodeEnteredEvent: (
        "code", "deviceId", "lockerIndex", "keyId", "contractId", "contractObjectId", "time", "tag",
    ),
    DeviceAlarmEvent: ("alarmType", "deviceId", "state", "start", "end", "acknowledged"),
}  # fmt: skip
_ALWAYS_SENT: dict[type[Event], frozenset[str]] = {
    DeviceAlarmEvent: frozenset({"start", "end", "acknowledged"})
}


def event_type(event: WebhookEvent) -> str:
    """The catalog name of an event (``key-status``, ...): the ``webhook-event-type`` header.
    An ``UnknownEvent``: the type its body named, or ``unknown``."""
    if isinstance(event, UnknownEvent):
        return event.type or "unknown"
    return next((name for name, cls in CATALOG.items() if isinstance(event, cls)), "unknown")


def encode_event(event: Event, *, shape: Shape = "v2") -> bytes:
    """The body Livion would send for ``event`` in ``shape`` (an ``UnknownEvent``: its own body).

    A v2 envelope needs ``occurred_at`` and ``organization_unit_id`` (``created_at`` defaults to
    ``occurred_at``); a legacy contract update needs ``contract_type`` and a legacy code entered
    ``code_type``, since those are the body's ``type``: else a ``ValidationError``.
    """
    check_instance("event", event, WebhookEvent)
    if shape not in ("v2", "legacy"):
        raise ValidationError(f"shape must be 'v2' or 'legacy', not {shape!r:.40}")
    if isinstance(event, UnknownEvent):
        return event.body
    wire = unstructure(event)
    cls = type(event)
    if shape == "v2":
        for field in ("occurred_at", "organization_unit_id"):
            if getattr(event, field) is None:
                raise ValidationError(f"{field} is required in a v2 webhook envelope")
        body: dict[str, object] = {"specVersion": event.spec_version or "1"}
        if event.event_id is not None:
            body["id"] = event.event_id
        body |= {
            "type": event_type(event),
            "occurredAt": wire["occurredAt"],
            "createdAt": wire.get("createdAt", wire["occurredAt"]),
            "organizationUnitId": event.organization_unit_id,
            "data": _pick(wire, _V2_DATA[cls], _ALWAYS_SENT.get(cls, frozenset())),
        }
    else:
        if isinstance(event, ContractUpdateEvent):
            kind = _required(event.contract_type, "contract_type")
        elif isinstance(event, CodeEnteredEvent):
            kind = _required(event.code_type, "code_type")
        else:
            kind = event_type(event)
        wire["time"] = wire.get("occurredAt")
        tags = list(event.tag)
        wire["tag"] = tags[0] if len(tags) == 1 else (tags or None)
        body = {"type": kind, **_pick(wire, _LEGACY[cls], _ALWAYS_SENT.get(cls, frozenset()))}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _required(value: str | None, field: str) -> str:
    if value is None:
        raise ValidationError(f"{field} is required: it is the legacy body's type")
    return value


def _pick(
    wire: dict[str, object], names: tuple[str, ...], always: frozenset[str]
) -> dict[str, object]:
    return {name: wire.get(name) for name in names if name in always or wire.get(name) is not None}
