"""Offline screening of passwords against common, breached and trivially guessable choices.

NIST SP 800-63B rev. 4 (§3.1.1.2) requires a verifier to compare a new password against a blocklist of
commonly used, expected or compromised values, including dictionary words, repetitive or sequential
characters and context-specific words such as the user name. This module does that offline, with no
network and no external data:

* :func:`is_common`: the password, ignoring case, is on the shipped list, or becomes a listed entry once
  simple decorations are undone: digits and symbols around a word (``Admin2024!``) and leetspeak
  (``@``→a, ``0``→o, ``1``→i or l, ``3``→e, ``$``→s, so ``P@ssw0rd1``).
* :func:`looks_trivial`: the password is structurally trivial whatever the list says: one repeated
  character, a short repeated block, an alphabetic or numeric run, or a keyboard walk.
* :func:`contains_context_word`: the password contains a word tied to its context (user name, device
  name, site, vendor).

The list (``data/common-passwords.txt``, package data, one lower-cased entry per line, about 5,000
entries) holds the perennial top passwords of public breach compilations, keyboard walks, repeated and
sequential digits, years, season and month plus year patterns, and the surveillance-specific choices:
vendor and firmware defaults (Hikvision's pre-2015 ``12345``, Dahua's ``888888``/``666666``, the default
credentials that IoT botnets try, such as ``xc3511`` and ``7ujMko0admin``) and the installer favourites
(``Admin12345``, ``hik12345``, ``dvr12345``, ``camera123``). It is read once, lazily, through
:mod:`importlib.resources`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from importlib import resources

__all__ = [
    "TRIVIAL_REASONS",
    "common_passwords",
    "contains_context_word",
    "is_common",
    "looks_trivial",
]

TRIVIAL_REASONS = ("repeated_character", "repeated_pattern", "sequence", "keyboard_walk")
"""The reason codes :func:`looks_trivial` can return."""

_DATA_PACKAGE = "camvault.passwords"
_DATA_DIRECTORY = "data"
_DATA_FILE = "common-passwords.txt"

# A word left after stripping decorations must be at least this long to count as "the common word":
# shorter cores ("cat", "abc") would flag too many legitimate passwords.
_MIN_CORE_LENGTH = 4
_MAX_PEEL = 6
_AFFIX_CHARACTERS = frozenset("0123456789!@#$%^&*?.,_-+~=")
_LEET = {"@": "a", "0": "o", "3": "e", "$": "s"}
_LEET_ONE = ("i", "l")

_MIN_CONTEXT_WORD_LENGTH = 3

# Longer passwords are not tested for structure; no real walk or run is that long.
_MAX_STRUCTURE_LENGTH = 128
_MIN_SEGMENT = 3
_MAX_PATTERN_UNIT = 4
_KEYBOARD_ROWS = (
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiop",  # QWERTZ (German) letter rows
    "yxcvbnm",
    "azertyuiop",  # AZERTY (French) letter rows
    "qsdfghjklm",
    "wxcvbn",
)
# Columns of a US keyboard, and the zig-zags between the two top rows. Walks that chain several rows or
# columns ("1qaz2wsx", "qweasdzxc") are found by splitting the password into segments.
_KEYBOARD_COLUMNS = (
    "1qaz",
    "2wsx",
    "3edc",
    "4rfv",
    "5tgb",
    "6yhn",
    "7ujm",
    "8ik,",
    "9ol.",
    "0p;/",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
)
# Shifted symbols on a US keyboard, folded back to their keys so that "!QAZ@WSX" is the walk "1qaz2wsx".
_UNSHIFT = str.maketrans('!@#$%^&*()_+{}|:"<>?~', "1234567890-=[]\\;',./`")


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common and breached passwords, lower-cased (read once)."""
    source = resources.files(_DATA_PACKAGE).joinpath(_DATA_DIRECTORY).joinpath(_DATA_FILE)
    lines = source.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())


def is_common(password: str) -> bool:
    """Tell whether a password is a common or breached one, or a lightly decorated form of one.

    Args:
        password: the candidate password.

    Returns:
        ``True`` if the password, ignoring case, with digits and symbols around it removed and/or its
        leetspeak undone, is on the shipped list.
    """
    listed = common_passwords()
    return any(candidate in listed for candidate in _candidates(password.lower()))


def looks_trivial(password: str) -> str | None:
    """Tell whether a password is structurally trivial, and why.

    Args:
        password: the candidate password.

    Returns:
        ``None`` if it is not trivial, else one reason code of :data:`TRIVIAL_REASONS`:

        * ``"repeated_character"``: one character throughout (``aaaaaaaa``);
        * ``"repeated_pattern"``: a block of 2 to 4 characters repeated (``abababab``, ``123123123``);
        * ``"sequence"``: only ascending or descending runs of 3 or more letters or digits
          (``12345678``, ``abcdefgh``, ``abcd1234``, ``98765432``);
        * ``"keyboard_walk"``: only runs of 3 or more neighbouring keys, possibly mixed with sequences
          (``qwertyui``, ``1qaz2wsx``, ``!QAZ2wsx``, ``qwerty123``).

        Passwords shorter than 3 characters are judged only for repetition; every length rule refuses
        them anyway.
    """
    text = password.lower()
    if len(text) >= 2 and len(set(text)) == 1:
        return "repeated_character"
    if len(text) < _MIN_SEGMENT or len(text) > _MAX_STRUCTURE_LENGTH:
        return None
    if _repeats_a_short_block(text):
        return "repeated_pattern"
    if _segments_into(text, _is_run):
        return "sequence"
    if _segments_into(text.translate(_UNSHIFT), _is_run_or_walk):
        return "keyboard_walk"
    return None


