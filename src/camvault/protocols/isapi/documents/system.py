"""System documents: device identity, clock, and the activation exchange.

Sources (research notes ``hikvision.md``): §3 (``DeviceInfo``, real V5.5.0 capture from MISSIAL's
cassettes), §7.1-§7.2 (activation endpoints and bodies: QB60, WEBLOGINPAGE, WEBACT, CNDOC). The
``/ISAPI/System/time`` shape comes from public clients found with the code search: a TypeScript type
``Time { timeMode: 'NTP' | 'manual' | 'timecorrect'; localTime; timeZone }``, a PUT comment
``<timeMode>manual</timeMode><localTime>2020-08-03T18:04:24+08:00</localTime><timeZone>CST-8:00:00``,
a field note from a real camera (``<localTime>2026-04-26T21:50:57-03:00</localTime>
<timeZone>CST+3:00:00</timeZone>``: POSIX sign, inverted) and a test fixture with a full POSIX rule
(``CST6CDT,M3.2.0/02:00:00,M11.1.0/02:00:00``). The crypto of the activation fields is not done here:
``key`` and ``password`` are carried as the strings they are on the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Literal, Self
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml
from camvault.protocols.isapi.documents._base import (
    format_datetime,
    leaf,
    optional_datetime,
    parse_enum,
    required_text,
)

__all__ = [
    "ActivateInfo",
    "ActivateStatus",
    "ChallengeRequest",
    "ChallengeResponse",
    "DeviceInfo",
    "DeviceInfoUpdate",
    "Time",
    "TimeMode",
    "utc_offset_of",
]


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """``GET /ISAPI/System/deviceInfo`` (research §3).

    Renders every field of the real V5.5.0 capture in its order. ``model``, ``serialNumber``,
    ``macAddress`` and ``firmwareVersion`` are required (the fleet identifies devices by them); the rest
    are optional because minimal firmwares omit them. ``deviceType`` is free text: ``"IPCamera"``,
    ``"IPDome"``, ``"NVR"``, ``"DVR"``, ...
    """

    ROOT: ClassVar[str] = "DeviceInfo"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"DeviceInfo"})

    model: str
    serial_number: str
    mac_address: str
    firmware_version: str
    device_name: str | None = None
    device_id: str | None = None
    device_description: str | None = None
    device_location: str | None = None
    system_contact: str | None = None
    firmware_released_date: str | None = None
    encoder_version: str | None = None
    encoder_released_date: str | None = None
    boot_version: str | None = None
    boot_released_date: str | None = None
    hardware_version: str | None = None
    device_type: str | None = None
    telecontrol_id: int | None = None
    support_beep: bool | None = None
    support_video_loss: bool | None = None
    firmware_version_info: str | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<DeviceInfo>``; unknown elements (``manufacturer``, ``customizedInfo``...) are ignored.

        Raises:
            InvalidContent: a required field is missing or a typed field is malformed.
        """
        text = xml.optional_text
        return cls(
            model=required_text(element, "model"),
            serial_number=required_text(element, "serialNumber"),
            mac_address=required_text(element, "macAddress"),
            firmware_version=required_text(element, "firmwareVersion"),
            device_name=text(element, "deviceName"),
            device_id=text(element, "deviceID"),
            device_description=text(element, "deviceDescription"),
            device_location=text(element, "deviceLocation"),
            system_contact=text(element, "systemContact"),
            firmware_released_date=text(element, "firmwareReleasedDate"),
            encoder_version=text(element, "encoderVersion"),
            encoder_released_date=text(element, "encoderReleasedDate"),
            boot_version=text(element, "bootVersion"),
            boot_released_date=text(element, "bootReleasedDate"),
            hardware_version=text(element, "hardwareVersion"),
            device_type=text(element, "deviceType"),
            telecontrol_id=xml.optional_integer(element, "telecontrolID", minimum=0),
            support_beep=xml.optional_boolean(element, "supportBeep"),
            support_video_loss=xml.optional_boolean(element, "supportVideoLoss"),
            firmware_version_info=text(element, "firmwareVersionInfo"),
        )

    def to_node(self) -> xml.Node:
        """Return the ``<DeviceInfo>`` tree in the order of the V5.5.0 capture."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("deviceName", self.device_name),
            ("deviceID", self.device_id),
            ("deviceDescription", self.device_description),
            ("deviceLocation", self.device_location),
            ("systemContact", self.system_contact),
            ("model", self.model),
            ("serialNumber", self.serial_number),
            ("macAddress", self.mac_address),
            ("firmwareVersion", self.firmware_version),
            ("firmwareReleasedDate", self.firmware_released_date),
            ("encoderVersion", self.encoder_version),
            ("encoderReleasedDate", self.encoder_released_date),
            ("bootVersion", self.boot_version),
            ("bootReleasedDate", self.boot_released_date),
            ("hardwareVersion", self.hardware_version),
            ("deviceType", self.device_type),
            ("telecontrolID", self.telecontrol_id),
            ("supportBeep", self.support_beep),
            ("supportVideoLoss", self.support_video_loss),
            ("firmwareVersionInfo", self.firmware_version_info),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


@dataclass(frozen=True, slots=True)
class DeviceInfoUpdate:
    """``PUT /ISAPI/System/deviceInfo`` body: the writable fields only (research §3: used to rename).

    The web UI sends back the whole ``<DeviceInfo>``; this type reads such a body too and keeps only what
    a client may change. ``deviceName`` is required.
    """

    ROOT: ClassVar[str] = "DeviceInfo"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"DeviceInfo"})

    device_name: str
    device_id: str | None = None
    device_description: str | None = None
    device_location: str | None = None
    system_contact: str | None = None
    telecontrol_id: int | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read the writable fields of a ``<DeviceInfo>`` PUT body.

        Raises:
            InvalidContent: ``deviceName`` is missing or empty, or ``telecontrolID`` is not an integer.
        """
        return cls(
            device_name=required_text(element, "deviceName", max_length=128),
            device_id=xml.optional_text(element, "deviceID"),
            device_description=xml.optional_text(element, "deviceDescription"),
            device_location=xml.optional_text(element, "deviceLocation"),
            system_contact=xml.optional_text(element, "systemContact"),
            telecontrol_id=xml.optional_integer(element, "telecontrolID", minimum=0),
        )

    def to_node(self) -> xml.Node:
        """Return the ``<DeviceInfo>`` PUT tree in ``DeviceInfo`` order."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("deviceName", self.device_name),
            ("deviceID", self.device_id),
            ("deviceDescription", self.device_description),
            ("deviceLocation", self.device_location),
            ("systemContact", self.system_contact),
            ("telecontrolID", self.telecontrol_id),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


class TimeMode(StrEnum):
    """``<timeMode>`` values (TypeScript client type ``'NTP' | 'manual' | 'timecorrect'``)."""

    NTP = "NTP"
    MANUAL = "manual"
    TIMECORRECT = "timecorrect"


@dataclass(frozen=True, slots=True)
class Time:
    """``GET``/``PUT /ISAPI/System/time`` (shape sourced in the module docstring).

    Attributes:
        time_mode: how the clock is kept.
        local_time: the device's local time with its UTC offset. A PUT from some clients carries no
            offset; that is kept as a naive ``datetime``. Absent in NTP-mode PUTs.
        time_zone: the POSIX-style zone, e.g. ``"CST-8:00:00"`` (UTC+8: the POSIX sign is inverted)
            or a full rule with DST; see :func:`utc_offset_of`.
    """

    ROOT: ClassVar[str] = "Time"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"Time"})

    time_mode: TimeMode
    local_time: datetime | None = None
    time_zone: str | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<Time>`` (any namespace; ``timeMode`` case-insensitive).

        ``timeZone`` is kept verbatim so that an unusual zone string does not hide the clock from the
        fleet; :func:`utc_offset_of` interprets (and validates) it where it matters.

        Raises:
            InvalidContent: ``timeMode`` is missing or unknown, or ``localTime`` is not ISO 8601.
        """
        mode = parse_enum(TimeMode, xml.text(element, "timeMode", max_length=32), field="timeMode")
        return cls(
            time_mode=mode,
            local_time=optional_datetime(element, "localTime"),
            time_zone=xml.optional_text(element, "timeZone", max_length=128),
        )

    def to_node(self) -> xml.Node:
        """Return ``<Time>``: ``timeMode``, ``localTime``, ``timeZone``."""
        local = None if self.local_time is None else format_datetime(self.local_time)
        return xml.Node(
            self.ROOT,
            children=(
                xml.Node("timeMode", self.time_mode.value),
                leaf("localTime", local),
                leaf("timeZone", self.time_zone),
            ),
        )


