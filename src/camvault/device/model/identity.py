"""What a device *is*: model, serial number, MAC, kind, firmware, realm. Fixed at manufacture.

Serial numbers follow the real format, model + manufacture date + a 13-character unit code
(``DS-2CD2385G1-I20200414AAWRE33842150``, research notes §13.3), and the Digest realm the real
``IP Camera(<5 digits>)`` (§1). Firmware versions are parsed so behaviour that changed across firmware
generations (Basic auth, activation, legacy reset code, XML namespace) follows the version a scenario gives.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import total_ordering
from random import Random
from typing import Any

from camvault.errors import ConfigurationError

__all__ = [
    "Firmware",
    "FirmwareVersion",
    "Identity",
    "Kind",
    "ProductLine",
    "identity_from_dict",
    "identity_to_dict",
    "make_identity",
]

NS_HIKVISION_V20 = "http://www.hikvision.com/ver20/XMLSchema"
NS_ISAPI_V20 = "http://www.isapi.org/ver20/XMLSchema"


class Kind(StrEnum):
    """The device's type as ISAPI's ``deviceType`` names it, plus the generic ONVIF-only camera."""

    IPC = "IPCamera"
    NVR = "NVR"
    ONVIF_CAMERA = "ONVIFCamera"


_VERSION = re.compile(r"^V?(\d+)\.(\d+)\.(\d+)$")
_BUILD = re.compile(r"^(?:build\s*)?(\d{6})$")


@total_ordering
@dataclass(frozen=True, slots=True)
class FirmwareVersion:
    """A firmware version such as ``V5.5.0``, comparable."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> FirmwareVersion:
        """Parse ``V5.5.0`` or ``5.5.0``.

        Raises:
            ConfigurationError: the text is not a version.
        """
        match = _VERSION.match(text.strip())
        if not match:
            raise ConfigurationError(f"not a firmware version: {text!r} (expected like V5.5.0)")
        return cls(int(match[1]), int(match[2]), int(match[3]))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FirmwareVersion):
            return NotImplemented
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)

    def __str__(self) -> str:
        return f"V{self.major}.{self.minor}.{self.patch}"


class ProductLine(StrEnum):
    """Firmware lines number their versions differently; behaviour changes at different versions."""

    CAMERA = "camera"
    RECORDER = "recorder"
    OTHER_VENDOR = "other"


@dataclass(frozen=True, slots=True)
class _Generations:
    activation: FirmwareVersion
    digest_only: FirmwareVersion
    isapi_namespace: FirmwareVersion
    login_password_always: FirmwareVersion


# Cameras: from the research notes (§1, §7.6, §14.2). Recorders number their firmware V3.x/V4.x; the same
# changes arrived there in V3.4 (activation, 2015) and V4.x; those numbers are our reading, not sourced.
_LINES = {
    ProductLine.CAMERA: _Generations(
        FirmwareVersion(5, 3, 0), FirmwareVersion(5, 5, 0), FirmwareVersion(5, 6, 0), FirmwareVersion(5, 7, 0)
    ),
    ProductLine.RECORDER: _Generations(
        FirmwareVersion(3, 4, 0),
        FirmwareVersion(4, 0, 0),
        FirmwareVersion(4, 0, 0),
        FirmwareVersion(4, 30, 0),
    ),
}


@dataclass(frozen=True, slots=True)
class Firmware:
    """A firmware image: version, build date and product line, and the behaviour that follows from them.

    The camera generations, from the research notes:

    * before V5.3.0: no activation (factory state is ``admin`` / ``12345``, §7.6) and exposed to the legacy
      serial-plus-date security code (§14.2);
    * before V5.5.0: HTTP Basic is accepted (captured on V5.4.5, refused on V5.5.0: §1);
    * V5.6.0 and later answer in the ``isapi.org`` namespace, older ones in ``hikvision.com`` (§1: both are
      seen, the newer firmware uses the former; the exact switch-over version is our choice);
    * V5.7.0 and later require ``loginPassword`` (the administrator's current password) on every user
      modification, not only on ``security=1`` requests (§4.2 says it is required with ``security``; that
      newer firmware requires it always is inferred, gap 4 of §16).

    Recorders follow the same steps at their own version numbers (see ``_LINES``). Other vendors' ONVIF
    cameras have no activation: they ship with a default account, like most non-Hikvision cameras.
    """

    version: FirmwareVersion
    build: str
    line: ProductLine = ProductLine.CAMERA

    @classmethod
    def parse(cls, version: str, build: str, line: ProductLine = ProductLine.CAMERA) -> Firmware:
        """Build from texts such as ``"V5.5.0"`` and ``"build 170725"`` or ``"170725"``.

        Raises:
            ConfigurationError: either text is malformed.
        """
        match = _BUILD.match(build.strip())
        if not match:
            raise ConfigurationError(f"not a firmware build: {build!r} (expected like 'build 170725')")
        return cls(FirmwareVersion.parse(version), match[1], line)

    @property
    def build_text(self) -> str:
        """The build as ``deviceInfo`` shows it: ``build 170725``."""
        return f"build {self.build}"

    @property
    def build_date(self) -> date:
        """The build date encoded in the build number (YYMMDD)."""
        return date(2000 + int(self.build[:2]), int(self.build[2:4]), int(self.build[4:6]))

    def _at_least(self, pick: str) -> bool:
        generations = _LINES.get(self.line)
        if generations is None:
            return pick != "activation"
        threshold: FirmwareVersion = getattr(generations, pick)
        return self.version >= threshold

    @property
    def requires_activation(self) -> bool:
        """Whether a factory-fresh device is inactive and must be given a password."""
        return self.line is not ProductLine.OTHER_VENDOR and self._at_least("activation")

    @property
    def accepts_basic_auth(self) -> bool:
        """Whether HTTP Basic is accepted."""
        return not self._at_least("digest_only")

    @property
    def legacy_security_code(self) -> bool:
        """Whether the serial-plus-date security code resets the admin password."""
        return self.line is not ProductLine.OTHER_VENDOR and not self._at_least("activation")

    @property
    def xml_namespace(self) -> str:
        """The namespace this generation puts on ISAPI documents."""
        return NS_ISAPI_V20 if self._at_least("isapi_namespace") else NS_HIKVISION_V20

    @property
    def always_requires_login_password(self) -> bool:
        """Whether every user modification must carry the administrator's ``loginPassword``."""
        return self._at_least("login_password_always")

    def __str__(self) -> str:
        return f"{self.version} {self.build_text}"


