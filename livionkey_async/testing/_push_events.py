"""What the simulated service pushes: its records turned into the typed events Livion sends.

Pure, no I/O: each builder reads the simulator's records at the moment something happened and
answers the event (the push encodes it in a subscription's shape). Choices the documents leave
open, made here:

- ``organizationUnitId`` is the account (its lower-cased email): the simulator has no units.
- A key status names the contract in force on the key when it happened: of the key's contracts
  that have started, the one that started last (so ``key-not-returned``, which comes after the
  end, still names it). ``key-added`` is not pushed: it is no ``key-status`` state.
- A contract on several keys is one ``contract-update`` per key (the event has one
  ``deviceId``/``keyId``), in the contract's order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .._events import CodeEnteredEvent, ContractUpdateEvent, DeviceAlarmEvent, KeyStatusEvent
from ._records import KeyEvent, SimContract, SimDevice, SimKey

__all__ = [
    "PUSHED_KEY_STATES",
    "code_entered",
    "contract_in_force",
    "contract_updates",
    "device_alarm",
    "key_status",
    "moment",
]

PUSHED_KEY_STATES = frozenset(
    {"key-fetched", "key-returned", "key-not-fetched", "key-not-returned"}
)


def moment(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime, to the millisecond the wire keeps."""
    return datetime.fromtimestamp(round(ts, 3), UTC)


def contract_in_force(contracts: list[SimContract], now: float) -> SimContract | None:
    """Of a key's contracts, the one that started last by ``now`` (ended or not)."""
    started = [c for c in contracts if c.start <= now]
    return max(started, key=lambda c: (c.start, c.seq)) if started else None


def key_status(
    device: SimDevice, key: SimKey, event: KeyEvent, contract: SimContract | None
) -> KeyStatusEvent | None:
    """The ``key-status`` event of a recorded key event (``None`` for ``key-added``)."""
    if event.action not in PUSHED_KEY_STATES:
        return None
    when = moment(event.timestamp)
    return KeyStatusEvent(
        state=event.action,
        storage_type="device",
        device_id=device.device_id,
        locker_index=event.locker_index,
        key_id=key.key_id,
        contract_id=None if contract is None else contract.contract_id,
        contract_object_id=None if contract is None else contract.object_id,
        tag=(device.tag,),
        occurred_at=when,
        created_at=when,
        organization_unit_id=device.account,
    )


def contract_updates(contract: SimContract, now: float) -> list[ContractUpdateEvent]:
    """The ``contract-update`` events of a contract created or changed at ``now``."""
    when = moment(now)
    return [
        ContractUpdateEvent(
            contract_type=contract.contract_type,
            contract_id=contract.contract_id,
            contract_object_id=contract.object_id,
            pincode=contract.pincode,
            start=moment(contract.start),
            end=None if contract.end is None else moment(contract.end),
            device_id=ref.device_id,
            key_id=ref.key_id,
            tag=tuple(contract.tag),
            occurred_at=when,
            created_at=when,
            organization_unit_id=contract.account,
        )
        for ref in contract.devices
    ]


def code_entered(
    device: SimDevice,
    *,
    code_type: str,
    code: str,
    now: float,
    key: SimKey | None = None,
    contract: SimContract | None = None,
) -> CodeEnteredEvent:
    """A ``code-entered`` event: a return code names no contract, an access code no key."""
    when = moment(now)
    return CodeEnteredEvent(
        code_type=code_type,
        code=code,
        device_id=device.device_id,
        locker_index=None if key is None else key.locker_index,
        key_id=None if key is None else key.key_id,
        contract_id=None if contract is None else contract.contract_id,
        contract_object_id=None if contract is None else contract.object_id,
        tag=(device.tag,),
        occurred_at=when,
        created_at=when,
        organization_unit_id=device.account,
    )


def device_alarm(
    device: SimDevice,
    *,
    alarm_type: str,
    state: str,
    start: float,
    end: float | None,
    acknowledged: bool,
    now: float,
) -> DeviceAlarmEvent:
    """A ``device-alarm`` event (``end`` is ``None`` while the alarm is active)."""
    when = moment(now)
    return DeviceAlarmEvent(
        alarm_type=alarm_type,
        state=state,
        device_id=device.device_id,
        start=moment(start),
        end=None if end is None else moment(end),
        acknowledged=acknowledged,
        occurred_at=when,
        created_at=when,
        organization_unit_id=device.account,
    )
