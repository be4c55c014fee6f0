"""Every finding: an observation that triggers it and one that does not, plus severities and evidence."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.fleet.audit import (
    CLOCK_SKEW_HIGH_SECONDS,
    CLOCK_SKEW_WARN_SECONDS,
    CredentialStatus,
    DeviceObservation,
    Finding,
    FindingCode,
    Severity,
    default_catalogue,
)
from camvault.fleet.audit.rules import device_findings, rotate_command
from camvault.fleet.drivers.models import Account, DeviceKind, Level, LockPolicy, LoginResult, Probe
from tests.fleet.audit.factory import device, facts, pw

C = FindingCode


def findings_of(observation: DeviceObservation) -> dict[FindingCode, Finding]:
    found = device_findings(observation, default_catalogue())
    by_code = {finding.code: finding for finding in found}
    assert len(by_code) == len(found), "a rule reported the same code twice for one device"
    return by_code


def test_a_healthy_device_has_no_findings() -> None:
    assert findings_of(device()) == {}


TRIGGERS: list[tuple[FindingCode, dict[str, Any]]] = [
    (C.DEFAULT_PASSWORD, {"password": pw("12345")}),
    (C.DEFAULT_PASSWORD, {"password": pw("admin", vendor="onvif"), "vendor": "onvif"}),
    (C.DEFAULT_PASSWORD, {"login": LoginResult(ok=True, is_default_password=True)}),
    (C.DEFAULT_PASSWORD, {"password": None, "login": LoginResult(ok=True, is_default_password=True)}),
    (C.RISKY_PASSWORD, {"password": pw("12345678")}),
    (C.RISKY_PASSWORD, {"login": LoginResult(ok=True, is_risk_password=True)}),
    (C.WEAK_PASSWORD, {"password": pw("tulip7horse3")}),
    (C.WEAK_PASSWORD, {"password": pw("Xy#admin-91kQ")}),
    (C.WEAK_PASSWORD, {"password": pw("Night-Shift-21-guard", "guard", vendor="onvif")}),
    (C.SHORT_PASSWORD_NIST, {"password": pw("Tq7#vN2$kLm9")}),
    (C.COMMON_PASSWORD, {"password": pw("Admin12345")}),
    (C.COMMON_PASSWORD, {"password": pw("qwertyuiop123")}),
    (
        C.INACTIVE_DEVICE_EXPOSED,
        {"activated": False, "credential": CredentialStatus.UNKNOWN, "password": None},
    ),
    (C.INACTIVE_DEVICE_EXPOSED, {"activated": None, "probe": Probe(reachable=True, activated=False)}),
    (C.LOCK_DISABLED, {"lock_policy": LockPolicy(enabled=False, max_attempts=None, lock_seconds=None)}),
    (C.BASIC_AUTH_OFFERED, {"basic_offered": True}),
    (C.BASIC_AUTH_OFFERED, {"basic_offered": None, "probe": Probe(reachable=True, basic_offered=True)}),
    (C.NO_HTTPS, {"https_available": False}),
    (C.VULNERABLE_FIRMWARE, {"facts": facts("DS-2CD2142F-IWS", "V5.3.0", "build 150513")}),
    (C.VULNERABLE_FIRMWARE, {"facts": facts("DS-2CD2385G1-I", "V5.6.2build 190701", None)}),
    (C.LEGACY_RESET_CODE, {"facts": facts("DS-2CD2032-I", "V5.2.5", "build 141201")}),
    (C.CLOCK_SKEW, {"clock_skew_seconds": 3600.0}),
    (C.CLOCK_SKEW, {"clock_skew_seconds": -6.0}),
    (
        C.TOO_MANY_ADMINS,
        {
            "accounts": (
                Account("1", "admin", Level.ADMINISTRATOR),
                Account("3", "installer", Level.ADMINISTRATOR),
            )
        },
    ),
    (C.CREDENTIALS_UNKNOWN, {"credential": CredentialStatus.UNKNOWN, "password": None, "login": None}),
    (
        C.CREDENTIALS_REJECTED,
        {"credential": CredentialStatus.REJECTED, "login": LoginResult(ok=False, attempts_left=2)},
    ),
    (C.DEVICE_LOCKED, {"credential": CredentialStatus.NOT_TRIED_LOCKED, "login": None}),
    (
        C.DEVICE_LOCKED,
        {
            "credential": CredentialStatus.REJECTED,
            "login": LoginResult(ok=False, locked=True, unlock_in_seconds=1800),
        },
    ),
    (
        C.UNREACHABLE,
        {
            "reachable": False,
            "credential": CredentialStatus.NOT_TRIED_UNREACHABLE,
            "errors": ("timed out after 5 s",),
        },
    ),
]


@pytest.mark.parametrize(
    ("code", "overrides"), TRIGGERS, ids=[f"{code}-{i}" for i, (code, _) in enumerate(TRIGGERS)]
)
def test_finding_is_raised(code: FindingCode, overrides: dict[str, Any]) -> None:
    found = findings_of(device("cam-1", **overrides))
    assert code in found
    finding = found[code]
    assert finding.devices == ("cam-1",)
    assert finding.evidence and all(finding.evidence)
    assert finding.fix
    assert finding.title


NON_TRIGGERS: list[tuple[FindingCode, dict[str, Any]]] = [
    (C.DEFAULT_PASSWORD, {"password": pw("12345", vendor="onvif"), "vendor": "onvif"}),
    (C.DEFAULT_PASSWORD, {"password": pw("12345"), "credential": CredentialStatus.REJECTED}),  # stale record
    (
        C.DEFAULT_PASSWORD,
        {"login": LoginResult(ok=False, is_default_password=True), "credential": CredentialStatus.REJECTED},
    ),
    (C.RISKY_PASSWORD, {"password": pw("abcD1234efG!")}),
    (C.RISKY_PASSWORD, {"password": pw("12345678", vendor="onvif"), "vendor": "onvif"}),  # no vendor meter
    (C.RISKY_PASSWORD, {"password": pw("12345")}),  # reported as default instead
    (C.WEAK_PASSWORD, {"password": pw("Tq7#vN2$kLm9")}),
    (C.WEAK_PASSWORD, {"password": pw("12345678")}),  # risky already says it
    (
        C.WEAK_PASSWORD,
        {"password": pw("tulip7horse3", vendor="onvif"), "vendor": "onvif"},
    ),  # Hikvision meter only
    (C.SHORT_PASSWORD_NIST, {"password": pw("Tq7#vN2$kLm9@wX")}),  # exactly 15
    (C.SHORT_PASSWORD_NIST, {"password": pw("admin")}),  # default already says it
    (C.COMMON_PASSWORD, {"password": pw("Tq7#vN2$kLm9")}),
    (C.COMMON_PASSWORD, {"password": pw("Admin12345"), "credential": CredentialStatus.REJECTED}),
    (C.INACTIVE_DEVICE_EXPOSED, {"activated": True}),
    (C.INACTIVE_DEVICE_EXPOSED, {"activated": False, "reachable": False}),
    (C.INACTIVE_DEVICE_EXPOSED, {"activated": None, "probe": None}),
    (C.LOCK_DISABLED, {"lock_policy": LockPolicy(enabled=True, max_attempts=5, lock_seconds=1800)}),
    (C.LOCK_DISABLED, {"lock_policy": None}),
    (C.BASIC_AUTH_OFFERED, {"basic_offered": False, "probe": Probe(reachable=True, basic_offered=True)}),
    (C.BASIC_AUTH_OFFERED, {"basic_offered": None, "probe": None}),
    (C.NO_HTTPS, {"https_available": True}),
    (C.NO_HTTPS, {"https_available": None}),
    (
        C.VULNERABLE_FIRMWARE,
        {"facts": facts("DS-2CD2142FWD-I", "V5.5.0", "build 170725")},
    ),  # MSF: not vulnerable
    (C.VULNERABLE_FIRMWARE, {"facts": None}),
    (C.LEGACY_RESET_CODE, {"facts": facts("DS-2CD2032-I", "V5.3.0", "build 150513")}),
    (C.LEGACY_RESET_CODE, {"facts": facts("DS-7608NI-K2", "V4.62.210", "build 230412", kind=DeviceKind.NVR)}),
    (C.CLOCK_SKEW, {"clock_skew_seconds": 5.0}),
    (C.CLOCK_SKEW, {"clock_skew_seconds": -4.9}),
    (C.CLOCK_SKEW, {"clock_skew_seconds": None}),
    (
        C.TOO_MANY_ADMINS,
        {
            "accounts": (
                Account("1", "admin", Level.ADMINISTRATOR),
                Account("3", "old", Level.ADMINISTRATOR, enabled=False),
                Account("4", "ops", Level.OPERATOR),
            )
        },
    ),
    (C.TOO_MANY_ADMINS, {"accounts": None}),
    (C.CREDENTIALS_UNKNOWN, {}),
    (C.CREDENTIALS_UNKNOWN, {"credential": CredentialStatus.UNKNOWN, "password": None, "activated": False}),
    (C.CREDENTIALS_REJECTED, {"credential": CredentialStatus.NOT_TRIED_BUDGET}),
    (C.DEVICE_LOCKED, {"credential": CredentialStatus.NOT_TRIED_BUDGET}),
    (C.DEVICE_LOCKED, {"login": LoginResult(ok=True, locked=False)}),
    (C.UNREACHABLE, {}),
]


@pytest.mark.parametrize(
    ("code", "overrides"), NON_TRIGGERS, ids=[f"{code}-{i}" for i, (code, _) in enumerate(NON_TRIGGERS)]
)
def test_finding_is_not_raised(code: FindingCode, overrides: dict[str, Any]) -> None:
    assert code not in findings_of(device("cam-1", **overrides))


def test_every_device_code_has_a_trigger_and_a_non_trigger() -> None:
    device_codes = set(FindingCode) - {C.REUSED_PASSWORD}  # the fleet rule: tests/fleet/audit/test_reuse.py
    assert {code for code, _ in TRIGGERS} == device_codes
    assert {code for code, _ in NON_TRIGGERS} == device_codes


def test_a_default_password_is_reported_alone() -> None:
    password_codes = {
        C.DEFAULT_PASSWORD,
        C.RISKY_PASSWORD,
        C.WEAK_PASSWORD,
        C.SHORT_PASSWORD_NIST,
        C.COMMON_PASSWORD,
    }
    assert set(findings_of(device(password=pw("12345")))) & password_codes == {C.DEFAULT_PASSWORD}


def test_password_findings_stack_when_they_say_different_things() -> None:
    found = findings_of(device(password=pw("Admin12345")))
    assert {C.WEAK_PASSWORD, C.SHORT_PASSWORD_NIST, C.COMMON_PASSWORD} <= set(found)
    assert "contains the user name" in " ".join(found[C.WEAK_PASSWORD].evidence)


def test_stored_but_untried_passwords_are_still_judged() -> None:
    for status in (CredentialStatus.NOT_TRIED_BUDGET, CredentialStatus.NOT_TRIED_LOCKED):
        assert C.DEFAULT_PASSWORD in findings_of(device(password=pw("12345"), credential=status, login=None))


def test_password_evidence_names_length_and_guideline() -> None:
    finding = findings_of(device(password=pw("Tq7#vN2$kLm9")))[C.SHORT_PASSWORD_NIST]
    assert finding.evidence == (
        "password is 12 characters; NIST SP 800-63B rev 4 asks for at least 15 for a password used on its own",
    )
    assert finding.severity is Severity.LOW
    assert any("800-63" in reference for reference in finding.references)
    risky = findings_of(device(password=pw("12345678"), login=LoginResult(ok=True, is_risk_password=True)))
    assert risky[C.RISKY_PASSWORD].evidence == (
        "Hikvision's strength meter rates it risky (level 0 of 3); current firmware refuses such passwords",
        "the device itself reports isRiskPassword",
    )
    trivial = findings_of(device(password=pw("qwertyuiop123")))[C.COMMON_PASSWORD]
    assert "a walk along neighbouring keys" in " ".join(trivial.evidence)


@pytest.mark.parametrize(
    ("skew", "severity", "words"),
    [
        (6.0, Severity.LOW, "6 s ahead of"),
        (-300.0, Severity.LOW, "300 s behind"),
        (300.5, Severity.HIGH, "300 s ahead of"),  # printed rounded; the threshold uses the exact value
        (-3600.0, Severity.HIGH, "3600 s behind"),
    ],
)
def test_clock_skew_thresholds(skew: float, severity: Severity, words: str) -> None:
    finding = findings_of(device(clock_skew_seconds=skew))[C.CLOCK_SKEW]
    assert finding.severity is severity
    assert words in finding.evidence[0]


@settings(max_examples=80, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_clock_skew_property(skew: float) -> None:
    found = findings_of(device(clock_skew_seconds=skew))
    assert (C.CLOCK_SKEW in found) is (abs(skew) > CLOCK_SKEW_WARN_SECONDS)
    if C.CLOCK_SKEW in found:
        high = abs(skew) > CLOCK_SKEW_HIGH_SECONDS
        assert found[C.CLOCK_SKEW].severity is (Severity.HIGH if high else Severity.LOW)


def test_admin_findings_name_the_accounts_and_depend_on_the_kind() -> None:
    accounts = (
        Account("1", "admin", Level.ADMINISTRATOR),
        Account("2", "zoe", Level.ADMINISTRATOR),
        Account("3", "bob", Level.ADMINISTRATOR),
    )
    camera = findings_of(device(accounts=accounts))[C.TOO_MANY_ADMINS]
    assert camera.severity is Severity.LOW
    assert camera.evidence == ("3 enabled administrator accounts: admin, bob, zoe",)
    nvr = findings_of(
        device(accounts=accounts, facts=facts("DS-7608NI-K2", "V4.62.210", kind=DeviceKind.NVR))
    )
    assert nvr[C.TOO_MANY_ADMINS].severity is Severity.INFO


def test_firmware_finding_lists_every_matching_advisory() -> None:
    finding = findings_of(device(facts=facts("DS-2CD2142F-IWS", "V5.3.0", "build 150513")))[
        C.VULNERABLE_FIRMWARE
    ]
    assert finding.cves == ("CVE-2017-7921", "CVE-2017-7923")
    assert finding.severity is Severity.CRITICAL
    text = " ".join(finding.evidence)
    assert "DS-2CD2xx2F-I series V5.2.0 build 140721 to V5.4.0 build 160530" in text
    assert "this device: DS-2CD2142F-IWS V5.3.0 build 150513" in text
    assert "partly inferred" in text  # CVE-2017-7923's association is inferred
    assert "V5.4.41" in finding.fix
    assert "https://ics-cert.us-cert.gov/advisories/ICSA-17-124-01" in finding.references
    assert len(finding.references) == len(set(finding.references))


def test_unknown_build_makes_a_possible_match() -> None:
    finding = findings_of(device(facts=facts("DS-2DF8225IX-AEL", "V5.4.5", None)))[C.VULNERABLE_FIRMWARE]
    assert "build date unknown" in " ".join(finding.evidence)


def test_legacy_reset_code_finding() -> None:
    finding = findings_of(device(facts=facts("DS-2CD2032-I", "V5.2.5", "build 141201")))[C.LEGACY_RESET_CODE]
    assert finding.cves == ()
    assert finding.severity is Severity.HIGH
    assert "V5.3.0" in finding.fix


def test_credential_evidence() -> None:
    rejected = findings_of(
        device(credential=CredentialStatus.REJECTED, login=LoginResult(ok=False, attempts_left=2))
    )
    assert "2 attempts remain" in " ".join(rejected[C.CREDENTIALS_REJECTED].evidence)
    locked = findings_of(
        device(
            credential=CredentialStatus.NOT_TRIED_LOCKED,
            login=LoginResult(ok=False, locked=True, unlock_in_seconds=900),
        )
    )
    assert "lifts in 900 s" in " ".join(locked[C.DEVICE_LOCKED].evidence)
    unreachable = findings_of(device(reachable=False, address="10.0.0.9", errors=("connection refused",)))
    assert unreachable[C.UNREACHABLE].evidence == ("no answer from 10.0.0.9", "connection refused")
    assert unreachable[C.UNREACHABLE].severity is Severity.INFO


def test_fix_commands_quote_the_device_id() -> None:
    hostile = "cam 1; rm -rf ~"
    finding = findings_of(device(hostile, password=pw("12345")))[C.DEFAULT_PASSWORD]
    assert "`camvault fleet rotate --device 'cam 1; rm -rf ~'`" in finding.fix
    assert rotate_command("a", "b") == "camvault fleet rotate --device a --device b"


def test_findings_come_most_urgent_first() -> None:
    found = device_findings(
        device(
            password=pw("tulip7horse3"),
            https_available=False,
            lock_policy=LockPolicy(enabled=False, max_attempts=None, lock_seconds=None),
            facts=facts("DS-2CD2032-I", "V5.2.5", "build 141201"),
            clock_skew_seconds=10.0,
        ),
        default_catalogue(),
    )
    ranks = [finding.severity.rank for finding in found]
    assert ranks == sorted(ranks, reverse=True)
    assert [finding.code for finding in found] == [
        C.LEGACY_RESET_CODE,
        C.LOCK_DISABLED,
        C.WEAK_PASSWORD,
        C.CLOCK_SKEW,
        C.NO_HTTPS,
        C.SHORT_PASSWORD_NIST,
    ]
