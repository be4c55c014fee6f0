"""The one exception tree of camvault.

Every exception camvault raises on purpose derives from :class:`CamvaultError`::

    CamvaultError
    ├── ConfigurationError          a scenario, manifest, settings or user file is unusable
    ├── ProtocolError               bytes from the network or a file are not a valid message
    │   ├── MessageTooLarge         over the size bound of that message type
    │   ├── MalformedMessage        truncated, not well-formed, or hostile (DTD, entities)
    │   └── InvalidContent          well-formed, but a field is missing, of the wrong type or out of range
    ├── CryptoError                 decryption or verification failed (wrong key, tampered data)
    │   └── SignatureError          a signature or certificate chain does not verify
    ├── PasswordRejected            a candidate password breaks a password policy
    ├── DeviceRefusal               the emulated device refuses an operation (mapped to each protocol's error)
    ├── StoreError                  a database could not be read or written
    │   └── MigrationError          the schema is newer than this code, or a migration failed
    ├── DeviceError                 the fleet side could not complete an operation on a device
    │   ├── DeviceUnreachable       no connection, or the connection dropped
    │   │   └── DeviceTimeout       no answer within the deadline
    │   ├── AuthenticationFailed    the device rejected the credential
    │   ├── DeviceLocked            the device's illegal-login lock is engaged for us
    │   ├── AttemptBudgetExhausted  another try could trip the device's lock, so none was made
    │   ├── DeviceNotActivated      the device is factory-fresh and must be activated first
    │   ├── DeviceRefused           the device understood the request and said no (policy, privilege)
    │   ├── UnsupportedOperation    the device or its driver cannot do this
    │   └── DeviceProtocolError     the device answered something the driver cannot interpret
    ├── VaultError                  the credential vault failed
    │   ├── VaultLocked             the vault must be unlocked first
    │   ├── WrongPassphrase         the passphrase does not open the vault
    │   ├── SecretNotFound          no secret under that reference
    │   └── VaultIntegrityError     stored ciphertext or metadata was tampered with
    ├── JournalError                the rotation journal is inconsistent
    ├── InventoryError              the inventory cannot satisfy the request (unknown device, duplicate)
    └── SupportError                the vendor-support service refused or failed
        ├── CaseNotFound            no support case with that id
        ├── RequestRejected         a reset request breaks the support policy
        └── ResetCodeInvalid        a reset code is forged, expired, used, or for another device/request

Rule for every subclass: the message names the object and the reason and never contains a secret
(password, passphrase, key, reset code, session id). Callers may put messages in logs and reports.
"""

from __future__ import annotations

from datetime import datetime


class CamvaultError(Exception):
    """Base of every exception camvault raises on purpose."""


class ConfigurationError(CamvaultError):
    """A scenario, manifest, settings or user-supplied file is unusable."""


class ProtocolError(CamvaultError):
    """Bytes from the network or from a file do not form a valid message."""


class MessageTooLarge(ProtocolError):
    """A message exceeds the size bound of its type."""


class MalformedMessage(ProtocolError):
    """A message is truncated, not well-formed, or hostile (DTDs, entity expansion)."""


class InvalidContent(ProtocolError):
    """A well-formed message has a missing field, a field of the wrong type, or a value out of range.

    Attributes:
        field: the name of the offending field, when one can be named.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CryptoError(CamvaultError):
    """Decryption or verification failed: wrong key, wrong format, or tampered data."""


class SignatureError(CryptoError):
    """A signature or a certificate chain does not verify."""


class PasswordRejected(CamvaultError):
    """A candidate password breaks a password policy.

    Attributes:
        reason: a stable machine-readable code, e.g. ``"too_short"`` or ``"risky"``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class DeviceRefusal(CamvaultError):
    """The emulated device refuses an operation.

    Protocol front ends translate :attr:`reason` into their own error (an ISAPI ``subStatusCode``,
    an ONVIF fault, a SADP ``Result``).

    Attributes:
        reason: the refusal, named after the ISAPI ``subStatusCode`` where one exists
            (``"riskPassword"``, ``"lowPrivilege"``, ``"notActivated"``, ...).
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.reason = reason


class StoreError(CamvaultError):
    """A database could not be read or written."""


class MigrationError(StoreError):
    """The schema is newer than this code, or a migration failed."""


class DeviceError(CamvaultError):
    """The fleet side could not complete an operation on a device.

    Attributes:
        device: how the device is named in messages (label, serial or address); never a credential.
    """

    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.reason = message


class DeviceUnreachable(DeviceError):
    """No connection could be made, or it dropped before an answer."""


class DeviceTimeout(DeviceUnreachable):
    """The device did not answer within the deadline."""


class AuthenticationFailed(DeviceError):
    """The device rejected the credential.

    Attributes:
        attempts_left: what the device says remains before its lock engages, when it says.
    """

    def __init__(self, device: str, message: str, *, attempts_left: int | None = None) -> None:
        super().__init__(device, message)
        self.attempts_left = attempts_left


class DeviceLocked(DeviceError):
    """The device's illegal-login lock is engaged for this client.

    Attributes:
        locked_until: when the device says the lock lifts (client clock), if known.
    """

    def __init__(self, device: str, message: str, *, locked_until: datetime | None = None) -> None:
        super().__init__(device, message)
        self.locked_until = locked_until


class AttemptBudgetExhausted(DeviceError):
    """Another login attempt could trip the device's lock, so none was made."""


class DeviceNotActivated(DeviceError):
    """The device is factory-fresh and must be activated before anything else."""


class DeviceRefused(DeviceError):
    """The device understood the request and refused it (a password policy, a privilege, a limit).

    Unlike a dropped connection, a refusal is definite: nothing changed on the device.
    """


class UnsupportedOperation(DeviceError):
    """The device, its firmware or its driver cannot perform this operation."""


class DeviceProtocolError(DeviceError):
    """The device answered something the driver cannot interpret."""


class VaultError(CamvaultError):
    """The credential vault failed."""


class VaultLocked(VaultError):
    """The vault must be unlocked before this operation."""


class WrongPassphrase(VaultError):
    """The passphrase does not open the vault."""


class SecretNotFound(VaultError):
    """No secret is stored under that reference."""


class VaultIntegrityError(VaultError):
    """Stored ciphertext or its metadata was tampered with or is corrupt."""


class JournalError(CamvaultError):
    """The rotation journal is inconsistent."""


class InventoryError(CamvaultError):
    """The inventory cannot satisfy the request (unknown device, duplicate identity)."""


class SupportError(CamvaultError):
    """The vendor-support service refused or failed."""


class CaseNotFound(SupportError):
    """No support case has that id.

    Attributes:
        reason: always ``"unknown_case"`` (the code the API and CLI report).
    """

    reason = "unknown_case"


class RequestRejected(SupportError):
    """A reset request breaks the support policy.

    Attributes:
        reason: a stable machine-readable code, e.g. ``"expired"`` or ``"reported_stolen"``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ResetCodeInvalid(SupportError):
    """A reset code is forged, expired, already used, or for another device or request.

    Attributes:
        reason: a stable machine-readable code, e.g. ``"bad_signature"`` or ``"replayed"``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def reason_of(error: CamvaultError) -> str:
    """What went wrong, for a message that already names the device.

    A :class:`DeviceError`'s reason without the device prefix; any other error's own text.
    """
    return error.reason if isinstance(error, DeviceError) else str(error)
