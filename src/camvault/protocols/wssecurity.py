"""WS-Security UsernameToken as ONVIF uses it, for both the client and the device (sans-I/O).

``PasswordDigest = Base64(SHA1(Base64Decode(Nonce) + Created + Password))`` where ``Created`` is hashed
*exactly as sent* (research ``onvif.md`` §1.6). Clients disagree on how they write ``Created``: zeep sends
``2026-11-25T01:34:50+00:00``, onveef ``2026-11-25T01:34:50.000Z``, others plain ``Z``; the token keeps the
verbatim text for hashing and :func:`parse_created` reads every form for the freshness check.

ONVIF Core says a server "shall reject any Username Token not using both nonce and creation timestamps",
but zeep's *PasswordText* token (onvif-zeep-async ``encrypt=False``, Frigate ``tls_insecure``) carries
neither, so :func:`verify_username_token` accepts a bare text token unless told not to (``accept_text``) and
checks nonce and timestamp whenever they are present. A digest token without both is ``MALFORMED``.

The freshness window is not specified by ONVIF (IPyCam uses ±300 s; ``onvif.md`` §1.6): the caller picks it.
A token whose ``Created`` lies outside ``now ± window`` is ``STALE``, the clock-skew failure mode that Home
Assistant users meet after a camera loses its time. Nonces are remembered in a bounded :class:`NonceCache`,
and only after the password checked out, so that unauthenticated traffic cannot flush it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Final
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml
from camvault.protocols.soap import WSSE_NS, WSU_NS, Envelope
from camvault.protocols.xml import Node

__all__ = [
    "BASE64_ENCODING_TYPE",
    "PASSWORD_DIGEST_TYPE",
    "PASSWORD_TEXT_TYPE",
    "NonceCache",
    "PasswordType",
    "TokenCheck",
    "UsernameToken",
    "build_username_token",
    "format_created",
    "parse_created",
    "parse_username_token",
    "password_digest",
    "verify_username_token",
]

_PROFILE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_DIGEST_TYPE: Final = f"{_PROFILE}#PasswordDigest"
PASSWORD_TEXT_TYPE: Final = f"{_PROFILE}#PasswordText"
BASE64_ENCODING_TYPE: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

_NONCE_BYTES = 16
_MAX_NONCE_BYTES = 128
_MAX_PASSWORD_CHARS = 1024
_CREATED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)


class PasswordType(Enum):
    """How the token carries the password."""

    DIGEST = "Digest"
    TEXT = "Text"


@dataclass(frozen=True, slots=True)
class UsernameToken:
    """A UsernameToken as received.

    Attributes:
        username: the user name.
        password: the digest (Base64) or, for ``TEXT``, the password itself. Never in the repr.
        password_type: digest or text.
        nonce: the Base64 nonce text as sent, if any. Never in the repr.
        created: the ``wsu:Created`` text exactly as sent, if any (the digest hashes this very text).
    """

    username: str
    password: str = field(repr=False)
    password_type: PasswordType
    nonce: str | None = field(default=None, repr=False)
    created: str | None = None


class TokenCheck(Enum):
    """The outcome of :func:`verify_username_token`; everything but ``OK`` means ``ter:NotAuthorized``."""

    OK = "ok"
    BAD_PASSWORD = "bad_password"  # noqa: S105 - an outcome name, not a password
    STALE = "stale"
    REPLAYED = "replayed"
    MALFORMED = "malformed"
    TEXT_REFUSED = "text_refused"


class NonceCache:
    """Nonces already accepted, bounded in size and age, to refuse replayed tokens.

    Only a digest of each nonce is kept. An entry must outlive every token that could still carry it: a
    token is fresh while ``|now - Created| <= window``, so ``max_age`` must be at least twice the window
    (:func:`verify_username_token` refuses a smaller cache). When more than ``max_entries`` fresh nonces
    arrive within ``max_age``, the oldest are forgotten first; since only tokens with the right password are
    recorded, only a credential holder can push entries out.
    """

    def __init__(self, *, max_entries: int = 10_000, max_age: timedelta = timedelta(minutes=10)) -> None:
        """Create an empty cache.

        Args:
            max_entries: the most nonces remembered at once.
            max_age: how long a nonce is remembered after it was first accepted.
        """
        if max_entries < 1 or max_age <= timedelta(0):
            raise ValueError("a nonce cache needs room for one entry and a positive age")
        self.max_entries = max_entries
        self.max_age = max_age
        self._seen: OrderedDict[bytes, datetime] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def __repr__(self) -> str:
        return (
            f"NonceCache(entries={len(self._seen)}, max_entries={self.max_entries}, max_age={self.max_age})"
        )

    def __contains__(self, nonce: object) -> bool:
        return isinstance(nonce, bytes) and _nonce_key(nonce) in self._seen

    def remember(self, nonce: bytes, *, now: datetime) -> bool:
        """Record a nonce; return ``False`` if it is still remembered from an earlier message.

        Args:
            nonce: the decoded nonce bytes.
            now: the current time (timezone-aware), used for expiry.
        """
        self._expire(now)
        key = _nonce_key(nonce)
        if key in self._seen:
            return False
        self._seen[key] = now
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: datetime) -> None:
        horizon = now - self.max_age
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest >= horizon:
                break
            self._seen.popitem(last=False)


def _nonce_key(nonce: bytes) -> bytes:
    return hashlib.sha256(nonce).digest()


def password_digest(nonce_b64: str, created: str, password: str) -> str:
    """Compute the UsernameToken ``PasswordDigest``.

    Args:
        nonce_b64: the nonce as it appears in ``wsse:Nonce`` (Base64).
        created: the ``wsu:Created`` text exactly as sent.
        password: the plain password.

    Raises:
        InvalidContent: the nonce is not valid Base64.
    """
    nonce = _decode_nonce(nonce_b64)
    # SHA-1 is what the UsernameToken profile mandates; no choice here.
    sha = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8"))  # noqa: S324
    return base64.b64encode(sha.digest()).decode("ascii")


def _decode_nonce(nonce_b64: str) -> bytes:
    try:
        nonce = base64.b64decode(nonce_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent("<Nonce> is not valid Base64", field="Nonce") from None
    if not nonce or len(nonce) > _MAX_NONCE_BYTES:
        raise InvalidContent(f"<Nonce> must hold 1 to {_MAX_NONCE_BYTES} bytes", field="Nonce")
    return nonce


def parse_created(text: str) -> datetime:
    """Read a ``wsu:Created`` timestamp in any form clients send, as an aware UTC datetime.

    Accepts ``2026-11-25T01:34:50+00:00`` (zeep), ``2026-11-25T01:34:50.000Z`` (onveef), plain ``Z`` and other
    offsets. A timestamp without any offset is taken as UTC (xsd:dateTime leaves it undefined; WS-Security
    mandates UTC, so that is what such a client most likely meant; an inference).

    Raises:
        InvalidContent: the text is not such a timestamp.
    """
    match = _CREATED.fullmatch(text.strip())
    if match is None:
        raise InvalidContent("<Created> is not an xsd:dateTime", field="Created")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=_offset(offset),
        )
    except ValueError:
        raise InvalidContent("<Created> is not a valid date and time", field="Created") from None
    return moment.astimezone(UTC)


def _offset(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def format_created(moment: datetime) -> str:
    """Write a ``wsu:Created`` value the way WS-Security recommends: UTC, whole seconds, ``Z``.

    Raises:
        ValueError: ``moment`` is naive (a programming error).
    """
    if moment.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_username_token(envelope: Envelope) -> UsernameToken | None:
    """Find and read the ``wsse:Security/wsse:UsernameToken`` header of a parsed envelope.

    Returns:
        The token, or ``None`` if the envelope carries no Security header or no UsernameToken in it.

    Raises:
        InvalidContent: a UsernameToken is present but lacks ``Username`` or ``Password``, or names an
            unknown password ``Type``.
    """
    security = next(
        (block for block in envelope.header_blocks if xml.local_name(block.tag) == "Security"), None
    )
    token = xml.child(security, "UsernameToken") if security is not None else None
    if token is None:
        return None
    username = xml.text(token, "Username", max_length=256)
    password_element = xml.child(token, "Password")
    if password_element is None:
        raise InvalidContent("<UsernameToken/Password> is missing", field="Password")
    password_type = _password_type(password_element)
    password = password_element.text or ""
    if len(password) > _MAX_PASSWORD_CHARS:
        raise InvalidContent(f"<Password> is longer than {_MAX_PASSWORD_CHARS} characters", field="Password")
    return UsernameToken(
        username=username,
        # A text password is taken verbatim (spaces are legal in it); a digest is Base64, so trim it.
        password=password.strip() if password_type is PasswordType.DIGEST else password,
        password_type=password_type,
        nonce=xml.optional_text(token, "Nonce", max_length=256),
        created=xml.optional_text(token, "Created", max_length=64),
    )


def _password_type(password: Element) -> PasswordType:
    declared = password.get("Type")
    if declared is None:
        return PasswordType.TEXT  # the WSS default
    # Full URI from conforming clients; "wsse:PasswordDigest" or a bare name from sloppier ones.
    suffix = re.split(r"[#:]", declared.strip())[-1]
    if suffix == "PasswordDigest":
        return PasswordType.DIGEST
    if suffix == "PasswordText":
        return PasswordType.TEXT
    raise InvalidContent("<Password> has an unknown Type", field="Password")


def verify_username_token(
    token: UsernameToken,
    password: str,
    *,
    now: datetime,
    window: timedelta,
    seen_nonces: NonceCache,
    accept_text: bool = True,
) -> TokenCheck:
    """Check a received token against the stored password, the clock, and earlier nonces.

    Checks run in this order: form (``MALFORMED``), plaintext policy (``TEXT_REFUSED``), freshness
    (``STALE``), password (``BAD_PASSWORD``, constant-time), replay (``REPLAYED``). The nonce is recorded
    only when everything else passed.

    Args:
        token: the token from :func:`parse_username_token`.
        password: the account's password.
        now: the device's current time (timezone-aware).
        window: how far ``Created`` may lie from ``now``, in either direction.
        seen_nonces: the cache of accepted nonces; updated on success.
        accept_text: whether PasswordText tokens are acceptable at all.

    Raises:
        ValueError: ``now`` is naive, or ``seen_nonces`` forgets sooner than twice ``window``
            (programming errors).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if seen_nonces.max_age < 2 * window:
        raise ValueError("the nonce cache must remember nonces for at least twice the freshness window")
    try:
        nonce = _decode_nonce(token.nonce) if token.nonce is not None else None
        created = parse_created(token.created) if token.created is not None else None
    except InvalidContent:
        return TokenCheck.MALFORMED
    if token.password_type is PasswordType.DIGEST:
        if token.nonce is None or token.created is None:
            return TokenCheck.MALFORMED
        expected = password_digest(token.nonce, token.created, password)
    elif accept_text:
        expected = password
    else:
        return TokenCheck.TEXT_REFUSED
    if created is not None and abs(now - created) > window:
        return TokenCheck.STALE
    if not hmac.compare_digest(expected.encode("utf-8"), token.password.encode("utf-8")):
        return TokenCheck.BAD_PASSWORD
    if nonce is not None and not seen_nonces.remember(nonce, now=now):
        return TokenCheck.REPLAYED
    return TokenCheck.OK


