"""Livion's webhooks: typed events, verified deliveries, each handled once.

Livion pushes key status changes, contract updates, codes entered and device alarms to an
endpoint of yours, in one of two shapes: the legacy flat body (with a shared-secret header such as
``x-api-key``) or the API v2 envelope signed per Standard Webhooks. This subpackage reads both::

    receiver = WebhookReceiver(signing_secret=os.environ["LIVIONKEY_WEBHOOK_SECRET"])
    app.router.add_post("/livion", receiver.aiohttp_handler)     # or mount receiver.asgi_app

    async for event in receiver:                                 # or @receiver.on(KeyStatusEvent)
        if isinstance(event, KeyStatusEvent) and event.state == "key-not-returned": ...

and plays Livion's part for tests and tooling: :func:`encode_event` writes a body in either shape
and :func:`sign` signs it. The event classes are defined in the core (``client.keys.watch``
yields the same :class:`KeyStatusEvent` from polling) and re-exported here unchanged.
"""

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
from ._dedupe import Claim, DedupeStore, InMemoryDedupeStore
from ._encode import encode_event, event_type
from ._errors import VerificationFailure, WebhookPayloadError, WebhookVerificationError
from ._parse import parse_event
from ._receiver import ReceiverStats, WebhookReceiver, WebhookResponse
from ._samples import sample_events
from ._signing import DEFAULT_TOLERANCE, new_message_id, sign, verify_api_key, verify_signature

__all__ = [
    "DEFAULT_TOLERANCE",
    "Claim",
    "CodeEnteredEvent",
    "ContractUpdateEvent",
    "DedupeStore",
    "DeviceAlarmEvent",
    "Event",
    "InMemoryDedupeStore",
    "KeyStatusEvent",
    "ReceiverStats",
    "Shape",
    "UnknownEvent",
    "VerificationFailure",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookReceiver",
    "WebhookResponse",
    "WebhookVerificationError",
    "encode_event",
    "event_type",
    "new_message_id",
    "parse_event",
    "sample_events",
    "sign",
    "verify_api_key",
    "verify_signature",
]
