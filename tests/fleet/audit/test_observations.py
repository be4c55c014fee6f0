"""The observation contract: password facts derived without keeping the password, and the observation values."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import ConfigurationError, InventoryError
from camvault.fleet.audit import CredentialStatus, DeviceObservation, FleetObservation, password_facts
from camvault.fleet.drivers.models import Probe
from camvault.passwords import StrengthLevel
from tests.fleet.audit.factory import TAKEN, device

PLANTED = "PLANTED-Pw-4k9#Zx"


@pytest.mark.parametrize(
    ("password", "vendor", "default"),
    [
        ("12345", "hikvision", True),  # legacy Hikvision factory password (hikvision.md §14.1)
        ("admin", "onvif", True),  # generic ONVIF camera admin/admin
        ("admin", "hikvision", True),  # admin counts for every vendor
        ("", "onvif", True),  # the empty password too
        ("", "axicam", True),
        ("12345", "onvif", False),  # 12345 is Hikvision's default, not a generic camera's
        ("Admin", "onvif", False),  # passwords are case-sensitive
        ("12345 ", "hikvision", False),
    ],
)
def test_vendor_default_passwords(password: str, vendor: str, default: bool) -> None:
    assert password_facts(password, "admin", vendor=vendor).vendor_default is default


@pytest.mark.parametrize(
    ("password", "level", "vendor_violations", "nist_violations", "common", "trivial"),
    [
        ("Tq7#vN2$kLm9@wXz", StrengthLevel.STRONG, (), (), False, None),
        ("Tq7#vN2$kLm9", StrengthLevel.STRONG, (), ("too_short",), False, None),
        ("12345678", StrengthLevel.RISKY, ("risky",), ("too_short", "common"), True, "sequence"),
        ("tulip7horse3", StrengthLevel.WEAK, (), ("too_short",), False, None),
        (
            "Xy#admin-91kQ",
            StrengthLevel.STRONG,
            ("contains_username",),
            ("too_short", "contains_username", "common"),
            False,
            None,
        ),
        ("qwertyuiop123", StrengthLevel.WEAK, (), ("too_short", "common"), True, "keyboard_walk"),
    ],
)
def test_hikvision_facts(
    password: str,
    level: StrengthLevel,
    vendor_violations: tuple[str, ...],
    nist_violations: tuple[str, ...],
    common: bool,
    trivial: str | None,
) -> None:
    facts = password_facts(password, "admin", vendor="Hikvision")
    assert facts.vendor == "hikvision"
    assert facts.length == len(password)
    assert facts.hikvision_level is level
    assert facts.vendor_violations == vendor_violations
    assert facts.passes_vendor is (not vendor_violations)
    assert facts.nist_violations == nist_violations
    assert facts.passes_nist is (not nist_violations)
    assert facts.common is common
    assert facts.trivial == trivial
    assert facts.reuse_key is None


def test_vendor_rules_differ_and_unknown_vendors_get_the_generic_camera_rules() -> None:
    assert password_facts("12345678", "admin", vendor="hikvision").vendor_violations == ("risky",)
    assert password_facts("12345678", "admin", vendor="onvif").vendor_violations == ()
    axicam = password_facts("a", "admin", vendor="Axicam")
    assert axicam.vendor == "axicam"
    assert axicam.vendor_violations == ()  # ONVIF rules: 1 to 64 characters
    assert axicam.nist_violations == ("too_short",)


def test_context_words_feed_the_nist_blocklist() -> None:
    assert password_facts("Lobby-Camera-North-77", "admin", vendor="hikvision").passes_nist
    facts = password_facts("Lobby-Camera-North-77", "admin", vendor="hikvision", context_words=("north",))
    assert facts.nist_violations == ("common",)


def test_facts_never_show_the_password_or_the_reuse_key() -> None:
    facts = replace(password_facts(PLANTED, "admin", vendor="hikvision"), reuse_key="fp-SECRET-FINGERPRINT")
    assert PLANTED not in repr(facts)
    assert "fp-SECRET-FINGERPRINT" not in repr(facts)
    observation = device(password=facts)
    assert PLANTED not in repr(observation)
    assert "fp-SECRET-FINGERPRINT" not in repr(observation)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_no_field_of_the_facts_holds_the_password(secret: str) -> None:
    password = f"PLANTED{secret}"
    facts = password_facts(password, "operator", vendor="hikvision")
    assert password not in repr(facts)
    assert all(password not in str(value) for value in (facts.username, facts.vendor, facts.trivial))
    assert facts.length == len(password)


def test_observation_falls_back_to_the_probe() -> None:
    probe = Probe(reachable=True, activated=False, basic_offered=True)
    bare = device(probe=probe, activated=None, basic_offered=None)
    assert bare.is_activated is False
    assert bare.offers_basic is True
    explicit = device(probe=probe, activated=True, basic_offered=False)
    assert explicit.is_activated is True
    assert explicit.offers_basic is False
    assert device(probe=None, activated=None, basic_offered=None).is_activated is None
    assert device(label="").display_name == "cam-1"


def test_credential_status_tells_whether_it_was_tried() -> None:
    assert {status for status in CredentialStatus if status.tried} == {
        CredentialStatus.WORKS,
        CredentialStatus.REJECTED,
    }


def test_observation_values_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        DeviceObservation(device_id="", label="x", address="192.0.2.1", vendor=None, reachable=False)
    with pytest.raises(ConfigurationError, match="timezone"):
        FleetObservation(devices=(), taken_at=datetime(2026, 1, 1))
    with pytest.raises(InventoryError, match="cam-1"):
        FleetObservation(devices=(device("cam-1"), device("cam-1")), taken_at=TAKEN)
