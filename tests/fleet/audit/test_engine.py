"""The engine: a whole-fleet scenario, scores, counts, headlines, completeness, exit codes, determinism."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import ConfigurationError
from camvault.fleet.audit import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    SCORE_PENALTIES,
    AuditReport,
    CredentialStatus,
    DeviceObservation,
    FindingCode,
    FleetObservation,
    Severity,
    audit,
    default_catalogue,
    exit_code,
    render_json,
)
from camvault.fleet.drivers.models import Account, DeviceKind, Level, LockPolicy, LoginResult
from tests.fleet.audit.factory import NOW, TAKEN, device, facts, fleet, pw

C = FindingCode


def run(*devices: DeviceObservation) -> AuditReport:
    return audit(fleet(*devices), catalogue=default_catalogue(), now=NOW)


def site() -> tuple[DeviceObservation, ...]:
    """The lab's demo site as a collector would observe it (src/camvault/device/lab/scenarios/demo.toml)."""
    return (
        device("lobby-cam", facts=facts("DS-2CD2385G1-I", "V5.6.2 build 190701", None)),
        device("garage-cam", password=pw("Reused#SitePw-24", reuse_key="fp-site")),
        device("yard-cam", password=pw("Reused#SitePw-24", reuse_key="fp-site"), clock_skew_seconds=3600.0),
        device(
            "office-cam",
            facts=None,
            credential=CredentialStatus.REJECTED,
            login=LoginResult(ok=False, attempts_left=4),
        ),
        device(
            "old-cam",
            facts=facts("DS-2CD2032-I", "V5.2.5", "build 141201"),
            password=pw("12345"),
            basic_offered=True,
        ),
        device(
            "new-cam",
            activated=False,
            credential=CredentialStatus.UNKNOWN,
            password=None,
            login=None,
            facts=None,
        ),
        device(
            "door-onvif",
            vendor="onvif",
            facts=facts("AXC-2000", "V2.3.1", "build 230301", vendor="Axicam"),
            password=None,
            credential=CredentialStatus.UNKNOWN,
            login=None,
        ),
        device(
            "recorder",
            facts=facts("DS-7608NI-K2", "V4.62.210", "build 230412", kind=DeviceKind.NVR),
            accounts=(
                Account("1", "admin", Level.ADMINISTRATOR),
                Account("2", "installer", Level.ADMINISTRATOR),
            ),
            credential=CredentialStatus.NOT_TRIED_LOCKED,
            login=LoginResult(ok=False, locked=True, unlock_in_seconds=1500),
        ),
    )


def test_the_demo_site_gives_exactly_the_expected_findings() -> None:
    report = run(*site())
    assert {device.device_id: set(device.codes) for device in report.devices} == {
        "door-onvif": {C.CREDENTIALS_UNKNOWN},
        "garage-cam": {C.REUSED_PASSWORD},
        "lobby-cam": {C.VULNERABLE_FIRMWARE},
        "new-cam": {C.INACTIVE_DEVICE_EXPOSED},
        "office-cam": {C.CREDENTIALS_REJECTED},
        "old-cam": {C.DEFAULT_PASSWORD, C.LEGACY_RESET_CODE, C.BASIC_AUTH_OFFERED},
        "recorder": {C.DEVICE_LOCKED, C.TOO_MANY_ADMINS},
        "yard-cam": {C.REUSED_PASSWORD, C.CLOCK_SKEW},
    }
    assert [device.device_id for device in report.devices] == sorted(
        device.device_id for device in report.devices
    )
    assert report.counts() == {
        Severity.CRITICAL: 3,  # lobby firmware, old-cam default, new-cam inactive
        Severity.HIGH: 4,  # reuse (once), clock, rejected, legacy reset code
        Severity.MEDIUM: 3,  # unknown credential, basic auth, locked
        Severity.LOW: 0,
        Severity.INFO: 1,  # two admins on a recorder
    }
    assert report.counts_by_code()[C.REUSED_PASSWORD] == 1
    assert [device.device_id for device in report.incomplete_devices] == ["recorder"]
    assert report.worst is Severity.CRITICAL
    assert report.observed_at == TAKEN and report.generated_at == NOW
    assert report.catalogue_updated == default_catalogue().updated


