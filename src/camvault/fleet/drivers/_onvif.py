"""ONVIF device-service messages for the driver: requests, replies, and the one fault classifier.

Shapes from the research notes (``onvif.md`` §1.2, §1.3, §1.8): SOAP 1.2 envelopes with the ``tds``
operation in the body and ``tt``-qualified children of ``tt:User``; replies are read by local name, so any
prefix a device picks works. Faults go through :func:`classify_fault`, the single place that decides what a
fault means, from its subcodes first (the Home Assistant lesson, aesthetics.md §5: cameras misreport, so
the decision must be explicit and tested):

* ``ter:NotAuthorized`` (Core "Sender not Authorized"), and the WS-Security faults
  ``wsse:FailedAuthentication`` / ``InvalidSecurityToken`` / ``InvalidSecurity``, are authentication
  failures; a fault with no recognised subcode whose reason reads "not authorized" is one too (devices that
  drop the subcode) [I];
* ``ter:ActionNotSupported``, ``ter:NoSuchService`` and ``ter:UnknownAction`` mean "unsupported";
* other ``Sender`` faults are refusals (``ter:PasswordTooWeak``, ``ter:UsernameClash``, ``ter:FixedUser``,
  ...) named by their innermost subcode; ``Receiver`` faults are the device failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent, ProtocolError
from camvault.fleet.drivers._digest_session import AuthFailure
from camvault.fleet.drivers._transport import Reply
from camvault.protocols import soap, xml
from camvault.protocols.soap import DEVICE_NS, ONVIF_ERROR_NS, SCHEMA_NS, WSSE_NS, Envelope, Fault, FaultCode
from camvault.protocols.xml import Node

__all__ = [
    "NAMESPACES",
    "DeviceInformation",
    "FaultClass",
    "FaultKind",
    "OnvifUser",
    "classify_fault",
    "read_auth_failure",
    "read_device_information",
    "read_fault",
    "read_mac",
    "read_system_time",
    "read_users",
    "render_request",
    "response_body",
    "soap_headers",
    "user_node",
]

NAMESPACES = {"tds": DEVICE_NS, "tt": SCHEMA_NS}

_AUTH_SUBCODES = frozenset(
    {
        (ONVIF_ERROR_NS, "NotAuthorized"),
        (WSSE_NS, "FailedAuthentication"),
        (WSSE_NS, "InvalidSecurityToken"),
        (WSSE_NS, "InvalidSecurity"),
    }
)
_UNSUPPORTED_SUBCODES = frozenset({"ActionNotSupported", "NoSuchService", "UnknownAction"})


class FaultKind(StrEnum):
    """What a SOAP fault means to the driver."""

    AUTHENTICATION = "authentication"
    UNSUPPORTED = "unsupported"
    REFUSED = "refused"
    DEVICE_FAILURE = "device_failure"


@dataclass(frozen=True, slots=True)
class FaultClass:
    """A classified fault.

    Attributes:
        kind: what it means.
        reason: the innermost subcode's local name (``PasswordTooWeak``), else the code (``Sender``).
    """

    kind: FaultKind
    reason: str


def classify_fault(fault: Fault) -> FaultClass:
    """Decide what a fault means, from its subcodes (see the module docstring for the rules)."""
    names = {(sub.namespace, sub.local) for sub in fault.subcodes}
    reason = fault.subcodes[-1].local if fault.subcodes else fault.code.value
    if names & _AUTH_SUBCODES:
        return FaultClass(FaultKind.AUTHENTICATION, "NotAuthorized")
    if {local for _, local in names} & _UNSUPPORTED_SUBCODES:
        return FaultClass(FaultKind.UNSUPPORTED, reason)
    if not fault.subcodes and "not authorized" in fault.reason.lower():
        return FaultClass(FaultKind.AUTHENTICATION, "NotAuthorized")
    if fault.code is FaultCode.RECEIVER:
        return FaultClass(FaultKind.DEVICE_FAILURE, reason)
    return FaultClass(FaultKind.REFUSED, reason)


def read_fault(content: bytes) -> Fault | None:
    """The fault in a reply body, or ``None`` when the body is not a readable SOAP fault."""
    if b"Fault" not in content:
        return None
    try:
        envelope = soap.parse_envelope(content)
        return soap.parse_fault(envelope) if envelope.is_fault else None
    except ProtocolError:
        return None


def read_auth_failure(reply: Reply) -> AuthFailure | None:
    """The driver's :data:`FailureReader`: an authentication fault (any status) is a refused login.

    ONVIF carries no lock fields, so the failure is empty: the budget counts it against its own threshold.
    """
    fault = read_fault(reply.content)
    if fault is not None and classify_fault(fault).kind is FaultKind.AUTHENTICATION:
        return AuthFailure()
    return None


def soap_headers(operation: str) -> dict[str, str]:
    """The HTTP headers of a SOAP 1.2 request for a device-service operation (as zeep sends them)."""
    return {"Content-Type": f'{soap.CONTENT_TYPE}; action="{DEVICE_NS}/{operation}"'}


def render_request(operation: str, children: Sequence[Node] = (), *, header: Sequence[Node] = ()) -> bytes:
    """Render ``<tds:operation>`` with its children, and optional header blocks (a UsernameToken)."""
    return soap.render_envelope(
        Node(f"tds:{operation}", children=tuple(children)), header=header, namespaces=NAMESPACES
    )


def response_body(envelope: Envelope, operation: str) -> Element:
    """The ``<operationResponse>`` element of a reply.

    Raises:
        InvalidContent: the body is empty or holds another element.
    """
    body = envelope.body
    expected = f"{operation}Response"
    if body is None or xml.local_name(body.tag) != expected:
        raise InvalidContent(f"the reply is not a {expected}", field=expected)
    return body


def read_system_time(body: Element) -> datetime:
    """The UTC time of a ``GetSystemDateAndTimeResponse`` (``tt:UTCDateTime``, Time then Date, §1.2).

    Raises:
        InvalidContent: ``UTCDateTime`` is missing or not a valid date and time.
    """
    utc = xml.child(body, "SystemDateAndTime", "UTCDateTime")
    if utc is None:
        raise InvalidContent("the device gave no UTCDateTime", field="UTCDateTime")
    try:
        return datetime(
            xml.integer(utc, "Date", "Year", minimum=1970, maximum=9999),
            xml.integer(utc, "Date", "Month", minimum=1, maximum=12),
            xml.integer(utc, "Date", "Day", minimum=1, maximum=31),
            xml.integer(utc, "Time", "Hour", minimum=0, maximum=23),
            xml.integer(utc, "Time", "Minute", minimum=0, maximum=59),
            xml.integer(utc, "Time", "Second", minimum=0, maximum=60) % 60,
            tzinfo=UTC,
        )
    except ValueError:
        raise InvalidContent("UTCDateTime is not a valid date", field="UTCDateTime") from None


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    """``GetDeviceInformationResponse`` (§1.3): all strings; ``Manufacturer`` tolerated absent."""

    manufacturer: str | None
    model: str
    firmware_version: str
    serial_number: str
    hardware_id: str | None


def read_device_information(body: Element) -> DeviceInformation:
    """Read ``GetDeviceInformationResponse``.

    Raises:
        InvalidContent: ``Model``, ``FirmwareVersion`` or ``SerialNumber`` is missing.
    """
    return DeviceInformation(
        manufacturer=xml.optional_text(body, "Manufacturer", max_length=128) or None,
        model=xml.text(body, "Model", max_length=128),
        firmware_version=xml.text(body, "FirmwareVersion", max_length=128),
        serial_number=xml.text(body, "SerialNumber", max_length=128),
        hardware_id=xml.optional_text(body, "HardwareId", max_length=128) or None,
    )


def read_mac(body: Element) -> str | None:
    """The first ``NetworkInterfaces/Info/HwAddress`` of a ``GetNetworkInterfacesResponse``, lower-case."""
    for interface in xml.children(body, "NetworkInterfaces"):
        address = xml.optional_text(interface, "Info", "HwAddress", max_length=64)
        if address:
            return address.lower().replace("-", ":")
    return None


@dataclass(frozen=True, slots=True)
class OnvifUser:
    """One ``tds:User`` of ``GetUsersResponse`` (never with a password, §1.3)."""

    username: str
    level: str


def read_users(body: Element) -> list[OnvifUser]:
    """Read every ``User`` of ``GetUsersResponse``.

    Raises:
        InvalidContent: a user lacks ``Username`` or ``UserLevel``.
    """
    return [
        OnvifUser(xml.text(user, "Username", max_length=256), xml.text(user, "UserLevel", max_length=32))
        for user in xml.children(body, "User")
    ]


def user_node(username: str, password: str, level: str) -> Node:
    """``<tds:User><tt:Username/><tt:Password/><tt:UserLevel/></tds:User>`` (§1.8)."""
    return Node(
        "tds:User",
        children=(Node("tt:Username", username), Node("tt:Password", password), Node("tt:UserLevel", level)),
    )
