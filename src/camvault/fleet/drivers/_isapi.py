"""The ISAPI conversation of the Hikvision driver: documents in, documents out, refusals as driver errors.

:class:`IsapiClient` sits on a :class:`~camvault.fleet.drivers._digest_session.DigestSession` and knows the
ISAPI conventions (research notes hikvision.md §2): success is HTTP 2xx with a ``ResponseStatus`` whose
``statusCode`` is 1 (or 7, "Reboot Required", which QB60 treats as success); a refused login is a 401 that
carries a ``ResponseStatus`` with ``lockStatus``/``retryTimes``/``resLockTime`` (§2.1), or, on
``/ISAPI/Security/userCheck``, a ``userCheck`` with ``lockStatus``/``retryLoginTime``/``unlockTime`` (§6.1);
an inactive device answers 403 with ``notActivated`` (§2.3). Every document is decoded through the shared
codecs (namespace-agnostic, bounded, hostile XML refused), and anything they refuse becomes a
:class:`~camvault.errors.DeviceProtocolError`.

Where the notes are silent: a 2xx ``userCheck`` whose ``statusValue`` is not 200 is read as a refused login
(old firmware answering 200 with ``statusValue`` 401 would otherwise pass for a success); 404, 405, 501 and
``notSupport`` mean the firmware lacks the resource (:class:`~camvault.errors.UnsupportedOperation`); other
4xx answers and unsuccessful statuses are definite refusals (:class:`~camvault.errors.DeviceRefused`, nothing
changed) with the device's ``subStatusCode`` in the message; 5xx answers and "Device Busy"/"Device Error"
statuses are failures whose effect is unknown (a plain :class:`~camvault.errors.DeviceError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from camvault.errors import (
    AuthenticationFailed,
    DeviceError,
    DeviceLocked,
    DeviceNotActivated,
    DeviceProtocolError,
    DeviceRefused,
    ProtocolError,
    UnsupportedOperation,
)
from camvault.fleet.drivers._digest_session import AuthFailure, DigestSession, Outcome
from camvault.fleet.drivers._transport import MAX_REPLY_BYTES, Reply
from camvault.fleet.drivers.models import Credential
from camvault.protocols.isapi.documents import Document, LockStatus, UserCheck, decode, encode
from camvault.protocols.isapi.status import ResponseStatus, StatusCode, decode_status

__all__ = ["XML_CONTENT_TYPE", "IsapiClient", "read_failure", "response_status"]

XML_CONTENT_TYPE = 'application/xml; charset="UTF-8"'

DocumentT = TypeVar("DocumentT", bound=Document)

_UNSUPPORTED_STATUSES = frozenset({404, 405, 501})
_UNSUPPORTED_SUB_STATUSES = frozenset({"notSupport", "methodNotAllowed"})


def response_status(content: bytes) -> ResponseStatus | None:
    """The ``ResponseStatus`` in a body, or ``None`` when the body is not one (HTML, empty, hostile)."""
    try:
        return decode_status(content)
    except ProtocolError:
        return None


def read_failure(reply: Reply) -> AuthFailure | None:
    """Read a refused login from an ISAPI reply (the :data:`FailureReader` of the Hikvision driver).

    A 401 gives its lock fields when its body carries them (``ResponseStatus`` or ``userCheck``), else an
    empty :class:`AuthFailure`; a 2xx ``userCheck`` with a ``statusValue`` other than 200 is a refusal too.
    Anything else is ``None``. Never raises: a 401 is a refusal whatever its body looks like.
    """
    if reply.status == 401:
        return _failure_fields(reply.content) or AuthFailure()
    if reply.ok and b"userCheck" in reply.content[:512]:
        check = _user_check(reply.content)
        if check is not None and check.status_value != 200:
            return _from_user_check(check)
    return None


def _user_check(content: bytes) -> UserCheck | None:
    try:
        return decode(content, UserCheck)
    except ProtocolError:
        return None


def _from_user_check(check: UserCheck) -> AuthFailure:
    return AuthFailure(
        attempts_left=check.retry_login_time,
        locked=check.lock_status is LockStatus.LOCKED,
        unlock_in_seconds=check.unlock_time or None,
    )


def _failure_fields(content: bytes) -> AuthFailure | None:
    check = _user_check(content)
    if check is not None:
        return _from_user_check(check)
    status = response_status(content)
    if status is None or (status.lock_status is None and status.retry_times is None):
        return None
    return AuthFailure(
        attempts_left=status.retry_times,
        locked=status.lock_status is LockStatus.LOCKED,
        unlock_in_seconds=status.res_lock_time or None,
    )


class IsapiClient:
    """ISAPI requests on one device, with the driver's error mapping.

    Args:
        session: the device's Digest session (its :attr:`~DigestSession.device` names the device).
    """

    def __init__(self, session: DigestSession) -> None:
        self.session = session
        self.device = session.device

    # ------------------------------------------------------------------ reading

    async def get(
        self,
        path: str,
        cls: type[DocumentT],
        credential: Credential,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
    ) -> DocumentT:
        """``GET`` a document.

        Args:
            path: the resource.
            cls: the document type expected.
            credential: who asks.
            what: the resource in words, for error messages ("the user list").
            params: query parameters.

        Raises:
            AuthenticationFailed, DeviceLocked: the device refused the credential.
            DeviceNotActivated, UnsupportedOperation, DeviceRefused: the device refused the request.
            DeviceError: the device failed (5xx).
            DeviceProtocolError: the reply is not a valid ``cls`` document.
            and the budget and transport errors of :meth:`DigestSession.send`.
        """
        outcome = await self.session.send("GET", path, credential, params=params)
        reply = self._accepted(outcome, credential, what=what)
        try:
            return self.decode(reply.content, cls, what=what)
        except DeviceProtocolError:
            status = response_status(reply.content)
            if status is not None and not status.is_success:
                raise self.refusal(reply, what=what) from None  # old firmware: an error status under HTTP 200
            raise

    def decode(self, content: bytes, cls: type[DocumentT], *, what: str) -> DocumentT:
        """Decode a document, mapping codec errors to :class:`DeviceProtocolError`."""
        try:
            return decode(content, cls)
        except ProtocolError as exc:
            raise DeviceProtocolError(self.device, f"{what} is not a valid ISAPI document: {exc}") from None

    async def get_binary(
        self, path: str, credential: Credential, *, what: str, params: Mapping[str, str], max_bytes: int
    ) -> bytes:
        """``GET`` a binary resource (a configuration file).

        Raises:
            the errors of :meth:`get`.
        """
        outcome = await self.session.send("GET", path, credential, params=params, max_bytes=max_bytes)
        reply = self._accepted(outcome, credential, what=what)
        if reply.headers.get("content-type", "").lower().startswith(("application/xml", "text/xml")):
            raise self.refusal(reply, what=what)
        return reply.content

    # ------------------------------------------------------------------ writing

    async def write(
        self,
        method: str,
        path: str,
        credential: Credential,
        *,
        what: str,
        document: Document | None = None,
        content: bytes | None = None,
        content_type: str = XML_CONTENT_TYPE,
        params: Mapping[str, str] | None = None,
    ) -> ResponseStatus | None:
        """Send a change and check the device's ``ResponseStatus``.

        The body is ``document`` rendered without a namespace (as Hikvision's own web UI sends it), or the
        raw ``content``.

        Returns:
            The device's status (``None`` for an empty 2xx body, which some firmware sends).

        Raises:
            DeviceRefused: the device refused the change; the message carries its ``subStatusCode``.
            and the errors of :meth:`get`.
        """
        body = encode(document, namespace=None) if document is not None else (content or b"")
        headers = {"Content-Type": content_type} if body else None
        outcome = await self.session.send(method, path, credential, params=params, headers=headers, body=body)
        reply = self._accepted(outcome, credential, what=what)
        if not reply.content.strip():
            return None
        status = response_status(reply.content)
        if status is None:
            raise DeviceProtocolError(self.device, f"the reply to {what} is not a ResponseStatus")
        if not status.is_success:
            raise self.refusal(reply, what=what)
        return status

    # ------------------------------------------------------------------ unauthenticated

    async def public(
        self, method: str, path: str, *, content: bytes | None = None, max_bytes: int = MAX_REPLY_BYTES
    ) -> Reply:
        """Send a request that needs no credentials (activation, probes): never an attempt.

        Raises:
            DeviceUnreachable, DeviceTimeout, DeviceProtocolError: as the transport.
        """
        headers = {"Content-Type": XML_CONTENT_TYPE} if content else None
        return await self.session.send_unauthenticated(
            method, path, content=content, headers=headers, max_bytes=max_bytes
        )

    # ------------------------------------------------------------------ errors

    def _accepted(self, outcome: Outcome, credential: Credential, *, what: str) -> Reply:
        if outcome.failure is not None:
            raise self.auth_error(outcome.failure, credential)
        if not outcome.reply.ok:
            raise self.refusal(outcome.reply, what=what)
        return outcome.reply

    def auth_error(self, failure: AuthFailure, credential: Credential) -> DeviceError:
        """The exception for a refused credential: :class:`DeviceLocked` when the device says so."""
        if failure.locked:
            state = self.session.budget.state(self.device, self.session.source)
            return DeviceLocked(
                self.device, "the device's login lock is engaged", locked_until=state.locked_until
            )
        return AuthenticationFailed(
            self.device,
            f"the device rejected the password for {credential.username!r}",
            attempts_left=failure.attempts_left,
        )

    def refusal(self, reply: Reply, *, what: str) -> DeviceError:
        """Map a refusal (non-2xx, or an unsuccessful ``ResponseStatus``) to a driver error."""
        status = response_status(reply.content)
        sub = status.sub_status_code if status is not None else None
        if sub == "notActivated" or (reply.status == 403 and b"notActivated" in reply.content):
            return DeviceNotActivated(self.device, "the device is not activated yet")
        if sub in _UNSUPPORTED_SUB_STATUSES or reply.status in _UNSUPPORTED_STATUSES:
            return UnsupportedOperation(self.device, f"the device does not support {what}")
        reason = sub or (status.status_string if status is not None else None) or f"HTTP {reply.status}"
        failed = status is not None and status.status_code in (
            StatusCode.DEVICE_BUSY,
            StatusCode.DEVICE_ERROR,
        )
        if reply.status >= 500 or failed:
            return DeviceError(self.device, f"{what} failed on the device (HTTP {reply.status}, {reason})")
        return DeviceRefused(self.device, f"the device refused {what} ({reason})")
