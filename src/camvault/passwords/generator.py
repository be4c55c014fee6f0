r"""Random passwords that a given kind of device accepts and that survive the places they get copied to.

A :class:`PasswordProfile` says how long a password is, which characters it draws from, which kinds of
character it must contain, and the :class:`~camvault.passwords.policy.PasswordPolicy` it must pass.
:func:`generate` draws each character uniformly from the profile's alphabet with
:class:`secrets.SystemRandom`, forces one character of each required group into positions chosen at
random (so no group favours any position), and draws again, a bounded number of times, until the result
passes the policy (which for every shipped profile also screens out common passwords and the user name).

URL safety. NVRs and video-management systems embed camera passwords in RTSP URLs
(``rtsp://admin:<password>@camera/...``), devices carry them in XML, and installers paste them into shell
commands. A *url-safe* alphabet therefore keeps only the symbols an RFC 3986 user-info may carry
literally (the unreserved ``-._~`` and the sub-delimiters ``!$&'()*+,;=``), minus XML's ``&`` and ``'`` and
the ``$`` and ``!`` a double-quoted shell word still expands. What is left, :data:`URL_SAFE_SYMBOLS`, is
``()*+,-.;=_~``: in particular none of ``: @ / ? # [ ] % & < > " ' \``, the backquote, nor space.
"""

from __future__ import annotations

import math
import random
import secrets
import string
from dataclasses import dataclass, field, replace

from camvault.errors import ConfigurationError
from camvault.passwords._charclasses import CLASS_NAMES, DIGIT, LOWER, SPECIAL, UPPER
from camvault.passwords.policy import HIKVISION_DEVICE, NIST_SP800_63B, ONVIF_DEVICE, PasswordPolicy
from camvault.passwords.strength import StrengthLevel

__all__ = [
    "AMBIGUOUS_CHARACTERS",
    "HIKVISION",
    "NIST",
    "ONVIF",
    "STANDARD_GROUPS",
    "URL_SAFE",
    "URL_SAFE_SYMBOLS",
    "CharacterGroup",
    "PasswordProfile",
    "entropy_bits",
    "generate",
    "profile_for",
]

URL_SAFE_SYMBOLS = "()*+,-.;=_~"
"""The symbols a url-safe profile may use (see the module docstring for the rule)."""

AMBIGUOUS_CHARACTERS = "O0Il1"
"""Characters easily confused when read from a screen or paper, left out on request."""

_URL_SAFE_CHARACTERS = frozenset(string.ascii_letters + string.digits + URL_SAFE_SYMBOLS)
_MAX_TRIES = 100


@dataclass(frozen=True)
class CharacterGroup:
    """A named set of characters a profile draws from.

    Attributes:
        name: the kind of character, ``"lower"``, ``"upper"``, ``"digit"`` or ``"special"``.
        characters: the characters of the group before the profile's url-safe and ambiguity filters.
    """

    name: str
    characters: str


STANDARD_GROUPS = (
    CharacterGroup(LOWER, string.ascii_lowercase),
    CharacterGroup(UPPER, string.ascii_uppercase),
    CharacterGroup(DIGIT, string.digits),
    CharacterGroup(SPECIAL, string.punctuation),
)
"""Lowercase and uppercase ASCII letters, digits, and the 32 ASCII symbols (never the space)."""


@dataclass(frozen=True)
class PasswordProfile:
    """How to generate passwords for one kind of device or use.

    Attributes:
        name: short identifier (``"hikvision"``).
        length: the number of characters of every generated password.
        policy: the policy every generated password passes.
        groups: the character groups drawn from.
        required_groups: names of the groups of which every password holds at least one character.
        url_safe: draw only characters that survive an RTSP/HTTP URL user-info, an XML document and a
            quoted shell word unescaped (letters, digits and :data:`URL_SAFE_SYMBOLS`).
        exclude_ambiguous: leave out :data:`AMBIGUOUS_CHARACTERS`.
    """

    name: str
    length: int
    policy: PasswordPolicy
    groups: tuple[CharacterGroup, ...] = STANDARD_GROUPS
    required_groups: frozenset[str] = field(default_factory=lambda: frozenset(CLASS_NAMES))
    url_safe: bool = True
    exclude_ambiguous: bool = False

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise ConfigurationError(f"password profile {self.name!r}: {problem}")

    def usable_groups(self) -> tuple[CharacterGroup, ...]:
        """Return the groups after the url-safe and ambiguity filters (groups left empty are dropped)."""
        usable = (CharacterGroup(group.name, self._filter(group.characters)) for group in self.groups)
        return tuple(group for group in usable if group.characters)

    @property
    def alphabet(self) -> str:
        """Every character a password of this profile may contain, sorted, without repeats."""
        return "".join(sorted({char for group in self.usable_groups() for char in group.characters}))

    def _filter(self, characters: str) -> str:
        kept = (char for char in characters if not (self.exclude_ambiguous and char in AMBIGUOUS_CHARACTERS))
        if self.url_safe:
            kept = (char for char in kept if char in _URL_SAFE_CHARACTERS)
        return "".join(dict.fromkeys(kept))

    def _problem(self) -> str | None:
        names = [group.name for group in self.groups]
        usable = {group.name for group in self.usable_groups()}
        alphabet = self.alphabet
        if len(set(names)) != len(names):
            return "group names repeat"
        if not self.required_groups <= usable:
            return "a required group is unknown or has no usable character"
        if not len(self.required_groups) <= self.length:
            return "the length is shorter than the number of required groups"
        if not self.policy.min_length <= self.length <= self.policy.max_length:
            return f"the length is outside the bounds of policy {self.policy.name!r}"
        if len(alphabet) < 2 or not all(self.policy.accepts_character(char) for char in alphabet):
            return f"the alphabet is too small or not allowed by policy {self.policy.name!r}"
        return None


