"""The ONVIF SOAP endpoint of one device: ``POST /onvif/device_service`` (and ``/onvif/Media``).

Every request goes through the same steps, and every refusal is rendered here:

1. ``POST`` only (405 otherwise); an XML content type (415 otherwise: Core's HTTP error table).
2. A Hikvision device whose ONVIF is switched off, or that is not activated, answers every operation with
   HTTP 400 and ``env:Sender/ter:NotAuthorized``, PRE_AUTH ones included, and counts nothing. How real
   firmware answers then is not documented; we chose what owners report seeing (clients "cannot
   authenticate" until ONVIF is enabled and an ONVIF user added), and it lets a careful client tell "off"
   (even ``GetSystemDateAndTime`` is refused) from "wrong password".
3. The envelope is parsed bounded and defused; malformed, oversized or hostile XML is
   ``env:Sender/ter:WellFormed``, a non-SOAP-1.2 envelope ``env:VersionMismatch``, a misplaced Header or Body
   ``ter:TagMismatch``, an empty Body ``ter:Tag``, an unknown ``mustUnderstand`` header ``env:MustUnderstand``.
4. The operation is found by the body element's namespace-resolved QName (never its prefix, never the
   ``action``): an unknown operation of an ONVIF service is ``env:Receiver/ter:ActionNotSupported``, a body in
   another namespace ``ter:Namespace``.
5. Authentication and the access policy (:mod:`camvault.device.onvif.auth`).
6. The handler; a refusal becomes its Core fault (:data:`REFUSAL_FAULTS`), a malformed argument
   ``ter:InvalidArgs``. Nothing changes before every argument has been checked.

HTTP status of a fault: 500 for ``env:Receiver`` faults (the device cannot: ActionNotSupported, TooManyUsers,
Action Failed), 400 for every fault the request caused (``env:Sender``, and also ``env:VersionMismatch`` and
``env:MustUnderstand``, which the SOAP 1.2 HTTP binding would send as 500: we keep 5xx for device failures,
so that no malformed or hostile input ever looks like a broken device). zeep raises ``Fault`` for either
status (``onvif.md`` §1.3). No input makes :meth:`OnvifService.handle` raise.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterable, Mapping
from typing import Final
from xml.etree.ElementTree import Element

from camvault.device.host import DeviceHost
from camvault.device.http import Request, Response
from camvault.device.isapi.auth import UNAUTHORIZED_HTML
from camvault.device.model import DeviceModel, Kind
from camvault.device.model.onvif import OnvifUser, Refusal
from camvault.device.onvif.auth import AccessClass, Denial, DenialKind, OnvifAuthenticator, may_call
from camvault.device.onvif.call import MEDIA_NS, NAMESPACES, OnvifCall, Operation
from camvault.device.onvif.device_management import DEVICE_OPERATIONS
from camvault.device.onvif.media import MEDIA_OPERATIONS
from camvault.errors import DeviceRefusal, InvalidContent, MalformedMessage, MessageTooLarge
from camvault.protocols import soap
from camvault.protocols.soap import (
    DEVICE_NS,
    ONVIF_ERROR_NS,
    SOAP_ENV_NS,
    WSA_NS,
    WSSE_NS,
    Envelope,
    Fault,
    FaultCode,
    QName,
)

__all__ = ["LOCKED_REASON", "OPERATIONS", "REFUSAL_FAULTS", "OnvifService"]

OPERATIONS: Final[tuple[Operation, ...]] = DEVICE_OPERATIONS + MEDIA_OPERATIONS
"""Every operation the service answers."""

_SERVICE_NAMESPACES: Final = frozenset({DEVICE_NS, MEDIA_NS})
_UNDERSTOOD_HEADERS: Final = frozenset({WSSE_NS, WSA_NS, "http://schemas.xmlsoap.org/ws/2004/08/addressing"})
_XML_TYPES: Final = ("application/soap+xml", "text/xml", "application/xml")
_SOAP_HEADERS: Final = (("Content-Type", soap.CONTENT_TYPE),)

LOCKED_REASON: Final = "Sender not Authorized. The illegal-login lock is engaged for this address"
"""The fault reason while the caller's address is locked out (see :mod:`camvault.device.onvif.auth`)."""


def _onvif_fault(code: FaultCode, *subcodes: str, reason: str) -> Fault:
    return Fault(code, tuple(QName(ONVIF_ERROR_NS, sub) for sub in subcodes), reason)


REFUSAL_FAULTS: Final[Mapping[str, Fault]] = {
    Refusal.USERNAME_CLASH: soap.USERNAME_CLASH,
    Refusal.USERNAME_TOO_LONG: soap.USERNAME_TOO_LONG,
    Refusal.USERNAME_TOO_SHORT: soap.USERNAME_TOO_SHORT,
    Refusal.USERNAME_MISSING: soap.USERNAME_MISSING,
    Refusal.PASSWORD_TOO_LONG: soap.PASSWORD_TOO_LONG,
    Refusal.PASSWORD_TOO_WEAK: soap.PASSWORD_TOO_WEAK,
    Refusal.TOO_MANY_USERS: soap.TOO_MANY_USERS,
    Refusal.ANONYMOUS_NOT_ALLOWED: soap.ANONYMOUS_NOT_ALLOWED,
    Refusal.FIXED_USER: soap.FIXED_USER,
    Refusal.INVALID_ARG_VAL: soap.INVALID_ARG_VAL,
    "NoSuchService": soap.NO_SUCH_SERVICE,
    "NotAuthorized": soap.NOT_AUTHORIZED,
    "NoProfile": _onvif_fault(
        FaultCode.SENDER, "InvalidArgVal", "NoProfile", reason="The requested profile token does not exist"
    ),
}
"""The fault for each refusal reason; any other reason is ``env:Receiver/ter:Action`` ("Action Failed")."""

