"""HTTP Digest authentication (RFC 2617, RFC 7616), sans-I/O, for both ends of the wire.

Hikvision ISAPI and ONVIF both protect their HTTP services with Digest (research notes hikvision.md §1,
onvif.md §1.6). This module holds everything either end needs, as pure functions over header strings:

* the device (server) side: :func:`format_challenge` in the exact style captured from a real camera,
  :func:`parse_authorization`, :func:`verify` against a stored HA1 (the device never keeps the password),
  stateless :class:`NonceIssuer` nonces shaped like the real ones, and a bounded :class:`NonceCounter`
  replay guard;
* the client side: :func:`parse_challenge` / :func:`parse_challenges`, :func:`build_authorization` and
  :class:`DigestClientState`, which counts ``nc`` across requests that reuse one nonce.

Supported: algorithms ``MD5`` and ``SHA-256`` (``SHA256`` is read as a spelling of it), ``qop=auth``, and on
the client side the RFC 2069 form when a server offers no ``qop``. Not supported: ``-sess`` algorithms,
``auth-int``, ``userhash`` and the ``username*`` extended notation; challenges and credentials that need them
are refused with :class:`~camvault.errors.InvalidContent`. Strings are hashed as UTF-8 (RFC 7616 ``charset``).

Headers are parsed with the RFC 7235 grammar: schemes and parameter names are case-insensitive, values are
tokens or quoted strings (with backslash escapes, and commas allowed inside), and one header may carry several
challenges. Anything else raises :class:`~camvault.errors.MalformedMessage`; a header longer than
:data:`MAX_HEADER_LENGTH` raises :class:`~camvault.errors.MessageTooLarge`.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from cryptography.hazmat.primitives import constant_time, hashes, hmac

from camvault.errors import ConfigurationError, InvalidContent, MalformedMessage, MessageTooLarge

__all__ = [
    "MAX_HEADER_LENGTH",
    "BasicAuthorization",
    "DigestAlgorithm",
    "DigestAuthorization",
    "DigestChallenge",
    "DigestClientState",
    "NonceCounter",
    "NonceIssuer",
    "NonceState",
    "RandomBytes",
    "build_authorization",
    "expected_response",
    "format_authorization",
    "format_challenge",
    "ha1",
    "new_cnonce",
    "parse_authorization",
    "parse_challenge",
    "parse_challenges",
    "verify",
]

MAX_HEADER_LENGTH = 4096
"""Longest ``WWW-Authenticate`` or ``Authorization`` value accepted, in characters."""

RandomBytes = Callable[[int], bytes]
"""A source of random bytes, ``rng(n) -> n bytes``; :func:`secrets.token_bytes` unless a test injects one."""

_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_TOKEN68_CHAR = frozenset("-._~+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# SP and HTAB per RFC 7230; CR and LF too, so that a value still holding obs-fold line breaks parses.
_WHITESPACE = frozenset(" \t\r\n")
_NC_PATTERN = re.compile(r"[0-9a-fA-F]{8}")
_TOKEN_RUN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A well-formed quoted-string (RFC 7230 qdtext / quoted-pair, no control characters but HTAB): the fast path.
_QUOTED_FAST = re.compile(r'"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*)"')
_ESCAPED_PAIR = re.compile(r"\\(.)", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_NC = 0xFFFFFFFF
_MAX_BASIC_FIELD = 1024


class DigestAlgorithm(StrEnum):
    """A Digest hash algorithm, valued by its RFC 7616 name."""

    MD5 = "MD5"
    SHA256 = "SHA-256"

    @classmethod
    def parse(cls, name: str) -> DigestAlgorithm:
        """Read an ``algorithm`` parameter, case-insensitively; ``SHA256`` is accepted for ``SHA-256``.

        Raises:
            InvalidContent: the algorithm is not supported (``-sess`` variants, SHA-512-256, ...).
        """
        normalized = name.strip().upper()
        if normalized == "MD5":
            return cls.MD5
        if normalized in ("SHA-256", "SHA256"):
            return cls.SHA256
        raise InvalidContent(f"unsupported Digest algorithm {_shown(name)}", field="algorithm")


@dataclass(frozen=True, slots=True)
class DigestChallenge:
    """One ``Digest`` challenge from a ``WWW-Authenticate`` header.

    Attributes:
        realm: the protection space, e.g. ``IP Camera(83813)``.
        nonce: the server nonce, echoed in the client's credentials.
        qop: the offered quality-of-protection options, lower-cased; empty for an RFC 2069 server.
        algorithm: the hash algorithm (``MD5`` when the parameter is absent).
        opaque: a value the client must echo unchanged, if the server sent one.
        stale: whether the server refused only because the nonce had expired.
    """

    realm: str
    nonce: str
    qop: tuple[str, ...] = ("auth",)
    algorithm: DigestAlgorithm = DigestAlgorithm.MD5
    opaque: str | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class DigestAuthorization:
    """The ``Digest`` credentials of an ``Authorization`` header.

    Attributes:
        username: the account name.
        realm: the realm the client answered.
        nonce: the server nonce the client answered.
        uri: the ``uri`` parameter (the request target as the client saw it).
        response: the request digest; kept out of the repr.
        algorithm: the hash algorithm.
        qop: ``"auth"``, or ``None`` in the RFC 2069 form.
        nc: the nonce count exactly as sent (8 hex digits), when ``qop`` is present.
        cnonce: the client nonce, when ``qop`` is present.
        opaque: the server's opaque value echoed back, if any.
    """

    username: str
    realm: str
    nonce: str
    uri: str
    response: str = field(repr=False)
    algorithm: DigestAlgorithm = DigestAlgorithm.MD5
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None

    @property
    def nonce_count(self) -> int | None:
        """The nonce count as an integer, or ``None`` in the RFC 2069 form."""
        return None if self.nc is None else int(self.nc, 16)


@dataclass(frozen=True, slots=True)
class BasicAuthorization:
    """``Basic`` credentials, parsed so that a server can recognise them and refuse them.

    Attributes:
        username: the user-id part.
        password: the password part; kept out of the repr.
    """

    username: str
    password: str = field(repr=False)


class NonceState(Enum):
    """What :meth:`NonceIssuer.check` concluded about a nonce."""

    FRESH = "fresh"
    """Issued by this issuer and still within its lifetime."""
    STALE = "stale"
    """Issued by this issuer but expired: answer 401 with a new nonce and ``stale="TRUE"``."""
    INVALID = "invalid"
    """Not a nonce this issuer made (forged, tampered, another secret, or garbage)."""


# --------------------------------------------------------------------------------------------------------
# Hashing


def _hash_hex(algorithm: DigestAlgorithm, text: str) -> str:
    # MD5 is what RFC 2617 and the captured Hikvision firmware use; interoperability requires it.
    chosen = hashes.MD5() if algorithm is DigestAlgorithm.MD5 else hashes.SHA256()  # noqa: S303
    digest = hashes.Hash(chosen)
    # surrogatepass: a stray surrogate from a lenient decoder must give a non-matching digest, not a crash.
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.finalize().hex()


def _algorithm(value: DigestAlgorithm | str) -> DigestAlgorithm:
    return value if isinstance(value, DigestAlgorithm) else DigestAlgorithm.parse(value)


def ha1(username: str, realm: str, password: str, algorithm: DigestAlgorithm | str = "MD5") -> str:
    """Compute ``HA1 = H(username ":" realm ":" password)``, the value a device stores instead of a password.

    Args:
        username: the account name.
        realm: the device's realm.
        password: the account password.
        algorithm: ``"MD5"`` or ``"SHA-256"``.

    Returns:
        Lowercase hex.
    """
    return _hash_hex(_algorithm(algorithm), f"{username}:{realm}:{password}")


def expected_response(
    *,
    ha1: str,
    method: str,
    uri: str,
    nonce: str,
    algorithm: DigestAlgorithm | str = "MD5",
    qop: str | None = "auth",
    nc: str | None = None,
    cnonce: str | None = None,
) -> str:
    """Compute the ``response`` value for one request (RFC 7616 §3.4.1; RFC 2069 when ``qop`` is ``None``).

    Args:
        ha1: the stored or freshly computed HA1, hex.
        method: the HTTP method, e.g. ``"GET"``.
        uri: the ``uri`` parameter.
        nonce: the server nonce.
        algorithm: ``"MD5"`` or ``"SHA-256"``.
        qop: ``"auth"``, or ``None`` for the RFC 2069 form.
        nc: the nonce count as 8 hex digits (required with ``qop``).
        cnonce: the client nonce (required with ``qop``).

    Returns:
        Lowercase hex.

    Raises:
        InvalidContent: ``qop`` is not ``auth``, or ``nc``/``cnonce`` are missing with it.
    """
    chosen = _algorithm(algorithm)
    ha2 = _hash_hex(chosen, f"{method}:{uri}")
    if qop is None:
        return _hash_hex(chosen, f"{ha1.lower()}:{nonce}:{ha2}")
    if qop.lower() != "auth":
        raise InvalidContent("only qop=auth is supported", field="qop")
    if nc is None or cnonce is None:
        raise InvalidContent("qop=auth needs nc and cnonce", field="nc")
    return _hash_hex(chosen, f"{ha1.lower()}:{nonce}:{nc}:{cnonce}:{qop.lower()}:{ha2}")


def verify(authorization: DigestAuthorization, *, method: str, ha1: str, uri: str | None = None) -> bool:
    """Check Digest credentials against a stored HA1, in constant time.

    Only the ``qop=auth`` form is accepted (devices always challenge with it), so a credential without
    ``nc``/``cnonce`` is refused. Nonce freshness and replay are the caller's to check, with
    :class:`NonceIssuer` and :class:`NonceCounter`; the realm is bound through HA1.

    Args:
        authorization: the parsed credentials.
        method: the HTTP method of the request.
        ha1: the stored HA1 for this user, realm and ``authorization.algorithm``.
        uri: the request target; when given, the ``uri`` parameter must equal it.

    Returns:
        ``True`` when the response matches.
    """
    if authorization.qop is None or authorization.nc is None or authorization.cnonce is None:
        return False
    if uri is not None and authorization.uri != uri:
        return False
    expected = expected_response(
        ha1=ha1,
        method=method,
        uri=authorization.uri,
        nonce=authorization.nonce,
        algorithm=authorization.algorithm,
        qop=authorization.qop,
        nc=authorization.nc,
        cnonce=authorization.cnonce,
    )
    given = authorization.response.lower().encode("utf-8", "surrogatepass")
    return constant_time.bytes_eq(expected.encode("ascii"), given)


# --------------------------------------------------------------------------------------------------------
# Formatting


def _quote(value: str, name: str) -> str:
    if _CONTROL.search(value):
        raise InvalidContent(f"{name} contains a control character", field=name)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_challenge(
    realm: str,
    nonce: str,
    *,
    stale: bool,
    algorithm: DigestAlgorithm | str = "MD5",
    opaque: str | None = None,
    qop: str | None = "auth",
) -> str:
    """Format a ``WWW-Authenticate`` value in the style of a real Hikvision camera.

    The captured shape (hikvision.md §1) is
    ``Digest qop="auth", realm="IP Camera(83813)", nonce="...", stale="FALSE"``: ``qop`` first, ``stale``
    quoted and upper-case, no ``algorithm`` for MD5 (its default). The capture shows neither ``opaque`` nor
    a SHA-256 challenge, so their place is a choice: both follow ``stale``, and ``algorithm=SHA-256`` is an
    unquoted token as in the RFC 7616 examples.

    Args:
        realm: the realm, e.g. ``IP Camera(83813)``.
        nonce: a nonce from :meth:`NonceIssuer.issue`.
        stale: ``True`` when refusing an expired nonce with otherwise valid credentials.
        algorithm: ``"MD5"`` or ``"SHA-256"``.
        opaque: an opaque value for the client to echo, if wanted.
        qop: ``"auth"``, or ``None`` to omit the directive.

    Returns:
        The header value, without the ``WWW-Authenticate:`` name.

    Raises:
        InvalidContent: a value contains a control character (header injection).
    """
    parts = []
    if qop is not None:
        parts.append(f"qop={_quote(qop, 'qop')}")
    parts.append(f"realm={_quote(realm, 'realm')}")
    parts.append(f"nonce={_quote(nonce, 'nonce')}")
    parts.append(f'stale="{"TRUE" if stale else "FALSE"}"')
    if opaque is not None:
        parts.append(f"opaque={_quote(opaque, 'opaque')}")
    chosen = _algorithm(algorithm)
    if chosen is not DigestAlgorithm.MD5:
        parts.append(f"algorithm={chosen.value}")
    return "Digest " + ", ".join(parts)


def format_authorization(authorization: DigestAuthorization) -> str:
    """Format Digest credentials as an ``Authorization`` value, in the parameter order of httpx and curl.

    Raises:
        InvalidContent: a value contains a control character, or ``qop``, ``nc`` and ``cnonce`` do not
            form a valid ``qop=auth`` triple.
    """
    if authorization.qop is not None and (
        authorization.qop != "auth"
        or authorization.nc is None
        or not _NC_PATTERN.fullmatch(authorization.nc)
        or not authorization.cnonce
    ):
        raise InvalidContent("qop=auth needs an 8-hex-digit nc and a cnonce", field="nc")
    parts = [
        f"username={_quote(authorization.username, 'username')}",
        f"realm={_quote(authorization.realm, 'realm')}",
        f"nonce={_quote(authorization.nonce, 'nonce')}",
        f"uri={_quote(authorization.uri, 'uri')}",
        f"response={_quote(authorization.response, 'response')}",
        f"algorithm={authorization.algorithm.value}",
    ]
    if authorization.opaque is not None:
        parts.append(f"opaque={_quote(authorization.opaque, 'opaque')}")
    if authorization.qop is not None:
        parts.append(f"qop={authorization.qop}")
        parts.append(f"nc={authorization.nc}")
        parts.append(f"cnonce={_quote(authorization.cnonce or '', 'cnonce')}")
    return "Digest " + ", ".join(parts)


# --------------------------------------------------------------------------------------------------------
# Client side


def new_cnonce(rng: RandomBytes = secrets.token_bytes) -> str:
    """Return a fresh client nonce: 16 random bytes as 32 lowercase hex digits."""
    return rng(16).hex()


def _choose_qop(challenge: DigestChallenge) -> str | None:
    if not challenge.qop:
        return None
    if "auth" in challenge.qop:
        return "auth"
    raise InvalidContent("the challenge offers no supported qop (only auth is)", field="qop")


def build_authorization(
    challenge: DigestChallenge,
    method: str,
    uri: str,
    username: str,
    password: str,
    *,
    cnonce: str,
    nc: int,
) -> str:
    """Answer a challenge: the ``Authorization`` value a client sends.

    Args:
        challenge: the parsed challenge.
        method: the HTTP method of the request.
        uri: the request target, e.g. ``/ISAPI/Security/userCheck``.
        username: the account name.
        password: the account password (used, never stored or returned).
        cnonce: the client nonce, e.g. from :func:`new_cnonce`.
        nc: the nonce count, 1 for the first request under this nonce.

    Returns:
        The header value, without the ``Authorization:`` name.

    Raises:
        InvalidContent: ``nc`` is out of range, ``cnonce`` is empty, or the challenge offers only
            unsupported ``qop`` options.
    """
    if not 1 <= nc <= _MAX_NC:
        raise InvalidContent("nc must be between 1 and 0xffffffff", field="nc")
    if not cnonce:
        raise InvalidContent("cnonce must not be empty", field="cnonce")
    qop = _choose_qop(challenge)
    nc_text = f"{nc:08x}" if qop else None
    cnonce_value = cnonce if qop else None
    response = expected_response(
        ha1=ha1(username, challenge.realm, password, challenge.algorithm),
        method=method,
        uri=uri,
        nonce=challenge.nonce,
        algorithm=challenge.algorithm,
        qop=qop,
        nc=nc_text,
        cnonce=cnonce_value,
    )
    return format_authorization(
        DigestAuthorization(
            username=username,
            realm=challenge.realm,
            nonce=challenge.nonce,
            uri=uri,
            response=response,
            algorithm=challenge.algorithm,
            qop=qop,
            nc=nc_text,
            cnonce=cnonce_value,
            opaque=challenge.opaque,
        )
    )


@dataclass(slots=True)
class DigestClientState:
    """The client end of one Digest session: the current challenge and how often its nonce was used.

    Not thread-safe: keep one per device session (aesthetics.md, httpx ``DigestAuth``). It never holds the
    password; each call to :meth:`authorize` receives it.

    Attributes:
        challenge: the challenge being answered.
        nonce_count: requests already sent under ``challenge.nonce``.
    """

    challenge: DigestChallenge
    nonce_count: int = 0

    def update(self, challenge: DigestChallenge) -> None:
        """Adopt a new challenge (after a 401); the count restarts when the nonce changed."""
        if challenge.nonce != self.challenge.nonce:
            self.nonce_count = 0
        self.challenge = challenge

    def authorize(
        self,
        method: str,
        uri: str,
        username: str,
        password: str,
        *,
        rng: RandomBytes = secrets.token_bytes,
    ) -> str:
        """Build the ``Authorization`` value for the next request, with the next ``nc`` and a fresh cnonce."""
        self.nonce_count += 1
        return build_authorization(
            self.challenge, method, uri, username, password, cnonce=new_cnonce(rng), nc=self.nonce_count
        )


# --------------------------------------------------------------------------------------------------------
# Parsing


def _shown(value: str, limit: int = 32) -> str:
    """Quote a non-secret value from the wire for an error message, cut to a readable length."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


