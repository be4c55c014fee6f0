"""A lockout-safe HTTP Digest session with one device: one wrong password costs exactly one attempt.

Why not ``httpx.DigestAuth``: it re-sends its cached challenge and, on a 401, retries with the new one, so a
wrong password is guessed *twice* per request, and nothing in it knows about a device's illegal-login lock.
This session runs the Digest flow itself with :mod:`camvault.protocols.digest`:

* one challenge per device is cached with its ``nc`` (:class:`~camvault.protocols.digest.DigestClientState`),
  so requests after the first go out authenticated at once; the request that learns the challenge is sent
  without credentials, which a device never counts as a login attempt (research hikvision.md §1);
* every request that carries a credential goes through :meth:`AttemptBudget.spend` first, and its outcome is
  recorded after: a 2xx is a success; a 401 (or a document the driver recognises as a refusal) is a failure,
  recorded with the lock fields the device returned; a connection lost after the credential left is counted
  as an attempt of unknown outcome (:meth:`AttemptBudget.record_unconfirmed`);
* a 401 carrying ``stale="TRUE"`` is the device saying the *answer was right* but the nonce expired
  (RFC 7616 §3.3): the new challenge is adopted and the request re-sent, and no attempt is counted; at most
  :data:`MAX_STALE_RETRIES` times, so a confused device cannot keep us looping;
* HTTP Basic is never sent: a device that offers only Basic gets a
  :class:`~camvault.errors.DeviceProtocolError` naming the refusal to send a password in clear text, and a
  device that offers both is answered with Digest (:attr:`DigestSession.basic_offered` records the offer for
  the audit).

What counts as a failure, where the notes are silent: every 401 to a request that carried Digest credentials
and is not marked stale is recorded as a failed attempt and its password as rejected, even when the body does
not say so. A device that forgot its nonces (a reboot) without saying ``stale`` would make us count a right
password as wrong; to keep that window small the cached challenge is dropped after a transport error, when
the driver reboots the device, and after :data:`CHALLENGE_MAX_AGE` seconds, well under the device's own nonce
lifetime. Erring this way can only make the fleet tool more careful, never trip a lock.

Replies to credentialed requests with a status other than 2xx and 401 (403, 404, 5xx) are recorded as neither
success nor failure: a device may answer them before it checks the credential (the lab's fault injection
does). Requests to one device are serialised, so two coroutines never race on ``nc`` or on the budget.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from camvault.errors import DeviceProtocolError, DeviceUnreachable, ProtocolError
from camvault.fleet.drivers._transport import MAX_REPLY_BYTES, Reply, exchange
from camvault.fleet.drivers.budget import AttemptBudget
from camvault.fleet.drivers.models import Credential
from camvault.protocols import digest

__all__ = [
    "CHALLENGE_MAX_AGE",
    "MAX_STALE_RETRIES",
    "AuthFailure",
    "DigestSession",
    "FailureReader",
    "Outcome",
    "read_challenges",
]

CHALLENGE_MAX_AGE = 60.0
"""Seconds a cached challenge is reused; devices keep nonces longer (the emulator 300 s) [I]."""

MAX_STALE_RETRIES = 2
"""How many ``stale="TRUE"`` answers one request may get before the device is called confused."""

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BASIC = re.compile(r"(?:^|,)\s*basic(?:\s|,|$)", re.I)


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """What a device said when it refused a credential (every field optional: devices differ).

    Attributes:
        attempts_left: failures still allowed before the lock engages (``retryTimes``/``retryLoginTime``).
        locked: the device says its illegal-login lock is engaged for us.
        unlock_in_seconds: lock time left (``resLockTime``/``unlockTime``).
    """

    attempts_left: int | None = None
    locked: bool = False
    unlock_in_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of :meth:`DigestSession.send`.

    Attributes:
        reply: the device's last answer.
        failure: set when the device refused the credential (already recorded in the budget).
    """

    reply: Reply
    failure: AuthFailure | None = None


FailureReader = Callable[[Reply], AuthFailure | None]
"""Reads a protocol's refusal from a reply: the lock fields of a 401, or a refusal hidden in a 2xx body."""

Body = bytes | Callable[[], bytes]


