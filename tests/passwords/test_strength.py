"""Hikvision's strength meter: the table of research notes hikvision.md §9, row by row, and the rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.passwords import StrengthLevel, hikvision_strength

USER = "admin"

# hikvision.md §9, "I ran the algorithm in Python and got:" (user `admin`).
SECTION_9_TABLE = [
    # 1 category -> 0 risky
    ("12345678", StrengthLevel.RISKY),
    ("abcdefgh", StrengthLevel.RISKY),
    ("ABCDEFGH", StrengthLevel.RISKY),
    ("!!!!!!!!", StrengthLevel.RISKY),
    # length or username rule -> 0 risky
    ("aB3!", StrengthLevel.RISKY),
    ("admin", StrengthLevel.RISKY),
    ("nimda", StrengthLevel.RISKY),
    # one letter case + digits -> 1 weak
    ("abcd1234", StrengthLevel.WEAK),
    ("ABCD1234", StrengthLevel.WEAK),
    # lower+upper, or anything + special -> 2 medium
    ("abcdEFGH", StrengthLevel.MEDIUM),
    ("abcd!!!!", StrengthLevel.MEDIUM),
    ("1234!!!!", StrengthLevel.MEDIUM),
    ("ABCD!!!!", StrengthLevel.MEDIUM),
    # 3 or more categories -> 3 strong
    ("abcD1234", StrengthLevel.STRONG),
    ("abcd12!!", StrengthLevel.STRONG),
    ("ABCD12!!", StrengthLevel.STRONG),
]


@pytest.mark.parametrize(("password", "expected"), SECTION_9_TABLE)
def test_section_9_table(password: str, expected: StrengthLevel) -> None:
    assert hikvision_strength(password, USER) is expected


@pytest.mark.parametrize("length", range(1, 8))
def test_any_password_shorter_than_8_is_risky(length: int) -> None:
    password = "aB3!xY7?"[:length]
    assert hikvision_strength(password, USER) is StrengthLevel.RISKY


def test_length_boundary_7_and_8() -> None:
    assert hikvision_strength("aB3!xY7", USER) is StrengthLevel.RISKY
    assert hikvision_strength("aB3!xY7?", USER) is StrengthLevel.STRONG


def test_password_equal_to_a_long_username_or_its_reverse_is_risky() -> None:
    user = "Operator99!"
    assert hikvision_strength(user, user) is StrengthLevel.RISKY
    assert hikvision_strength(user[::-1], user) is StrengthLevel.RISKY
    assert hikvision_strength(user, "someone") is StrengthLevel.STRONG


def test_username_comparison_is_case_sensitive_as_in_javascript() -> None:
    assert hikvision_strength("OPERATOR99!", "operator99!") is StrengthLevel.STRONG


def test_upper_counts_two_only_after_another_class() -> None:
    # upper alone scores 1 (-> 0); upper + digit scores 1 + 1 (-> 1); lower + upper scores 1 + 2 (-> 2)
    assert hikvision_strength("ABCDEFGH", USER) is StrengthLevel.RISKY
    assert hikvision_strength("ABCDEFG1", USER) is StrengthLevel.WEAK
    assert hikvision_strength("aBCDEFGH", USER) is StrengthLevel.MEDIUM


def test_special_counts_two_only_after_another_class() -> None:
    assert hikvision_strength("!!!!!!!!", USER) is StrengthLevel.RISKY
    assert hikvision_strength("1!!!!!!!", USER) is StrengthLevel.MEDIUM


def test_space_and_non_ascii_count_as_special() -> None:
    assert hikvision_strength("abcd efg", USER) is StrengthLevel.MEDIUM
    assert hikvision_strength("abcdéfgh", USER) is StrengthLevel.MEDIUM


def test_length_counts_utf16_units_like_javascript() -> None:
    # 4 astral characters are 8 UTF-16 code units: long enough for JavaScript's `length`.
    assert hikvision_strength("a1\U0001f600\U0001f600\U0001f600\U0001f600", USER) is StrengthLevel.STRONG
    assert hikvision_strength("a1\U0001f600\U0001f600", USER) is StrengthLevel.RISKY


def test_all_four_classes_cap_at_strong() -> None:
    assert hikvision_strength("aB3!aB3!aB3!", USER) is StrengthLevel.STRONG


@pytest.mark.parametrize(
    ("level", "label"),
    [
        (StrengthLevel.RISKY, "risky"),
        (StrengthLevel.WEAK, "weak"),
        (StrengthLevel.MEDIUM, "medium"),
        (StrengthLevel.STRONG, "strong"),
    ],
)
def test_labels(level: StrengthLevel, label: str) -> None:
    assert level.label == label


def test_levels_are_ordered_integers() -> None:
    assert [int(level) for level in StrengthLevel] == [0, 1, 2, 3]
    assert StrengthLevel.RISKY < StrengthLevel.WEAK < StrengthLevel.MEDIUM < StrengthLevel.STRONG


def _reference(password: str, user: str) -> int:
    """Independent transcription of §9's eight steps, used as an oracle."""
    n = 0
    if any(c.islower() and c.isascii() for c in password):
        n += 1
    if any(c.isupper() and c.isascii() for c in password):
        n += 2 if n > 0 else 1
    if any(c.isdigit() and c.isascii() for c in password):
        n += 1
    if any(not (c.isascii() and c.isalnum()) for c in password):
        n += 2 if n > 0 else 1
    if len(password) < 8 or password == user or password == user[::-1]:
        n = 0
    if n > 0:
        n -= 1
    return min(n, 3)


@settings(max_examples=200, deadline=None)
@given(
    password=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    user=st.sampled_from(["admin", "abcd1234", "user", ""]),
)
def test_matches_the_section_9_steps_on_ascii(password: str, user: str) -> None:
    assert hikvision_strength(password, user) == _reference(password, user)
