"""An NVR's IP channels: the cameras it records, with the credentials it logs in with (research notes §4.4).

An NVR stores, per channel, the camera's address and the user name and password it logs in with; the
password is write-only on the API. The lab's NVR agent really logs in to each camera over the network and
reports the outcome here; a channel whose stored password is stale keeps failing, and because the NVR keeps
retrying it can trip the camera's illegal-login lock, exactly the failure owners report.

The lab's cameras speak no proprietary SDK protocol, so the NVR reaches a ``HIKVISION`` channel over ISAPI on
the camera's HTTP port (``managePortNo`` holds that port) and an ``ONVIF`` channel over its device service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from camvault.device.model.accounts import Password

__all__ = ["Channel", "ChannelProtocol", "ChannelStatus", "DetectResult"]


class ChannelProtocol(StrEnum):
    """How the NVR talks to the camera (``proxyProtocol``)."""

    HIKVISION = "HIKVISION"
    ONVIF = "ONVIF"


class DetectResult(StrEnum):
    """Why a channel is online or offline (``chanDetectResult``)."""

    CONNECT = "connect"
    BAD_CREDENTIALS = "userNameOrPasswordError"
    LOCKED = "ipcLocked"
    UNREACHABLE = "netUnreachable"
    NOT_ACTIVATED = "notActivated"
    NOT_CHECKED = "unknown"


@dataclass(slots=True)
class ChannelStatus:
    """The last outcome of the NVR's login to the camera."""

    online: bool = False
    detect_result: DetectResult = DetectResult.NOT_CHECKED
    last_checked: datetime | None = None
    consecutive_failures: int = 0


@dataclass(slots=True)
class Channel:
    """One IP channel of an NVR.

    Attributes:
        id: 1..channels.
        name: e.g. ``Camera 01``.
        protocol: how the camera is reached.
        address: the camera's IP address.
        port: the camera's HTTP port.
        username: the account the NVR logs in with.
        password: the stored password (write-only on the API).
        enabled: a disabled channel is not polled.
        status: the agent's latest result.
    """

    id: int
    name: str
    protocol: ChannelProtocol
    address: str
    port: int
    username: str
    password: Password
    enabled: bool = True
    status: ChannelStatus = field(default_factory=ChannelStatus)
