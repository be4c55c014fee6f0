"""The audit's input contract: what the collector learnt about each device, with no secret anywhere.

The collector visits devices through the drivers and fills one :class:`DeviceObservation` per device; the
audit (:func:`camvault.fleet.audit.audit`) turns a :class:`FleetObservation` into findings without any I/O.
Passwords never enter these values: the collector calls :func:`password_facts` while it holds the stored
password and keeps only the derived facts, plus the vault's keyed fingerprint as ``reuse_key`` so that equal
passwords compare equal without being exposed (:meth:`camvault.fleet.vault.Vault.fingerprints`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from camvault.errors import ConfigurationError, InventoryError
from camvault.fleet.drivers.models import Account, DeviceFacts, LockPolicy, LoginResult, Probe
from camvault.passwords import (
    NIST_SP800_63B,
    ONVIF_DEVICE,
    PasswordPolicy,
    StrengthLevel,
    hikvision_strength,
    is_common,
    looks_trivial,
    policy_for,
)

__all__ = [
    "VENDOR_DEFAULT_PASSWORDS",
    "CredentialStatus",
    "DeviceObservation",
    "FleetObservation",
    "PasswordFacts",
    "password_facts",
]


class CredentialStatus(StrEnum):
    """What happened to the stored credential during collection."""

    WORKS = "works"
    """The device accepted it."""
    REJECTED = "rejected"
    """The device refused it."""
    UNKNOWN = "unknown"
    """No credential is stored for the device."""
    NOT_TRIED_LOCKED = "not_tried_locked"
    """The device's lock was engaged, so nothing was tried."""
    NOT_TRIED_BUDGET = "not_tried_budget"
    """Another attempt could have tripped the lock (attempt budget), so nothing was tried."""
    NOT_TRIED_UNREACHABLE = "not_tried_unreachable"
    """The device did not answer."""

    @property
    def tried(self) -> bool:
        """The credential was sent to the device (it works or was rejected)."""
        return self in (CredentialStatus.WORKS, CredentialStatus.REJECTED)


VENDOR_DEFAULT_PASSWORDS: dict[str, frozenset[str]] = {
    "hikvision": frozenset({"12345"}),
    "onvif": frozenset({"admin"}),
}
"""Factory passwords by vendor: Hikvision before activation existed (V5.3.0, ``hikvision.md`` §7.6 and §14.1:
``admin`` / ``12345``) and the ``admin`` / ``admin`` of generic ONVIF cameras. ``admin`` and the empty password
count as defaults for every vendor (:data:`_ANY_VENDOR_DEFAULTS`)."""

_ANY_VENDOR_DEFAULTS = frozenset({"", "admin"})


@dataclass(frozen=True, slots=True)
class PasswordFacts:
    """What the audit may know about a stored password: derived facts, never the password.

    Attributes:
        username: the account the password belongs to.
        vendor: the vendor whose rules were applied (``hikvision``, ``onvif``, or another name for a device
            judged by the generic ONVIF rules).
        length: number of characters.
        hikvision_level: the level of Hikvision's strength meter (computed for every vendor).
        vendor_violations: reason codes of the vendor policy's rules it breaks
            (:data:`camvault.passwords.REASONS`); empty if it passes.
        nist_violations: reason codes of the NIST SP 800-63B rev 4 rules it breaks; empty if it passes.
        common: on the offline common/breached list, or a lightly decorated form of an entry.
        trivial: why it is structurally trivial (:data:`camvault.passwords.TRIVIAL_REASONS`), or ``None``.
        vendor_default: it is the vendor's factory password.
        reuse_key: the vault's keyed fingerprint of the password, filled by the collector; equal keys mean
            equal passwords. Kept out of reprs and reports.
    """

    username: str
    vendor: str
    length: int
    hikvision_level: StrengthLevel
    vendor_violations: tuple[str, ...]
    nist_violations: tuple[str, ...]
    common: bool
    trivial: str | None
    vendor_default: bool
    reuse_key: str | None = field(default=None, repr=False)

    @property
    def passes_vendor(self) -> bool:
        """The vendor policy accepts the password."""
        return not self.vendor_violations

    @property
    def passes_nist(self) -> bool:
        """NIST SP 800-63B rev 4 accepts the password."""
        return not self.nist_violations


