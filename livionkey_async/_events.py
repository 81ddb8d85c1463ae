"""The typed key and device events: key status, contract update, code entered, device alarm.

One frozen attrs class per event. Livion pushes them as webhooks (``livionkey_async.webhooks``
reads either delivery shape, the legacy flat body or the API v2 envelope, and writes them back,
and re-exports these classes), and ``client.keys.watch`` derives :class:`KeyStatusEvent` from
polling, so a bot handles a pushed event and a polled one the same way. They live in the core
because the core never imports a subpackage. Every event carries the same metadata (when it
happened, which delivery brought it); fields the documents mark as sometimes absent are optional.
Pincodes and codes are kept out of every ``repr`` (and so out of every log line that shows an
event); :class:`UnknownEvent` keeps the raw body of anything new, also out of its ``repr``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

import attrs

__all__ = [
    "SECRET_FIELDS",
    "CodeEnteredEvent",
    "ContractUpdateEvent",
    "DeviceAlarmEvent",
    "Event",
    "KeyStatusEvent",
    "Shape",
    "UnknownEvent",
    "WebhookEvent",
]

Shape = Literal["legacy", "v2"]
"""``legacy``: a flat body (legacy REST integrations); ``v2``: the signed envelope."""


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """What every event carries besides its own fields.

    ``occurred_at``: when it happened (legacy ``time``, v2 ``occurredAt``; a legacy device alarm
    has none). ``created_at`` and ``organization_unit_id``: from the v2 envelope. ``tag``: the
    legacy body's Livion-specific tag. ``shape``: which delivery shape it was read from (``None``
    for an event not read from a webhook, e.g. one derived from polling). ``delivery_id``: set by
    :class:`WebhookReceiver` to the delivery's ``webhook-id`` (or ``sha256:<hex>`` of a legacy
    body): the same on every retry of one delivery. ``event_id``: a v2 envelope ``id``, which an
    earlier revision of Livion's document sent, or, for a polled event, the id of the key event
    ``GET /keys/{id}/status`` answered.
    """

    occurred_at: datetime | None = None
    created_at: datetime | None = None
    organization_unit_id: str | None = None
    tag: tuple[str, ...] = ()
    spec_version: str | None = None
    event_id: str | None = None
    shape: Shape | None = None
    delivery_id: str | None = None


@attrs.frozen(kw_only=True)
class KeyStatusEvent(WebhookEvent):
    """A key was fetched or returned, or was not when it should have been.

    ``state``: ``key-fetched``, ``key-returned``, ``key-not-fetched`` or ``key-not-returned``
    (kept as text: a new state is still delivered). ``storage_type`` (v2): ``device`` or
    ``manualStorage``; a manually stored key has no ``device_id`` or ``locker_index``.
    """

    state: str
    key_id: str | None = None
    device_id: str | None = None
    locker_index: int | None = None
    contract_id: str | None = None
    contract_object_id: str | None = None
    storage_type: str | None = None


@attrs.frozen(kw_only=True)
class ContractUpdateEvent(WebhookEvent):
    """A locker contract was added or updated. ``contract_type``: ``default``, ``fetch`` or
    ``return`` (the legacy body's ``type``, the v2 ``data.contractType``)."""

    contract_type: str | None = None
    contract_id: str | None = None
    contract_object_id: str | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    start: datetime | None = None
    end: datetime | None = None
    device_id: str | None = None
    key_id: str | None = None


@attrs.frozen(kw_only=True)
class CodeEnteredEvent(WebhookEvent):
    """A correct code was entered on an automat. ``code_type``: ``right-pincode``,
    ``right-return-code`` or ``right-access-code`` (the legacy body's ``type``, the v2
    ``data.codeType``). A return code has no ``contract_id``; an access code has no ``key_id``
    or ``locker_index``."""

    code_type: str | None = None
    code: str | None = attrs.field(default=None, repr=False)
    device_id: str | None = None
    locker_index: int | None = None
    key_id: str | None = None
    contract_id: str | None = None
    contract_object_id: str | None = None


@attrs.frozen(kw_only=True)
class DeviceAlarmEvent(WebhookEvent):
    """An automat raised or cleared an alarm. ``state``: ``activated`` or ``deactivated``;
    ``alarm_type``: ``DEVICE_ERROR``, ``DEVICE_POWER_DISCONNECTED``, ``DEVICE_LOW_POWER``,
    ``DEVICE_MOVED``, ``DEVICE_DISCONNECTED`` or ``DEVICE_WIFI_OFFLINE``. A key not returned is
    a :class:`KeyStatusEvent`, never an alarm. ``end`` is ``None`` while the alarm is active."""

    state: str
    alarm_type: str | None = None
    device_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    acknowledged: bool | None = None


@attrs.frozen(kw_only=True)
class UnknownEvent(WebhookEvent):
    """A verified delivery this library cannot read as one of the four events: a new event
    type, a future ``specVersion``, or a documented type whose fields do not fit. ``reason``
    says why (never what the body held); ``body`` is the raw body, as received."""

    type: str | None = None
    reason: str
    body: bytes = attrs.field(repr=False)

    def json(self) -> object:
        """The body decoded as JSON (``None`` if it is not JSON)."""
        try:
            decoded: object = json.loads(self.body)
        except ValueError:
            return None
        return decoded


Event = KeyStatusEvent | ContractUpdateEvent | CodeEnteredEvent | DeviceAlarmEvent | UnknownEvent
"""Any event :func:`parse_event` returns."""

# Wire names of the fields kept out of reprs: whoever prints an event's fields leaves them out.
SECRET_FIELDS = frozenset({"pincode", "code", "body"})
