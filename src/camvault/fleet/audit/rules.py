"""The audit's rules: one small function per concern, from a device observation to findings.

Each device rule reads one :class:`~camvault.fleet.audit.observations.DeviceObservation` and yields the
findings of its concern; :func:`device_findings` runs them all. :func:`reuse_findings` is the fleet rule.
The thresholds live here, as named constants with their sources.

Password rules apply when a password is stored and not disproven (the credential works, or was not tried);
a rejected credential says nothing about the device's real password. Within one device the password
findings do not repeat each other: a default password is reported alone (it is also short, common and
risky), and a risky one is not also reported weak.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby

from camvault.fleet.audit.catalogue import AdvisoryMatch, Catalogue
from camvault.fleet.audit.findings import FINDING_TYPES, Finding, FindingCode, Severity
from camvault.fleet.audit.observations import CredentialStatus, DeviceObservation, PasswordFacts
from camvault.fleet.drivers.models import DeviceKind, Level
from camvault.passwords import StrengthLevel

__all__ = [
    "CLOCK_SKEW_HIGH_SECONDS",
    "CLOCK_SKEW_WARN_SECONDS",
    "MAX_ADMINS",
    "NIST_MIN_LENGTH",
    "device_findings",
    "reuse_findings",
    "rotate_command",
]

CLOCK_SKEW_WARN_SECONDS = 5.0
"""Above this skew some cameras already refuse WS-Security logins: Home Assistant's ONVIF integration warns
beyond 5 s, and a user reports a camera rejecting more (``onvif.md`` §1.6, home-assistant/core#121952)."""

CLOCK_SKEW_HIGH_SECONDS = 300.0
"""Above this skew ONVIF logins fail: 300 s is the common WS-Security freshness window (``onvif.md`` §1.6)."""

MAX_ADMINS = 1
"""Enabled administrator-level accounts a device needs; more are flagged, with their names."""

NIST_MIN_LENGTH = 15
"""NIST SP 800-63B rev 4 §3.1.1.2: a password used as a single factor SHALL have at least 15 characters."""

_HIKVISION_NOTES = "shared/research/hikvision.md"
_ONVIF_NOTES = "shared/research/onvif.md"
_NIST_URL = "https://pages.nist.gov/800-63-4/sp800-63b.html"
_HA_SKEW_ISSUE = "https://github.com/home-assistant/core/issues/121952"

_VENDOR_REASON_TEXT = {
    "empty": "it is empty",
    "disallowed_character": "it holds a character the vendor's firmware does not accept",
    "too_short": "it is shorter than the vendor's minimum",
    "too_long": "it is longer than the vendor's maximum (the device may cut it)",
    "contains_username": "it contains the user name",
    "too_few_classes": "it mixes too few kinds of characters for the vendor's policy",
    "weak": "the vendor's strength rule rates it below the required level",
    "common": "the vendor's policy refuses it as common",
}
_TRIVIAL_TEXT = {
    "repeated_character": "one character repeated",
    "repeated_pattern": "a short block repeated",
    "sequence": "a run of consecutive letters or digits",
    "keyboard_walk": "a walk along neighbouring keys",
}
_PASSWORD_EVALUATED = frozenset(
    {
        CredentialStatus.WORKS,
        CredentialStatus.NOT_TRIED_LOCKED,
        CredentialStatus.NOT_TRIED_BUDGET,
        CredentialStatus.NOT_TRIED_UNREACHABLE,
    }
)

DeviceRule = Callable[[DeviceObservation], Iterator[Finding]]


def rotate_command(*device_ids: str) -> str:
    """The CLI command that gives the named devices new generated passwords, shell-quoted."""
    flags = " ".join(f"--device {shlex.quote(device_id)}" for device_id in device_ids)
    return f"camvault fleet rotate {flags}"


def device_findings(device: DeviceObservation, catalogue: Catalogue) -> tuple[Finding, ...]:
    """Run every device rule on one observation; findings in report order (most urgent first)."""
    findings = [finding for rule in _DEVICE_RULES for finding in rule(device)]
    findings.extend(_firmware(device, catalogue))
    return tuple(sorted(findings, key=Finding.sort_key))


def reuse_findings(devices: Iterable[DeviceObservation]) -> tuple[Finding, ...]:
    """One ``reused-password`` finding per group of two or more devices with the same ``reuse_key``.

    The groups are named by their devices; neither the password nor its fingerprint appears.
    """
    groups: dict[str, list[DeviceObservation]] = {}
    for device in devices:
        facts = _evaluated_password(device)
        if facts is not None and facts.reuse_key:
            groups.setdefault(facts.reuse_key, []).append(device)
    findings = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda member: member.device_id)
        names = ", ".join(member.display_name for member in members)
        ids = tuple(member.device_id for member in members)
        findings.append(
            _make(
                FindingCode.REUSED_PASSWORD,
                ids,
                (
                    f"{len(members)} devices share one password: {names}",
                    "compared by the vault's keyed fingerprints; the password itself is not shown",
                ),
                f"Give each device its own generated password: `{rotate_command(*ids)}`.",
            )
        )
    return tuple(sorted(findings, key=Finding.sort_key))


