"""Password policies: vendor presets, NIST, every reason code, and no password in any message."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import CamvaultError, ConfigurationError, PasswordRejected
from camvault.passwords import (
    HIKVISION_DEVICE,
    HIKVISION_IPC_ACTIVATION,
    NIST_SP800_63B,
    ONVIF_DEVICE,
    REASONS,
    PasswordPolicy,
    StrengthLevel,
    policy_for,
)

PLANTED = "Zq7#Planted-Secret"  # a recognisable fake secret


def reason_of(policy: PasswordPolicy, password: str, username: str = "admin", **kwargs: object) -> str:
    with pytest.raises(PasswordRejected) as caught:
        policy.check(password, username, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


# --- Hikvision device ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "accepted"),
    [(7, False), (8, True), (16, True), (17, False)],
)
def test_hikvision_length_boundaries(length: int, accepted: bool) -> None:
    password = ("aB3!" * 5)[:length]
    if accepted:
        HIKVISION_DEVICE.check(password, "admin")
    else:
        assert reason_of(HIKVISION_DEVICE, password) == ("too_short" if length < 8 else "too_long")


def test_hikvision_refuses_risky_with_the_risky_reason() -> None:
    assert reason_of(HIKVISION_DEVICE, "abcdefgh") == "risky"
    assert reason_of(HIKVISION_DEVICE, "12345678") == "risky"


def test_hikvision_accepts_weak_and_better() -> None:
    for password in ("abcd1234", "abcdEFGH", "abcD1234"):
        HIKVISION_DEVICE.check(password, "admin")


def test_hikvision_empty_password() -> None:
    assert reason_of(HIKVISION_DEVICE, "") == "empty"


@pytest.mark.parametrize("password", ["xxadminxx1", "xxADMINxx1", "Admin12345", "1234aDmIn"])
def test_contains_username_ignoring_case(password: str) -> None:
    assert reason_of(HIKVISION_DEVICE, password, "admin") == "contains_username"


def test_equal_to_username_is_refused() -> None:
    assert reason_of(HIKVISION_DEVICE, "Operator77", "Operator77") == "contains_username"


def test_reversed_username_is_refused_as_risky() -> None:
    # Not "contains": the strength meter's reverse rule catches it.
    assert reason_of(HIKVISION_DEVICE, "77rotarepO", "Operator77") == "risky"


def test_short_usernames_are_not_searched_for() -> None:
    HIKVISION_DEVICE.check("ab12CD34", "ab")
    HIKVISION_DEVICE.check("x9abcdef", "x")
    assert reason_of(HIKVISION_DEVICE, "abc1234x", "abc") == "contains_username"


def test_hikvision_character_set_is_printable_ascii() -> None:
    HIKVISION_DEVICE.check("ab cd 12", "admin")
    assert reason_of(HIKVISION_DEVICE, "abcd1234\t") == "disallowed_character"
    assert reason_of(HIKVISION_DEVICE, "abcdé1234") == "disallowed_character"


def test_hikvision_device_does_not_screen_common_passwords() -> None:
    # The firmware accepts what its meter calls weak, however common.
    HIKVISION_DEVICE.check("abcd1234", "admin")
    HIKVISION_DEVICE.check("Password1", "admin")


# --- Hikvision IPCActivatePasswd (§7.3) -------------------------------------------------------------------


def test_ipc_activation_refuses_admin_whatever_the_caller_names() -> None:
    assert reason_of(HIKVISION_IPC_ACTIVATION, "myAdmin2024", "operator") == "contains_username"


@pytest.mark.parametrize("password", ["12345678", "abcdefgh", "ABCDEFGH"])
def test_ipc_activation_refuses_single_class(password: str) -> None:
    assert reason_of(HIKVISION_IPC_ACTIVATION, password) == "too_few_classes"


def test_ipc_activation_refuses_only_symbols() -> None:
    # The regex lets "only symbols" through; checkPasswordComplexity (also required) does not.
    assert HIKVISION_IPC_ACTIVATION.violations("!!!!!!!!", "admin") == ("too_few_classes", "risky")


@pytest.mark.parametrize("char", ['"', ":", "中", "\t"])
def test_ipc_activation_character_set(char: str) -> None:
    assert reason_of(HIKVISION_IPC_ACTIVATION, f"abc{char}1234") == "disallowed_character"


def test_ipc_activation_matches_the_section_7_3_regex() -> None:
    regex = re.compile(
        r"^(?![0-9]+$)(?![a-z]+$)(?![A-Z]+$)[0-9A-Za-z!#$%&'()*+,-./;<=>?@\\\[\]^_`{|}~ *]{1,}$"
    )
    for code in range(0x20, 0x7F):
        char = chr(code)
        password = f"Abcd12{char}x"
        assert (HIKVISION_IPC_ACTIVATION.accepts_character(char)) == bool(regex.match(password)), repr(char)


def test_ipc_activation_accepts_a_good_password() -> None:
    HIKVISION_IPC_ACTIVATION.check("Cam-Fleet-42x", "operator")


# --- ONVIF and NIST ---------------------------------------------------------------------------------------


def test_onvif_bounds() -> None:
    ONVIF_DEVICE.check("x", "admin")
    ONVIF_DEVICE.check("y" * 64, "admin")
    assert reason_of(ONVIF_DEVICE, "") == "empty"
    assert reason_of(ONVIF_DEVICE, "y" * 65) == "too_long"


def test_onvif_has_no_complexity_or_screening() -> None:
    ONVIF_DEVICE.check("admin", "admin")
    ONVIF_DEVICE.check("12345", "admin")


@pytest.mark.parametrize(
    ("length", "reason"),
    [(14, "too_short"), (15, None), (64, None), (65, "too_long")],
)
def test_nist_lengths(length: int, reason: str | None) -> None:
    password = ("vq8 Lt!mw2Rz-kJ4" * 5)[:length]
    if reason is None:
        NIST_SP800_63B.check(password, "admin")
    else:
        assert reason_of(NIST_SP800_63B, password) == reason


def test_nist_has_no_composition_rule_and_takes_unicode() -> None:
    NIST_SP800_63B.check("grüne wolken über kiel", "admin")
    NIST_SP800_63B.check("quietly purple lanterns", "admin")


def test_nist_refuses_control_characters() -> None:
    assert reason_of(NIST_SP800_63B, "quietly purple\x00lanterns") == "disallowed_character"


@pytest.mark.parametrize(
    "password", ["password12345678", "123456789012345", "qwertyuiopasdfgh", "aaaaaaaaaaaaaaaa"]
)
def test_nist_refuses_common_and_trivial(password: str) -> None:
    assert reason_of(NIST_SP800_63B, password) == "common"


def test_nist_refuses_context_words() -> None:
    assert reason_of(NIST_SP800_63B, "lobby-camera-backyard", "admin", context_words=["Lobby"]) == "common"
    NIST_SP800_63B.check("quietly purple lanterns", "admin", context_words=["Lobby"])


def test_nist_refuses_leetspeak_username() -> None:
    assert reason_of(NIST_SP800_63B, "quietly-@dm1n-lanterns", "admin") == "common"


def test_fleet_audit_flags_short_by_nist() -> None:
    # A password Hikvision accepts, as the fleet audit sees it.
    assert NIST_SP800_63B.violations("Xk9#mQ2vLp", "admin") == ("too_short",)


# --- every reason code, violations() and check() ---------------------------------------------------------

STRICT = PasswordPolicy(
    name="strict",
    min_length=8,
    max_length=16,
    forbid_username=True,
    min_hikvision_level=StrengthLevel.STRONG,
    forbid_common=True,
    required_classes=2,
)

# reason -> (password, user name) that breaks that rule first
EXAMPLES = {
    "empty": ("", "admin"),
    "disallowed_character": ("Xk9#mQ2\u00a0vLp", "admin"),
    "too_short": ("Xk9#mQ2", "admin"),
    "too_long": ("Xk9#mQ2vLp7$wR4zT", "admin"),
    "contains_username": ("Xk9#admin2vL", "admin"),
    "too_few_classes": ("xkqmpvlwrz", "admin"),
    "risky": ("pLv2Qm#9kX", "Xk9#mQ2vLp"),  # the user name reversed
    "weak": ("xk9mq2vlp7", "admin"),
    "common": ("Password123!", "admin"),
}


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_code_is_reachable(reason: str) -> None:
    password, username = EXAMPLES[reason]
    assert reason_of(STRICT, password, username) == reason


def test_reasons_lists_every_example() -> None:
    assert set(EXAMPLES) == set(REASONS)


def test_weak_means_above_risky_but_below_the_required_level() -> None:
    medium = replace(HIKVISION_DEVICE, min_hikvision_level=StrengthLevel.MEDIUM)
    assert reason_of(medium, "abcd1234") == "weak"
    assert reason_of(medium, "abcdefgh") == "risky"
    medium.check("abcdEFGH", "admin")


def test_violations_lists_all_findings_in_order() -> None:
    found = STRICT.violations("admin", "admin")
    assert found == ("too_short", "contains_username", "too_few_classes", "risky", "common")
    assert STRICT.violations("Xk9#mQ2vLp7$", "admin") == ()


def test_check_raises_the_first_violation() -> None:
    assert reason_of(STRICT, "admin") == STRICT.violations("admin", "admin")[0]


def test_password_rejected_is_a_camvault_error() -> None:
    with pytest.raises(CamvaultError):
        HIKVISION_DEVICE.check("short", "admin")


# --- secrets never leak -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", REASONS)
def test_planted_password_never_in_message_or_repr(reason: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    planted = {
        "empty": "",
        "disallowed_character": PLANTED + "\u00e9",
        "too_short": PLANTED[:7],
        "too_long": PLANTED + PLANTED,
        "contains_username": PLANTED[:9] + "admin",
        "too_few_classes": "plantedsecret",
        "risky": PLANTED[::-1],
        "weak": "planted12345",
        "common": "Planted2024!",
    }[reason]
    policy = replace(STRICT, max_length=20) if reason != "too_long" else STRICT
    if reason == "common":
        policy = replace(STRICT, min_hikvision_level=None)
    with pytest.raises(PasswordRejected) as caught:
        policy.check(planted, PLANTED if reason == "risky" else "admin", context_words=["planted"])
    exc = caught.value
    assert exc.reason == reason
    rendered = [str(exc), repr(exc), *map(str, exc.args), caplog.text]
    if planted:
        assert not any(planted in text for text in rendered)
    assert not any(PLANTED in text for text in rendered)


def test_disallowed_character_is_not_named() -> None:
    with pytest.raises(PasswordRejected) as caught:
        HIKVISION_DEVICE.check("abcd1234\u2603", "admin")
    assert "\u2603" not in str(caught.value)


def test_policy_repr_holds_no_secret() -> None:
    assert PLANTED not in repr(HIKVISION_DEVICE)


# --- rules text, registry, validation ---------------------------------------------------------------------


def test_rules_text_for_hikvision() -> None:
    rules = HIKVISION_DEVICE.rules_text()
    assert rules[0] == "8 to 16 characters"
    assert "must not contain the user name" in rules
    assert any("two kinds of characters" in rule for rule in rules)
    assert not any("common" in rule for rule in rules)


def test_rules_text_for_nist_and_ipc() -> None:
    assert NIST_SP800_63B.rules_text()[0] == "15 to 64 characters"
    assert any("common" in rule for rule in NIST_SP800_63B.rules_text())
    ipc = HIKVISION_IPC_ACTIVATION.rules_text()
    assert 'must not contain "admin"' in ipc
    symbols = next(rule for rule in ipc if "symbols:" in rule)
    assert ":" not in symbols.split("symbols:")[1]
    assert '"' not in symbols


def test_rules_text_is_all_sentences() -> None:
    for policy in (HIKVISION_DEVICE, HIKVISION_IPC_ACTIVATION, ONVIF_DEVICE, NIST_SP800_63B, STRICT):
        assert all(isinstance(rule, str) and rule for rule in policy.rules_text())


@pytest.mark.parametrize(
    ("name", "policy"),
    [
        ("hikvision", HIKVISION_DEVICE),
        ("onvif", ONVIF_DEVICE),
        ("nist", NIST_SP800_63B),
        (" HikVision ", HIKVISION_DEVICE),
    ],
)
def test_policy_for(name: str, policy: PasswordPolicy) -> None:
    assert policy_for(name) is policy


def test_policy_for_unknown_vendor() -> None:
    with pytest.raises(ConfigurationError, match="dahua"):
        policy_for("dahua")


@pytest.mark.parametrize(
    "changes",
    [
        {"min_length": 0},
        {"min_length": 10, "max_length": 9},
        {"required_classes": 5},
        {"required_classes": -1},
        {"allowed": frozenset()},
        {"allowed": frozenset({"ab"})},
    ],
)
def test_invalid_policies_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        replace(HIKVISION_DEVICE, **changes)  # type: ignore[arg-type]


def test_policies_are_frozen() -> None:
    with pytest.raises(AttributeError):
        HIKVISION_DEVICE.min_length = 1  # type: ignore[misc]


# --- fuzz: any text from the network gets an answer, never a crash ---------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    policy=st.sampled_from(
        [HIKVISION_DEVICE, HIKVISION_IPC_ACTIVATION, ONVIF_DEVICE, NIST_SP800_63B, STRICT]
    ),
    password=st.text(max_size=80),
    username=st.text(max_size=20),
)
def test_check_and_violations_agree_on_any_text(policy: PasswordPolicy, password: str, username: str) -> None:
    found = policy.violations(password, username)
    assert set(found) <= set(REASONS)
    if found:
        with pytest.raises(PasswordRejected) as caught:
            policy.check(password, username)
        assert caught.value.reason == found[0]
    else:
        policy.check(password, username)
