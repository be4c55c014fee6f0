"""What a device's front ends may ask of the world around the device (the lab, or a test).

Front ends change the :class:`~camvault.device.model.DeviceModel` directly; effects outside the model (a
reboot takes the device off the network for a while, a changed NVR channel should be checked now) go
through this small interface, which the lab implements and unit tests fake.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["DeviceHost"]


class DeviceHost(Protocol):
    """The lab side of one device."""

    def schedule_reboot(self) -> None:
        """Reboot the device once the current reply has been sent."""
        ...

    def channels_changed(self, channel_id: int | None = None) -> None:
        """An NVR channel was added or changed: reconnect that one now (``None``: every channel)."""
        ...


class NullHost:
    """A host that ignores requests: for front-end unit tests that do not exercise power or channels."""

    def __init__(self) -> None:
        self.reboots = 0
        self.channel_changes = 0

    def schedule_reboot(self) -> None:
        """Count the request."""
        self.reboots += 1

    def channels_changed(self, channel_id: int | None = None) -> None:
        """Count the request."""
        self.channel_changes += 1