_SET_USER = QName(DEVICE_NS, "SetUser")


class OnvifService:
    """Answer ONVIF requests for one device.

    Args:
        model: the device.
        host: the lab side of the device.
        nonce_secret: key of the HTTP Digest nonces (random when omitted).
        operations: the operation table.
    """

    def __init__(
        self,
        model: DeviceModel,
        host: DeviceHost,
        *,
        nonce_secret: bytes | None = None,
        operations: Iterable[Operation] = OPERATIONS,
    ) -> None:
        self.model = model
        self.host = host
        self.auth = OnvifAuthenticator(model, nonce_secret or secrets.token_bytes(32))
        self.operations = {operation.name: operation for operation in operations}

    def __repr__(self) -> str:
        return f"OnvifService(device={self.model.identity.serial!r}, operations={len(self.operations)})"

    @property
    def serving(self) -> bool:
        """Whether the device answers ONVIF at all (switched on, and activated)."""
        return self.model.settings.onvif_enabled and self.model.activated

    def handle(self, request: Request) -> Response:
        """Answer one request (never raises for any input)."""
        if request.method != "POST":
            return Response(
                405, [("Allow", "POST"), ("Content-Type", "text/plain")], b"405 Method Not Allowed\n"
            )
        if not self.serving:
            return self._fault(soap.NOT_AUTHORIZED)
        content_type = request.headers.get("content-type", "").lower()
        if content_type and not any(kind in content_type for kind in _XML_TYPES):
            return Response(415, [("Content-Type", "text/plain")], b"415 Unsupported Media Type\n")
        parsed = self._parse(request.body)
        if isinstance(parsed, Fault):
            return self._fault(parsed)
        envelope, body, operation = parsed
        caller: OnvifUser | None = None
        self_service = False
        if operation.access is not AccessClass.PRE_AUTH:
            found = self.auth.authenticate(request, envelope)
            if isinstance(found, Denial):
                return self._denied(found)
            caller = found
            if not may_call(caller, operation.access):
                if not operation.self_service:
                    return self._fault(soap.NOT_AUTHORIZED)
                self_service = True
        call = OnvifCall(request, envelope, body, self.model, self.host, caller, self_service)
        return self._run(operation, call)

    # ------------------------------------------------------------------ steps

    def _parse(self, data: bytes) -> tuple[Envelope, Element, Operation] | Fault:
        try:
            envelope = soap.parse_envelope(data)
        except (MalformedMessage, MessageTooLarge):
            return soap.WELL_FORMED
        except InvalidContent as exc:
            return soap.VERSION_MISMATCH if exc.field == "Envelope" else soap.TAG_MISMATCH
        body = envelope.body
        if body is None or envelope.body_name is None or envelope.is_fault:
            return soap.NO_TAG
        if self._misunderstood(envelope):
            return soap.MUST_UNDERSTAND
        operation = self.operations.get(envelope.body_name)
        if operation is not None:
            return envelope, body, operation
        if envelope.body_name.namespace in _SERVICE_NAMESPACES:
            return soap.ACTION_NOT_SUPPORTED
        return soap.NAMESPACE_ERROR

    @staticmethod
    def _misunderstood(envelope: Envelope) -> bool:
        for block in envelope.header_blocks:
            flag = (block.get(f"{{{SOAP_ENV_NS}}}mustUnderstand") or "").strip().lower()
            if flag in ("1", "true") and QName.of(block).namespace not in _UNDERSTOOD_HEADERS:
                return True
        return False

    def _run(self, operation: Operation, call: OnvifCall) -> Response:
        try:
            body = operation.handler(call)
        except DeviceRefusal as refusal:
            return self._fault(self._fault_for(refusal, operation))
        except (MalformedMessage, MessageTooLarge):
            return self._fault(soap.WELL_FORMED)
        except InvalidContent:
            return self._fault(soap.INVALID_ARGS)
        return Response(200, list(_SOAP_HEADERS), soap.render_envelope(body, namespaces=NAMESPACES))

    @staticmethod
    def _fault_for(refusal: DeviceRefusal, operation: Operation) -> Fault:
        fault = REFUSAL_FAULTS.get(refusal.reason, soap.ACTION_FAILED)
        if refusal.reason == Refusal.FIXED_USER and operation.name == _SET_USER:
            return dataclasses.replace(fault, reason="Password or User level may not be changed")
        return fault

    # ------------------------------------------------------------------ answers

    @staticmethod
    def _fault(fault: Fault) -> Response:
        status = 500 if fault.code is FaultCode.RECEIVER else 400
        return Response(status, list(_SOAP_HEADERS), soap.render_fault(fault))

    def _denied(self, denial: Denial) -> Response:
        fault = soap.NOT_AUTHORIZED
        if denial.locked:
            fault = dataclasses.replace(
                fault, reason=f"{LOCKED_REASON}: retry in {denial.remaining_seconds} s"
            )
        if denial.kind is DenialKind.NOT_AUTHORIZED:
            return self._fault(fault)
        challenge = ("WWW-Authenticate", self.auth.challenge_header(stale=denial.stale))
        if self.model.identity.kind is Kind.ONVIF_CAMERA:
            return Response(401, [challenge, *_SOAP_HEADERS], soap.render_fault(fault))
        # Hikvision's web server answers an ONVIF request it will not take with its HTML 401 page (a Hikvision
        # NVR's reply quoted in Home Assistant issue #119024).
        return Response(401, [challenge, ("Content-Type", "text/html")], UNAUTHORIZED_HTML)
