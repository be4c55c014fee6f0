"""The emulated device as a pure state machine: identity, accounts, lock, sessions, channels, recordings."""

from camvault.device.model.accounts import Account, Password, UserLevel
from camvault.device.model.channels import Channel, ChannelProtocol, DetectResult
from camvault.device.model.device import (
    DeviceModel,
    DeviceSettings,
    LoginOutcome,
    LoginResult,
    PowerState,
    ResetMode,
)
from camvault.device.model.identity import Firmware, FirmwareVersion, Identity, Kind, make_identity
from camvault.device.model.lockout import LockSettings, LockStatus

__all__ = [
    "Account",
    "Channel",
    "ChannelProtocol",
    "DetectResult",
    "DeviceModel",
    "DeviceSettings",
    "Firmware",
    "FirmwareVersion",
    "Identity",
    "Kind",
    "LockSettings",
    "LockStatus",
    "LoginOutcome",
    "LoginResult",
    "Password",
    "PowerState",
    "ResetMode",
    "UserLevel",
    "make_identity",
]
