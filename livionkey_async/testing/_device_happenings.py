"""What happens at an automat without an API call: codes entered on its keypad, alarms raised.

Livion pushes a ``code-entered`` event when a *correct* code is entered and a ``device-alarm``
event when an alarm is raised, acknowledged or cleared; the V1 API has no route for either, so
the simulator plays them from its control plane (``sim.enter_code``, ``sim.raise_alarm``...).
These rules decide which event each one is, from the store; pure, no I/O.

Assumed (the documents leave it open):

- A pincode is right on a device while one of its contracts there has started and not ended;
  the event names that contract and its key on the device. An access code is right while a
  live access right (a keypad's) lists the device; it names no key. Livion's return codes are not
  in the V1 API: a return code is entered by naming it (``code_type="right-return-code"``) with
  the key it returns, and any code is taken. A wrong code is refused: Livion pushes none.
- One alarm of each type per device: raising an active one, or acknowledging or clearing one
  that is not active, is refused; clearing keeps its acknowledgement.
"""

from __future__ import annotations

from attrs import define

from .._events import CodeEnteredEvent, DeviceAlarmEvent
from ._messages import Msg, SimError
from ._push_events import code_entered, device_alarm
from ._records import SimDevice
from ._store import SimStore

__all__ = ["ALARM_TYPES", "CODE_TYPES", "DeviceHappenings"]

CODE_TYPES = ("right-pincode", "right-return-code", "right-access-code")
ALARM_TYPES = (
    "DEVICE_ERROR",
    "DEVICE_POWER_DISCONNECTED",
    "DEVICE_LOW_POWER",
    "DEVICE_MOVED",
    "DEVICE_DISCONNECTED",
    "DEVICE_WIFI_OFFLINE",
)


@define
class _Alarm:
    start: float
    acknowledged: bool = False


class DeviceHappenings:
    """Codes entered and alarms of the store's devices; holds which alarms are active."""

    def __init__(self, store: SimStore) -> None:
        self._store = store
        self._alarms: dict[tuple[str, str], _Alarm] = {}

    def reset(self) -> None:
        self._alarms.clear()

    def _device(self, device_id: str) -> SimDevice:
        device = self._store.devices.get(device_id)
        if device is None:
            raise SimError(400, Msg.DEVICE_NOT_FOUND)
        return device

    # ------------------------------------------------------------------ codes

    def enter_code(
        self, device_id: str, code: str, *, code_type: str | None = None, key_id: str | None = None
    ) -> CodeEnteredEvent:
        """The event of ``code`` entered on the device; ``code_type`` ``None`` finds which kind
        it is (a contract's pincode, an access right's pincode)."""
        device = self._device(device_id)
        if not isinstance(code, str) or not code:
            raise SimError(400, "code is required")
        if code_type is not None and code_type not in CODE_TYPES:
            raise SimError(400, "codeType must be one of " + ", ".join(CODE_TYPES))
        store, now = self._store, self._store.clock()
        if code_type == "right-return-code":
            if not key_id:
                raise SimError(400, "keyId is required for a return code")
            key = store.key(device, key_id)
            return code_entered(device, code_type=code_type, code=code, now=now, key=key)
        if code_type in (None, "right-pincode"):
            for key in device.keys.values():
                for contract in store.key_contracts(key):
                    if contract.pincode == code and contract.start <= now and contract.live(now):
                        return code_entered(
                            device, code_type="right-pincode", code=code, now=now, key=key,
                            contract=contract,
                        )  # fmt: skip
        if code_type in (None, "right-access-code"):
            for right in store.access_rights.values():
                if (
                    device_id in right.device_ids
                    and right.pincode == code
                    and right.start <= now
                    and right.live(now)
                ):
                    return code_entered(device, code_type="right-access-code", code=code, now=now)
        raise SimError(400, "wrong code: Livion pushes only right codes")

    # ------------------------------------------------------------------ alarms

    def _alarm_type(self, alarm_type: str) -> str:
        if alarm_type not in ALARM_TYPES:
            hint = " (a key not returned is a key status)" if "RETURN" in alarm_type else ""
            raise SimError(400, "alarmType must be one of " + ", ".join(ALARM_TYPES) + hint)
        return alarm_type

    def _active(self, device_id: str, alarm_type: str) -> _Alarm:
        alarm = self._alarms.get((device_id, self._alarm_type(alarm_type)))
        if alarm is None:
            raise SimError(400, f"{alarm_type} is not active on device {device_id}")
        return alarm

    def raise_alarm(self, device_id: str, alarm_type: str) -> DeviceAlarmEvent:
        device = self._device(device_id)
        key = (device_id, self._alarm_type(alarm_type))
        if key in self._alarms:
            raise SimError(400, f"{alarm_type} is already active on device {device_id}")
        now = self._store.clock()
        self._alarms[key] = _Alarm(start=now)
        return device_alarm(
            device, alarm_type=alarm_type, state="activated", start=now, end=None,
            acknowledged=False, now=now,
        )  # fmt: skip

    def acknowledge_alarm(self, device_id: str, alarm_type: str) -> DeviceAlarmEvent:
        device = self._device(device_id)
        alarm = self._active(device_id, alarm_type)
        alarm.acknowledged = True
        return device_alarm(
            device, alarm_type=alarm_type, state="activated", start=alarm.start, end=None,
            acknowledged=True, now=self._store.clock(),
        )  # fmt: skip

    def clear_alarm(self, device_id: str, alarm_type: str) -> DeviceAlarmEvent:
        device = self._device(device_id)
        alarm = self._active(device_id, alarm_type)
        del self._alarms[(device_id, alarm_type)]
        now = self._store.clock()
        return device_alarm(
            device, alarm_type=alarm_type, state="deactivated", start=alarm.start, end=now,
            acknowledged=alarm.acknowledged, now=now,
        )  # fmt: skip
