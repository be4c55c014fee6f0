"""What the audit can say about a device or a fleet: severities, finding codes and the :class:`Finding` value.

Every finding has a stable ``code`` (the contract scripts and the JSON schema rely on), a severity, the
evidence that justifies it (facts, never a secret), a concrete fix, the devices it concerns, and references.
:data:`FINDING_TYPES` describes every code once: its default severity, title and scope; ``docs/audit.md``
renders the same table for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from camvault.errors import ConfigurationError

__all__ = [
    "FINDING_TYPES",
    "Finding",
    "FindingCode",
    "FindingType",
    "Scope",
    "Severity",
]


class Severity(StrEnum):
    """How urgent a finding is, from ``critical`` (act now) to ``info`` (worth knowing)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Order of urgency: ``critical`` is 4, ``info`` is 0."""
        return _RANKS[self]

    def at_least(self, threshold: Severity) -> bool:
        """Tell whether this severity is as urgent as ``threshold`` or more."""
        return self.rank >= threshold.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity name as a user types it (any case, surrounding spaces ignored).

        Raises:
            ConfigurationError: the text names no severity.
        """
        try:
            return cls(text.strip().lower())
        except ValueError:
            known = ", ".join(member.value for member in cls)
            raise ConfigurationError(f"unknown severity {text!r}; expected one of {known}") from None

    @classmethod
    def most_urgent_first(cls) -> tuple[Severity, ...]:
        """Every severity, ``critical`` first."""
        return tuple(sorted(cls, key=lambda severity: -severity.rank))


_RANKS = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Scope(StrEnum):
    """Whether a finding is about one device or about several together."""

    DEVICE = "device"
    FLEET = "fleet"


class FindingCode(StrEnum):
    """The stable identifier of each kind of finding (part of the ``camvault.audit/1`` JSON schema)."""

    DEFAULT_PASSWORD = "default-password"  # noqa: S105 (a finding code, not a password)
    RISKY_PASSWORD = "risky-password"  # noqa: S105 (a finding code, not a password)
    WEAK_PASSWORD = "weak-password"  # noqa: S105 (a finding code, not a password)
    SHORT_PASSWORD_NIST = "short-password-nist"  # noqa: S105 (a finding code, not a password)
    COMMON_PASSWORD = "common-password"  # noqa: S105 (a finding code, not a password)
    REUSED_PASSWORD = "reused-password"  # noqa: S105 (a finding code, not a password)
    INACTIVE_DEVICE_EXPOSED = "inactive-device-exposed"
    LOCK_DISABLED = "lock-disabled"
    BASIC_AUTH_OFFERED = "basic-auth-offered"
    NO_HTTPS = "no-https"
    VULNERABLE_FIRMWARE = "vulnerable-firmware"
    LEGACY_RESET_CODE = "legacy-reset-code"
    CLOCK_SKEW = "clock-skew"
    TOO_MANY_ADMINS = "too-many-admins"
    CREDENTIALS_UNKNOWN = "credentials-unknown"
    CREDENTIALS_REJECTED = "credentials-rejected"
    DEVICE_LOCKED = "device-locked"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class FindingType:
    """What one finding code means.

    Attributes:
        code: the code.
        severity: its usual severity; a rule may choose another where the code's description says so
            (clock skew, admin count, firmware advisories).
        title: a short sentence naming the problem.
        scope: device or fleet.
        description: when the audit raises it, in one or two sentences.
    """

    code: FindingCode
    severity: Severity
    title: str
    scope: Scope
    description: str


def _type(
    code: FindingCode, severity: Severity, title: str, description: str, *, fleet: bool = False
) -> FindingType:
    return FindingType(code, severity, title, Scope.FLEET if fleet else Scope.DEVICE, description)


