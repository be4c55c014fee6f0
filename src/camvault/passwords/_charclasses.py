"""The four character classes every vendor rule counts: ASCII lowercase, ASCII uppercase, digit, special.

The ranges are ASCII on purpose: Hikvision's web UI tests ``[a-z]``, ``[A-Z]`` and ``[0-9]`` (research notes
``hikvision.md`` §9), so anything else, space and non-ASCII letters included, is "special".
"""

from __future__ import annotations

import string

LOWER = "lower"
UPPER = "upper"
DIGIT = "digit"
SPECIAL = "special"

CLASS_NAMES = (LOWER, UPPER, DIGIT, SPECIAL)


def class_of(char: str) -> str:
    """Return the class name of one character."""
    if char in string.ascii_lowercase:
        return LOWER
    if char in string.ascii_uppercase:
        return UPPER
    if char in string.digits:
        return DIGIT
    return SPECIAL


def classes_in(text: str) -> frozenset[str]:
    """Return the names of the classes that occur in ``text``."""
    return frozenset(class_of(char) for char in text)
