"""Who is asking: HTTP Digest, the web-session cookie, and on old firmware Basic (notes §1, §6, §8).

Rules, as a real device applies them:

* Digest (MD5, ``qop=auth``) with nonces that expire: a correct response with an expired or already-used
  nonce gets a fresh challenge with ``stale="TRUE"`` and does not count as a failed login;
* Basic is accepted only where the firmware or the ``webCertificate`` setting allows it; otherwise it is
  answered with a Digest challenge, never silently accepted, and not counted as a guess;
* a request with no credentials gets the challenge and the real HTML 401 body; it is not an attempt;
* every wrong credential counts against the caller's IP in the illegal-login lock; while locked, even the
  right password is refused and the lock time restarts (§8);
* a ``WebSession`` cookie from ``sessionLogin`` (§6.2) authenticates too.

A failed attempt is answered 401 with a challenge and, so that a client can tell "wrong" from "locked"
without another guess, the ``ResponseStatus`` auth-failure variant (``lockStatus``, ``retryTimes``,
``resLockTime``, §2.1); ``userCheck`` answers with its own root and ``retryLoginTime``/``unlockTime``
(§6.1). Both field sets come from the research notes; which body a given firmware sends on which route is
not captured, so this pairing is our choice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from camvault.device.http import Request, Response
from camvault.device.isapi.security import SESSION_COOKIE
from camvault.device.model import Account, DeviceModel, LoginOutcome, LoginResult
from camvault.device.model.lockout import LockStatus
from camvault.errors import ProtocolError
from camvault.protocols import digest
from camvault.protocols.isapi.documents import LockStatus as LockWord
from camvault.protocols.isapi.documents import UserCheck, encode
from camvault.protocols.isapi.status import error_status

__all__ = ["SESSION_COOKIE", "UNAUTHORIZED_HTML", "Authenticator", "Principal"]

NONCE_LIFETIME = 300.0

UNAUTHORIZED_HTML = (
    b"<!DOCTYPE html>\n"
    b"<html><head><title>Document Error: Unauthorized</title></head>\n"
    b"<body><h2>Access Error: 401 -- Unauthorized</h2>\n"
    b"<p>Authentication Error</p>\n"
    b"</body>\n"
    b"</html>\n"
)
"""The body of a real Hikvision 401 (research notes §1, captured on V5.5.0)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    account: Account
    session_id: str | None = None


