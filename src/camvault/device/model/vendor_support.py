"""Vendor-support password reset on the device: export a signed request, import a one-time code.

This is the device's half of the channel in ``docs/threat-model.md`` (the vendor's half is
``camvault.support``; the formats and all the cryptography are :mod:`camvault.protocols.resetcode`):

1. **Export** (:func:`export_request`), from the LAN without a password, as real devices allow from their
   "forgot password" screen and SADP (research notes §12, §13.4, §14.1 method 2): the device signs a request
   (model, serial, MAC, firmware, its own clock, a fresh 128-bit nonce, an expiry 48 h later on its own
   clock) with its key and attaches its certificate (:mod:`camvault.device.model.vendor_trust`). It keeps
   **one** pending request: a new export replaces it, and a reboot forgets it ("Rebooting the device ...
   invalidates the code", NVR manual, §12.3; "the device must remain powered on during the reset process", a SADP how-to at connectec.uk).
2. **Import** (:func:`reset_with_code`): the owner brings the vendor's code (the typed string or the code
   file) and a new admin password. The device checks that the new password passes the policy (a refused
   password tests no secret and costs no attempt), then
   :func:`~camvault.protocols.resetcode.verify_reset_code` over its *own* serial and pending nonce, its
   trusted reset keys (current and next), the codes it already used, and its own clock. Then it sets the
   password, keeps every other setting and user, ends every session, clears the illegal-login lock,
   forgets the pending request, remembers the code id, writes a device-log entry, and, when the code's
   ``sync_ipc_password`` flag is set on an NVR, stores the new admin password as the password of every IP
   channel (mirroring SADP's ``SyncIPCPassword``, §12.4; the emulated NVR updates its own channel
   credentials, the cameras' own accounts are theirs to change).

   A refusal changes nothing but the lock. Codes that were *checked* and failed (``unknown_key``,
   ``bad_signature``, ``replayed``, ``expired``) count as failed logins of the caller's address in the
   illegal-login lock, like a wrong password, and one made while the address is locked restarts its lock
   time; input that tests nothing (``malformed``, ``checksum`` (a typo: the CRC is public),
   ``no_pending_request``) does not count, as GUID files whose format is wrong do not.

   Unlike a login, a *valid* code is accepted from a locked-out address (our choice): the lock exists to
   slow the guessing of secrets a person chose, and nobody can guess a 512-bit vendor signature, while the
   owner who tripped the lock by guessing passwords is the very person this channel serves; a refusal
   there would only restart the lock at each try. The reset then clears the lock.
3. **Legacy security code** (:func:`reset_with_legacy_code`), for old-firmware scenarios only: firmware
   before V5.3.0 (:attr:`Firmware.legacy_security_code <camvault.device.model.identity.Firmware>`) accepts
   the serial-plus-date code of §14.2 and sets the admin password back to ``12345`` (§14.1 method 1). No
   current firmware accepts it. The device takes the serial *without* the model prefix, as the key
   generators that were used against real devices do (KEYGEN, CNT; RECOVER's example passes the full serial:
   the notes record the disagreement, §14.2 [I]), and the date of its own clock in its own time zone
   ("the code for the device's current date", §14.1).

Which front end reaches these: ISAPI (:mod:`camvault.device.isapi.support_reset`), the Forgot-password web
page, and SADP ``getencryptstring`` / ``reset`` (:mod:`camvault.device.discovery.sadp`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from camvault.device.model.accounts import ADMIN_NAME, Password, check_device_password
from camvault.device.model.identity import Kind
from camvault.device.model.lockout import LockStatus
from camvault.device.model.recovery import record_failed_proof, recovery_supported
from camvault.device.model.vendor_trust import VendorTrust
from camvault.errors import DeviceRefusal, InvalidContent, ResetCodeInvalid
from camvault.protocols import resetcode
from camvault.protocols.isapi.documents import utc_offset_of

if TYPE_CHECKING:
    from camvault.device.model.device import DeviceModel

__all__ = [
    "CHECKED_REASONS",
    "LOG_LEGACY_RESET",
    "LOG_REQUEST_EXPORTED",
    "LOG_SUPPORT_RESET",
    "MAX_USED_CODE_IDS",
    "CodeVerdict",
    "ExportedRequest",
    "PendingRequest",
    "VendorSupport",
    "device_date",
    "export_request",
    "legacy_security_code",
    "reset_with_code",
    "reset_with_legacy_code",
    "support_available",
]

log = logging.getLogger(__name__)

MAX_USED_CODE_IDS = 64
"""Used code ids the device remembers (a code is also bound to a nonce the device forgets once it is used)."""

CHECKED_REASONS: Final = frozenset(
    {"locked", "unknown_key", "bad_signature", "replayed", "expired", "bad_code"}
)
"""Refusals that tested a secret (or met the lock): they answer like a wrong password, with the lock state."""

LOG_REQUEST_EXPORTED = "resetRequestExported"
LOG_SUPPORT_RESET = "passwordResetBySupportCode"
LOG_LEGACY_RESET = "passwordResetByLegacySecurityCode"

_LEGACY_MULTIPLIER = 1751873395  # 0x686B7773, ASCII "hkws" (§14.2)
_LEGACY_DIGITS = str.maketrans("012345678", "QRSqrdeyz")


# ------------------------------------------------------------------------------------------------ state


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """The one reset request a device is waiting for an answer to (volatile: a reboot forgets it).

    Attributes:
        nonce: the request's nonce (not secret: it is in the file).
        expiry: when a code for it stops working, on the device's clock.
        file: the exported request file, kept so that it can be downloaded again unchanged.
    """

    nonce: bytes
    expiry: datetime
    file: bytes = field(repr=False)


class VendorSupport:
    """One device's vendor-support state.

    * :attr:`trust`: identity, installed at manufacture, kept by a factory reset (sealed by the lab);
    * :attr:`pending`: volatile, forgotten by a reboot, replaced by each export;
    * the used code ids: persistent, bounded (:data:`MAX_USED_CODE_IDS`).

    Args:
        random_bytes: the source of request nonces (the system CSPRNG unless a test injects one).
    """

    def __init__(self, *, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> None:
        self.random_bytes = random_bytes
        self.trust: VendorTrust | None = None
        self.pending: PendingRequest | None = None
        self._used: deque[int] = deque(maxlen=MAX_USED_CODE_IDS)

    def __repr__(self) -> str:
        return (
            f"VendorSupport(keys={self.trust is not None}, pending={self.pending is not None}, "
            f"used_codes={len(self._used)})"
        )

    @property
    def used_code_ids(self) -> tuple[int, ...]:
        """Ids of the codes this device accepted, oldest first."""
        return tuple(self._used)

    def spend(self, code_id: int) -> None:
        """Remember a code id as used and forget the pending request it answered."""
        self._used.append(code_id)
        self.pending = None

    def drop_volatile(self) -> None:
        """Forget the pending request (a reboot, a factory reset)."""
        self.pending = None

    def to_snapshot(self) -> dict[str, Any]:
        """What survives a power cycle, JSON-ready: the device key (seal it!) and the used code ids.

        The certificate and trust bundle are public; the lab keeps them beside the identity
        (:meth:`VendorTrust.public_record`) and joins them with the key on load.
        """
        return {
            "device_key": self.trust.private_record()["device_key"] if self.trust is not None else None,
            "used_code_ids": list(self._used),
        }

    def load_snapshot(self, data: Mapping[str, Any] | None) -> None:
        """Load the used code ids of :meth:`to_snapshot` output (the trust is installed by the lab).

        Raises:
            ValueError: the ids are malformed.
        """
        ids = [] if not data else list(data.get("used_code_ids") or ())
        if not all(isinstance(code_id, int) and 0 <= code_id <= 0xFFFFFFFF for code_id in ids):
            raise ValueError("vendor-support snapshot: used code ids must be 32-bit integers")
        self._used = deque(ids, maxlen=MAX_USED_CODE_IDS)
        self.pending = None


# ------------------------------------------------------------------------------------------- use cases


@dataclass(frozen=True, slots=True)
class ExportedRequest:
    """A freshly exported reset request.

    Attributes:
        filename: the name to save it under.
        content: the request file (not secret).
        expiry: when a code for it stops working, on the device's clock.
    """

    filename: str
    content: bytes = field(repr=False)
    expiry: datetime


@dataclass(frozen=True, slots=True)
class CodeVerdict:
    """The outcome of a reset-code import.

    Attributes:
        accepted: the password was reset.
        lock: the caller's lock status afterwards.
        reason: why not: ``locked``, a :class:`~camvault.errors.ResetCodeInvalid` reason (``malformed``,
            ``checksum``, ``no_pending_request``, ``unknown_key``, ``bad_signature``, ``replayed``,
            ``expired``), or ``bad_code`` (a wrong legacy code); ``None`` when accepted.
        synced_channels: IP channels whose password was set to the new admin password.
    """

    accepted: bool
    lock: LockStatus
    reason: str | None = None
    synced_channels: int = 0

    @property
    def checked(self) -> bool:
        """Whether a refusal tested a secret (or met a lock), so that it answers like a wrong password."""
        return self.reason in CHECKED_REASONS


def support_available(model: DeviceModel) -> bool:
    """Whether this device offers vendor-support reset: current firmware and vendor keys from its factory."""
    return model.vendor_support.trust is not None and recovery_supported(model.firmware)


def _require_support(model: DeviceModel) -> VendorTrust:
    model.require_activated()
    trust = model.vendor_support.trust
    if trust is None or not recovery_supported(model.firmware):
        raise DeviceRefusal("notSupport", "this device offers no vendor-support password reset")
    return trust


def export_request(
    model: DeviceModel, *, source: str | None, validity: timedelta = resetcode.DEFAULT_REQUEST_VALIDITY
) -> ExportedRequest:
    """Sign a new reset request; it replaces the pending one.

    Args:
        model: the device.
        source: the address that asked (for the device log).
        validity: how long a code for it may be used, on the device's clock (48 h, §12.3 and §14.1).

    Raises:
        DeviceRefusal: ``notActivated``, or ``notSupport`` (old firmware, no vendor keys).
    """
    trust = _require_support(model)
    identity = model.identity
    request = resetcode.build_reset_request(
        trust.device_key,
        trust.certificate,
        model=identity.model,
        serial=identity.serial,
        mac=identity.mac,
        firmware=str(model.firmware),
        now=model.now(),
        validity=validity,
        nonce=resetcode.new_nonce(model.vendor_support.random_bytes),
    )
    content = resetcode.encode_request_file(request)
    model.vendor_support.pending = PendingRequest(nonce=request.nonce, expiry=request.expiry, file=content)
    model.log.record(
        model.now(),
        LOG_REQUEST_EXPORTED,
        f"vendor-support reset request exported, valid until {request.expiry:%Y-%m-%d %H:%M} UTC",
        source=source,
    )
    model.revision += 1  # the device log changed
    log.info("%s: reset request exported (from %s)", identity.serial, source or "the device")
    return ExportedRequest(
        filename=f"ResetRequest_{identity.serial}.txt", content=content, expiry=request.expiry
    )


def reset_with_code(model: DeviceModel, code: str | bytes, new_password: str, *, source: str) -> CodeVerdict:
    """Set a new admin password with a vendor-support code (typed ``str`` or code-file ``bytes``).

    A valid code is accepted even from a locked-out ``source`` (see the module docstring).

    Raises:
        DeviceRefusal: ``notActivated``, ``notSupport``, or ``riskPassword`` / ``badParameters`` for a new
            password the policy refuses (checked before the code, so it costs no attempt).
    """
    trust = _require_support(model)
    check_device_password(new_password, ADMIN_NAME)
    state = model.vendor_support
    try:
        accepted = resetcode.verify_reset_code(
            code,
            trusted_reset_keys=trust.trusted_reset_keys(),
            serial=model.identity.serial,
            pending_nonce=state.pending.nonce if state.pending is not None else None,
            used_code_ids=state.used_code_ids,
            now=model.now(),
        )
    except ResetCodeInvalid as refusal:
        return _refused(model, source, refusal.reason)
    state.spend(accepted.code_id)
    model.reset_admin_password(new_password)
    synced = _sync_channels(model, new_password) if accepted.sync_ipc_password else 0
    model.log.record(
        model.now(),
        LOG_SUPPORT_RESET,
        f"admin password reset with vendor-support code {accepted.code_id} "
        f"(reset key {resetcode.format_key_id(accepted.key_id)})"
        + (f"; {synced} IP channel passwords set to match" if synced else ""),
        source=source,
    )
    log.info(
        "%s: admin password reset with vendor-support code %d from %s",
        model.identity.serial,
        accepted.code_id,
        source,
    )
    return CodeVerdict(True, model.lock_status(source), synced_channels=synced)


def _sync_channels(model: DeviceModel, new_password: str) -> int:
    if model.identity.kind is not Kind.NVR:
        return 0
    for channel in model.channels.values():
        channel.password = Password(new_password)
    model.revision += 1
    return len(model.channels)


def _refuse_if_locked(model: DeviceModel, source: str) -> CodeVerdict | None:
    now = model.monotonic()
    if model.lock.is_locked(source, now):
        return CodeVerdict(False, model.lock.touch_locked(source, now), "locked")
    return None


def _refused(model: DeviceModel, source: str, reason: str) -> CodeVerdict:
    if reason in CHECKED_REASONS:
        counted = record_failed_proof(model, source=source, recovery=False)
        return CodeVerdict(False, counted.lock, reason)
    return CodeVerdict(False, model.lock_status(source), reason)


# ------------------------------------------------------------------------------------------ legacy code


def legacy_security_code(serial: str, day: date) -> str:
    """Compute the legacy security code of §14.2 for a serial and a date.

    ``seed = serial + YYYYMMDD``; ``magic = Σ (i · ord(seed[i])) XOR i`` for i from 1; the decimal digits of
    ``magic × 1751873395 mod 2^32`` with ``0-8`` mapped to ``QRSqrdeyz`` (``9`` unchanged).
    """
    seed = f"{serial}{day:%Y%m%d}"
    magic = sum((index * ord(char)) ^ index for index, char in enumerate(seed, start=1))
    return str((magic * _LEGACY_MULTIPLIER) % 2**32).translate(_LEGACY_DIGITS)


def device_date(model: DeviceModel) -> date:
    """The date on the device's clock in its own time zone (UTC when the zone cannot be read)."""
    try:
        offset = utc_offset_of(model.settings.time_zone)
    except InvalidContent:
        offset = timedelta(0)
    return (model.now() + offset).date()


def reset_with_legacy_code(model: DeviceModel, code: str, *, source: str) -> CodeVerdict:
    """Reset the admin password to the factory ``12345`` with the legacy security code (old firmware only).

    A wrong code counts as a failed login of ``source``.

    Raises:
        DeviceRefusal: ``notSupport`` on every firmware that is not exposed to the legacy code (V5.3.0 and
            later, other vendors).
    """
    if not model.firmware.legacy_security_code:
        raise DeviceRefusal("notSupport", "this firmware has no legacy security code")
    locked = _refuse_if_locked(model, source)
    if locked is not None:
        return locked
    expected = legacy_security_code(model.identity.short_serial, device_date(model))
    if not hmac.compare_digest(code.strip().encode("utf-8"), expected.encode("ascii")):
        return _refused(model, source, "bad_code")
    model.restore_admin_default_password()
    model.log.record(
        model.now(),
        LOG_LEGACY_RESET,
        "admin password reset to the factory default by security code",
        source=source,
    )
    log.warning(
        "%s: admin password reset to the factory default by the legacy security code", model.identity.serial
    )
    return CodeVerdict(True, model.lock_status(source))