# --- device rules ---------------------------------------------------------------------------------------


def _reachability(device: DeviceObservation) -> Iterator[Finding]:
    if device.reachable:
        return
    evidence = (f"no answer from {device.address}", *device.errors)
    yield _make(
        FindingCode.UNREACHABLE,
        (device.device_id,),
        evidence,
        "Check that the device is powered and connected, and that its address in the inventory is current "
        "(DHCP may have moved it; `camvault fleet discover` finds it again).",
    )


def _activation(device: DeviceObservation) -> Iterator[Finding]:
    if not device.reachable or device.is_activated is not False:
        return
    yield _make(
        FindingCode.INACTIVE_DEVICE_EXPOSED,
        (device.device_id,),
        (
            f"it answers at {device.address} and reports that it is not activated (no admin password is set)",
            "whoever reaches it first can activate it and choose the admin password",
        ),
        "Activate it now with a strong, unique password (from camvault, SADP or its web page), or disconnect "
        "it until you do.",
        references=(f"{_HIKVISION_NOTES} §7",),
    )


def _credential(device: DeviceObservation) -> Iterator[Finding]:
    status = device.credential
    login = device.login
    if status is CredentialStatus.UNKNOWN and device.is_activated is not False:
        yield _make(
            FindingCode.CREDENTIALS_UNKNOWN,
            (device.device_id,),
            ("the vault holds no password for this device",),
            "Record its current password in the vault (for example `camvault vault import` from the "
            "spreadsheet it is kept in); if nobody knows it, follow the recovery path before anyone guesses.",
        )
    if status is CredentialStatus.REJECTED:
        evidence = ["the device rejected the password recorded in the vault"]
        if login is not None and login.attempts_left is not None:
            evidence.append(f"the device says {login.attempts_left} attempts remain before its lock engages")
        yield _make(
            FindingCode.CREDENTIALS_REJECTED,
            (device.device_id,),
            tuple(evidence),
            "Find out who changed the password and record the current one in the vault; do not retry the "
            "recorded one (every failure counts towards the device's lock).",
        )
    if status is CredentialStatus.NOT_TRIED_LOCKED or (login is not None and login.locked):
        evidence = ["the device's illegal-login lock is engaged, so no password was tried"]
        if login is not None and login.unlock_in_seconds is not None:
            evidence.append(f"the device says the lock lifts in {login.unlock_in_seconds} s")
        yield _make(
            FindingCode.DEVICE_LOCKED,
            (device.device_id,),
            tuple(evidence),
            "Wait until the lock lifts before any further attempt, then audit again; if nobody here caused it, "
            "someone else is trying passwords on this device.",
            references=(f"{_HIKVISION_NOTES} §8",),
        )