def read_challenges(reply: Reply) -> tuple[digest.DigestChallenge | None, bool]:
    """Read a 401's ``WWW-Authenticate`` headers: the first usable Digest challenge, and whether Basic is offered.

    Raises:
        ProtocolError: a Digest challenge is present but malformed (the header grammar is broken, or a realm
            or nonce is missing).
    """
    values = reply.headers.get_list("www-authenticate")
    basic = any(_BASIC.search(_QUOTED.sub('""', value)) for value in values)
    challenge: digest.DigestChallenge | None = None
    for value in values:
        if not re.search(r"(?:^|,)\s*digest\s", _QUOTED.sub('""', value), re.I):
            continue
        challenge = digest.parse_challenge(value)
        break
    return challenge, basic


@dataclass(slots=True)
class _Cached:
    state: digest.DigestClientState
    adopted_at: float


class DigestSession:
    """The Digest conversation with one device (see the module docstring for the rules).

    Args:
        client: the caller's HTTP client.
        base_url: ``scheme://host:port`` of the device.
        device: how the device is named in errors and in the budget.
        budget: the shared attempt budget.
        source: the budget's source key (the address the device sees us from, when the caller knows it).
        read_failure: the protocol's reader of refusals; without it only the 401 itself is seen.
        rng: random bytes for client nonces.
        max_challenge_age: seconds a cached challenge is reused.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        device: str,
        budget: AttemptBudget,
        source: str = "",
        read_failure: FailureReader | None = None,
        rng: digest.RandomBytes = secrets.token_bytes,
        max_challenge_age: float = CHALLENGE_MAX_AGE,
    ) -> None:
        self._client = client
        self._base_url = base_url
        self.device = device
        self.budget = budget
        self.source = source
        self._read_failure = read_failure or (lambda reply: None)
        self._rng = rng
        self._max_age = max_challenge_age
        self._cached: _Cached | None = None
        self._lock = asyncio.Lock()
        self.basic_offered: bool | None = None

    def __repr__(self) -> str:
        return f"DigestSession(device={self.device!r}, challenged={self._cached is not None})"

    @property
    def realm(self) -> str | None:
        """The realm of the cached challenge, if one is cached."""
        return self._cached.state.challenge.realm if self._cached is not None else None

    def forget_challenge(self) -> None:
        """Drop the cached challenge (the device rebooted, or the connection failed)."""
        self._cached = None

    def _now(self) -> float:
        return self.budget.clock.monotonic()

    def _usable(self) -> digest.DigestClientState | None:
        cached = self._cached
        if cached is None:
            return None
        if self._now() - cached.adopted_at > self._max_age:
            self._cached = None
            return None
        return cached.state

    def _adopt(self, challenge: digest.DigestChallenge) -> None:
        if self._cached is None:
            self._cached = _Cached(digest.DigestClientState(challenge), self._now())
        else:
            self._cached.state.update(challenge)
            self._cached.adopted_at = self._now()

    def _challenge_of(self, reply: Reply) -> digest.DigestChallenge:
        try:
            challenge, basic = read_challenges(reply)
        except ProtocolError as exc:
            raise DeviceProtocolError(self.device, f"unreadable Digest challenge: {exc}") from None
        self.basic_offered = basic
        if challenge is not None:
            return challenge
        if basic:
            raise DeviceProtocolError(
                self.device,
                "the device offers only HTTP Basic authentication; refusing to send a password in clear text",
            )
        raise DeviceProtocolError(self.device, "the device answered 401 without a usable Digest challenge")

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        body: Body,
    ) -> httpx.Request:
        content = body() if callable(body) else body
        return self._client.build_request(
            method, self._base_url + path, params=params, headers=headers, content=content or None
        )

    async def send_unauthenticated(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = MAX_REPLY_BYTES,
    ) -> Reply:
        """Send a request without credentials (never an attempt); adopt the Digest challenge of a 401.

        A malformed challenge or a Basic-only device is *not* an error here (:attr:`basic_offered` says what
        was offered); it becomes one when a credential would have to be sent.

        Raises:
            DeviceUnreachable, DeviceTimeout, DeviceProtocolError: as :func:`exchange`.
        """
        async with self._lock:
            request = self._request(method, path, params=None, headers=headers, body=content or b"")
            reply = await self._exchange(request, max_bytes=max_bytes)
            if reply.status == 401:
                try:
                    challenge, self.basic_offered = read_challenges(reply)
                except ProtocolError:
                    challenge = None
                if challenge is not None:
                    self._adopt(challenge)
            return reply

    async def send(
        self,
        method: str,
        path: str,
        credential: Credential,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Body = b"",
        body_carries_credential: bool = False,
        max_bytes: int = MAX_REPLY_BYTES,
        read_failure: FailureReader | None = None,
    ) -> Outcome:
        """Send one request authenticated with ``credential``, spending at most one login attempt.

        Args:
            method: the HTTP method.
            path: the path on the device (the query goes in ``params``).
            credential: the credential to authenticate with.
            params: query parameters.
            headers: extra request headers.
            body: the body, or a function building it afresh for each send (a body that signs a
                timestamp, such as a WS-Security token, must not be replayed).
            body_carries_credential: the body itself authenticates (ONVIF WS-Security), so even the request
                that learns the HTTP challenge spends an attempt.
            max_bytes: the largest reply accepted.
            read_failure: this request's reader of refusals, instead of the session's.

        Returns:
            The final reply, with the refusal the device expressed, if any.

        Raises:
            AttemptBudgetExhausted, DeviceLocked, AuthenticationFailed: the budget refused; nothing was sent.
            DeviceProtocolError: only Basic is offered, the challenge is unreadable, or the device keeps
                answering stale nonces.
            DeviceUnreachable, DeviceTimeout: as :func:`exchange` (the attempt is counted as unconfirmed when a
                credential had been sent).
        """
        reader = read_failure or self._read_failure
        async with self._lock:
            stale_answers = 0
            learnt = False
            while True:
                state = self._usable()
                credentialed = state is not None or body_carries_credential
                if credentialed:
                    self.budget.spend(self.device, credential.password, self.source)
                request = self._request(method, path, params=params, headers=headers, body=body)
                if state is not None:
                    request.headers["Authorization"] = self._authorization(state, request, credential)
                reply = await self._exchange(request, credentialed=credentialed, max_bytes=max_bytes)
                if reply.status == 401:
                    challenge = self._challenge_of(reply)
                    if state is None:
                        # The challenge itself: no Digest credentials were sent, so nothing was judged.
                        if learnt:
                            raise DeviceProtocolError(self.device, "the device keeps sending new challenges")
                        self._adopt(challenge)
                        learnt = True
                        continue
                    if challenge.stale:
                        stale_answers += 1
                        self._adopt(challenge)
                        if stale_answers > MAX_STALE_RETRIES:
                            raise DeviceProtocolError(self.device, "the device keeps answering stale nonces")
                        continue
                    failure = reader(reply) or AuthFailure()
                    self._adopt(challenge)
                    self._record_failure(credential, failure)
                    return Outcome(reply, failure)
                refusal = reader(reply) if credentialed else None
                if refusal is not None:
                    self._record_failure(credential, refusal)
                    return Outcome(reply, refusal)
                if credentialed and reply.ok:
                    self.budget.record_success(self.device, self.source)
                return Outcome(reply)

    def _authorization(
        self, state: digest.DigestClientState, request: httpx.Request, credential: Credential
    ) -> str:
        uri = request.url.raw_path.decode("ascii")
        try:
            return state.authorize(
                request.method, uri, credential.username, credential.password, rng=self._rng
            )
        except ProtocolError as exc:
            self._cached = None
            raise DeviceProtocolError(
                self.device, f"the Digest challenge cannot be answered: {exc}"
            ) from None

    async def _exchange(
        self, request: httpx.Request, *, credentialed: bool = False, max_bytes: int = MAX_REPLY_BYTES
    ) -> Reply:
        try:
            return await exchange(self._client, request, device=self.device, max_bytes=max_bytes)
        except DeviceUnreachable:
            self._cached = None
            if credentialed:
                self.budget.record_unconfirmed(self.device, self.source)
            raise

    def _record_failure(self, credential: Credential, failure: AuthFailure) -> None:
        if failure.locked:
            # A locked device refuses even the right password, so the refusal says nothing about this one.
            self.budget.record_lock(
                self.device, unlock_in_seconds=failure.unlock_in_seconds, source=self.source
            )
            return
        self.budget.record_failure(
            self.device, credential.password, attempts_left=failure.attempts_left, source=self.source
        )