class Authenticator:
    """Authenticates ISAPI requests for one device.

    Args:
        model: the device.
        nonce_secret: the HMAC key of this device's Digest nonces (random per boot is fine).
    """

    def __init__(self, model: DeviceModel, nonce_secret: bytes) -> None:
        self.model = model
        self.nonces = digest.NonceIssuer(nonce_secret, NONCE_LIFETIME)
        self.counter = digest.NonceCounter(max_entries=8192)

    # ------------------------------------------------------------------ entry point

    def authenticate(self, request: Request, *, user_check: bool = False) -> Principal | Response:
        """Return the caller, or the 401 response to send.

        Args:
            request: the request.
            user_check: render failures as a ``userCheck`` document (``/ISAPI/Security/userCheck``).
        """
        session = self._from_session(request)
        if session is not None:
            return session
        header = request.headers.get("authorization")
        if not header:
            return self._challenge(stale=False)
        try:
            credentials = digest.parse_authorization(header)
        except ProtocolError:
            return self._challenge(stale=False)
        if isinstance(credentials, digest.BasicAuthorization):
            return self._basic(credentials, request, user_check=user_check)
        return self._digest(credentials, request, user_check=user_check)

    def _from_session(self, request: Request) -> Principal | None:
        cookies = request.cookies
        session_id = next(
            (
                value
                for name, value in cookies.items()
                if name == SESSION_COOKIE or name.startswith(SESSION_COOKIE + "_")
            ),
            None,
        )
        if not session_id:
            return None
        if self.model.lock_status(request.peer).locked:
            # The lock covers everything from that address, open sessions included: otherwise a stolen
            # session could keep guessing the password through loginPassword checks.
            return None
        found = self.model.session(session_id)
        if found is None:
            return None
        return Principal(found[1], session_id)

    # ------------------------------------------------------------------ schemes

    def _digest(
        self, credentials: digest.DigestAuthorization, request: Request, *, user_check: bool
    ) -> Principal | Response:
        realm = self.model.identity.realm
        if credentials.realm != realm or credentials.uri != request.target:
            return self._challenge(stale=False)
        state = self.nonces.check(credentials.nonce, self.model.monotonic())
        if state is digest.NonceState.INVALID:
            return self._challenge(stale=False)

        def valid(account: Account) -> bool:
            ha1 = account.password.ha1(account.name, realm, credentials.algorithm.value)
            return digest.verify(credentials, method=request.method, ha1=ha1)

        if state is digest.NonceState.STALE:
            # A correct answer to an expired nonce is not a guess: ask again with stale="TRUE".
            account = self.model.account(credentials.username)
            if account is not None and valid(account) and not self.model.lock_status(request.peer).locked:
                return self._challenge(stale=True)
        else:
            nc = credentials.nonce_count
            if nc is None or not self.counter.accept(credentials.nonce, nc):
                return self._challenge(stale=True)
        outcome = self.model.attempt_login(credentials.username, request.peer, valid)
        if not outcome.ok or outcome.account is None:
            return self._failure(outcome, request, user_check=user_check)
        if state is digest.NonceState.STALE:
            return self._challenge(stale=True)
        return Principal(outcome.account)

    def _basic(
        self, credentials: digest.BasicAuthorization, request: Request, *, user_check: bool
    ) -> Principal | Response:
        if self.model.settings.web_auth != "digest/basic":
            return self._challenge(stale=False)
        outcome = self.model.attempt_login(
            credentials.username, request.peer, lambda account: account.password.matches(credentials.password)
        )
        if not outcome.ok or outcome.account is None:
            return self._failure(outcome, request, user_check=user_check)
        return Principal(outcome.account)

    # ------------------------------------------------------------------ answers

    def challenge_header(self, *, stale: bool) -> str:
        """A fresh ``WWW-Authenticate`` value."""
        return digest.format_challenge(
            self.model.identity.realm, self.nonces.issue(self.model.monotonic()), stale=stale
        )

    def _challenge(self, *, stale: bool) -> Response:
        headers = [("WWW-Authenticate", self.challenge_header(stale=stale)), ("Content-Type", "text/html")]
        if self.model.settings.web_auth == "digest/basic":
            headers.append(("WWW-Authenticate", f'Basic realm="{self.model.identity.realm}"'))
        return Response(401, headers, UNAUTHORIZED_HTML)

    def _failure(self, outcome: LoginOutcome, request: Request, *, user_check: bool) -> Response:
        lock = outcome.lock
        namespace = self.model.firmware.xml_namespace
        if user_check:
            body = encode(user_check_failure(lock, outcome.result), namespace=namespace)
        else:
            status = error_status(
                request.path,
                "badAuthorization",
                lock_status=LockWord.LOCKED if lock.locked else LockWord.UNLOCK,
                retry_times=lock.attempts_left,
                res_lock_time=lock.remaining_seconds,
            )
            body = encode(status, namespace=namespace)
        headers = [
            ("WWW-Authenticate", self.challenge_header(stale=False)),
            ("Content-Type", 'application/xml; charset="UTF-8"'),
        ]
        return Response(401, headers, body)


def user_check_failure(lock: LockStatus, result: LoginResult) -> UserCheck:
    """The ``userCheck`` document of a failed or refused login."""
    return UserCheck(
        status_value=401,
        status_string="Unauthorized" if result is not LoginResult.DISABLED else "Forbidden",
        lock_status=LockWord.LOCKED if lock.locked else LockWord.UNLOCK,
        unlock_time=lock.remaining_seconds,
        retry_login_time=lock.attempts_left,
    )


def basic_header(username: str, password: str) -> str:
    """An ``Authorization: Basic`` value (for tests and old-firmware clients)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
