"""The password strength meter of Hikvision's web UI, reproduced exactly.

Hikvision firmware and its web UI rate a password with ``checkPasswordComplexity(pwd, user)``
(research notes ``hikvision.md`` §9, source WEBUTIL). The level decides what the device accepts: a
*risky* password (level 0) is refused with the ``riskPassword`` sub-status (§7.3, §9), and the login
answer flags it with ``isRiskPassword``.

The algorithm, step by step as in §9:

1. start with a score of 0;
2. a lowercase letter adds 1;
3. an uppercase letter adds 2 if the score is already above 0, else 1;
4. a digit adds 1;
5. a character outside ``[a-zA-Z0-9]`` adds 2 if the score is already above 0, else 1;
6. a length below 8, or a password equal to the user name or to the user name reversed, sets the score to 0;
7. subtract 1 if the score is above 0;
8. cap the result at 3.

Fidelity choices where the notes are silent (the original is JavaScript):

* The character classes are the ASCII ranges of the JavaScript regular expressions, so any non-ASCII
  character (and space) counts as "special".
* The length is JavaScript's ``String.length``: UTF-16 code units, so a character outside the Basic
  Multilingual Plane counts twice. For the printable-ASCII passwords devices accept this equals ``len()``.
* The user-name comparisons are exact and case-sensitive (JavaScript ``==`` on strings); the
  case-insensitive "contains the user name" rule is a separate web-UI check, see
  :class:`camvault.passwords.policy.PasswordPolicy`.
"""

from __future__ import annotations

from enum import IntEnum

from camvault.passwords._charclasses import DIGIT, LOWER, SPECIAL, UPPER, classes_in

__all__ = ["StrengthLevel", "hikvision_strength"]

_MIN_LENGTH = 8


class StrengthLevel(IntEnum):
    """The four levels of Hikvision's strength meter, ordered from worst to best.

    The names are those of the UI strings (§9 marks the name-to-number mapping as read from the code).
    """

    RISKY = 0
    WEAK = 1
    MEDIUM = 2
    STRONG = 3

    @property
    def label(self) -> str:
        """The level's name as shown to a user: ``"risky"``, ``"weak"``, ``"medium"`` or ``"strong"``."""
        return self.name.lower()


def hikvision_strength(password: str, username: str) -> StrengthLevel:
    """Rate a password exactly as Hikvision's web UI ``checkPasswordComplexity`` does (§9).

    Args:
        password: the candidate password.
        username: the account it is for.

    Returns:
        The strength level; :attr:`StrengthLevel.RISKY` for passwords the device refuses.
    """
    present = classes_in(password)
    score = 0
    if LOWER in present:
        score += 1
    if UPPER in present:
        score += 2 if score > 0 else 1
    if DIGIT in present:
        score += 1
    if SPECIAL in present:
        score += 2 if score > 0 else 1
    if _js_length(password) < _MIN_LENGTH or password in (username, username[::-1]):
        score = 0
    if score > 0:
        score -= 1
    return StrengthLevel(min(score, StrengthLevel.STRONG))


def _js_length(text: str) -> int:
    """Return JavaScript's ``String.length`` of ``text``: its number of UTF-16 code units."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2