FINDING_TYPES: dict[FindingCode, FindingType] = {
    kind.code: kind
    for kind in (
        _type(
            FindingCode.DEFAULT_PASSWORD,
            Severity.CRITICAL,
            "The password is the factory default",
            "The stored password is the vendor default (12345 on legacy Hikvision, admin or empty on generic "
            "cameras) or the device itself reports isDefaultPassword.",
        ),
        _type(
            FindingCode.RISKY_PASSWORD,
            Severity.HIGH,
            "The password is rated risky",
            "Hikvision's strength meter rates the password risky (level 0), or the device reports "
            "isRiskPassword. Current firmware refuses such passwords when they are set.",
        ),
        _type(
            FindingCode.WEAK_PASSWORD,
            Severity.MEDIUM,
            "The password is weak by the vendor's rules",
            "The password breaks a rule of the vendor's policy (length, user name, characters) or Hikvision's "
            "meter rates it weak (level 1).",
        ),
        _type(
            FindingCode.SHORT_PASSWORD_NIST,
            Severity.LOW,
            "The password is shorter than current NIST guidance",
            "NIST SP 800-63B rev 4 asks for at least 15 characters for a password used on its own.",
        ),
        _type(
            FindingCode.COMMON_PASSWORD,
            Severity.HIGH,
            "The password is common, breached or trivial",
            "The password is on the offline list of common and breached passwords (or a lightly decorated "
            "form of one), or is structurally trivial (a repeat, a run, a keyboard walk).",
        ),
        _type(
            FindingCode.REUSED_PASSWORD,
            Severity.HIGH,
            "The same password is used on several devices",
            "Two or more devices share one password (compared by the vault's keyed fingerprints, never "
            "revealed). One finding per group of devices.",
            fleet=True,
        ),
        _type(
            FindingCode.INACTIVE_DEVICE_EXPOSED,
            Severity.CRITICAL,
            "An inactive device is reachable on the network",
            "The device has never been given an admin password: whoever reaches it first can activate it.",
        ),
        _type(
            FindingCode.LOCK_DISABLED,
            Severity.MEDIUM,
            "The illegal-login lock is disabled",
            "The device does not lock out after repeated wrong passwords, so they can be guessed at full speed.",
        ),
        _type(
            FindingCode.BASIC_AUTH_OFFERED,
            Severity.MEDIUM,
            "HTTP Basic authentication is accepted",
            "The device offers HTTP Basic, which sends the password readable on every request over HTTP.",
        ),
        _type(
            FindingCode.NO_HTTPS,
            Severity.LOW,
            "The device has no HTTPS",
            "The device answers over plain HTTP only; logins and password changes cross the network unprotected "
            "by TLS.",
        ),
        _type(
            FindingCode.VULNERABLE_FIRMWARE,
            Severity.CRITICAL,
            "The firmware has known authentication vulnerabilities",
            "The model and firmware match an advisory of the offline catalogue; the severity is the most "
            "urgent matching advisory's.",
        ),
        _type(
            FindingCode.LEGACY_RESET_CODE,
            Severity.HIGH,
            "The firmware accepts the legacy serial-plus-date reset code",
            "Anyone who can read the serial number and the device date can compute the reset code and reset "
            "the admin password (Hikvision camera firmware before V5.3.0).",
        ),
        _type(
            FindingCode.CLOCK_SKEW,
            Severity.HIGH,
            "The device clock is wrong",
            "Low above 5 s (some cameras then refuse WS-Security logins), high above 300 s (the usual "
            "WS-Security window: ONVIF logins fail).",
        ),
        _type(
            FindingCode.TOO_MANY_ADMINS,
            Severity.LOW,
            "More than one administrator account",
            "More than one enabled administrator-level user: low on a camera, info on a recorder.",
        ),
        _type(
            FindingCode.CREDENTIALS_UNKNOWN,
            Severity.MEDIUM,
            "No password is recorded for this device",
            "The vault holds no credential for the device, so nobody can audit, rotate or recover it without a "
            "reset.",
        ),
        _type(
            FindingCode.CREDENTIALS_REJECTED,
            Severity.HIGH,
            "The recorded password no longer works",
            "The device rejected the vault's password: someone changed it, or the record is wrong.",
        ),
        _type(
            FindingCode.DEVICE_LOCKED,
            Severity.MEDIUM,
            "The device's login lock is engaged",
            "The device refuses logins for now, so nothing was tried; someone may be guessing passwords.",
        ),
        _type(
            FindingCode.UNREACHABLE,
            Severity.INFO,
            "The device did not answer",
            "The device could not be reached, so it was not audited.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem the audit found, with its evidence and its fix.

    Attributes:
        code: the stable finding code.
        severity: how urgent it is.
        title: a short sentence naming the problem.
        evidence: the facts that justify it, each a sentence (never a secret).
        fix: what to do about it, concretely.
        devices: the ids of the devices concerned, sorted.
        references: URLs and research-note sections that back the finding.
        cves: the CVE ids involved, sorted (``vulnerable-firmware`` only).
    """

    code: FindingCode
    severity: Severity
    title: str
    evidence: tuple[str, ...]
    fix: str
    devices: tuple[str, ...]
    references: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        """Device or fleet, as :data:`FINDING_TYPES` says for the code."""
        return FINDING_TYPES[self.code].scope

    def sort_key(self) -> tuple[int, str, tuple[str, ...]]:
        """Most urgent first, then by code, then by devices: the order every report uses."""
        return (-self.severity.rank, self.code.value, self.devices)