def generate(profile: PasswordProfile, *, username: str = "admin", rng: random.Random | None = None) -> str:
    """Generate a random password for a profile.

    Args:
        profile: what to generate.
        username: the account the password is for; the password never contains it.
        rng: the source of randomness; :class:`secrets.SystemRandom` unless a test injects a seeded one.

    Returns:
        A password of exactly ``profile.length`` characters of ``profile.alphabet``, with one character
        or more of each required group, that passes ``profile.policy``.

    Raises:
        ConfigurationError: no draw passed the policy within the bounded number of tries (the profile
            cannot satisfy its policy for this user name).
    """
    chooser = rng if rng is not None else secrets.SystemRandom()
    for _ in range(_MAX_TRIES):
        candidate = _draw(profile, chooser)
        if not profile.policy.violations(candidate, username):
            return candidate
    raise ConfigurationError(
        f"password profile {profile.name!r} produced nothing that passes policy {profile.policy.name!r} "
        f"in {_MAX_TRIES} tries"
    )


def entropy_bits(profile: PasswordProfile) -> float:
    """Return a lower bound, in bits, on the min-entropy of the passwords a profile generates.

    Each forced character contributes ``log2`` of its group's size and every other character ``log2`` of
    the alphabet's size; the random placement only adds to that. Redrawing the rare candidates the policy
    refuses lowers it by ``log2(1 / acceptance rate)``, a small fraction of a bit, which is ignored.
    """
    groups = {group.name: group for group in profile.usable_groups()}
    forced = sum(math.log2(len(groups[name].characters)) for name in profile.required_groups)
    free = (profile.length - len(profile.required_groups)) * math.log2(len(profile.alphabet))
    return forced + free


def profile_for(name: str) -> PasswordProfile:
    """Return the shipped profile with a name: ``"hikvision"``, ``"onvif"``, ``"url-safe"`` or ``"nist"``.

    Raises:
        ConfigurationError: no profile has that name.
    """
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigurationError(f"no password profile named {name!r}; known: {known}") from None


def _draw(profile: PasswordProfile, rng: random.Random) -> str:
    alphabet = profile.alphabet
    characters = [rng.choice(alphabet) for _ in range(profile.length)]
    required = [group for group in profile.usable_groups() if group.name in profile.required_groups]
    positions = rng.sample(range(profile.length), len(required))
    for position, group in zip(positions, required, strict=True):
        characters[position] = rng.choice(group.characters)
    return "".join(characters)


HIKVISION = PasswordProfile(
    name="hikvision",
    length=16,
    policy=replace(
        HIKVISION_DEVICE,
        name="hikvision-generated",
        forbid_common=True,
        min_hikvision_level=StrengthLevel.STRONG,
        required_classes=4,
    ),
    exclude_ambiguous=True,
)
"""Hikvision accounts: 16 characters (the firmware maximum), all four kinds, rated strong, url-safe.

Url-safe because NVRs and VMSs embed camera passwords in RTSP URLs; the url-safe symbols also satisfy the
NVR's ``IPCActivatePasswd`` character set (no ``"`` nor ``:``), so the same password can activate cameras.
Ambiguous characters are left out because these passwords are also typed on an NVR's local screen with
its on-screen keyboard.
"""

ONVIF = PasswordProfile(
    name="onvif",
    length=24,
    policy=replace(
        ONVIF_DEVICE, name="onvif-generated", forbid_username=True, forbid_common=True, required_classes=4
    ),
)
"""Generic ONVIF devices: 24 url-safe characters of all four kinds.

Short enough for any device that supports the 28 bytes ONVIF recommends (``onvif.md`` §1.3).
"""

URL_SAFE = PasswordProfile(
    name="url-safe",
    length=20,
    policy=replace(
        NIST_SP800_63B,
        name="url-safe-generated",
        allowed=_URL_SAFE_CHARACTERS,
        allow_unicode=False,
        required_classes=4,
    ),
)
"""Any system that stores the password in a URL, XML or script: 20 url-safe characters of all four kinds."""

NIST = PasswordProfile(
    name="nist",
    length=20,
    policy=NIST_SP800_63B,
    required_groups=frozenset(),
    url_safe=False,
)
"""Systems that verify per NIST SP 800-63B-4: 20 characters from all 94 printable ASCII symbols, letters
and digits, no composition rule (NIST forbids them), screened against the blocklist."""

_BY_NAME = {profile.name: profile for profile in (HIKVISION, ONVIF, URL_SAFE, NIST)}