def password_facts(
    password: str, username: str, *, vendor: str, context_words: Iterable[str] = ()
) -> PasswordFacts:
    """Derive the audit's facts from a stored password; the password itself is not kept.

    Args:
        password: the stored password (used here and dropped).
        username: the account it belongs to.
        vendor: the device's vendor; ``hikvision`` and ``onvif`` have their own policies, any other name is
            judged by the generic ONVIF rules (the least any camera enforces).
        context_words: words the NIST blocklist check also refuses (device label, site), besides the user name.

    Returns:
        The facts, with ``reuse_key`` left ``None`` for the collector to fill from the vault.
    """
    vendor_name = vendor.strip().lower()
    words = tuple(context_words)
    return PasswordFacts(
        username=username,
        vendor=vendor_name,
        length=len(password),
        hikvision_level=hikvision_strength(password, username),
        vendor_violations=_vendor_policy(vendor_name).violations(password, username),
        nist_violations=NIST_SP800_63B.violations(password, username, context_words=words),
        common=is_common(password),
        trivial=looks_trivial(password),
        vendor_default=password in _ANY_VENDOR_DEFAULTS
        or password in VENDOR_DEFAULT_PASSWORDS.get(vendor_name, ()),
    )


def _vendor_policy(vendor: str) -> PasswordPolicy:
    try:
        return policy_for(vendor)
    except ConfigurationError:
        return ONVIF_DEVICE


@dataclass(frozen=True, slots=True)
class DeviceObservation:
    """Everything the collector learnt about one device (``None``: it could not learn it).

    Attributes:
        device_id: the inventory id (stable; used in fix commands).
        label: the owner's name for the device.
        address: where it answers (host or URL).
        vendor: the inventory's vendor (``hikvision``, ``onvif``, ...).
        reachable: it answered at all.
        probe: what it shows without credentials.
        facts: identity and firmware (needs a working credential on most devices).
        credential: what happened to the stored credential.
        login: the device's answer to the login check (its own isDefault/isRisk flags, lock state).
        password: facts about the stored password, if one is stored.
        lock_policy: the illegal-login lock settings.
        accounts: the device's user accounts.
        basic_offered: its HTTP server offers Basic authentication (``None``: falls back to the probe's).
        https_available: it answers over HTTPS.
        clock_skew_seconds: device clock minus this machine's clock, in seconds (positive: device ahead).
        activated: it has an admin password (``None``: falls back to the probe's).
        errors: why the collector could not learn something, one sentence each (never a secret).
    """

    device_id: str
    label: str
    address: str
    vendor: str | None
    reachable: bool
    probe: Probe | None = None
    facts: DeviceFacts | None = None
    credential: CredentialStatus = CredentialStatus.UNKNOWN
    login: LoginResult | None = None
    password: PasswordFacts | None = None
    lock_policy: LockPolicy | None = None
    accounts: tuple[Account, ...] | None = None
    basic_offered: bool | None = None
    https_available: bool | None = None
    clock_skew_seconds: float | None = None
    activated: bool | None = None
    errors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.device_id:
            raise ConfigurationError("a device observation needs a device id")

    @property
    def is_activated(self) -> bool | None:
        """Whether the device has an admin password, from the observation or else the probe."""
        if self.activated is not None:
            return self.activated
        return self.probe.activated if self.probe is not None else None

    @property
    def offers_basic(self) -> bool | None:
        """Whether the device offers HTTP Basic, from the observation or else the probe."""
        if self.basic_offered is not None:
            return self.basic_offered
        return self.probe.basic_offered if self.probe is not None else None

    @property
    def display_name(self) -> str:
        """The label, or the id when the device has no label."""
        return self.label or self.device_id


@dataclass(frozen=True, slots=True)
class FleetObservation:
    """One collection run over the fleet.

    Attributes:
        devices: one observation per device (ids unique).
        taken_at: when the collection ran (timezone-aware).
    """

    devices: tuple[DeviceObservation, ...]
    taken_at: datetime

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None:
            raise ConfigurationError("a fleet observation's time must be timezone-aware")
        seen: set[str] = set()
        for device in self.devices:
            if device.device_id in seen:
                raise InventoryError(f"device {device.device_id!r} is observed twice")
            seen.add(device.device_id)
