"""The typed values drivers return: one vocabulary for every vendor.

Drivers translate their protocol's documents into these frozen dataclasses, so the rest of the fleet tool
(inventory, audit, rotation) never sees XML, SOAP or vendor spellings. A :class:`Credential` is the only
value holding a secret; nothing here keeps one after the call that needed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Account",
    "Channel",
    "Credential",
    "DeviceFacts",
    "DeviceKind",
    "Endpoint",
    "Level",
    "LockPolicy",
    "LoginResult",
    "Probe",
    "RecordingSegment",
    "RecoveryMethods",
    "SecurityQuestion",
]


class DeviceKind(StrEnum):
    """What a device is, as far as account management cares."""

    CAMERA = "camera"
    NVR = "nvr"
    UNKNOWN = "unknown"


class Level(StrEnum):
    """An account's privilege, mapped from the vendor's levels (ISAPI Viewer and ONVIF User are ``viewer``)."""

    ADMINISTRATOR = "administrator"
    OPERATOR = "operator"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a device answers.

    Attributes:
        host: IP address or host name.
        port: HTTP(S) port.
        scheme: ``http`` or ``https``.
        verify_tls: verify the device's certificate (on unless the owner turns it off for this device).
    """

    host: str
    port: int = 80
    scheme: str = "http"
    verify_tls: bool = True

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.base_url


@dataclass(frozen=True, slots=True)
class Credential:
    """A user name and password, for the duration of one operation; the password never shows in a repr."""

    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.username}:***"


@dataclass(frozen=True, slots=True)
class Probe:
    """What a device shows without credentials.

    Attributes:
        reachable: it answered at all.
        vendor: recognised vendor (``hikvision``, ``onvif``), or ``None``.
        activated: whether it has been given a password (``None``: the protocol does not say).
        realm: the HTTP Digest realm, when it challenged.
        basic_offered: the server offered HTTP Basic in its challenge (it accepts cleartext passwords).
        device_time: the device's clock, when it can be read without credentials.
    """

    reachable: bool
    vendor: str | None = None
    activated: bool | None = None
    realm: str | None = None
    basic_offered: bool | None = None
    device_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """Identity and firmware, as the device reports them."""

    vendor: str
    model: str
    serial: str
    mac: str | None
    firmware_version: str
    firmware_build: str | None
    kind: DeviceKind
    name: str | None = None
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """A user account on the device (never with its password)."""

    id: str
    username: str
    level: Level
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class LoginResult:
    """The outcome of one login check.

    Attributes:
        ok: the credential works.
        is_default_password: the device says the password is its factory default.
        is_risk_password: the device rates the password risky.
        attempts_left: what the device says remains before its lock engages, if it says.
        locked: the device says its lock is engaged for us.
        unlock_in_seconds: how long the lock lasts, if the device says.
    """

    ok: bool
    is_default_password: bool | None = None
    is_risk_password: bool | None = None
    attempts_left: int | None = None
    locked: bool = False
    unlock_in_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class LockPolicy:
    """The device's illegal-login lock settings."""

    enabled: bool
    max_attempts: int | None
    lock_seconds: int | None


@dataclass(frozen=True, slots=True)
class Channel:
    """A camera an NVR records, with the credential it holds (the password is never readable)."""

    id: int
    name: str | None
    address: str | None
    port: int | None
    username: str | None
    protocol: str | None
    online: bool | None
    status: str | None


@dataclass(frozen=True, slots=True)
class SecurityQuestion:
    """One security question the device will ask before a reset.

    Attributes:
        id: the device's question number.
        text: the question as the owner should read it (the driver's wording when the device only says
            the number).
    """

    id: int
    text: str


@dataclass(frozen=True, slots=True)
class RecoveryMethods:
    """The ways back into a device that need no login, as the device announces them.

    Attributes:
        security_questions: the questions configured on the device (empty: none set, or not supported).
        guid_file: a GUID file exported earlier can reset the password.
        vendor_support: the device exports a signed request that the vendor answers with a one-time code.
        legacy_code: old firmware also accepts the vendor's serial-and-date code (a known weakness).
        locked: the device reports that resets from this address are suspended now.
        unlock_in_seconds: how long that lasts, when it says.
    """

    security_questions: tuple[SecurityQuestion, ...] = ()
    guid_file: bool = False
    vendor_support: bool = False
    legacy_code: bool = False
    locked: bool = False
    unlock_in_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class RecordingSegment:
    """One recorded clip a device can hand over.

    Attributes:
        track: the track (channel) it belongs to.
        start: when it starts.
        end: when it ends.
        uri: the playback URI the device names it by (no credential in it).
        size: its size in bytes, when the device says.
    """

    track: int
    start: datetime
    end: datetime
    uri: str
    size: int | None = None
