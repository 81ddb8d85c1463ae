"""The simulator's webhook push, as data: subscriptions, delivery settings and the delivery log.

What a test (or the control plane) registers and reads back; validated here, acted on by
``_push``. Secrets (the ``whsec_`` signing secret, a legacy shared key) stay out of every
``repr``; the control plane shows a secret once, when the subscription is made, then only its
last four characters, as Livion's WebApp does.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from typing import Literal

from attrs import define, field, frozen
from yarl import URL

from .._errors import ValidationError
from .._events import Shape
from ..webhooks import sign
from . import _knobs as knobs
from ._wire import JSONObj, iso

__all__ = [
    "EVENT_TYPES",
    "DeliveryRecord",
    "Outcome",
    "WebhookSettings",
    "WebhookSubscription",
    "new_subscription",
]

EVENT_TYPES = ("key-status", "contract-update", "code-entered", "device-alarm")

Outcome = Literal["delivered", "retrying", "given-up", "duplicate"]


@frozen(kw_only=True)
class WebhookSubscription:
    """Where the simulator pushes one account's events, in which shape, signed with what.

    ``shape``: ``v2`` (the envelope, signed with ``secret``) or ``legacy`` (the flat body, with
    ``api_key`` in the ``api_key_header`` header when one is set). ``event_types``: the catalog
    names it receives.
    """

    id: str
    url: str
    shape: Shape
    account: str
    event_types: frozenset[str]
    secret: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    api_key_header: str = "x-api-key"

    def to_wire(self, *, reveal: bool = False) -> JSONObj:
        """As the control plane shows it; ``reveal`` shows the secrets (once, on creation)."""

        def shown(value: str | None) -> str | None:
            return value if value is None or reveal else "..." + value[-4:]

        return {
            "id": self.id,
            "url": self.url,
            "shape": self.shape,
            "account": self.account,
            "eventTypes": [t for t in EVENT_TYPES if t in self.event_types],
            "secret": shown(self.secret),
            "apiKey": shown(self.api_key),
            "apiKeyHeader": self.api_key_header,
        }


def new_subscription(
    subscription_id: str,
    url: str,
    *,
    account: str,
    shape: str = "v2",
    secret: str | None = None,
    api_key: str | None = None,
    api_key_header: str = "x-api-key",
    event_types: Iterable[str] | None = None,
) -> WebhookSubscription:
    """A checked subscription (``ValueError`` naming what is wrong); a v2 one without a
    ``secret`` gets a fresh ``whsec_`` secret."""
    parsed = URL(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("url must be an http(s) URL")
    if shape not in ("v2", "legacy"):
        raise ValueError("shape must be 'v2' or 'legacy'")
    types = frozenset(EVENT_TYPES if event_types is None else event_types)
    if not types or not types <= set(EVENT_TYPES):
        raise ValueError("eventTypes must name some of " + ", ".join(EVENT_TYPES))
    if shape == "v2":
        if secret is None:
            secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        try:
            sign(b"", secret, msg_id="check")
        except ValidationError as exc:
            raise ValueError(exc.message) from None
    elif secret is not None:
        raise ValueError("a legacy subscription is not signed: give api_key, not secret")
    if api_key is not None and (not api_key or shape == "v2"):
        raise ValueError("api_key is for legacy subscriptions, and must not be empty")
    if not api_key_header or not api_key_header.isascii() or " " in api_key_header:
        raise ValueError("api_key_header must be a header name")
    return WebhookSubscription(
        id=subscription_id,
        url=str(parsed),
        shape="v2" if shape == "v2" else "legacy",
        account=account,
        event_types=types,
        secret=secret,
        api_key=api_key,
        api_key_header=api_key_header.lower(),
    )


@define(kw_only=True)
class WebhookSettings:
    """How the push behaves; change it while the simulator runs.

    ``time_scale`` multiplies every delay of Livion's retry schedule (``0``: retry at once, for
    tests); ``timeout``: seconds an attempt may take (real seconds, not scaled);
    ``duplicate_rate``: the chance a delivered event is delivered once more (same
    ``webhook-id``, re-signed); ``late_rate``: the chance a delivery is held back
    ``late_seconds`` (scaled) before its first attempt, holding later events of its source and
    type behind it.
    """

    time_scale: float = field(default=1.0, validator=knobs.seconds)
    timeout: float = field(default=10.0, validator=knobs.positive)
    duplicate_rate: float = field(default=0.0, validator=knobs.probability)
    late_rate: float = field(default=0.0, validator=knobs.probability)
    late_seconds: float = field(default=60.0, validator=knobs.seconds)

    def as_dict(self) -> dict[str, float]:
        return {
            "time_scale": self.time_scale,
            "timeout": self.timeout,
            "duplicate_rate": self.duplicate_rate,
            "late_rate": self.late_rate,
            "late_seconds": self.late_seconds,
        }

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply a partial update (the control plane's JSON), all or nothing; ValueError if bad."""
        unknown = sorted(set(changes) - set(self.as_dict()))
        if unknown:
            raise ValueError(f"unknown webhook setting(s): {', '.join(unknown)}")
        trial = WebhookSettings(**self.as_dict())
        for name, value in changes.items():
            setattr(trial, name, value)  # attrs validates on setattr (``knobs``)
            setattr(trial, name, float(getattr(trial, name)))
        for name, value in trial.as_dict().items():
            setattr(self, name, value)

    def restore(self) -> None:
        """Back to the defaults."""
        for name, value in WebhookSettings().as_dict().items():
            setattr(self, name, value)


@frozen(kw_only=True)
class DeliveryRecord:
    """One attempt to deliver one event to one subscription.

    ``delivery_id``: the ``webhook-id`` (the same on every attempt; a legacy delivery sends none,
    it only names the attempts here). ``source``: the device (or key) the event is about.
    ``waited``: seconds of Livion's schedule before this attempt (before ``time_scale``).
    ``status``: the answer (``None``: none came, see ``error``). ``outcome``: ``delivered``,
    ``retrying`` (another attempt follows), ``given-up`` or ``duplicate`` (a fault's extra copy).
    ``late``: held back by the ``late_rate`` fault. ``at``: the simulator's clock when sent.
    """

    subscription_id: str
    delivery_id: str
    event_type: str
    source: str
    attempt: int
    waited: float
    status: int | None
    error: str | None
    outcome: Outcome
    late: bool
    at: float

    def to_wire(self) -> JSONObj:
        return {
            "subscriptionId": self.subscription_id,
            "deliveryId": self.delivery_id,
            "eventType": self.event_type,
            "source": self.source,
            "attempt": self.attempt,
            "waited": self.waited,
            "status": self.status,
            "error": self.error,
            "outcome": self.outcome,
            "late": self.late,
            "at": iso(self.at),
        }
