"""Password generation: policy compliance, alphabet, URL/XML/shell safety, uniqueness, no positional bias."""

from __future__ import annotations

import math
import random
import re
import shlex
import string
from collections import Counter
from dataclasses import replace
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import ConfigurationError
from camvault.passwords import (
    AMBIGUOUS_CHARACTERS,
    HIKVISION,
    HIKVISION_DEVICE,
    HIKVISION_IPC_ACTIVATION,
    NIST,
    ONVIF,
    URL_SAFE,
    URL_SAFE_SYMBOLS,
    CharacterGroup,
    PasswordPolicy,
    PasswordProfile,
    StrengthLevel,
    entropy_bits,
    generate,
    hikvision_strength,
    is_common,
    looks_trivial,
    profile_for,
)

PROFILES = [HIKVISION, ONVIF, URL_SAFE, NIST]
URL_SAFE_PROFILES = [profile for profile in PROFILES if profile.url_safe]

# RFC 3986 §3.2.1: userinfo = *( unreserved / pct-encoded / sub-delims / ":" ); without ":" for a password.
RFC3986_USERINFO_LITERAL = set(string.ascii_letters + string.digits + "-._~" + "!$&'()*+,;=")
TASK_EXCLUDED = set(":@/?#[]%&<>\"'\\ ")
SHELL_DOUBLE_QUOTE_SPECIAL = set('$`\\"!')


def assert_survives_url_xml_and_shell(password: str) -> None:
    assert not set(password) & TASK_EXCLUDED
    assert set(password) <= RFC3986_USERINFO_LITERAL
    assert quote(password, safe="()*+,;=") == password
    url = urlsplit(f"rtsp://admin:{password}@127.0.0.1:554/Streaming/Channels/101")
    assert (url.username, url.password, url.hostname, url.port) == ("admin", password, "127.0.0.1", 554)
    assert escape(password, {'"': "&quot;", "'": "&apos;"}) == password
    assert not set(password) & SHELL_DOUBLE_QUOTE_SPECIAL
    assert shlex.split(f'"{password}"') == [password]


# --- properties over every profile ------------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(
    profile=st.sampled_from(PROFILES),
    seed=st.integers(min_value=0, max_value=2**32),
    username=st.sampled_from(["admin", "operator", "lobby", "abc", "x"]),
)
def test_generated_passwords_fit_their_profile(profile: PasswordProfile, seed: int, username: str) -> None:
    password = generate(profile, username=username, rng=random.Random(seed))
    profile.policy.check(password, username)
    assert len(password) == profile.length
    assert set(password) <= set(profile.alphabet)
    for group in profile.usable_groups():
        if group.name in profile.required_groups:
            assert set(password) & set(group.characters), group.name
    assert username.lower() not in password.lower() or len(username) < 3
    assert not is_common(password)
    assert looks_trivial(password) is None
    if profile.url_safe:
        assert_survives_url_xml_and_shell(password)
    if profile.exclude_ambiguous:
        assert not set(password) & set(AMBIGUOUS_CHARACTERS)


@pytest.mark.parametrize("profile", URL_SAFE_PROFILES, ids=lambda profile: profile.name)
def test_every_url_safe_character_survives(profile: PasswordProfile) -> None:
    # Character by character, so that a rare symbol cannot hide from the sampled property above.
    assert_survives_url_xml_and_shell(profile.alphabet)


def test_url_safe_symbols_are_the_documented_rule() -> None:
    rule = (set("-._~") | set("!$&'()*+,;=")) - set("&'") - set("$!")
    assert set(URL_SAFE_SYMBOLS) == rule


def test_hikvision_passwords_are_valid_everywhere_on_hikvision() -> None:
    rng = random.Random(7)
    for _ in range(200):
        password = generate(HIKVISION, rng=rng)
        HIKVISION_DEVICE.check(password, "admin")
        HIKVISION_IPC_ACTIVATION.check(password, "admin")
        assert hikvision_strength(password, "admin") is StrengthLevel.STRONG


def test_thousand_hikvision_passwords_are_distinct() -> None:
    passwords = [generate(HIKVISION) for _ in range(1000)]
    assert len(set(passwords)) == 1000


def test_default_randomness_is_not_a_fixed_seed() -> None:
    assert generate(URL_SAFE) != generate(URL_SAFE)


def test_injected_rng_makes_generation_reproducible() -> None:
    assert generate(ONVIF, rng=random.Random(42)) == generate(ONVIF, rng=random.Random(42))
    assert generate(ONVIF, rng=random.Random(42)) != generate(ONVIF, rng=random.Random(43))


# --- the draw ---------------------------------------------------------------------------------------------


def test_required_characters_have_no_favourite_position() -> None:
    rng = random.Random(1234)
    samples = 3000
    digits_at = Counter[int]()
    for _ in range(samples):
        password = generate(HIKVISION, rng=rng)
        digits_at.update(index for index, char in enumerate(password) if char.isdigit())
    digit_group = next(group for group in HIKVISION.usable_groups() if group.name == "digit")
    forced, free = 1 / HIKVISION.length, 1 - len(HIKVISION.required_groups) / HIKVISION.length
    expected = forced + free * len(digit_group.characters) / len(HIKVISION.alphabet)
    for index in range(HIKVISION.length):
        assert abs(digits_at[index] / samples - expected) < 0.03, index


