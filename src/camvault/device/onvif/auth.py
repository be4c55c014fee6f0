"""Who is calling the ONVIF service: WS-Security UsernameToken, HTTP Digest, and the access policy.

Rules (research ``onvif.md`` §1.4, §1.6), with our choices where the sources are silent:

* **Access classes** (Core's *Default Access Policy*): every operation has one; Administrators may call all,
  Operators all but the secret, write and unrecoverable ones, Users the pre-auth, read-system and media ones,
  and unauthenticated callers only ``PRE_AUTH`` operations.
* **PRE_AUTH operations ignore credentials**: ``GetSystemDateAndTime``, ``GetCapabilities``, ``GetServices``...
  are answered whatever the request carries, and nothing is counted. Clients rely on this to learn the
  device clock before signing (onvif-zeep-async ``adjust_time``, onveef, ONVIF Device Manager); checking a
  token there would hide the real failure (a stale token on the *next* call) behind a confusing one.
* **UsernameToken**: PasswordDigest or PasswordText, checked against the *device's own clock* (lab skew
  included) with a tolerance of :data:`TOKEN_WINDOW` either way, the value IPyCam uses (ONVIF names none), and
  nonces remembered in a :class:`~camvault.protocols.wssecurity.NonceCache` so that a replayed token fails.
  A refused token is answered **HTTP 400 + env:Sender/ter:NotAuthorized "Sender not Authorized"**, which
  Core asks of UsernameToken devices and which Home Assistant reports as ``auth_failed``.
* **HTTP Digest** (the device realm, nonces as in :mod:`camvault.device.isapi.auth`): a wrong answer is
  **401** with a fresh challenge; a request without usable credentials gets the challenge too while Digest is
  enabled (Core: "no credentials ⇒ assume digest"), else the 400 fault. Basic is never accepted. If both
  layers carry credentials, HTTP is checked first, then WS-Security (Core).
* Which of the two the device accepts is Hikvision's ``Integrate/ONVIF/certificateType`` (``digest``,
  ``WSSE``, or both, the default).
* **Lock**: every refused credential (wrong password, unknown user, stale, replayed or malformed token)
  counts against the caller's address in the device's illegal-login lock, shared with ISAPI; a locked
  address is refused even with the right credential. Then the fault's reason reads
  ``Sender not Authorized. The illegal-login lock ...``: it still starts with Core's text (onveef matches it
  as a substring) and says "lock", as some firmware does with its attempts left (Home Assistant issue
  #147404 quotes one "Sender not Authorized. Invalid username or password! You still have 5 attempt(s).").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum, StrEnum
from typing import Final

from camvault.device.http import Request
from camvault.device.model import DeviceModel
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import CertificateType, OnvifLevel, OnvifUser
from camvault.errors import InvalidContent, ProtocolError
from camvault.protocols import digest, wssecurity, xml
from camvault.protocols.soap import Envelope

__all__ = [
    "NONCE_LIFETIME",
    "TOKEN_WINDOW",
    "AccessClass",
    "Denial",
    "DenialKind",
    "OnvifAuthenticator",
    "may_call",
]

TOKEN_WINDOW: Final = timedelta(seconds=300)
"""How far a token's ``Created`` may lie from the device clock, either way (IPyCam's value, ``onvif.md`` §1.6)."""
NONCE_LIFETIME: Final = 300.0
"""Seconds an HTTP Digest nonce stays fresh (as on the ISAPI side)."""
_MAX_REMEMBERED_NONCES = 8192


class AccessClass(StrEnum):
    """ONVIF Core's access classes (``onvif.md`` §1.4)."""

    PRE_AUTH = "PRE_AUTH"
    READ_SYSTEM = "READ_SYSTEM"
    READ_SYSTEM_SENSITIVE = "READ_SYSTEM_SENSITIVE"
    READ_SYSTEM_SECRET = "READ_SYSTEM_SECRET"  # noqa: S105 - an access class, not a secret
    WRITE_SYSTEM = "WRITE_SYSTEM"
    UNRECOVERABLE = "UNRECOVERABLE"
    READ_MEDIA = "READ_MEDIA"
    ACTUATE = "ACTUATE"


_A = AccessClass
_POLICY: Final[dict[OnvifLevel | None, frozenset[AccessClass]]] = {
    OnvifLevel.ADMINISTRATOR: frozenset(AccessClass),
    OnvifLevel.OPERATOR: frozenset(
        {_A.PRE_AUTH, _A.READ_SYSTEM, _A.READ_SYSTEM_SENSITIVE, _A.READ_MEDIA, _A.ACTUATE}
    ),
    OnvifLevel.USER: frozenset({_A.PRE_AUTH, _A.READ_SYSTEM, _A.READ_MEDIA}),
    None: frozenset({_A.PRE_AUTH}),
}


def may_call(user: OnvifUser | None, access: AccessClass) -> bool:
    """Whether a caller (``None``: anonymous) may call an operation of this access class."""
    return access in _POLICY.get(user.level if user is not None else None, frozenset())


class DenialKind(Enum):
    """How a refused request is answered."""

    CHALLENGE = "challenge"
    """HTTP 401 with a Digest challenge (no credentials, or a wrong or stale Digest answer)."""
    NOT_AUTHORIZED = "not_authorized"
    """HTTP 400 with ``env:Sender/ter:NotAuthorized``."""


