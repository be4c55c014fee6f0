"""Password policies: the rules a vendor's firmware enforces, and current NIST guidance.

A :class:`PasswordPolicy` is a small frozen value. The emulated device checks every new password with
its vendor's policy, exactly as the firmware would; the fleet tool audits stored credentials against a
stricter one (``"short by current NIST guidance"``) and generates passwords that pass both.

:meth:`PasswordPolicy.check` raises :class:`~camvault.errors.PasswordRejected` with a stable reason code:

=========================  =======================================================================
reason                     meaning
=========================  =======================================================================
``empty``                  no password at all
``disallowed_character``   a character outside the policy's allowed set
``too_short``              fewer than ``min_length`` characters
``too_long``               more than ``max_length`` characters
``contains_username``      contains the user name (3 characters or more), ignoring case
``too_few_classes``        fewer kinds of character (lowercase, uppercase, digit, special) than required
``risky``                  rated "risky" by Hikvision's strength meter while a higher level is required
``weak``                   rated above "risky" but below the level required
``common``                 a common, breached or trivially guessable password, or one holding a
                           context word
=========================  =======================================================================

Lengths count characters (Unicode code points, as NIST prescribes); for the printable-ASCII sets the
devices take, that is also their byte count. Messages name the rule and the policy, never the password
nor any character of it.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from camvault.errors import ConfigurationError, PasswordRejected
from camvault.passwords._charclasses import CLASS_NAMES, DIGIT, LOWER, SPECIAL, UPPER, classes_in
from camvault.passwords.screening import contains_context_word, is_common, looks_trivial
from camvault.passwords.strength import StrengthLevel, hikvision_strength

__all__ = [
    "HIKVISION_DEVICE",
    "HIKVISION_IPC_ACTIVATION",
    "NIST_SP800_63B",
    "ONVIF_DEVICE",
    "REASONS",
    "PasswordPolicy",
    "policy_for",
]

REASONS = (
    "empty",
    "disallowed_character",
    "too_short",
    "too_long",
    "contains_username",
    "too_few_classes",
    "risky",
    "weak",
    "common",
)
"""Every reason code :meth:`PasswordPolicy.check` can raise, in the order the rules are tested."""

_MIN_USERNAME_LENGTH = 3
_PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))
_CLASS_WORDS = {LOWER: "lowercase letters", UPPER: "uppercase letters", DIGIT: "digits", SPECIAL: "symbols"}
# The strength levels as a sentence, and the number of kinds of character that guarantees the level.
_LEVEL_RULES = {
    StrengthLevel.WEAK: (
        2,
        "must mix at least two kinds of characters (lowercase letters, uppercase letters, digits, symbols)",
    ),
    StrengthLevel.MEDIUM: (
        3,
        "must mix lowercase and uppercase letters, or add a symbol, or use three kinds of characters",
    ),
    StrengthLevel.STRONG: (
        3,
        "must mix at least three kinds of characters (lowercase letters, uppercase letters, digits, symbols)",
    ),
}
_NOT_REVERSED_USERNAME = "must not be the user name spelled backwards"


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a password must satisfy on one kind of device or under one guideline.

    Attributes:
        name: short identifier, used in messages (``"hikvision"``).
        min_length: fewest characters accepted (at least 1).
        max_length: most characters accepted.
        forbid_username: refuse a password that contains the user name, ignoring case, when the user name
            has 3 or more characters (Hikvision web UI message ``pwdIncludeUser``, research notes
            ``hikvision.md`` §7.3).
        min_hikvision_level: lowest level of :func:`~camvault.passwords.strength.hikvision_strength`
            accepted, or ``None`` for no strength rule.
        forbid_common: refuse common and breached passwords, trivial ones (repeats, runs, keyboard
            walks) and those holding a context word (see :mod:`camvault.passwords.screening`).
        allowed: the characters accepted, or ``None`` for printable ASCII (0x20 to 0x7E).
        required_classes: how many of the four kinds of character (lowercase, uppercase, digit, special)
            must occur, 0 to 4.
        allow_unicode: with ``allowed`` left ``None``, also accept printable non-ASCII characters (letters,
            marks, symbols; not control characters nor separators other than the space), as NIST asks.
        fixed_username: the account the policy is bound to, used by the user-name rules instead of the
            caller's ``username`` (an NVR's ``IPCActivatePasswd`` always becomes the cameras' ``admin``
            password).
    """

    name: str
    min_length: int
    max_length: int
    forbid_username: bool = False
    min_hikvision_level: StrengthLevel | None = None
    forbid_common: bool = False
    allowed: frozenset[str] | None = None
    required_classes: int = 0
    allow_unicode: bool = False
    fixed_username: str | None = None

    def __post_init__(self) -> None:
        if self.min_length < 1 or self.max_length < self.min_length:
            raise ConfigurationError(
                f"password policy {self.name!r}: lengths must satisfy 1 <= min_length <= max_length"
            )
        if not 0 <= self.required_classes <= len(CLASS_NAMES):
            raise ConfigurationError(f"password policy {self.name!r}: required_classes must be 0 to 4")
        if self.allowed is not None and (not self.allowed or any(len(char) != 1 for char in self.allowed)):
            raise ConfigurationError(f"password policy {self.name!r}: allowed must hold single characters")

    def check(self, password: str, username: str, *, context_words: Iterable[str] = ()) -> None:
        """Accept a password or say which rule it breaks first.

        Args:
            password: the candidate password.
            username: the account it is for.
            context_words: further words the password must not contain when ``forbid_common`` is on
                (device name, site, vendor).

        Raises:
            PasswordRejected: the password breaks a rule; ``reason`` is one of :data:`REASONS`.
        """
        for reason, message in self._breaches(password, username, tuple(context_words)):
            raise PasswordRejected(reason, message)

    def violations(
        self, password: str, username: str, *, context_words: Iterable[str] = ()
    ) -> tuple[str, ...]:
        """Return the reason codes of every rule a password breaks, in test order (empty if none).

        An audit wants all findings at once, where :meth:`check` stops at the first.
        """
        return tuple(reason for reason, _ in self._breaches(password, username, tuple(context_words)))

    def accepts_character(self, char: str) -> bool:
        """Tell whether one character may appear in a password under this policy."""
        if self.allowed is not None:
            return char in self.allowed
        if char in _PRINTABLE_ASCII:
            return True
        return self.allow_unicode and not char.isascii() and char.isprintable()

    def rules_text(self) -> list[str]:
        """Describe the rules as short sentences for a web page or a report, most basic first."""
        rules = [f"{self.min_length} to {self.max_length} characters", self._characters_text()]
        if self.forbid_username:
            rules.append(
                f'must not contain "{self.fixed_username}"'
                if self.fixed_username
                else "must not contain the user name"
            )
        if self.required_classes:
            rules.append(_classes_text(self.required_classes))
        rules.extend(self._level_text())
        if self.forbid_common:
            rules.append(
                "must not be a common, breached or easily guessed password "
                "(such as 12345678, qwerty or Admin12345)"
            )
        return rules

    def _breaches(
        self, password: str, username: str, context_words: tuple[str, ...]
    ) -> Iterator[tuple[str, str]]:
        """Yield ``(reason, message)`` for each broken rule, in the order of :data:`REASONS`."""
        policy = f"(policy {self.name})"
        if not password:
            yield "empty", f"a password is required {policy}"
            return
        account = self.fixed_username if self.fixed_username is not None else username
        if not all(self.accepts_character(char) for char in password):
            yield "disallowed_character", f"the password contains a character that is not allowed {policy}"
        if len(password) < self.min_length:
            yield "too_short", f"the password must have at least {self.min_length} characters {policy}"
        if len(password) > self.max_length:
            yield "too_long", f"the password must have at most {self.max_length} characters {policy}"
        if self.forbid_username and _contains_username(password, account):
            yield "contains_username", f"the password must not contain the user name {policy}"
        if len(classes_in(password)) < self.required_classes:
            yield (
                "too_few_classes",
                f"the password must mix {self.required_classes} kinds of characters {policy}",
            )
        if self.min_hikvision_level is not None:
            level = hikvision_strength(password, account)
            if level < self.min_hikvision_level:
                reason = "risky" if level is StrengthLevel.RISKY else "weak"
                required = self.min_hikvision_level.label
                yield reason, f"the password is rated {level.label}, {required} is required {policy}"
        if self.forbid_common and _is_guessable(password, account, context_words):
            yield "common", f"the password is common or easily guessed {policy}"

    def _level_text(self) -> list[str]:
        level = self.min_hikvision_level
        if level is None or level not in _LEVEL_RULES:
            return []
        classes_needed, sentence = _LEVEL_RULES[level]
        rules = [] if self.required_classes >= classes_needed else [sentence]
        fixed = self.fixed_username
        if fixed is None or len(fixed) >= self.min_length:
            rules.append(_NOT_REVERSED_USERNAME)
        return rules

    def _characters_text(self) -> str:
        if self.allowed is None:
            if self.allow_unicode:
                return "any printable characters, including spaces and non-ASCII letters"
            return "letters, digits, space and the symbols of an English keyboard (printable ASCII)"
        symbols = "".join(sorted(char for char in self.allowed if char in string.punctuation))
        space = ", space" if " " in self.allowed else ""
        return f"letters, digits{space} and these symbols: {symbols}"