def contains_context_word(password: str, words: Iterable[str]) -> bool:
    """Tell whether a password contains a word tied to its context, ignoring case and leetspeak.

    Args:
        password: the candidate password.
        words: context words: the user name, the device's name, model or site, the vendor. Words shorter
            than 3 characters are ignored, as Hikvision's ``pwdIncludeUser`` rule ignores short user names.

    Returns:
        ``True`` if any word of 3 or more characters occurs in the password.
    """
    lowered = password.lower()
    haystacks = (lowered, *_leet_folds(lowered))
    for word in words:
        needle = word.strip().lower()
        if len(needle) >= _MIN_CONTEXT_WORD_LENGTH and any(needle in haystack for haystack in haystacks):
            return True
    return False


def _candidates(lowered: str) -> Iterator[str]:
    """Yield the forms of a lower-cased password that are looked up in the list."""
    for base in (lowered, *_undecorated(lowered)):
        yield base
        for folded in _leet_folds(base):
            yield folded
            core = _strip_affixes(folded)
            if len(core) >= _MIN_CORE_LENGTH:
                yield core


def _undecorated(text: str) -> Iterator[str]:
    """Yield ``text`` without some or all of the digits and symbols around its word.

    Peeling one character at a time (up to :data:`_MAX_PEEL`) keeps listed entries that themselves end
    in a digit or symbol (``admin123``, ``zlxx.``) recognisable under a further suffix.
    """
    core = _strip_affixes(text)
    if core == text:
        return
    for cut in range(1, _MAX_PEEL + 1):
        if len(text) - cut < _MIN_CORE_LENGTH or text[-cut] not in _AFFIX_CHARACTERS:
            break
        yield text[:-cut]
    for cut in range(1, _MAX_PEEL + 1):
        if len(text) - cut < _MIN_CORE_LENGTH or text[cut - 1] not in _AFFIX_CHARACTERS:
            break
        yield text[cut:]
    if len(core) >= _MIN_CORE_LENGTH:
        yield core


def _strip_affixes(text: str) -> str:
    """Remove the runs of digits and symbols before and after the word in ``text``."""
    start, end = 0, len(text)
    while start < end and text[start] in _AFFIX_CHARACTERS:
        start += 1
    while end > start and text[end - 1] in _AFFIX_CHARACTERS:
        end -= 1
    return text[start:end]


def _leet_folds(text: str) -> tuple[str, ...]:
    """Return ``text`` with leetspeak undone (two forms when it holds a ``1``: as i and as l)."""
    if not any(char in _LEET or char == "1" for char in text):
        return ()
    folded = "".join(_LEET.get(char, char) for char in text)
    if "1" not in folded:
        return (folded,)
    return tuple(folded.replace("1", letter) for letter in _LEET_ONE)


def _repeats_a_short_block(text: str) -> bool:
    longest_unit = min(_MAX_PATTERN_UNIT, len(text) // 2)
    for unit_length in range(2, longest_unit + 1):
        unit = text[:unit_length]
        repeated = unit * (len(text) // unit_length + 1)
        if repeated[: len(text)] == text:
            return True
    return False


def _segments_into(text: str, is_segment: Callable[[str], bool]) -> bool:
    """Tell whether ``text`` splits entirely into segments of 3 or more characters that pass the test."""
    reachable = [True] + [False] * len(text)
    for end in range(_MIN_SEGMENT, len(text) + 1):
        reachable[end] = any(
            reachable[start] and is_segment(text[start:end]) for start in range(end - _MIN_SEGMENT + 1)
        )
    return reachable[-1]


def _is_run(segment: str) -> bool:
    """Tell whether ``segment`` is an ascending or descending run of letters or of digits."""
    if not (segment.isascii() and (segment.isdigit() or segment.isalpha())):
        return False
    steps = {ord(after) - ord(before) for before, after in itertools.pairwise(segment)}
    return steps in ({1}, {-1})


def _is_run_or_walk(segment: str) -> bool:
    return _is_run(segment) or segment in _walk_fragments()


@functools.cache
def _walk_fragments() -> frozenset[str]:
    """Return every fragment of 3 or more neighbouring keys, in both directions."""
    fragments: set[str] = set()
    for line in _KEYBOARD_ROWS + _KEYBOARD_COLUMNS:
        for walk in (line, line[::-1]):
            for start in range(len(walk)):
                for end in range(start + _MIN_SEGMENT, len(walk) + 1):
                    fragments.add(walk[start:end])
    return frozenset(fragments)
