"""From a fleet observation to an audit report: findings per device and for the fleet, scores, counts.

:func:`audit` is pure and deterministic: the same observation, catalogue and ``now`` give the same report,
whatever the order of the devices in the observation. Devices are listed by label (then id); findings most
urgent first, then by code, then by devices.

Posture score (0 to 100, higher is better):

* a device starts at 100 and loses, for each distinct finding code that concerns it (its own findings and
  the fleet findings that name it), the penalty of that finding's severity (:data:`SCORE_PENALTIES`:
  critical 40, high 20, medium 8, low 3, info 0), down to 0. One critical finding leaves 60, two leave 20;
* a device that did not answer has no score (``None``): nothing was measured;
* the fleet's score is the mean of its devices' scores, rounded down (``None`` if no device has one).

Completeness: a device is fully audited when it answered, its credential could be tried (not skipped for a
lock or the attempt budget), and the collector reported no error. :func:`exit_code` turns the report into a
CI exit status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from camvault.errors import ConfigurationError, InvalidContent
from camvault.fleet.audit.catalogue import Catalogue, FirmwareVersion
from camvault.fleet.audit.findings import Finding, FindingCode, Severity
from camvault.fleet.audit.observations import CredentialStatus, DeviceObservation, FleetObservation
from camvault.fleet.audit.rules import device_findings, reuse_findings

__all__ = [
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "SCORE_PENALTIES",
    "AuditReport",
    "DeviceReport",
    "audit",
    "exit_code",
]

SCORE_PENALTIES: dict[Severity, int] = {
    Severity.CRITICAL: 40,
    Severity.HIGH: 20,
    Severity.MEDIUM: 8,
    Severity.LOW: 3,
    Severity.INFO: 0,
}
"""Points a device loses per distinct finding code, by severity."""

EXIT_CLEAN = 0
"""No finding at or above the threshold, and every device fully audited."""
EXIT_FINDINGS = 1
"""At least one finding at or above the threshold (wins over an incomplete audit)."""
EXIT_INCOMPLETE = 2
"""No finding at or above the threshold, but some device could not be fully audited."""

_HEADLINES = (
    ((FindingCode.DEFAULT_PASSWORD,), "have a default password"),
    ((FindingCode.INACTIVE_DEVICE_EXPOSED,), "are reachable but not activated"),
    (
        (FindingCode.RISKY_PASSWORD, FindingCode.WEAK_PASSWORD, FindingCode.COMMON_PASSWORD),
        "have a risky, weak or common password",
    ),
    ((FindingCode.REUSED_PASSWORD,), "share their password with another device"),
    ((FindingCode.VULNERABLE_FIRMWARE, FindingCode.LEGACY_RESET_CODE), "run firmware with known weaknesses"),
    (
        (FindingCode.CREDENTIALS_UNKNOWN, FindingCode.CREDENTIALS_REJECTED),
        "have no working recorded password",
    ),
)


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """The audit of one device.

    Attributes:
        device_id: the inventory id.
        label: the owner's name for it.
        address: where it answers.
        vendor: vendor as observed (facts first, else inventory).
        model: model, if known.
        firmware: firmware version and build as reported, if known.
        reachable: it answered.
        credential: what happened to the stored credential.
        findings: the findings about this device alone, most urgent first.
        fleet_findings: the fleet findings that name this device (reuse groups).
        score: posture score 0 to 100, or ``None`` if it did not answer.
        incomplete_reasons: why it was not fully audited (empty when it was).
    """

    device_id: str
    label: str
    address: str
    vendor: str | None
    model: str | None
    firmware: str | None
    reachable: bool
    credential: CredentialStatus
    findings: tuple[Finding, ...]
    fleet_findings: tuple[Finding, ...]
    score: int | None
    incomplete_reasons: tuple[str, ...]

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        """Its own findings and the fleet findings naming it, most urgent first."""
        return tuple(sorted(self.findings + self.fleet_findings, key=Finding.sort_key))

    @property
    def worst(self) -> Severity | None:
        """The most urgent severity among :attr:`all_findings`, or ``None`` without findings."""
        return _worst(self.all_findings)

    @property
    def codes(self) -> tuple[FindingCode, ...]:
        """The distinct codes of :attr:`all_findings`, most urgent first."""
        return tuple(dict.fromkeys(finding.code for finding in self.all_findings))

    @property
    def complete(self) -> bool:
        """It was fully audited."""
        return not self.incomplete_reasons


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The audit of a fleet.

    Attributes:
        generated_at: when the audit ran.
        observed_at: when the observation was collected.
        catalogue_updated: the ``updated`` date of the advisory catalogue used.
        devices: one report per device, by label then id.
        fleet_findings: findings about several devices together, most urgent first.
        score: the fleet's posture score, or ``None`` if no device answered.
        headlines: one-line summaries ("2 of 8 devices (25%) have a default password").
    """

    generated_at: datetime
    observed_at: datetime
    catalogue_updated: str
    devices: tuple[DeviceReport, ...]
    fleet_findings: tuple[Finding, ...]
    score: int | None
    headlines: tuple[str, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding once (device findings and fleet findings), most urgent first."""
        own = [finding for device in self.devices for finding in device.findings]
        return tuple(sorted([*own, *self.fleet_findings], key=Finding.sort_key))

    def counts(self) -> dict[Severity, int]:
        """Number of findings per severity, every severity present, most urgent first."""
        totals = dict.fromkeys(Severity.most_urgent_first(), 0)
        for finding in self.findings:
            totals[finding.severity] += 1
        return totals

    def counts_by_code(self) -> dict[FindingCode, int]:
        """Number of findings per code that occurs, by code."""
        totals: dict[FindingCode, int] = {}
        for finding in self.findings:
            totals[finding.code] = totals.get(finding.code, 0) + 1
        return dict(sorted(totals.items(), key=lambda item: item[0].value))

    @property
    def worst(self) -> Severity | None:
        """The most urgent severity of any finding, or ``None`` without findings."""
        return _worst(self.findings)

    @property
    def incomplete_devices(self) -> tuple[DeviceReport, ...]:
        """The devices that were not fully audited."""
        return tuple(device for device in self.devices if not device.complete)

    @property
    def complete(self) -> bool:
        """Every device was fully audited."""
        return not self.incomplete_devices


def audit(observation: FleetObservation, *, catalogue: Catalogue, now: datetime) -> AuditReport:
    """Audit a fleet observation.

    Args:
        observation: what the collector learnt.
        catalogue: the firmware advisories to match (usually :func:`~camvault.fleet.audit.default_catalogue`).
        now: when the audit runs (timezone-aware); recorded in the report.

    Returns:
        The report: per-device and fleet findings, scores, counts and headlines.

    Raises:
        ConfigurationError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ConfigurationError("the audit time must be timezone-aware")
    observed = sorted(
        observation.devices, key=lambda device: (device.label.casefold(), device.label, device.device_id)
    )
    fleet = reuse_findings(observed)
    devices = tuple(_device_report(device, device_findings(device, catalogue), fleet) for device in observed)
    return AuditReport(
        generated_at=now,
        observed_at=observation.taken_at,
        catalogue_updated=catalogue.updated,
        devices=devices,
        fleet_findings=fleet,
        score=_fleet_score(devices),
        headlines=_headlines(devices),
    )


def exit_code(report: AuditReport, fail_on: Severity) -> int:
    """The status a CI job should exit with.

    Args:
        report: the audit report.
        fail_on: the least urgent severity that fails the job.

    Returns:
        :data:`EXIT_FINDINGS` (1) if any finding is at or above ``fail_on``; else :data:`EXIT_INCOMPLETE` (2)
        if some device was not fully audited; else :data:`EXIT_CLEAN` (0).
    """
    if any(finding.severity.at_least(fail_on) for finding in report.findings):
        return EXIT_FINDINGS
    if not report.complete:
        return EXIT_INCOMPLETE
    return EXIT_CLEAN


def _device_report(
    device: DeviceObservation, own: tuple[Finding, ...], fleet: Iterable[Finding]
) -> DeviceReport:
    named = tuple(finding for finding in fleet if device.device_id in finding.devices)
    facts = device.facts
    return DeviceReport(
        device_id=device.device_id,
        label=device.label,
        address=device.address,
        vendor=facts.vendor if facts is not None else device.vendor,
        model=facts.model if facts is not None else None,
        firmware=_firmware_text(facts.firmware_version, facts.firmware_build) if facts is not None else None,
        reachable=device.reachable,
        credential=device.credential,
        findings=own,
        fleet_findings=named,
        score=_device_score(device, own + named),
        incomplete_reasons=_incomplete_reasons(device),
    )


def _firmware_text(version: str, build: str | None) -> str:
    """The firmware as ``V5.5.0 build 170725`` whatever the device's spelling, or as reported if unreadable."""
    try:
        return str(FirmwareVersion.parse(version, build))
    except InvalidContent:
        return f"{version} {build}" if build else version


def _device_score(device: DeviceObservation, findings: tuple[Finding, ...]) -> int | None:
    if not device.reachable:
        return None
    worst_by_code: dict[FindingCode, int] = {}
    for finding in findings:
        penalty = SCORE_PENALTIES[finding.severity]
        worst_by_code[finding.code] = max(penalty, worst_by_code.get(finding.code, 0))
    return max(0, 100 - sum(worst_by_code.values()))


def _fleet_score(devices: tuple[DeviceReport, ...]) -> int | None:
    scores = [device.score for device in devices if device.score is not None]
    return sum(scores) // len(scores) if scores else None


def _incomplete_reasons(device: DeviceObservation) -> tuple[str, ...]:
    reasons = []
    if not device.reachable:
        reasons.append("the device did not answer")
    elif device.credential is CredentialStatus.NOT_TRIED_LOCKED:
        reasons.append("its login lock was engaged, so no password was tried")
    elif device.credential is CredentialStatus.NOT_TRIED_BUDGET:
        reasons.append("another login attempt could have tripped its lock, so no password was tried")
    reasons.extend(device.errors)
    return tuple(reasons)


def _headlines(devices: tuple[DeviceReport, ...]) -> tuple[str, ...]:
    total = len(devices)
    if not total:
        return ("The fleet is empty: nothing was audited.",)
    lines = []
    for codes, phrase in _HEADLINES:
        count = sum(1 for device in devices if any(code in device.codes for code in codes))
        if count:
            lines.append(f"{count} of {total} devices ({_percent(count, total)}%) {phrase}")
    if not any(device.all_findings for device in devices):
        lines.append(f"No findings on any of the {total} devices.")
    incomplete = sum(1 for device in devices if not device.complete)
    if incomplete:
        lines.append(f"{incomplete} of {total} devices could not be fully audited")
    return tuple(lines)


def _percent(part: int, whole: int) -> int:
    """``part / whole`` as a whole percentage, halves rounded up."""
    return (200 * part + whole) // (2 * whole)


def _worst(findings: Iterable[Finding]) -> Severity | None:
    severities = [finding.severity for finding in findings]
    return max(severities, key=lambda severity: severity.rank) if severities else None