def test_a_clean_fleet() -> None:
    report = run(device("cam-1"), device("cam-2"))
    assert report.findings == ()
    assert report.score == 100
    assert report.worst is None
    assert report.complete
    assert report.headlines == ("No findings on any of the 2 devices.",)
    for threshold in Severity:
        assert exit_code(report, threshold) == EXIT_CLEAN


def test_an_empty_fleet() -> None:
    report = run()
    assert report.devices == () and report.score is None and report.complete
    assert report.headlines == ("The fleet is empty: nothing was audited.",)
    assert exit_code(report, Severity.INFO) == EXIT_CLEAN


@pytest.mark.parametrize(
    ("overrides", "score"),
    [
        ({}, 100),
        ({"password": pw("12345")}, 60),  # one critical
        ({"password": pw("12345"), "activated": False}, 20),  # two criticals
        (
            {
                "password": pw("12345"),
                "activated": False,
                "facts": facts("DS-2CD2142F-IWS", "V5.3.0", "build 150513"),
            },
            0,
        ),
        ({"https_available": False}, 97),
        ({"clock_skew_seconds": 10.0, "https_available": False}, 94),  # two lows
        (
            {
                "accounts": (Account("1", "a", Level.ADMINISTRATOR), Account("2", "b", Level.ADMINISTRATOR)),
                "facts": facts(kind=DeviceKind.NVR),
            },
            100,
        ),
        ({"reachable": False, "credential": CredentialStatus.NOT_TRIED_UNREACHABLE}, None),
    ],
)
def test_device_score_formula(overrides: dict[str, object], score: int | None) -> None:
    (report,) = run(device("cam-1", **overrides)).devices
    assert report.score == score


def test_every_severity_costs_its_penalty() -> None:
    password = pw("tulip7horse3")  # weak (medium) and short by NIST (low)
    (report,) = run(device("cam-1", password=password, clock_skew_seconds=3600.0)).devices
    expected = (
        100
        - SCORE_PENALTIES[Severity.HIGH]
        - SCORE_PENALTIES[Severity.MEDIUM]
        - SCORE_PENALTIES[Severity.LOW]
    )
    assert report.score == expected == 69


def test_fleet_score_is_the_mean_rounded_down() -> None:
    report = run(
        device("cam-1", password=pw("12345")),  # 60
        device("cam-2", https_available=False, clock_skew_seconds=10.0, password=pw("Tq7#vN2$kLm9")),  # 91
        device("cam-3", reachable=False),  # not counted
    )
    assert [entry.score for entry in report.devices] == [60, 91, None]
    assert report.score == 75


def test_fleet_findings_count_towards_each_named_device_score() -> None:
    report = run(
        device("cam-1", password=pw(reuse_key="fp")),
        device("cam-2", password=pw(reuse_key="fp")),
    )
    assert [entry.score for entry in report.devices] == [80, 80]
    assert report.score == 80


def test_headlines_count_devices_and_round_halves_up() -> None:
    report = run(
        device("a", password=pw("12345")),
        device("b", password=pw("12345")),
        device("c"),
        device("d", reachable=False),
        device("e"),
        device("f"),
        device("g"),
        device("h", facts=facts("DS-2CD2032-I", "V5.2.5", "build 141201")),
    )
    assert report.headlines == (
        "2 of 8 devices (25%) have a default password",
        "1 of 8 devices (13%) run firmware with known weaknesses",  # 12.5% rounds up
        "1 of 8 devices could not be fully audited",
    )
    three = run(device("a", password=pw("12345")), device("b", password=pw("12345")), device("c"))
    assert three.headlines == ("2 of 3 devices (67%) have a default password",)


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        ({}, ()),
        ({"reachable": False}, ("the device did not answer",)),
        (
            {"credential": CredentialStatus.NOT_TRIED_LOCKED},
            ("its login lock was engaged, so no password was tried",),
        ),
        (
            {"credential": CredentialStatus.NOT_TRIED_BUDGET},
            ("another login attempt could have tripped its lock, so no password was tried",),
        ),
        ({"errors": ("accounts: the device answered 500",)}, ("accounts: the device answered 500",)),
        ({"credential": CredentialStatus.REJECTED}, ()),  # a finding, not a gap in the audit
        ({"credential": CredentialStatus.UNKNOWN, "password": None}, ()),
    ],
)
def test_completeness(overrides: dict[str, object], reasons: tuple[str, ...]) -> None:
    (report,) = run(device("cam-1", **overrides)).devices
    assert report.incomplete_reasons == reasons
    assert report.complete is (not reasons)