def _contains_username(password: str, username: str) -> bool:
    return len(username) >= _MIN_USERNAME_LENGTH and username.lower() in password.lower()


def _is_guessable(password: str, username: str, context_words: tuple[str, ...]) -> bool:
    return (
        is_common(password)
        or looks_trivial(password) is not None
        or contains_context_word(password, (username, *context_words))
    )


def _classes_text(count: int) -> str:
    words = [_CLASS_WORDS[name] for name in CLASS_NAMES]
    if count == len(words):
        return f"must contain {', '.join(words[:-1])} and {words[-1]}"
    return f"must contain at least {count} of: {', '.join(words)}"


HIKVISION_DEVICE = PasswordPolicy(
    name="hikvision",
    min_length=8,
    max_length=16,
    forbid_username=True,
    min_hikvision_level=StrengthLevel.WEAK,
)
"""What current Hikvision firmware enforces on account passwords.

8 to 16 characters (``SecurityLimits/LoginPasswordLenLimit min="8" max="16"``, the 16-byte SDK buffer,
``hikvision.md`` §9); not containing the user name (``pwdIncludeUser``, §7.3); not rated risky by
``checkPasswordComplexity`` (the device answers ``riskPassword``, §7.3 and §9). The character set is not in
the notes; we take printable ASCII, which the 16-byte buffer and the web UI's encryption (§7.2) suggest [I].
No screening against common passwords: the firmware does none.
"""