@dataclass(slots=True)
class _AuthItem:
    """One challenge or credentials element: a scheme with either a token68 or named parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def add(self, name: str, value: str) -> None:
        if self.token68 is not None:
            raise MalformedMessage(f"a {self.scheme} element has both a token68 and parameters")
        key = name.lower()
        if key in self.params:
            raise MalformedMessage(f"parameter {_shown(key)} appears twice in one {self.scheme} element")
        self.params[key] = value


class _Scanner:
    """A cursor over one header value, reading the RFC 7235 productions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_whitespace(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
            self.pos += 1

    def skip_separators(self) -> None:
        while self.pos < len(self.text) and (
            self.text[self.pos] in _WHITESPACE or self.text[self.pos] == ","
        ):
            self.pos += 1

    def token(self) -> str:
        match = _TOKEN_RUN.match(self.text, self.pos)
        if match is None:
            raise MalformedMessage(f"expected a token at position {self.pos}")
        self.pos = match.end()
        return match.group()

    def quoted_string(self) -> str:
        match = _QUOTED_FAST.match(self.text, self.pos)
        if match is not None:
            self.pos = match.end()
            inner = match.group(1)
            return _ESCAPED_PAIR.sub(r"\1", inner) if "\\" in inner else inner
        return self._quoted_string_slowly()

    def _quoted_string_slowly(self) -> str:
        """The character-by-character reading, kept for precise errors on malformed input."""
        self.pos += 1  # the opening quote
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                self.pos += 1
                if self.pos >= len(self.text):
                    break
                char = self.text[self.pos]
            if (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F:
                raise MalformedMessage(f"control character inside a quoted string at position {self.pos}")
            out.append(char)
            self.pos += 1
        raise MalformedMessage("unterminated quoted string")

    def value(self) -> str:
        return self.quoted_string() if self.peek() == '"' else self.token()

    def end_of_element(self) -> None:
        self.skip_whitespace()
        if not self.at_end() and self.peek() != ",":
            raise MalformedMessage(f"expected ',' or the end at position {self.pos}")

    def try_token68(self) -> str | None:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _TOKEN68_CHAR:
            self.pos += 1
        if self.pos == start:
            return None
        while self.pos < len(self.text) and self.text[self.pos] == "=":
            self.pos += 1
        candidate = self.text[start : self.pos]
        self.skip_whitespace()
        if self.at_end() or self.peek() == ",":
            return candidate
        self.pos = start
        return None


def _parse_items(header: str, what: str) -> list[_AuthItem]:
    if len(header) > MAX_HEADER_LENGTH:
        raise MessageTooLarge(f"{what} of {len(header)} characters exceeds the limit of {MAX_HEADER_LENGTH}")
    scanner = _Scanner(header)
    items: list[_AuthItem] = []
    while True:
        scanner.skip_separators()
        if scanner.at_end():
            break
        name = scanner.token()
        scanner.skip_whitespace()
        if scanner.peek() == "=":
            if not items:
                raise MalformedMessage(f"{what} starts with a parameter instead of a scheme")
            scanner.pos += 1
            scanner.skip_whitespace()
            items[-1].add(name, scanner.value())
            scanner.end_of_element()
        else:
            item = _AuthItem(name)
            items.append(item)
            item.token68 = scanner.try_token68()
    if not items:
        raise MalformedMessage(f"{what} is empty")
    return items


def _required(params: dict[str, str], name: str, scheme: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise InvalidContent(f"{scheme} parameter {name!r} is missing or empty", field=name)
    return value


def _challenge_from(item: _AuthItem) -> DigestChallenge:
    if item.token68 is not None:
        raise InvalidContent("a Digest challenge needs parameters, not a token68", field="WWW-Authenticate")
    params = item.params
    qop = tuple(option.strip().lower() for option in params.get("qop", "").split(",") if option.strip())
    return DigestChallenge(
        realm=_required(params, "realm", "Digest challenge"),
        nonce=_required(params, "nonce", "Digest challenge"),
        qop=qop,
        algorithm=DigestAlgorithm.parse(params.get("algorithm", "MD5")),
        opaque=params.get("opaque"),
        stale=params.get("stale", "").strip().lower() == "true",
    )


def parse_challenges(header: str) -> tuple[DigestChallenge, ...]:
    """Read every supported ``Digest`` challenge of a ``WWW-Authenticate`` value, in the server's order.

    Challenges of other schemes are skipped, and so are Digest challenges whose algorithm is not supported
    (a server may offer several, one per algorithm, in preference order: onvif.md §1.6).

    Raises:
        MessageTooLarge: the value is longer than :data:`MAX_HEADER_LENGTH`.
        MalformedMessage: the value does not follow the challenge grammar.
        InvalidContent: there is no Digest challenge, none has a supported algorithm, or one lacks a
            realm or nonce.
    """
    digest_items = [
        item for item in _parse_items(header, "WWW-Authenticate") if item.scheme.lower() == "digest"
    ]
    if not digest_items:
        raise InvalidContent("no Digest challenge in WWW-Authenticate", field="WWW-Authenticate")
    found: list[DigestChallenge] = []
    for item in digest_items:
        try:
            found.append(_challenge_from(item))
        except InvalidContent as exc:
            if exc.field != "algorithm":
                raise
    if not found:
        raise InvalidContent("no Digest challenge with a supported algorithm", field="algorithm")
    return tuple(found)


def parse_challenge(header: str) -> DigestChallenge:
    """Read the first supported ``Digest`` challenge of a ``WWW-Authenticate`` value.

    Raises:
        MessageTooLarge: the value is longer than :data:`MAX_HEADER_LENGTH`.
        MalformedMessage: the value does not follow the challenge grammar.
        InvalidContent: there is no usable Digest challenge (see :func:`parse_challenges`).
    """
    return parse_challenges(header)[0]


def _digest_authorization_from(item: _AuthItem) -> DigestAuthorization:
    if item.token68 is not None:
        raise InvalidContent("Digest credentials need parameters, not a token68", field="Authorization")
    params = item.params
    if "username*" in params:
        raise InvalidContent("the username* extended notation is not supported", field="username*")
    if params.get("userhash", "").strip().lower() == "true":
        raise InvalidContent("userhash is not supported", field="userhash")
    scheme = "Digest credentials"
    qop = params.get("qop")
    nc = params.get("nc")
    cnonce = params.get("cnonce")
    if qop is not None:
        if qop.strip().lower() != "auth":
            raise InvalidContent("only qop=auth is supported", field="qop")
        qop = "auth"
        nc = _required(params, "nc", scheme)
        if not _NC_PATTERN.fullmatch(nc):
            raise InvalidContent("nc must be 8 hex digits", field="nc")
        cnonce = _required(params, "cnonce", scheme)
    return DigestAuthorization(
        username=_required(params, "username", scheme),
        realm=_required(params, "realm", scheme),
        nonce=_required(params, "nonce", scheme),
        uri=_required(params, "uri", scheme),
        response=_required(params, "response", scheme),
        algorithm=DigestAlgorithm.parse(params.get("algorithm", "MD5")),
        qop=qop,
        nc=nc if qop else None,
        cnonce=cnonce if qop else None,
        opaque=params.get("opaque"),
    )


def _basic_authorization_from(item: _AuthItem) -> BasicAuthorization:
    if item.token68 is None or item.params:
        raise MalformedMessage("Basic credentials must be one base64 token")
    try:
        decoded = base64.b64decode(item.token68, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage("Basic credentials are not valid base64") from None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon:
        raise MalformedMessage("Basic credentials have no ':' between user-id and password")
    if len(username) > _MAX_BASIC_FIELD or len(password) > _MAX_BASIC_FIELD:
        raise MessageTooLarge("Basic credentials are too long")
    return BasicAuthorization(username=username, password=password)


def parse_authorization(header: str) -> DigestAuthorization | BasicAuthorization:
    """Read an ``Authorization`` value: Digest credentials, or Basic ones for the server to refuse.

    A Digest value must carry ``username``, ``nonce``, ``uri`` and ``response``; with ``qop`` it must be
    ``auth`` and come with an 8-hex-digit ``nc`` and a ``cnonce``. A Basic value decodes as UTF-8 (Latin-1
    when that fails) and splits at the first colon.

    Raises:
        MessageTooLarge: the value is longer than :data:`MAX_HEADER_LENGTH`.
        MalformedMessage: the value does not follow the credentials grammar, or Basic is not base64.
        InvalidContent: another scheme, a missing parameter, or an unsupported option.
    """
    items = _parse_items(header, "Authorization")
    if len(items) != 1:
        raise MalformedMessage("Authorization carries more than one set of credentials")
    item = items[0]
    scheme = item.scheme.lower()
    if scheme == "digest":
        return _digest_authorization_from(item)
    if scheme == "basic":
        return _basic_authorization_from(item)
    raise InvalidContent(f"unsupported authorization scheme {_shown(item.scheme)}", field="Authorization")


# --------------------------------------------------------------------------------------------------------
# Server-side nonce management

_NONCE_BODY = re.compile(r"([0-9a-f]{8}):([0-9a-f]{8})([0-9a-f]{24})")
_NONCE_HEX = re.compile(r"[0-9a-f]+")
_MAX_NONCE_LENGTH = 256
_NONCE_CONTEXT = b"camvault digest nonce v1\x00"
_STAMP_MODULUS = 2**32


class NonceIssuer:
    """Stateless Digest nonces that carry their own issue time and an HMAC, so checking needs no table.

    Shape (hikvision.md §1): a real camera's nonce is the ASCII hex of a base64 string; the captured one
    decodes to ``1e130819:d95c49d``, eight hex digits, a colon and a short hex tail. Ours keep that shape:
    ``hex(base64("<time>:<salt><mac>"))`` where ``time`` is ``floor(now)`` modulo 2**32 as 8 hex digits,
    ``salt`` is 4 random bytes (two clients challenged in the same second get different nonces, so their
    ``nc`` counts never collide in :class:`NonceCounter`) and ``mac`` is HMAC-SHA256 over the rest, cut to
    96 bits. The real device's 7-digit tail (28 bits) is too short to authenticate anything, so that one
    length differs on purpose.

    Args:
        secret: the HMAC key, at least 16 bytes; kept out of the repr.
        lifetime: seconds a nonce stays fresh.
        rng: the source of the per-nonce salt.

    Raises:
        ConfigurationError: the secret is too short or the lifetime is not positive.
    """

    __slots__ = ("_lifetime", "_rng", "_secret")

    def __init__(self, secret: bytes, lifetime: float, *, rng: RandomBytes = secrets.token_bytes) -> None:
        if len(secret) < 16:
            raise ConfigurationError("a nonce secret must be at least 16 bytes")
        if not (math.isfinite(lifetime) and lifetime > 0):
            raise ConfigurationError("a nonce lifetime must be a positive number of seconds")
        self._secret = bytes(secret)
        self._lifetime = float(lifetime)
        self._rng = rng

    def __repr__(self) -> str:
        return f"NonceIssuer(lifetime={self._lifetime})"

    @property
    def lifetime(self) -> float:
        """Seconds a nonce stays fresh."""
        return self._lifetime

    def _mac(self, stamp: str, salt: str) -> str:
        signer = hmac.HMAC(self._secret, hashes.SHA256())
        signer.update(_NONCE_CONTEXT + f"{stamp}:{salt}".encode("ascii"))
        return signer.finalize()[:12].hex()

    def issue(self, now: float) -> str:
        """Make a nonce stamped with ``now`` (seconds on the caller's clock)."""
        stamp = f"{math.floor(now) % _STAMP_MODULUS:08x}"
        salt = self._rng(4).hex()
        body = f"{stamp}:{salt}{self._mac(stamp, salt)}"
        return base64.b64encode(body.encode("ascii")).hex()

    def check(self, nonce: str, now: float) -> NonceState:
        """Say whether ``nonce`` is one of ours and still fresh at ``now``; never raises on bad input.

        A nonce stamped later than ``now`` (the clock went back) counts as stale, so the client simply
        retries with a new one.
        """
        body = self._body(nonce)
        if body is None:
            return NonceState.INVALID
        stamp, salt, mac = body
        if not constant_time.bytes_eq(self._mac(stamp, salt).encode("ascii"), mac.encode("ascii")):
            return NonceState.INVALID
        age = (math.floor(now) - int(stamp, 16)) % _STAMP_MODULUS
        return NonceState.FRESH if age <= self._lifetime else NonceState.STALE

    @staticmethod
    def _body(nonce: str) -> tuple[str, str, str] | None:
        if len(nonce) > _MAX_NONCE_LENGTH or len(nonce) % 2 or not _NONCE_HEX.fullmatch(nonce):
            return None
        try:
            text = base64.b64decode(bytes.fromhex(nonce), validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            return None
        match = _NONCE_BODY.fullmatch(text)
        if match is None:
            return None
        return match.group(1), match.group(2), match.group(3)


class NonceCounter:
    """A bounded memory of the ``nc`` values used with each nonce, so a replayed pair can be refused.

    Each nonce keeps its highest count and a sliding window below it (as IPsec's anti-replay window), so
    requests that arrive slightly out of order are still accepted once each. When more than
    ``max_entries`` nonces are tracked, the oldest is forgotten; a request under a forgotten nonce is then
    accepted as if new, so size ``max_entries`` above the number of nonces issued per nonce lifetime.
    Not thread-safe: one per device front end, used from one event loop.

    Args:
        max_entries: how many nonces to remember.
        window: how far below the highest count an out-of-order count may still be accepted.

    Raises:
        ConfigurationError: a bound is not positive.
    """

    __slots__ = ("_entries", "_mask", "_max_entries", "_window")

    def __init__(self, max_entries: int = 4096, *, window: int = 64) -> None:
        if max_entries < 1 or window < 1:
            raise ConfigurationError("NonceCounter bounds must be positive")
        self._max_entries = max_entries
        self._window = window
        self._mask = (1 << window) - 1
        self._entries: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def accept(self, nonce: str, nc: int) -> bool:
        """Record ``(nonce, nc)`` and return ``True``, or return ``False`` if it was seen or is too old.

        ``False`` for a request whose digest verified means a replay or a confused client: answer 401 with a
        fresh nonce and ``stale="TRUE"``.
        """
        if not 1 <= nc <= _MAX_NC or len(nonce) > _MAX_NONCE_LENGTH:
            return False
        entry = self._entries.get(nonce)
        if entry is None:
            if len(self._entries) >= self._max_entries:
                self._entries.popitem(last=False)
            self._entries[nonce] = (nc, 1)
            return True
        highest, seen = entry
        if nc > highest:
            shift = nc - highest
            seen = ((seen << shift) | 1) & self._mask if shift < self._window else 1
            self._entries[nonce] = (nc, seen)
            return True
        offset = highest - nc
        if offset >= self._window or (seen >> offset) & 1:
            return False
        self._entries[nonce] = (highest, seen | (1 << offset))
        return True
