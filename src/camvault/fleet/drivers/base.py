"""The driver contract: what the fleet tool can ask of any device, whatever its vendor.

Like NAPALM's ``NetworkDriver``, this base class *is* the specification: every method's docstring says what
it must do, what it returns and what it raises, and one contract test suite runs every driver against it
(``tests/fleet/drivers/contract.py``). A driver:

* receives an :class:`~camvault.fleet.drivers.models.Endpoint`, an ``httpx.AsyncClient`` it does not own,
  and the shared :class:`~camvault.fleet.drivers.budget.AttemptBudget`; it never touches the vault, the
  inventory or the journal: credentials come in as arguments, values go out as return values;
* spends login attempts only through the budget, so that no driver can trip a device's lock: every method
  that sends a credential may raise :class:`~camvault.errors.AttemptBudgetExhausted` or
  :class:`~camvault.errors.DeviceLocked` *without* having sent anything;
* pins its authentication scheme: it never falls back from Digest or WS-Security to a cleartext scheme;
* raises only :class:`~camvault.errors.DeviceError` subclasses for device-side failures, never a protocol
  library's exception; expected failures are values one level up (the runner turns them into results);
* answers ``UnsupportedOperation`` for what its vendor cannot do: the default of every optional method.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import ClassVar

import httpx

from camvault.errors import InventoryError, UnsupportedOperation
from camvault.fleet.drivers.budget import AttemptBudget
from camvault.fleet.drivers.models import (
    Account,
    Channel,
    Credential,
    DeviceFacts,
    Endpoint,
    Level,
    LockPolicy,
    LoginResult,
    Probe,
    RecordingSegment,
    RecoveryMethods,
)

__all__ = ["DeviceDriver", "driver_for", "register_driver", "registered_vendors"]


class DeviceDriver(ABC):
    """Manage one device's accounts over its own protocol.

    Args:
        endpoint: where the device answers.
        client: the HTTP client to use (its timeouts and source address are the caller's choice).
        budget: the shared attempt budget.
        name: how the device is named in errors (a label or serial: never a credential).
    """

    vendor: ClassVar[str] = ""

    def __init__(
        self, endpoint: Endpoint, *, client: httpx.AsyncClient, budget: AttemptBudget, name: str | None = None
    ) -> None:
        self.endpoint = endpoint
        self.client = client
        self.budget = budget
        self.name = name or str(endpoint)

    def _unsupported(self, what: str) -> UnsupportedOperation:
        return UnsupportedOperation(self.name, f"{self.vendor or 'this'} driver cannot {what}")

    # ------------------------------------------------------------------ without credentials

    @abstractmethod
    async def probe(self) -> Probe:
        """Look at the device without credentials and without spending an attempt.

        Returns:
            Whether it answers, whose it looks like, whether it is activated, its Digest realm, whether it
            offers Basic, and its clock when readable.

        Raises:
            DeviceUnreachable: nothing answers.
        """

    async def device_time(self, credential: Credential | None = None) -> datetime:
        """Read the device clock (ONVIF ``GetSystemDateAndTime``, HTTP ``Date``), without credentials by default.

        Args:
            credential: optional; where the protocol has a more precise authenticated clock (ISAPI
                ``/ISAPI/System/time``) or refuses the unauthenticated read, the driver uses it (spending an
                attempt through the budget, like any credentialed request).

        Raises:
            DeviceUnreachable, DeviceProtocolError, UnsupportedOperation.
        """
        raise self._unsupported("read the device clock")

    async def activate(self, password: str) -> None:
        """Give a factory-fresh device its first admin password.

        Raises:
            DeviceRefused: e.g. the device is already active, or refuses the password (the message says why,
                never the password); nothing changed.
            DeviceError: any other failure (the outcome may be unknown: check with :meth:`probe`).
        """
        raise self._unsupported("activate a device")

    # ------------------------------------------------------------------ with credentials

    @abstractmethod
    async def check_login(self, credential: Credential) -> LoginResult:
        """Find out whether a credential works, spending at most one login attempt.

        A refusal is a value (``ok=False`` with what the device says about its lock), not an exception.

        Raises:
            AttemptBudgetExhausted, DeviceLocked: refused before anything was sent.
            DeviceNotActivated: the device must be activated first.
            DeviceUnreachable, DeviceProtocolError.
        """

    @abstractmethod
    async def facts(self, credential: Credential) -> DeviceFacts:
        """Model, serial, MAC, firmware and kind.

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError.
        """

    @abstractmethod
    async def accounts(self, credential: Credential) -> list[Account]:
        """Every account the credential may see (never with passwords).

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError.
        """

    @abstractmethod
    async def set_password(self, credential: Credential, username: str, new_password: str) -> None:
        """Change ``username``'s password (the credential's own, or another's as administrator).

        The device answers only after applying the change; a lost reply leaves the outcome unknown, which
        the caller resolves with :meth:`check_login` (the rotation journal does exactly that).

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError,
            DeviceRefused: the device refused the new password (policy, privilege), with the device's reason;
                nothing changed.
            DeviceError: any other failure; the outcome is unknown.
        """

    async def lock_policy(self, credential: Credential) -> LockPolicy:
        """The device's illegal-login lock settings (and teach them to the budget).

        Raises:
            UnsupportedOperation, and the errors of :meth:`facts`.
        """
        raise self._unsupported("read the login-lock settings")

    async def create_user(self, credential: Credential, username: str, password: str, level: Level) -> None:
        """Add an account.

        Raises:
            UnsupportedOperation, and the errors of :meth:`set_password`.
        """
        raise self._unsupported("create users")

    async def delete_user(self, credential: Credential, username: str) -> None:
        """Delete an account (never the built-in administrator).

        Raises:
            UnsupportedOperation, and the errors of :meth:`set_password`.
        """
        raise self._unsupported("delete users")

    async def backup_config(self, credential: Credential, secret: str) -> bytes:
        """Export the device configuration, encrypted with ``secret`` where the device supports it.

        Raises:
            UnsupportedOperation, and the errors of :meth:`facts`.
        """
        raise self._unsupported("export the configuration")

    async def restore_config(self, credential: Credential, data: bytes, secret: str) -> None:
        """Import a configuration exported by :meth:`backup_config` (the device then reboots).

        Raises:
            UnsupportedOperation, and the errors of :meth:`set_password`.
        """
        raise self._unsupported("import a configuration")

    async def channels(self, credential: Credential) -> list[Channel]:
        """An NVR's IP channels and their status (empty for a camera).

        Raises:
            UnsupportedOperation, and the errors of :meth:`facts`.
        """
        raise self._unsupported("list NVR channels")

    async def set_channel_credential(
        self, credential: Credential, channel_id: int, username: str, password: str
    ) -> None:
        """Store a new camera credential in an NVR channel (keeping its address).

        Raises:
            UnsupportedOperation, and the errors of :meth:`set_password`.
        """
        raise self._unsupported("update NVR channels")

    async def reboot(self, credential: Credential) -> None:
        """Reboot the device (it answers first, then goes away for its boot time).

        Raises:
            UnsupportedOperation, and the errors of :meth:`set_password`.
        """
        raise self._unsupported("reboot")

    async def add_channel(
        self,
        credential: Credential,
        channel_id: int,
        camera: Endpoint,
        username: str,
        password: str,
        *,
        protocol: str = "HIKVISION",
    ) -> None:
        """Add (or replace) an NVR IP channel recording ``camera`` with the given camera credential.

        Raises:
            UnsupportedOperation, and the errors of :meth:`set_password`.
        """
        raise self._unsupported("add NVR channels")

    async def recordings(self, credential: Credential, *, limit: int = 1000) -> list[RecordingSegment]:
        """The recorded clips on the device, oldest first, at most ``limit``.

        Raises:
            UnsupportedOperation, and the errors of :meth:`facts`.
        """
        raise self._unsupported("list recordings")

    async def download_recording(
        self, credential: Credential, segment: RecordingSegment, *, max_bytes: int
    ) -> bytes:
        """One clip's bytes (refused with ``DeviceProtocolError`` beyond ``max_bytes``).

        Raises:
            UnsupportedOperation, and the errors of :meth:`facts`.
        """
        raise self._unsupported("download recordings")

    # ------------------------------------------------------------------ recovery, without a login

    async def recovery_methods(self) -> RecoveryMethods:
        """Which reset methods the device offers now, without credentials (spends no attempt).

        Raises:
            UnsupportedOperation, DeviceNotActivated, DeviceUnreachable, DeviceTimeout, DeviceProtocolError.
        """
        raise self._unsupported("reset a password without a login")

    async def reset_with_answers(self, answers: dict[int, str], new_password: str) -> None:
        """Set a new administrator password by answering the security questions.

        Wrong answers count against the device's lock like a wrong password, so this spends one attempt
        through the budget before sending (the answers are fingerprinted like a password).

        Raises:
            AuthenticationFailed: the answers are wrong (with what the device says about its lock).
            DeviceRefused: the device refused the new password (policy), or the method is not set up.
            AttemptBudgetExhausted, DeviceLocked: refused before anything was sent.
            UnsupportedOperation, DeviceUnreachable, DeviceTimeout, DeviceProtocolError, DeviceError.
        """
        raise self._unsupported("reset with security questions")

    async def reset_with_guid(self, guid_file: bytes, new_password: str) -> None:
        """Set a new administrator password with a GUID file exported earlier (the file is then spent).

        Raises:
            The errors of :meth:`reset_with_answers`.
        """
        raise self._unsupported("reset with a GUID file")

    async def export_reset_request(self) -> bytes:
        """Export a new signed reset request for the vendor (the previous one stops working).

        The file holds no secret: it travels to the vendor's support with the model and serial number.

        Raises:
            UnsupportedOperation, DeviceRefused, DeviceUnreachable, DeviceTimeout, DeviceProtocolError.
        """
        raise self._unsupported("export a vendor-support reset request")

    async def reset_with_code(self, code: str | bytes, new_password: str) -> None:
        """Set a new administrator password with the vendor's one-time code (typed text, or the code file).

        Unlike the other resets it is sent while the device's login lock is engaged for us: a code cannot
        be guessed, so the lock does not guard against it, and the owner it locked out is the one bringing it.

        Raises:
            AuthenticationFailed: the device checked the code and refused it (counted against the lock).
            DeviceRefused: a malformed or mistyped code, no pending request, or a refused password.
            The other errors of :meth:`reset_with_answers`.
        """
        raise self._unsupported("reset with a vendor-support code")


_REGISTRY: dict[str, type[DeviceDriver]] = {}


def register_driver(driver: type[DeviceDriver]) -> type[DeviceDriver]:
    """Register a driver class under its ``vendor`` (usable as a class decorator)."""
    if not driver.vendor:
        raise ValueError(f"{driver.__name__} has no vendor name")
    _REGISTRY[driver.vendor] = driver
    return driver


def driver_for(vendor: str) -> type[DeviceDriver]:
    """The driver class for a vendor.

    Raises:
        InventoryError: no driver is registered for it.
    """
    try:
        return _REGISTRY[vendor]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise InventoryError(f"no driver for vendor {vendor!r} (known: {known})") from None


def registered_vendors() -> list[str]:
    """Every vendor with a driver."""
    return sorted(_REGISTRY)