def _password(device: DeviceObservation) -> Iterator[Finding]:
    facts = _evaluated_password(device)
    login = device.login if device.credential is CredentialStatus.WORKS else None
    flagged_default = login is not None and login.is_default_password is True
    flagged_risky = login is not None and login.is_risk_password is True
    if facts is None and not (flagged_default or flagged_risky):
        return
    fix = f"Rotate it to a generated password: `{rotate_command(device.device_id)}`."
    ids = (device.device_id,)
    default = _default_evidence(facts, flagged_default)
    if default:
        yield _make(
            FindingCode.DEFAULT_PASSWORD, ids, default, fix, references=(f"{_HIKVISION_NOTES} §7.6, §14.1",)
        )
        return
    risky = _risky_evidence(facts, flagged_risky)
    if risky:
        yield _make(FindingCode.RISKY_PASSWORD, ids, risky, fix, references=(f"{_HIKVISION_NOTES} §9",))
    if facts is None:
        return
    weak = _weak_evidence(facts)
    if weak and not risky:
        yield _make(FindingCode.WEAK_PASSWORD, ids, weak, fix, references=(f"{_HIKVISION_NOTES} §9",))
    if facts.length < NIST_MIN_LENGTH:
        yield _make(
            FindingCode.SHORT_PASSWORD_NIST,
            ids,
            (
                f"password is {facts.length} characters; NIST SP 800-63B rev 4 asks for at least "
                f"{NIST_MIN_LENGTH} for a password used on its own",
            ),
            fix,
            references=(f"{_NIST_URL} (§3.1.1.2)",),
        )
    common = _common_evidence(facts)
    if common:
        yield _make(FindingCode.COMMON_PASSWORD, ids, common, fix, references=(f"{_NIST_URL} (§3.1.1.2)",))


def _lock(device: DeviceObservation) -> Iterator[Finding]:
    policy = device.lock_policy
    if policy is None or policy.enabled:
        return
    yield _make(
        FindingCode.LOCK_DISABLED,
        (device.device_id,),
        ("the illegal-login lock is off: wrong passwords can be tried without limit",),
        "Turn the illegal-login lock on (Hikvision: Configuration > System > Security; the firmware defaults "
        "are 5 attempts and a 30-minute lock).",
        references=(f"{_HIKVISION_NOTES} §8",),
    )


def _transport(device: DeviceObservation) -> Iterator[Finding]:
    if device.offers_basic is True:
        yield _make(
            FindingCode.BASIC_AUTH_OFFERED,
            (device.device_id,),
            (
                "its HTTP server offers Basic authentication, which sends the password readable on every request",
            ),
            "Set web authentication to Digest only (Hikvision: Configuration > System > Security > "
            "Authentication; firmware V5.5.0 and later refuse Basic), or update the firmware.",
            references=(f"{_HIKVISION_NOTES} §1",),
        )
    if device.https_available is False:
        yield _make(
            FindingCode.NO_HTTPS,
            (device.device_id,),
            ("it answers over plain HTTP only",),
            "Enable HTTPS on the device (its self-signed certificate or one you issue) and switch its inventory "
            "endpoint to https.",
        )


def _clock(device: DeviceObservation) -> Iterator[Finding]:
    skew = device.clock_skew_seconds
    if skew is None or abs(skew) <= CLOCK_SKEW_WARN_SECONDS:
        return
    severity = Severity.HIGH if abs(skew) > CLOCK_SKEW_HIGH_SECONDS else Severity.LOW
    direction = "ahead of" if skew > 0 else "behind"
    yield _make(
        FindingCode.CLOCK_SKEW,
        (device.device_id,),
        (
            f"the device clock is {abs(skew):.0f} s {direction} this machine's",
            f"ONVIF WS-Security logins fail beyond the device's freshness window, commonly "
            f"{CLOCK_SKEW_HIGH_SECONDS:.0f} s; some cameras refuse more than {CLOCK_SKEW_WARN_SECONDS:.0f} s",
        ),
        "Point the device at an NTP server (or set its time from a trusted clock) and check its time zone and "
        "daylight-saving settings.",
        severity=severity,
        references=(f"{_ONVIF_NOTES} §1.6", _HA_SKEW_ISSUE),
    )


def _admins(device: DeviceObservation) -> Iterator[Finding]:
    if device.accounts is None:
        return
    admins = sorted(
        account.username
        for account in device.accounts
        if account.enabled and account.level is Level.ADMINISTRATOR
    )
    if len(admins) <= MAX_ADMINS:
        return
    camera = device.facts is not None and device.facts.kind is DeviceKind.CAMERA
    yield _make(
        FindingCode.TOO_MANY_ADMINS,
        (device.device_id,),
        (f"{len(admins)} enabled administrator accounts: {', '.join(admins)}",),
        "Keep one administrator; give people operator or viewer accounts of their own and delete or disable "
        "the accounts nobody uses.",
        severity=Severity.LOW if camera else Severity.INFO,
    )


_DEVICE_RULES: tuple[DeviceRule, ...] = (
    _reachability,
    _activation,
    _credential,
    _password,
    _lock,
    _transport,
    _clock,
    _admins,
)