_POSIX_ZONE = re.compile(
    r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{1,16}>)"
    r"(?P<sign>[+-]?)(?P<hours>\d{1,2})(?::(?P<minutes>\d{1,2}))?(?::(?P<seconds>\d{1,2}))?"
    r"(?P<rest>.*)"
)


def utc_offset_of(time_zone: str) -> timedelta:
    """Return the standard-time UTC offset of a POSIX-style zone string as the device writes it.

    ``"CST-8:00:00"`` is UTC+8 and ``"CST+3:00:00"`` is UTC-3 (POSIX inverts the sign); a DST rule after
    the offset (``"CST6CDT,M3.2.0/02:00:00,M11.1.0/02:00:00"``) is accepted and ignored.

    Raises:
        InvalidContent: the string is not of that form or the offset exceeds 24 hours.
    """
    match = _POSIX_ZONE.fullmatch(time_zone.strip())
    if match is None or len(time_zone) > 128:
        raise InvalidContent("<timeZone> is not a POSIX time zone", field="timeZone")
    hours = int(match["hours"])
    minutes = int(match["minutes"] or 0)
    seconds = int(match["seconds"] or 0)
    if hours > 24 or minutes > 59 or seconds > 59:
        raise InvalidContent("<timeZone> offset is out of range", field="timeZone")
    west = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return west if match["sign"] == "-" else -west