@dataclass(frozen=True, slots=True)
class Denial:
    """A refused authentication.

    Attributes:
        kind: challenge or fault.
        stale: the Digest challenge says ``stale="TRUE"`` (a right answer to an expired nonce).
        locked: the caller's address is locked out; ``remaining_seconds`` says for how long.
        remaining_seconds: lock time left.
    """

    kind: DenialKind
    stale: bool = False
    locked: bool = False
    remaining_seconds: int = 0


class OnvifAuthenticator:
    """Authenticates ONVIF requests for one device.

    Args:
        model: the device.
        nonce_secret: the HMAC key of the device's HTTP Digest nonces.
        window: the UsernameToken freshness tolerance.
    """

    def __init__(self, model: DeviceModel, nonce_secret: bytes, *, window: timedelta = TOKEN_WINDOW) -> None:
        self.model = model
        self.window = window
        self.nonces = digest.NonceIssuer(nonce_secret, NONCE_LIFETIME)
        self.counter = digest.NonceCounter(max_entries=_MAX_REMEMBERED_NONCES)
        self.seen_nonces = wssecurity.NonceCache(max_entries=_MAX_REMEMBERED_NONCES, max_age=2 * window)

    def __repr__(self) -> str:
        return f"OnvifAuthenticator(window={self.window}, remembered_nonces={len(self.seen_nonces)})"

    @property
    def mode(self) -> CertificateType:
        """The authentication schemes the device currently accepts."""
        return self.model.onvif.certificate_type

    def authenticate(self, request: Request, envelope: Envelope) -> OnvifUser | Denial:
        """Identify the caller of a non-PRE_AUTH operation.

        Returns:
            The authenticated user, or how to refuse the request.
        """
        header = request.headers.get("authorization")
        if header and self.mode.accepts_digest:
            found = self._digest(header, request)
            if isinstance(found, Denial) or not (
                self.mode.accepts_username_token and self._carries_token(envelope)
            ):
                return found
            # Core: when both layers carry credentials, HTTP is checked first, then WS; both must pass.
            return self._username_token(envelope, request)
        if self.mode.accepts_username_token and self._carries_token(envelope):
            return self._username_token(envelope, request)
        if self.mode.accepts_digest:
            return Denial(DenialKind.CHALLENGE)
        return Denial(DenialKind.NOT_AUTHORIZED)

    def challenge_header(self, *, stale: bool) -> str:
        """A fresh ``WWW-Authenticate`` value."""
        return digest.format_challenge(
            self.model.identity.realm, self.nonces.issue(self.model.monotonic()), stale=stale
        )

    # ------------------------------------------------------------------ WS-Security

    @staticmethod
    def _carries_token(envelope: Envelope) -> bool:
        return any(xml.local_name(block.tag) == "Security" for block in envelope.header_blocks)

    def _username_token(self, envelope: Envelope, request: Request) -> OnvifUser | Denial:
        try:
            token = wssecurity.parse_username_token(envelope)
        except InvalidContent:
            token = None
        if token is None:
            # A Security header without a usable token is a failed login of nobody in particular.
            return self._refused(accounts.attempt_login(self.model, "", request.peer, lambda _: False))
        now = self.model.now()

        def valid(user: OnvifUser) -> bool:
            check = wssecurity.verify_username_token(
                token, user.password.value, now=now, window=self.window, seen_nonces=self.seen_nonces
            )
            return check is wssecurity.TokenCheck.OK

        login = accounts.attempt_login(self.model, token.username, request.peer, valid)
        if login.ok and login.user is not None:
            return login.user
        return self._refused(login)

    @staticmethod
    def _refused(login: accounts.OnvifLogin) -> Denial:
        return Denial(
            DenialKind.NOT_AUTHORIZED, locked=login.locked, remaining_seconds=login.lock.remaining_seconds
        )

    # ------------------------------------------------------------------ HTTP Digest

    def _digest(self, header: str, request: Request) -> OnvifUser | Denial:
        try:
            credentials = digest.parse_authorization(header)
        except ProtocolError:
            return Denial(DenialKind.CHALLENGE)
        if isinstance(credentials, digest.BasicAuthorization):
            return Denial(DenialKind.CHALLENGE)
        realm = self.model.identity.realm
        if credentials.realm != realm or credentials.uri != request.target:
            return Denial(DenialKind.CHALLENGE)
        state = self.nonces.check(credentials.nonce, self.model.monotonic())
        if state is digest.NonceState.INVALID:
            return Denial(DenialKind.CHALLENGE)

        def valid(user: OnvifUser) -> bool:
            ha1 = user.password.ha1(user.name, realm, credentials.algorithm.value)
            return digest.verify(credentials, method=request.method, ha1=ha1)

        if state is digest.NonceState.STALE:
            # A right answer to an expired nonce is not a guess: ask again with stale="TRUE".
            user = accounts.find_user(self.model, credentials.username)
            if user is not None and valid(user) and not self.model.lock_status(request.peer).locked:
                return Denial(DenialKind.CHALLENGE, stale=True)
        else:
            nc = credentials.nonce_count
            if nc is None or not self.counter.accept(credentials.nonce, nc):
                return Denial(DenialKind.CHALLENGE, stale=True)
        login = accounts.attempt_login(self.model, credentials.username, request.peer, valid)
        if not login.ok or login.user is None:
            return Denial(
                DenialKind.CHALLENGE, locked=login.locked, remaining_seconds=login.lock.remaining_seconds
            )
        if state is digest.NonceState.STALE:
            return Denial(DenialKind.CHALLENGE, stale=True)
        return login.user
