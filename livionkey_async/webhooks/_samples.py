"""One sample of each event type, with placeholder values, as Livion's test delivery sends them.

Livion activates a subscription only once the endpoint answers 2xx to a signed sample of every
subscribed event type; its samples use device id ``"000000"`` and never a real pincode or code.
``webhooks send`` posts these, so an operator can check an endpoint the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from .._events import (
    CodeEnteredEvent,
    ContractUpdateEvent,
    DeviceAlarmEvent,
    Event,
    KeyStatusEvent,
)

__all__ = ["sample_events"]

PLACEHOLDER_DEVICE = "000000"


def sample_events(
    now: datetime | None = None, *, organization_unit_id: str = "test"
) -> list[Event]:
    """A key status, a contract update, a code entered and a device alarm, happening at ``now``."""
    now = datetime.now(UTC) if now is None else now.astimezone(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the wire keeps milliseconds
    device = PLACEHOLDER_DEVICE
    events: list[Event] = [
        KeyStatusEvent(
            state="key-fetched", storage_type="device", device_id=device, locker_index=1,
            key_id="key1", contract_id="Contract1", contract_object_id="contract-object-1",
            tag=("livion/key/test",),
        ),
        ContractUpdateEvent(
            contract_type="default", contract_id="Contract1",
            contract_object_id="contract-object-1", pincode="000000", start=now,
            end=now + timedelta(days=1),
            device_id=device, key_id="key1", tag=("livion/key/test",),
        ),
        CodeEnteredEvent(
            code_type="right-pincode", code="000000", device_id=device, locker_index=1,
            key_id="key1", contract_id="Contract1", contract_object_id="contract-object-1",
            tag=("livion/key/test",),
        ),
        DeviceAlarmEvent(
            alarm_type="DEVICE_DISCONNECTED", state="activated", device_id=device, start=now,
            end=None, acknowledged=False,
        ),
    ]  # fmt: skip
    return [
        attrs.evolve(e, occurred_at=now, created_at=now, organization_unit_id=organization_unit_id)
        for e in events
    ]