@dataclass(frozen=True, slots=True)
class Identity:
    """Everything printed on the device's label or burnt in at the factory.

    Attributes:
        model: e.g. ``DS-2CD2385G1-I``.
        serial: model + manufacture date + unit code, the real format.
        mac: lower-case, colon-separated.
        kind: camera, NVR, or generic ONVIF camera.
        firmware: the firmware installed at the factory (an upgrade changes the device state, not this).
        vendor: ``Hikvision`` or another vendor for ONVIF-only cameras.
        device_uuid: stable UUID (ONVIF endpoint reference, SADP, ``deviceID``).
        realm: the HTTP Digest realm.
        salt: 64 hex characters used by session login and SADP (§6.2, §13.3).
        max_users: user accounts the model supports, admin included.
        channels: IP channels of an NVR, or 1 for a camera.
        has_storage: whether the device records locally (NVR disks, a camera's memory card).
    """

    model: str
    serial: str
    mac: str
    kind: Kind
    firmware: Firmware
    vendor: str
    device_uuid: str
    realm: str
    salt: str
    max_users: int
    channels: int
    has_storage: bool

    @property
    def short_serial(self) -> str:
        """The serial without the model prefix, as the legacy code generators take it (§14.2)."""
        return self.serial[len(self.model) :] if self.serial.startswith(self.model) else self.serial


def make_identity(
    *,
    model: str,
    kind: Kind,
    firmware: Firmware,
    manufactured: date,
    rng: Random,
    vendor: str = "Hikvision",
    max_users: int | None = None,
    channels: int | None = None,
    has_storage: bool | None = None,
) -> Identity:
    """Manufacture an identity: draw the unit code, MAC, UUID and salt from ``rng``.

    Hikvision MACs use one of the vendor's OUIs (``58:50:ed`` was seen in §13.3, ``c0:56:e3``, ``44:19:b6``
    and ``bc:ad:28`` are other registered Hikvision prefixes); other vendors get a locally administered MAC.
    """
    unit = "AAWR" + rng.choice("CDEFGHJK") + "".join(rng.choice("0123456789") for _ in range(8))
    serial = f"{model}{manufactured:%Y%m%d}{unit}"
    if vendor == "Hikvision":
        oui = rng.choice(["58:50:ed", "c0:56:e3", "44:19:b6", "bc:ad:28"])
    else:
        oui = "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(2))
    mac = oui + ":" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
    nvr = kind is Kind.NVR
    return Identity(
        model=model,
        serial=serial,
        mac=mac,
        kind=kind,
        firmware=firmware,
        vendor=vendor,
        device_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        realm=f"IP Camera({serial[-5:]})" if vendor == "Hikvision" else f"{vendor} Camera",
        salt=f"{rng.getrandbits(256):064x}",
        max_users=max_users if max_users is not None else (32 if nvr else 16),
        channels=channels if channels is not None else (8 if nvr else 1),
        has_storage=has_storage if has_storage is not None else nvr,
    )


def identity_to_dict(identity: Identity) -> dict[str, object]:
    """A JSON-ready copy of an identity (public facts only: nothing here is secret)."""
    return {
        "model": identity.model,
        "serial": identity.serial,
        "mac": identity.mac,
        "kind": identity.kind.value,
        "firmware": {
            "version": str(identity.firmware.version),
            "build": identity.firmware.build,
            "line": identity.firmware.line.value,
        },
        "vendor": identity.vendor,
        "device_uuid": identity.device_uuid,
        "realm": identity.realm,
        "salt": identity.salt,
        "max_users": identity.max_users,
        "channels": identity.channels,
        "has_storage": identity.has_storage,
    }


def identity_from_dict(data: dict[str, Any]) -> Identity:
    """Rebuild an identity saved by :func:`identity_to_dict`.

    Raises:
        ConfigurationError: a field is missing or malformed.
    """
    try:
        firmware = data["firmware"]
        return Identity(
            model=str(data["model"]),
            serial=str(data["serial"]),
            mac=str(data["mac"]),
            kind=Kind(data["kind"]),
            firmware=Firmware.parse(firmware["version"], firmware["build"], ProductLine(firmware["line"])),
            vendor=str(data["vendor"]),
            device_uuid=str(data["device_uuid"]),
            realm=str(data["realm"]),
            salt=str(data["salt"]),
            max_users=int(data["max_users"]),
            channels=int(data["channels"]),
            has_storage=bool(data["has_storage"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"stored device identity is malformed: {exc}") from None