def test_redraws_until_the_policy_passes() -> None:
    # Over the alphabet "abc", about one draw in five of length 8 contains "abc"; none may be returned.
    profile = PasswordProfile(
        name="tiny",
        length=8,
        policy=PasswordPolicy(name="tiny", min_length=8, max_length=8, forbid_username=True),
        groups=(CharacterGroup("lower", "abc"),),
        required_groups=frozenset({"lower"}),
    )
    rng = random.Random(99)
    raw_hits = sum("abc" in "".join(rng.choice("abc") for _ in range(8)) for _ in range(300))
    assert raw_hits > 20  # the rule does bite on raw draws
    passwords = [generate(profile, username="abc", rng=rng) for _ in range(300)]
    assert not any("abc" in password for password in passwords)


def test_gives_up_after_bounded_tries() -> None:
    impossible = PasswordProfile(
        name="impossible",
        length=10,
        policy=PasswordPolicy(
            name="strong", min_length=8, max_length=16, min_hikvision_level=StrengthLevel.STRONG
        ),
        groups=(CharacterGroup("lower", string.ascii_lowercase),),
        required_groups=frozenset(),
    )
    with pytest.raises(ConfigurationError, match="impossible"):
        generate(impossible, rng=random.Random(0))


def test_no_candidate_in_the_give_up_message() -> None:
    profile = PasswordProfile(
        name="lowercase-only",
        length=8,
        policy=PasswordPolicy(name="t", min_length=8, max_length=8, min_hikvision_level=StrengthLevel.WEAK),
        groups=(CharacterGroup("lower", "xy"),),
        required_groups=frozenset(),
    )
    with pytest.raises(ConfigurationError) as caught:
        generate(profile, rng=random.Random(3))
    assert not re.search(r"[xy]{8}", str(caught.value))


# --- alphabets and entropy --------------------------------------------------------------------------------


def test_hikvision_alphabet() -> None:
    alphabet = set(HIKVISION.alphabet)
    assert not alphabet & set(AMBIGUOUS_CHARACTERS)
    assert not alphabet & TASK_EXCLUDED
    assert alphabet == (
        set(string.ascii_letters + string.digits + URL_SAFE_SYMBOLS) - set(AMBIGUOUS_CHARACTERS)
    )
    assert HIKVISION.length == HIKVISION_DEVICE.max_length == 16


def test_nist_alphabet_is_all_printable_ascii_but_space() -> None:
    assert set(NIST.alphabet) == set(string.ascii_letters + string.digits + string.punctuation)
    assert NIST.required_groups == frozenset()


def test_profile_lengths() -> None:
    assert [profile.length for profile in PROFILES] == [16, 24, 20, 20]


def test_entropy_bits() -> None:
    sizes = {group.name: len(group.characters) for group in HIKVISION.usable_groups()}
    assert sizes == {"lower": 25, "upper": 24, "digit": 8, "special": len(URL_SAFE_SYMBOLS)}
    forced = sum(math.log2(size) for size in sizes.values())
    assert entropy_bits(HIKVISION) == pytest.approx(forced + 12 * math.log2(len(HIKVISION.alphabet)))
    assert entropy_bits(NIST) == pytest.approx(20 * math.log2(94))
    assert entropy_bits(HIKVISION) > 80
    assert entropy_bits(ONVIF) > entropy_bits(URL_SAFE) > entropy_bits(HIKVISION)


@pytest.mark.parametrize("name", ["hikvision", "onvif", "url-safe", "nist"])
def test_profile_for(name: str) -> None:
    assert profile_for(name.upper()).name == name


def test_profile_for_unknown() -> None:
    with pytest.raises(ConfigurationError):
        profile_for("dahua")


@pytest.mark.parametrize(
    "changes",
    [
        {"required_groups": frozenset({"emoji"})},
        {"length": 3},
        {"length": 17},
        {"url_safe": False},  # brings in symbols the (url-safe) policy below does not allow
        {"groups": (CharacterGroup("lower", "ab"), CharacterGroup("lower", "cd"))},
    ],
)
def test_invalid_profiles_are_refused(changes: dict[str, object]) -> None:
    base = replace(HIKVISION, policy=replace(HIKVISION.policy, allowed=frozenset(URL_SAFE.alphabet)))
    with pytest.raises(ConfigurationError):
        replace(base, **changes)  # type: ignore[arg-type]


def test_a_required_group_emptied_by_the_filters_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        PasswordProfile(
            name="symbols-only-unsafe",
            length=8,
            policy=PasswordPolicy(name="t", min_length=1, max_length=64),
            groups=(CharacterGroup("lower", string.ascii_lowercase), CharacterGroup("special", "@:/")),
            required_groups=frozenset({"special"}),
        )
