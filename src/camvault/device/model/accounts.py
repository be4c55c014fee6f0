"""User accounts of the emulated device (research notes §4, §9).

Rules, as the firmware applies them:

* the administrator is id 1, named ``admin`` at activation, and can be neither deleted nor renamed (§4.1);
* other users, up to the model's maximum, have a level: Administrator, Operator or Viewer (§4.2);
* passwords are write-only: no document ever returns one (§4.3);
* a password must satisfy the device's policy: 8-16 characters, not containing the user name, not *risky*
  by Hikvision's own strength function; a risky one is refused with ``riskPassword`` (§9).

The device keeps each password so that it can answer every scheme that needs it (Digest HA1, the
session-login hash, the ``security=1`` key, ONVIF's PasswordDigest), as real firmware does: the lab seals
it at rest (:mod:`camvault.device.store`). A :class:`Password` never shows its value in a repr.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from camvault.device.model.identity import Firmware, ProductLine
from camvault.errors import DeviceRefusal, PasswordRejected
from camvault.passwords import HIKVISION_DEVICE, StrengthLevel, hikvision_strength

__all__ = [
    "LEGACY_DEFAULT_PASSWORD",
    "OTHER_VENDOR_DEFAULT_PASSWORD",
    "Account",
    "Password",
    "UserLevel",
    "check_device_password",
    "factory_default_password",
]

LEGACY_DEFAULT_PASSWORD = "12345"  # noqa: S105 - a public, documented factory default
"""The factory password of Hikvision firmware before the activation mechanism (§7.6)."""

OTHER_VENDOR_DEFAULT_PASSWORD = "admin"  # noqa: S105 - the usual factory default of cheap ONVIF cameras
"""The factory password of the lab's generic ONVIF camera (``admin``/``admin``, as many vendors ship)."""

ADMIN_ID = 1
ADMIN_NAME = "admin"


class UserLevel(StrEnum):
    """The ``userLevel`` of an account (§4.2)."""

    ADMINISTRATOR = "Administrator"
    OPERATOR = "Operator"
    VIEWER = "Viewer"


@dataclass(frozen=True, slots=True)
class Password:
    """A password held by the device, with the values derived from it precomputed.

    The plaintext is in :attr:`value`; ``repr`` never shows it.
    """

    value: str = field(repr=False)

    def ha1(self, username: str, realm: str, algorithm: str = "MD5") -> str:
        """HTTP Digest HA1 = H(username:realm:password) for ``MD5`` or ``SHA-256``."""
        data = f"{username}:{realm}:{self.value}".encode()
        if algorithm.upper().startswith("SHA-256"):
            return hashlib.sha256(data).hexdigest()
        return hashlib.md5(data, usedforsecurity=False).hexdigest()

    def irreversible_hash(self, username: str, salt: str) -> str:
        """SHA256hex(user + salt + password): the basis of session login and ``security=1`` (§6.2, §6.3)."""
        return hashlib.sha256(f"{username}{salt}{self.value}".encode()).hexdigest()

    def matches(self, candidate: str) -> bool:
        """Constant-time comparison with a candidate plaintext."""
        return hmac.compare_digest(self.value.encode(), candidate.encode())


@dataclass(slots=True)
class Account:
    """One user account.

    Attributes:
        id: 1 for the administrator, 2.. for others.
        name: the user name (1-32 characters).
        level: Administrator, Operator or Viewer.
        enabled: a disabled account cannot log in.
        password: the current password.
        changed_at: device time of the last password change.
        is_default_password: set while the password is the legacy factory default.
        is_risk_password: set while the password is risky by the device's strength function.
    """

    id: int
    name: str
    level: UserLevel
    enabled: bool
    password: Password
    changed_at: datetime
    is_default_password: bool = False
    is_risk_password: bool = False

    @property
    def is_admin(self) -> bool:
        """Whether this is the built-in administrator (id 1)."""
        return self.id == ADMIN_ID

    def set_password(self, password: str, now: datetime, *, factory_default: str | None = None) -> None:
        """Replace the password (policy already checked) and refresh the derived flags.

        Args:
            password: the new password.
            now: device time.
            factory_default: the firmware's factory password, if it has one, to flag a password equal to it.
        """
        self.password = Password(password)
        self.changed_at = now
        self.is_default_password = factory_default is not None and password == factory_default
        self.is_risk_password = hikvision_strength(password, self.name) is StrengthLevel.RISKY


def factory_default_password(firmware: Firmware) -> str | None:
    """The password a firmware ships with, or ``None`` when the device must be activated instead."""
    if firmware.requires_activation:
        return None
    if firmware.line is ProductLine.OTHER_VENDOR:
        return OTHER_VENDOR_DEFAULT_PASSWORD
    return LEGACY_DEFAULT_PASSWORD


def check_device_password(password: str, username: str) -> None:
    """Apply the device's password policy.

    Raises:
        DeviceRefusal: ``riskPassword`` when the strength function calls it risky (or it contains the user
            name), ``badParameters`` when the length or the characters are wrong.
    """
    try:
        HIKVISION_DEVICE.check(password, username)
    except PasswordRejected as exc:
        reason = "riskPassword" if exc.reason in {"risky", "contains_username", "common"} else "badParameters"
        raise DeviceRefusal(reason, str(exc)) from None
