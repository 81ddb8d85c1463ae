"""What a test may change on a running simulator from Python, beyond its fault knobs.

Kept apart from ``Simulator`` itself (which mixes this in) so the simulator's own module stays
small: device states here, the clock in ``_clock``. The control plane (``POST /_sim/devices/ID``)
does the same over HTTP.
"""

from __future__ import annotations

from ._state import SimState

__all__ = ["DeviceControls"]


class DeviceControls:
    """Set a device's state as the automat would report it."""

    state: SimState

    def set_device_state(
        self,
        device_id: str,
        *,
        connected: bool | None = None,
        busy: bool | None = None,
        reserved: bool | None = None,
    ) -> None:
        """Disconnect (or reconnect), busy or reserve a device; ``None`` keeps a state as it is.

        A disconnected device is listed as such and answers commands with ``Device error``, a
        busy one ``Device busy``, a reserved one ``Device is reserved`` (``DeviceBusyError`` in
        the client). ``KeyError`` for a device the simulator does not have.
        """
        if device_id not in self.state.devices:
            raise KeyError(f"no device {device_id!r} in the simulator")
        connection = None if connected is None else "connected" if connected else "disconnected"
        self.state.set_device(device_id, connection_state=connection, busy=busy, reserved=reserved)