@dataclass(frozen=True, slots=True, repr=False)
class _SecretNode(Node):
    """A Node whose value must not show in reprs (a password or its digest)."""

    def __repr__(self) -> str:
        return f"Node(name={self.name!r}, value=<redacted>, attributes={tuple(self.attributes)!r})"


def build_username_token(
    username: str,
    password: str,
    *,
    created: datetime,
    nonce: bytes | None = None,
    digest: bool = True,
) -> Node:
    """Build the ``wsse:Security`` header block a client sends.

    The block declares ``wsse`` and ``wsu`` itself, so it fits any envelope. Nonce and ``Created`` are
    included with a text password too, as ONVIF Core asks.

    Args:
        username: the user name.
        password: the plain password.
        created: the time to sign, in the *device's* clock (timezone-aware).
        nonce: the raw nonce; 16 random bytes from :mod:`secrets` when omitted.
        digest: send PasswordDigest (default) or PasswordText.

    Returns:
        The header node for :func:`camvault.protocols.soap.render_envelope`; the password or digest inside
        it is hidden from its repr.
    """
    raw_nonce = nonce if nonce is not None else secrets.token_bytes(_NONCE_BYTES)
    nonce_b64 = base64.b64encode(raw_nonce).decode("ascii")
    created_text = format_created(created)
    secret = password_digest(nonce_b64, created_text, password) if digest else password
    return Node(
        "wsse:Security",
        attributes=(("xmlns:wsse", WSSE_NS), ("xmlns:wsu", WSU_NS)),
        children=(
            Node(
                "wsse:UsernameToken",
                children=(
                    Node("wsse:Username", username),
                    _SecretNode(
                        "wsse:Password",
                        secret,
                        attributes=(("Type", PASSWORD_DIGEST_TYPE if digest else PASSWORD_TEXT_TYPE),),
                    ),
                    _SecretNode(
                        "wsse:Nonce", nonce_b64, attributes=(("EncodingType", BASE64_ENCODING_TYPE),)
                    ),
                    Node("wsu:Created", created_text),
                ),
            ),
        ),
    )