@dataclass(frozen=True, slots=True)
class ActivateStatus:
    """``GET /SDK/activateStatus`` (research §7.1).

    The real root element was never observed; clients only look up ``<Activated>``. This type renders
    ``<ActivateStatus><Activated>`` [I] and reads ``Activated`` under *any* root.
    """

    ROOT: ClassVar[str] = "ActivateStatus"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = None

    activated: bool

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<Activated>`` under any root.

        Raises:
            InvalidContent: ``Activated`` is missing or not a boolean.
        """
        return cls(activated=xml.boolean(element, "Activated"))

    def to_node(self) -> xml.Node:
        """Return ``<ActivateStatus><Activated>``."""
        return xml.Node(self.ROOT, children=(xml.Node("Activated", self.activated),))


@dataclass(frozen=True, slots=True)
class ChallengeRequest:
    """``POST /ISAPI/Security/challenge`` body: the client's RSA public key (research §7.1, §7.2).

    Two roots exist: Hikvision's web UI sends ``<PublicKey><key>`` and CNDOC (from the official doc)
    sends ``<Challenge><key>``. Both are read; :attr:`root` records which, and renders back the same.

    Attributes:
        key: ``base64(lowercase hex of the 1024-bit modulus)``, not decoded here.
        root: ``"PublicKey"`` (the vendor web UI, the default) or ``"Challenge"``.
    """

    ROOT: ClassVar[str] = "PublicKey"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"PublicKey", "Challenge"})

    key: str
    root: Literal["PublicKey", "Challenge"] = "PublicKey"

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<key>`` under a ``PublicKey`` or ``Challenge`` root.

        Raises:
            InvalidContent: ``key`` is missing or empty.
        """
        root: Literal["PublicKey", "Challenge"] = (
            "Challenge" if xml.local_name(element.tag) == "Challenge" else "PublicKey"
        )
        return cls(key=required_text(element, "key", max_length=2048), root=root)

    def to_node(self) -> xml.Node:
        """Return ``<PublicKey><key>`` (or ``<Challenge><key>``)."""
        return xml.Node(self.root, children=(xml.Node("key", self.key),))


@dataclass(frozen=True, slots=True)
class ChallengeResponse:
    """The device's answer to the challenge: the RSA-encrypted random in ``<key>`` (research §7.1).

    The response root was never observed; every client only reads ``<key>``. This type renders
    ``<Challenge><key>`` [I] (the root the official doc uses for the request) and reads any root with a
    ``<key>``. The key material is kept out of ``repr``.
    """

    ROOT: ClassVar[str] = "Challenge"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = None

    key: str = field(repr=False)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<key>`` under any root.

        Raises:
            InvalidContent: ``key`` is missing or empty.
        """
        return cls(key=required_text(element, "key", max_length=2048))

    def to_node(self) -> xml.Node:
        """Return ``<Challenge><key>``."""
        return xml.Node(self.ROOT, children=(xml.Node("key", self.key),))


@dataclass(frozen=True, slots=True)
class ActivateInfo:
    """``PUT /ISAPI/System/activate`` body: ``<ActivateInfo><password>`` (research §7.1).

    ``password`` is the encrypted activation password (``base64(hex(AES(...)))``, §7.2), kept out of
    ``repr``. This is a request document, so it renders the password.
    """

    ROOT: ClassVar[str] = "ActivateInfo"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"ActivateInfo"})

    password: str = field(repr=False)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<password>``.

        Raises:
            InvalidContent: ``password`` is missing or empty.
        """
        return cls(password=required_text(element, "password", max_length=1024))

    def to_node(self) -> xml.Node:
        """Return ``<ActivateInfo><password>``."""
        return xml.Node(self.ROOT, children=(xml.Node("password", self.password),))