# §7.3's IPCActivatePasswd regex admits [0-9A-Za-z], these symbols (no '"' and no ':'), '*' and JavaScript's
# \s. Of \s we keep only the space: the cameras that receive the password take printable ASCII [I].
_IPC_ACTIVATION_CHARACTERS = frozenset(
    string.ascii_letters + string.digits + "!#$%&'()*+,-./;<=>?@\\[]^_`{|}~ "
)

HIKVISION_IPC_ACTIVATION = PasswordPolicy(
    name="hikvision-ipc-activation",
    min_length=8,
    max_length=16,
    forbid_username=True,
    min_hikvision_level=StrengthLevel.WEAK,
    allowed=_IPC_ACTIVATION_CHARACTERS,
    required_classes=2,
    fixed_username="admin",
)
"""The rule an NVR's web UI applies to ``IPCActivatePasswd``, the password it activates cameras with (§7.3).

Length 8 to 16; must not contain ``admin`` (the cameras' account, hence ``fixed_username``); the regex's
character set (no Chinese characters, no ``"`` nor ``:``); not only digits, only lowercase or only
uppercase. §7.3 applies these *in addition to* the activation checks (``checkPasswordComplexity`` non-zero),
and together they amount to "at least two kinds of character", which ``required_classes=2`` states.
"""

ONVIF_DEVICE = PasswordPolicy(name="onvif", min_length=1, max_length=64)
"""A generic ONVIF camera: 1 to 64 printable ASCII characters, nothing else.

ONVIF Core sets no minimum length or composition (research notes ``onvif.md`` §1.3, §1.5): a device may
refuse an empty password with ``ter:PasswordTooWeak``, hence 1. The maximum is device-reported
(``MaxPasswordLength``); the spec recommends supporting at least 28 bytes, and 64 is the value typical
firmware reports [I]. Complexity rules exist only when a device implements the optional
``PasswordComplexityConfiguration``, so none are assumed.
"""

NIST_SP800_63B = PasswordPolicy(
    name="nist",
    min_length=15,
    max_length=64,
    forbid_username=True,
    forbid_common=True,
    allow_unicode=True,
)
"""Current NIST guidance: NIST SP 800-63B-4 (Digital Identity Guidelines, August 2025), §3.1.1.2.

A password used as a single authentication factor (as every device password is) SHALL have at least 15
characters; verifiers SHOULD permit at least 64 (we stop at 64, the smallest compliant bound), SHOULD
accept printable ASCII, space and Unicode, SHALL NOT impose composition rules, and SHALL compare new
passwords against a blocklist of common, expected or compromised values and context-specific words such
as the user name. The fleet audit uses it to flag passwords "short by current NIST guidance".
"""

_BY_VENDOR = {"hikvision": HIKVISION_DEVICE, "onvif": ONVIF_DEVICE, "nist": NIST_SP800_63B}


def policy_for(vendor: str) -> PasswordPolicy:
    """Return the policy registered under a name: ``"hikvision"``, ``"onvif"`` or ``"nist"`` (any case).

    Raises:
        ConfigurationError: no policy has that name.
    """
    try:
        return _BY_VENDOR[vendor.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(_BY_VENDOR))
        raise ConfigurationError(f"no password policy named {vendor!r}; known: {known}") from None