@pytest.mark.parametrize(
    ("overrides", "fail_on", "code"),
    [
        ({"password": pw("12345")}, Severity.CRITICAL, EXIT_FINDINGS),
        ({"password": pw("12345")}, Severity.INFO, EXIT_FINDINGS),
        ({"https_available": False}, Severity.LOW, EXIT_FINDINGS),
        ({"https_available": False}, Severity.MEDIUM, EXIT_CLEAN),
        ({"credential": CredentialStatus.NOT_TRIED_BUDGET}, Severity.INFO, EXIT_INCOMPLETE),
        ({"reachable": False}, Severity.INFO, EXIT_FINDINGS),  # the unreachable finding is info
        ({"reachable": False}, Severity.LOW, EXIT_INCOMPLETE),
        (
            {"credential": CredentialStatus.NOT_TRIED_LOCKED, "password": pw("12345")},
            Severity.HIGH,
            EXIT_FINDINGS,
        ),
        ({"credential": CredentialStatus.NOT_TRIED_LOCKED}, Severity.HIGH, EXIT_INCOMPLETE),
    ],
)
def test_exit_code(overrides: dict[str, object], fail_on: Severity, code: int) -> None:
    assert exit_code(run(device("cam-1", **overrides)), fail_on) == code


def test_severity_helpers() -> None:
    assert Severity.parse(" High ") is Severity.HIGH
    with pytest.raises(ConfigurationError, match="critical, high, medium, low, info"):
        Severity.parse("severe")
    assert Severity.most_urgent_first() == (
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.INFO,
    )
    assert Severity.HIGH.at_least(Severity.MEDIUM) and not Severity.LOW.at_least(Severity.MEDIUM)


def test_audit_time_must_be_aware() -> None:
    with pytest.raises(ConfigurationError, match="timezone"):
        audit(fleet(device()), catalogue=default_catalogue(), now=datetime(2026, 1, 1))


def test_report_findings_are_sorted_most_urgent_first() -> None:
    findings = run(*site()).findings
    keys = [finding.sort_key() for finding in findings]
    assert keys == sorted(keys)
    assert findings[0].severity is Severity.CRITICAL


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(8)))
def test_the_report_does_not_depend_on_device_order(order: list[int]) -> None:
    devices = site()
    baseline = run(*devices)
    shuffled = audit(
        FleetObservation(tuple(devices[i] for i in order), TAKEN), catalogue=default_catalogue(), now=NOW
    )
    assert shuffled == baseline
    assert render_json(shuffled) == render_json(baseline)


def test_locked_devices_keep_their_lock_policy_and_admin_findings() -> None:
    report = run(
        device(
            "cam-1",
            credential=CredentialStatus.NOT_TRIED_LOCKED,
            login=None,
            lock_policy=LockPolicy(enabled=False, max_attempts=None, lock_seconds=None),
        )
    )
    assert set(report.devices[0].codes) == {C.DEVICE_LOCKED, C.LOCK_DISABLED}


def test_firmware_is_shown_in_one_spelling() -> None:
    report = run(
        device("cam-1", facts=facts("DS-2CD2385G1-I", "V5.6.2build 190701", None)),
        device("cam-2", facts=facts("DS-2CD2143G2-I", "V5.7.3", "220112")),
        device("cam-3", facts=facts("AXC-2000", "2.800.0000000.23.R", "R", vendor="Axicam")),
    )
    assert [entry.firmware for entry in report.devices] == [
        "V5.6.2 build 190701",
        "V5.7.3 build 220112",
        "2.800.0000000.23.R R",  # unreadable: shown as reported
    ]