def _firmware(device: DeviceObservation, catalogue: Catalogue) -> Iterator[Finding]:
    facts = device.facts
    if facts is None:
        return
    matches = catalogue.match(
        vendor=" ".join(name for name in (facts.vendor, device.vendor) if name),
        model=facts.model,
        firmware_version=facts.firmware_version,
        firmware_build=facts.firmware_build,
        kind=facts.kind,
    )
    by_finding = sorted(matches, key=lambda match: match.advisory.finding.value)
    for code, grouped in groupby(by_finding, key=lambda match: match.advisory.finding):
        yield _firmware_finding(code, device.device_id, facts.model, tuple(grouped))


def _firmware_finding(
    code: FindingCode, device_id: str, model: str, matches: tuple[AdvisoryMatch, ...]
) -> Finding:
    evidence = []
    for match in matches:
        advisory = match.advisory
        line = (
            f"{advisory.id}: {advisory.title}. Affected: {match.affected.description}; "
            f"this device: {model} {match.firmware}"
        )
        if match.build_unknown:
            line += " (build date unknown, so possibly affected)"
        if advisory.inferred:
            line += " [partly inferred: see the catalogue notes]"
        evidence.append(line)
        evidence.append(advisory.summary)
    fixes = _unique(match.advisory.fix for match in matches)
    references = _unique(reference.url for match in matches for reference in match.advisory.references)
    cves = tuple(sorted({cve for match in matches for cve in match.advisory.cves}))
    severity = max((match.advisory.severity for match in matches), key=lambda severity: severity.rank)
    return _make(
        code,
        (device_id,),
        tuple(evidence),
        " ".join(fixes),
        severity=severity,
        references=references,
        cves=cves,
    )


# --- helpers --------------------------------------------------------------------------------------------


def _evaluated_password(device: DeviceObservation) -> PasswordFacts | None:
    if device.credential not in _PASSWORD_EVALUATED:
        return None
    return device.password


def _default_evidence(facts: PasswordFacts | None, flagged: bool) -> tuple[str, ...]:
    evidence = []
    if facts is not None and facts.vendor_default:
        evidence.append("the stored password is the vendor's factory default")
    if flagged:
        evidence.append("the device itself reports isDefaultPassword")
    return tuple(evidence)


def _risky_evidence(facts: PasswordFacts | None, flagged: bool) -> tuple[str, ...]:
    evidence = []
    if facts is not None and "risky" in facts.vendor_violations:
        evidence.append(
            f"Hikvision's strength meter rates it {facts.hikvision_level.label} "
            f"(level {int(facts.hikvision_level)} of 3); current firmware refuses such passwords"
        )
    if flagged:
        evidence.append("the device itself reports isRiskPassword")
    return tuple(evidence)


def _weak_evidence(facts: PasswordFacts) -> tuple[str, ...]:
    evidence = [
        f"{_VENDOR_REASON_TEXT.get(reason, reason)} ({facts.vendor} policy)"
        for reason in facts.vendor_violations
        if reason != "risky"
    ]
    if facts.vendor == "hikvision" and facts.hikvision_level is StrengthLevel.WEAK:
        evidence.append("Hikvision's strength meter rates it weak (level 1 of 3)")
    if "contains_username" in facts.nist_violations and "contains_username" not in facts.vendor_violations:
        evidence.append("it contains the user name (NIST SP 800-63B rev 4 blocklist)")
    return tuple(evidence)


def _common_evidence(facts: PasswordFacts) -> tuple[str, ...]:
    evidence = []
    if facts.common:
        evidence.append(
            "it is on the offline list of common and breached passwords, or a decorated form of an entry"
        )
    if facts.trivial is not None:
        evidence.append(f"it is structurally trivial: {_TRIVIAL_TEXT.get(facts.trivial, facts.trivial)}")
    return tuple(evidence)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _make(
    code: FindingCode,
    devices: tuple[str, ...],
    evidence: tuple[str, ...],
    fix: str,
    *,
    severity: Severity | None = None,
    references: tuple[str, ...] = (),
    cves: tuple[str, ...] = (),
) -> Finding:
    kind = FINDING_TYPES[code]
    return Finding(
        code=code,
        severity=severity or kind.severity,
        title=kind.title,
        evidence=evidence,
        fix=fix,
        devices=devices,
        references=references,
        cves=cves,
    )
