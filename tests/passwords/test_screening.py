"""Offline screening: the shipped list, decorated common passwords, trivial structure, context words."""

from __future__ import annotations

import random
import string
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import camvault.passwords
from camvault.passwords import (
    TRIVIAL_REASONS,
    common_passwords,
    contains_context_word,
    is_common,
    looks_trivial,
)

SURVEILLANCE_DEFAULTS = [
    "12345",
    "123456",
    "888888",
    "666666",
    "admin",
    "admin123",
    "Admin12345",
    "hikvision",
    "hik12345",
    "abcd1234",
    "password1",
    "camera123",
    "dvr12345",
    "nvr12345",
    "xc3511",
    "7ujMko0admin",
]


def random_strong(rng: random.Random, length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits + "!#%*+-.=?_~"
    return "".join(rng.choice(alphabet) for _ in range(length))


# --- the data file ----------------------------------------------------------------------------------------


def test_list_loads_through_importlib_resources_from_the_package() -> None:
    data = resources.files("camvault.passwords").joinpath("data").joinpath("common-passwords.txt")
    assert data.is_file()
    # Inside the package directory, so hatch's `packages = ["src/camvault"]` puts it in the wheel.
    package_dir = Path(camvault.passwords.__file__).resolve().parent
    assert Path(str(data)).resolve().is_relative_to(package_dir)
    lines = data.read_text(encoding="utf-8").splitlines()
    assert frozenset(lines) == common_passwords()


def test_list_is_lower_cased_unique_and_modest() -> None:
    data = resources.files("camvault.passwords").joinpath("data").joinpath("common-passwords.txt")
    raw = data.read_bytes()
    lines = raw.decode("utf-8").splitlines()
    assert len(raw) < 60_000
    assert 2_000 <= len(lines) <= 10_000
    assert len(set(lines)) == len(lines)
    assert all(line == line.lower() == line.strip() and line for line in lines)


def test_list_is_loaded_once() -> None:
    assert common_passwords() is common_passwords()


@pytest.mark.parametrize("password", SURVEILLANCE_DEFAULTS)
def test_surveillance_defaults_are_listed(password: str) -> None:
    assert password.lower() in common_passwords()
    assert is_common(password)


@pytest.mark.parametrize(
    "password",
    ["qwerty", "1qaz2wsx", "000000", "1111111111", "123456789", "2024", "1987", "summer2024", "winter23!"],
)
def test_list_families(password: str) -> None:
    assert password in common_passwords()


# --- is_common --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "PASSWORD",
        "Admin12345",
        "Admin2024!",
        "admin!!",
        "!!admin!!",
        "123admin",
        "P@ssw0rd",
        "P@ssw0rd1!",
        "Adm1n",
        "H1kv1s10n",
        "H1kv1s10n2023",
        "$ecret",
        "Summer2024!",
        "Qwerty123!",
        "Dragon99",
        "Camera@2024",
    ],
)
def test_decorated_common_passwords_are_caught(password: str) -> None:
    assert is_common(password)


def test_short_listed_words_are_not_looked_for_under_decorations() -> None:
    assert "cat" in common_passwords()
    assert is_common("CAT")
    assert not is_common("cat987")


@pytest.mark.parametrize("password", ["zebu42x", "Xk9#admin", "Tr0ub4dor&3", "quietly purple lanterns", ""])
def test_uncommon_passwords_pass(password: str) -> None:
    assert not is_common(password)


def test_strong_random_passwords_are_not_flagged() -> None:
    rng = random.Random(20260523)
    for _ in range(500):
        password = random_strong(rng)
        assert not is_common(password), password
        assert looks_trivial(password) is None, password


# --- looks_trivial ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aa", "repeated_character"),
        ("aaaaaaaa", "repeated_character"),
        ("AAAAaaaa", "repeated_character"),
        ("88888888", "repeated_character"),
        ("abababab", "repeated_pattern"),
        ("123123123", "repeated_pattern"),
        ("1212121", "repeated_pattern"),
        ("12345678", "sequence"),
        ("abcdefgh", "sequence"),
        ("ABCDEFGH", "sequence"),
        ("87654321", "sequence"),
        ("zyxwvuts", "sequence"),
        ("abcd1234", "sequence"),
        ("1234abcd", "sequence"),
        ("qwertyui", "keyboard_walk"),
        ("QWERTY", "keyboard_walk"),
        ("poiuytrewq", "keyboard_walk"),
        ("asdfghjkl", "keyboard_walk"),
        ("1qaz2wsx", "keyboard_walk"),
        ("!QAZ2wsx", "keyboard_walk"),
        ("!QAZ@WSX", "keyboard_walk"),
        ("zaq12wsx", "keyboard_walk"),
        ("qweasdzxc", "keyboard_walk"),
        ("qwerty123", "keyboard_walk"),
        ("azertyuiop", "keyboard_walk"),
        ("1234567890", "keyboard_walk"),  # 9 -> 0 is a key step, not a numeric one
        ("!@#$%^&*", "keyboard_walk"),
    ],
)
def test_trivial_structures(password: str, reason: str) -> None:
    assert reason in TRIVIAL_REASONS
    assert looks_trivial(password) == reason


@pytest.mark.parametrize(
    "password", ["", "a", "ab", "Xk9#mQ2vLp", "qwe9Lp#x", "abd", "acegikmo", "correct horse"]
)
def test_not_trivial(password: str) -> None:
    assert looks_trivial(password) is None


def test_very_long_inputs_are_bounded() -> None:
    long_walk = "qwerty" * 10_000
    assert looks_trivial(long_walk) is None  # beyond the structure bound; the length rules judge it
    assert looks_trivial("a" * 100_000) == "repeated_character"
    assert not is_common("Xk9#" * 50_000)


# --- contains_context_word --------------------------------------------------------------------------------


def test_context_words() -> None:
    assert contains_context_word("myLobbyCam!", ["lobby"])
    assert contains_context_word("myL0bbyCam!", ["Lobby"])
    assert contains_context_word("xx-NIMDA-xx", ["nimda"])
    assert contains_context_word("w@rehouse-7", ["warehouse"])


def test_context_words_ignore_short_and_absent_words() -> None:
    assert not contains_context_word("ab12CD34xy", ["ab", "x", ""])
    assert not contains_context_word("quietly purple lanterns", ["lobby", "hikvision"])
    assert not contains_context_word("anything", [])


# --- fuzz: arbitrary text never breaks the screeners ------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_screeners_accept_any_text(password: str) -> None:
    assert isinstance(is_common(password), bool)
    assert looks_trivial(password) in (None, *TRIVIAL_REASONS)
    assert isinstance(contains_context_word(password, ["admin", password[:5]]), bool)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(common_passwords())), st.sampled_from(["", "1", "123", "!", "2024!", "#1"]))
def test_every_listed_word_is_caught_in_any_case_with_a_suffix(word: str, suffix: str) -> None:
    assume(not suffix or len(word) >= 4)  # shorter cores are not looked for under a suffix
    assert is_common(word.upper() + suffix)
