"""SOAP 1.2 envelopes and faults as ONVIF devices and clients exchange them (sans-I/O).

Reading: :func:`parse_envelope` bounds and defuses the document through :func:`camvault.protocols.xml.parse`,
checks the SOAP 1.2 structure (``Envelope``, optional ``Header``, ``Body``), and names the body's first child
by its *namespace-resolved* :class:`QName`. Routing must use that QName, never the prefix: zeep writes
``ns0:CreateUsers`` where another client writes ``tds:CreateUsers`` (research ``onvif.md`` §1.1, §1.6).
Because several ONVIF values are QNames *inside text* (fault subcodes, WS-Discovery ``Types``), an
:class:`Envelope` also remembers the namespace declarations in scope at each element and resolves such
values with :meth:`Envelope.resolve_qname`.

Writing: :func:`render_envelope` takes a body written as an :class:`~camvault.protocols.xml.Node` tree
whose names carry prefixes (``tds:GetUsersResponse``), plus the prefix map to declare on the Envelope, and
refuses a tree that uses an undeclared prefix. :func:`render_fault` always declares ``xmlns:ter``: zeep
raises ``XMLParseError: No namespace defined for 'ter'`` on a fault without it (``onvif.md`` §1.3).

The catalogue constants (:data:`NOT_AUTHORIZED`, :data:`USERNAME_CLASH`, ...) are the faults ONVIF device
management uses, with Code/Subcode values from Core.xml (``onvif.md`` §1.3) and their HTTP status: 400 for
``ter:NotAuthorized`` (Core asks UsernameToken-only devices for "an HTTP 400 error ... and a SOAP:Fault
env:Sender ter:NotAuthorized", and it makes Home Assistant report ``auth_failed``), 500 for everything else
(Core.xml's fault example is an HTTP 500, and zeep parses faults under either status).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from camvault.errors import InvalidContent, MalformedMessage
from camvault.protocols import xml
from camvault.protocols.xml import Node

__all__ = [
    "ACTION_FAILED",
    "ACTION_NOT_SUPPORTED",
    "ANONYMOUS_NOT_ALLOWED",
    "CONTENT_TYPE",
    "CRITICAL_ERROR",
    "DATA_ENCODING_UNKNOWN",
    "DEVICE_NS",
    "ENVELOPE_PREFIX",
    "FIXED_USER",
    "INVALID_ARGS",
    "INVALID_ARG_VAL",
    "MAX_ENVELOPE_BYTES",
    "MISSING_ATTR",
    "MUST_UNDERSTAND",
    "NAMESPACE_ERROR",
    "NETWORK_NS",
    "NOT_AUTHORIZED",
    "NO_SUCH_SERVICE",
    "NO_TAG",
    "ONVIF_ERROR_NS",
    "ONVIF_NAMESPACES",
    "ONVIF_PREFIX",
    "OPERATION_PROHIBITED",
    "OUT_OF_MEMORY",
    "PASSWORD_TOO_LONG",
    "PASSWORD_TOO_WEAK",
    "PROHIB_ATTR",
    "SCHEMA_NS",
    "SOAP11_ENV_NS",
    "SOAP_ENV_NS",
    "TAG_MISMATCH",
    "TOO_MANY_USERS",
    "UNKNOWN_ACTION",
    "USERNAME_CLASH",
    "USERNAME_MISSING",
    "USERNAME_TOO_LONG",
    "USERNAME_TOO_SHORT",
    "VERSION_MISMATCH",
    "WELL_FORMED",
    "WSA_NS",
    "WSSE_NS",
    "WSU_NS",
    "Envelope",
    "Fault",
    "FaultCode",
    "QName",
    "parse_envelope",
    "parse_fault",
    "render_envelope",
    "render_fault",
]

SOAP_ENV_NS: Final = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_ENV_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
ONVIF_ERROR_NS: Final = "http://www.onvif.org/ver10/error"
DEVICE_NS: Final = "http://www.onvif.org/ver10/device/wsdl"
SCHEMA_NS: Final = "http://www.onvif.org/ver10/schema"
NETWORK_NS: Final = "http://www.onvif.org/ver10/network/wsdl"
WSA_NS: Final = "http://www.w3.org/2005/08/addressing"
WSSE_NS: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"

#: The prefix this module writes for the SOAP 1.2 envelope namespace.
ENVELOPE_PREFIX: Final = "s"
#: ``Content-Type`` of a SOAP 1.2 message over HTTP (what zeep sends, minus its ``action`` parameter).
CONTENT_TYPE: Final = "application/soap+xml; charset=utf-8"
#: Default size bound of an envelope read from HTTP.
MAX_ENVELOPE_BYTES: Final = xml.DEFAULT_MAX_BYTES

#: The usual ONVIF prefixes (``onvif.md`` §1.1), handy as ``namespaces=`` for :func:`render_envelope`.
ONVIF_NAMESPACES: Final[Mapping[str, str]] = {
    "tds": DEVICE_NS,
    "tt": SCHEMA_NS,
    "ter": ONVIF_ERROR_NS,
    "dn": NETWORK_NS,
    "wsa": WSA_NS,
    "wsse": WSSE_NS,
    "wsu": WSU_NS,
}

_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,127}")
_NO_SCOPE: Mapping[str, str] = {"xml": _XML_NS}


@dataclass(frozen=True, slots=True, order=True)
class QName:
    """A namespace-qualified name, compared by namespace URI and local name (never by prefix).

    Attributes:
        namespace: the namespace URI, or ``None`` for an unqualified name.
        local: the local part.
    """

    namespace: str | None
    local: str

    @classmethod
    def of(cls, element: Element) -> QName:
        """Return the QName of an element's tag."""
        return cls(xml.namespace_of(element), xml.local_name(element.tag))

    def __str__(self) -> str:
        return f"{{{self.namespace}}}{self.local}" if self.namespace else self.local


@dataclass(frozen=True, slots=True, eq=False)
class Envelope:
    """A parsed SOAP 1.2 envelope.

    Attributes:
        root: the ``Envelope`` element.
        header_blocks: the children of ``Header``, in document order (empty without a Header).
        body: the first child element of ``Body``, or ``None`` for an empty Body.
        body_name: the namespace-resolved name of :attr:`body`, the key to route on.
    """

    root: Element
    header_blocks: tuple[Element, ...]
    body: Element | None
    body_name: QName | None
    _scopes: Mapping[Element, Mapping[str, str]] = field(repr=False)

    @property
    def is_fault(self) -> bool:
        """Whether the body is a SOAP 1.2 ``Fault``."""
        return self.body_name == QName(SOAP_ENV_NS, "Fault")

    def header(self, name: QName) -> Element | None:
        """Return the first header block with this exact QName, or ``None``."""
        return next((block for block in self.header_blocks if QName.of(block) == name), None)

    def namespaces_in_scope(self, element: Element) -> Mapping[str, str]:
        """Return the prefix-to-URI declarations in scope at ``element`` (``""`` is the default namespace)."""
        return self._scopes.get(element, _NO_SCOPE)

    def resolve_qname(
        self, element: Element, value: str, *, fallback: Mapping[str, str] | None = None
    ) -> QName:
        """Resolve a ``prefix:local`` value written inside ``element`` against its in-scope declarations.

        Args:
            element: the element whose text or attribute holds the value.
            value: the QName text, e.g. ``"ter:NotAuthorized"``.
            fallback: prefixes to assume when the document forgot to declare them (real cheap cameras omit
                ``xmlns:ter``); consulted only for undeclared prefixes.

        Raises:
            InvalidContent: the value is not a QName, or its prefix is declared nowhere.
        """
        where = xml.local_name(element.tag)
        prefix, colon, local = value.strip().rpartition(":")
        if not _NCNAME.fullmatch(local) or (colon and not _NCNAME.fullmatch(prefix)):
            raise InvalidContent(f"<{where}> holds a value that is not a QName", field=where)
        scope = self.namespaces_in_scope(element)
        if not colon:
            return QName(scope.get("") or None, local)
        namespace = scope.get(prefix) or (fallback or {}).get(prefix)
        if namespace is None:
            raise InvalidContent(f"<{where}> uses the undeclared prefix {prefix!r}", field=where)
        return QName(namespace, local)


def parse_envelope(data: bytes, *, max_bytes: int = MAX_ENVELOPE_BYTES) -> Envelope:
    """Parse an untrusted SOAP 1.2 envelope.

    Args:
        data: the raw message.
        max_bytes: refuse larger messages before parsing them.

    Returns:
        The envelope, with its header blocks and body resolved.

    Raises:
        MessageTooLarge: the message is larger than ``max_bytes``.
        MalformedMessage: the message is not well-formed XML or uses DTDs/entities.
        InvalidContent: the XML is not a SOAP 1.2 envelope (SOAP 1.1 included), or Header/Body are misplaced.
    """
    try:
        root = xml.parse(data, max_bytes=max_bytes)
    except LookupError:
        # xml.parse lets the codec lookup of an unknown declared encoding ("rot13", "U-F-8") escape.
        raise MalformedMessage("XML declares an unknown encoding") from None
    name = QName.of(root)
    if name == QName(SOAP11_ENV_NS, "Envelope"):
        raise InvalidContent("SOAP 1.1 envelope; only SOAP 1.2 is supported", field="Envelope")
    if name != QName(SOAP_ENV_NS, "Envelope"):
        raise InvalidContent("the document is not a SOAP 1.2 <Envelope>", field="Envelope")
    scopes = _namespace_scopes(data, root)
    parts = list(root)
    header: Element | None = None
    if parts and QName.of(parts[0]) == QName(SOAP_ENV_NS, "Header"):
        header = parts.pop(0)
    if len(parts) != 1 or QName.of(parts[0]) != QName(SOAP_ENV_NS, "Body"):
        raise InvalidContent("a SOAP envelope holds an optional <Header> then one <Body>", field="Body")
    body = next(iter(parts[0]), None)
    return Envelope(
        root=root,
        header_blocks=tuple(header) if header is not None else (),
        body=body,
        body_name=QName.of(body) if body is not None else None,
        _scopes=scopes,
    )


def _namespace_scopes(data: bytes, root: Element) -> dict[Element, Mapping[str, str]]:
    """Map every element of ``root`` to the namespace declarations in scope there.

    ElementTree drops prefix declarations, so the (already validated and bounded) bytes are walked once
    more with ``start-ns`` events; both walks visit elements in document order.
    """
    scopes: dict[Element, Mapping[str, str]] = {}
    stack: list[Mapping[str, str]] = [_NO_SCOPE]
    pending: dict[str, str] = {}
    elements: Iterator[Element] = root.iter()
    try:
        events = SafeET.iterparse(io.BytesIO(data), events=("start-ns", "start", "end"), forbid_dtd=True)
        for event, payload in events:
            if event == "start-ns":
                prefix, uri = payload
                pending[prefix] = uri
            elif event == "start":
                scope = {**stack[-1], **pending} if pending else stack[-1]
                pending = {}
                stack.append(scope)
                element = next(elements, None)
                if element is None or element.tag != payload.tag:
                    raise MalformedMessage("XML changed between two readings")
                scopes[element] = scope
            else:
                stack.pop()
    except DefusedXmlException:
        raise MalformedMessage("XML uses a forbidden construct") from None
    except (SafeET.ParseError, ValueError, UnicodeError, LookupError):
        raise MalformedMessage("XML is not well-formed") from None
    return scopes


class FaultCode(StrEnum):
    """The SOAP 1.2 fault codes (``env:`` values)."""

    VERSION_MISMATCH = "VersionMismatch"
    MUST_UNDERSTAND = "MustUnderstand"
    DATA_ENCODING_UNKNOWN = "DataEncodingUnknown"
    SENDER = "Sender"
    RECEIVER = "Receiver"


@dataclass(frozen=True, slots=True)
class Fault:
    """A SOAP 1.2 fault.

    Attributes:
        code: ``Sender`` (the request is wrong) or ``Receiver`` (the device failed), or a SOAP-level code.
        subcodes: the nested ``Subcode`` values from outermost to innermost, e.g.
            ``(ter:OperationProhibited, ter:UsernameClash)``.
        reason: the ``Reason/Text`` (clients match on it: "Sender not Authorized").
        detail: optional human text rendered as ``Detail/Text`` (Core.xml's example shape).
        http_status: the HTTP status to send the fault with (ignored when parsed).
    """

    code: FaultCode
    subcodes: tuple[QName, ...] = ()
    reason: str = ""
    detail: str | None = None
    http_status: int = 500

    def has_subcode(self, local: str, namespace: str | None = ONVIF_ERROR_NS) -> bool:
        """Whether ``namespace:local`` is among the subcodes, at any depth."""
        return QName(namespace, local) in self.subcodes


def _onvif(code: FaultCode, *subcodes: str, reason: str, http_status: int = 500) -> Fault:
    return Fault(code, tuple(QName(ONVIF_ERROR_NS, sub) for sub in subcodes), reason, None, http_status)


_S, _R = FaultCode.SENDER, FaultCode.RECEIVER

# SOAP-level faults (no ONVIF subcode).
VERSION_MISMATCH: Final = Fault(FaultCode.VERSION_MISMATCH, (), "SOAP version mismatch")
MUST_UNDERSTAND: Final = Fault(FaultCode.MUST_UNDERSTAND, (), "SOAP header blocks not understood")
DATA_ENCODING_UNKNOWN: Final = Fault(FaultCode.DATA_ENCODING_UNKNOWN, (), "Unsupported SOAP data encoding")
# ONVIF generic faults (Core.xml "Generic faults"; subcodes [V], reason texts other than NotAuthorized,
# ActionNotSupported and Action are the Core wording as commonly reproduced by device stacks [I]).
WELL_FORMED: Final = _onvif(_S, "WellFormed", reason="Well-formed Error")
TAG_MISMATCH: Final = _onvif(_S, "TagMismatch", reason="Tag Mismatch")
NO_TAG: Final = _onvif(_S, "Tag", reason="No Tag")
NAMESPACE_ERROR: Final = _onvif(_S, "Namespace", reason="Namespace Error")
MISSING_ATTR: Final = _onvif(_S, "MissingAttr", reason="Required Attribute not present")
PROHIB_ATTR: Final = _onvif(_S, "ProhibAttr", reason="Prohibited Attribute")
INVALID_ARGS: Final = _onvif(_S, "InvalidArgs", reason="Invalid Args")
INVALID_ARG_VAL: Final = _onvif(_S, "InvalidArgVal", reason="Argument Value Invalid")
UNKNOWN_ACTION: Final = _onvif(_S, "UnknownAction", reason="Unknown Action")
OPERATION_PROHIBITED: Final = _onvif(_S, "OperationProhibited", reason="Operation not Permitted")
NOT_AUTHORIZED: Final = _onvif(_S, "NotAuthorized", reason="Sender not Authorized", http_status=400)
ACTION_NOT_SUPPORTED: Final = _onvif(_R, "ActionNotSupported", reason="Optional Action Not Implemented")
ACTION_FAILED: Final = _onvif(_R, "Action", reason="Action Failed")
OUT_OF_MEMORY: Final = _onvif(_R, "OutofMemory", reason="Out of Memory")
CRITICAL_ERROR: Final = _onvif(_R, "CriticalError", reason="Critical Error")
# Device-management command faults (Core.xml CreateUsers/DeleteUsers/SetUser/GetCapabilities tables).
NO_SUCH_SERVICE: Final = _onvif(
    _R, "ActionNotSupported", "NoSuchService", reason="The service is not supported"
)
USERNAME_CLASH: Final = _onvif(_S, "OperationProhibited", "UsernameClash", reason="Username already exists")
PASSWORD_TOO_LONG: Final = _onvif(
    _S, "OperationProhibited", "PasswordTooLong", reason="The password is too long"
)
USERNAME_TOO_LONG: Final = _onvif(
    _S, "OperationProhibited", "UsernameTooLong", reason="The username is too long"
)
#: Core.xml's CreateUsers table literally says ``ter:Password``; SetUser and the WSDL say ``PasswordTooWeak``,
#: which is what we send for both (``onvif.md`` §1.3, inferred).
PASSWORD_TOO_WEAK: Final = _onvif(_S, "OperationProhibited", "PasswordTooWeak", reason="Too weak password")
#: Note the ``Receiver`` code: the device, not the request, ran out of room.
TOO_MANY_USERS: Final = _onvif(
    _R, "Action", "TooManyUsers", reason="Maximum number of supported users exceeded"
)
ANONYMOUS_NOT_ALLOWED: Final = _onvif(
    _S, "OperationProhibited", "AnonymousNotAllowed", reason="User level anonymous is not allowed"
)
USERNAME_TOO_SHORT: Final = _onvif(
    _S, "OperationProhibited", "UsernameTooShort", reason="The username is too short"
)
USERNAME_MISSING: Final = _onvif(_S, "InvalidArgVal", "UsernameMissing", reason="Username not recognized")
#: DeleteUsers wording; for SetUser replace the reason with "Password or User level may not be changed".
FIXED_USER: Final = _onvif(_S, "InvalidArgVal", "FixedUser", reason="Username may not be deleted")
ONVIF_PREFIX: Final = _onvif(
    _S, "OperationProhibited", "OnvifPrefix", reason="Role names starting with onvif: are reserved"
)


def render_envelope(
    body: Node | bytes | None,
    *,
    header: Sequence[Node] = (),
    namespaces: Mapping[str, str] | None = None,
    declaration: bool = True,
) -> bytes:
    """Render a SOAP 1.2 envelope, compact (no whitespace between elements).

    Args:
        body: the body's child as a Node tree with prefixed names, or an already rendered, well-formed
            fragment (its prefixes must be declared in ``namespaces`` or in the fragment itself), or ``None``
            for an empty Body.
        header: header blocks, rendered inside ``s:Header`` (omitted when empty).
        namespaces: prefixes to declare on the Envelope besides ``s``, e.g. :data:`ONVIF_NAMESPACES`.
        declaration: whether to start with an XML declaration.

    Raises:
        ValueError: a Node tree uses a prefix that nothing declares, or ``namespaces`` rebinds ``s``
            (a programming error, never caused by input from the network).
    """
    declared = _envelope_namespaces(namespaces)
    for block in header:
        _check_prefixes(block, declared)
    inline_body = body if isinstance(body, Node) else None
    if inline_body is not None:
        _check_prefixes(inline_body, declared)
    envelope = Node(
        f"{ENVELOPE_PREFIX}:Envelope",
        children=(
            Node(f"{ENVELOPE_PREFIX}:Header", children=tuple(header)) if header else None,
            Node(f"{ENVELOPE_PREFIX}:Body", children=(inline_body,)),
        ),
        attributes=tuple((f"xmlns:{prefix}", uri) for prefix, uri in declared.items()),
    )
    rendered = xml.render(envelope, version=None, newline="", declaration=declaration)
    if not isinstance(body, bytes):
        return rendered
    empty_body = f"<{ENVELOPE_PREFIX}:Body/>".encode()
    # Text and attribute values are escaped, so the only "<s:Body/>" is the Body element itself.
    before, _, after = rendered.rpartition(empty_body)
    return b"".join(
        (before, f"<{ENVELOPE_PREFIX}:Body>".encode(), body, f"</{ENVELOPE_PREFIX}:Body>".encode(), after)
    )


def _envelope_namespaces(namespaces: Mapping[str, str] | None) -> dict[str, str]:
    declared = {ENVELOPE_PREFIX: SOAP_ENV_NS}
    for prefix, uri in (namespaces or {}).items():
        if prefix == ENVELOPE_PREFIX and uri != SOAP_ENV_NS:
            raise ValueError(f"the prefix {ENVELOPE_PREFIX!r} is reserved for the SOAP 1.2 envelope")
        if not _NCNAME.fullmatch(prefix) or prefix.lower().startswith("xml"):
            raise ValueError(f"{prefix!r} cannot be declared as a namespace prefix")
        declared[prefix] = uri
    return declared


def _check_prefixes(node: Node, inherited: Mapping[str, str]) -> None:
    own = {name[6:] for name, _ in node.attributes if name.startswith("xmlns:")}
    in_scope = own | set(inherited) | {"xml"}
    names = [
        node.name,
        *(name for name, _ in node.attributes if name != "xmlns" and not name.startswith("xmlns:")),
    ]
    for name in names:
        prefix, colon, _ = name.rpartition(":")
        if colon and prefix not in in_scope:
            raise ValueError(f"<{node.name}> uses the prefix {prefix!r} but nothing declares it")
    scope = {**inherited, **dict.fromkeys(own, "")}
    for sub in node.children:
        if sub is not None:
            _check_prefixes(sub, scope)


_PREFERRED_PREFIXES: Final[Mapping[str, str]] = {
    uri: prefix for prefix, uri in ONVIF_NAMESPACES.items() if prefix not in {"wsse", "wsu"}
} | {"http://schemas.xmlsoap.org/ws/2005/04/discovery": "d"}


def render_fault(
    fault: Fault,
    *,
    header: Sequence[Node] = (),
    namespaces: Mapping[str, str] | None = None,
    detail: Sequence[Node] = (),
) -> bytes:
    """Render a fault envelope that zeep, onveef and python-ws-discovery parse.

    ``xmlns:ter`` is always declared (zeep cannot resolve ``ter:`` subcodes otherwise); subcodes in other
    namespaces get their usual prefix (``d`` for WS-Discovery) or a generated ``nsN``.

    Args:
        fault: the fault to send; its ``http_status`` is for the caller's HTTP layer.
        header: header blocks (e.g. WS-Addressing ``Action``/``RelatesTo`` for a discovery fault).
        namespaces: further prefixes the header or ``detail`` nodes use.
        detail: structured detail elements, written inside ``Detail`` after the ``detail`` text.

    Raises:
        ValueError: as :func:`render_envelope`.
    """
    declared = {"ter": ONVIF_ERROR_NS, **(namespaces or {})}
    prefix_of = {uri: prefix for prefix, uri in declared.items()}
    for subcode in fault.subcodes:
        if subcode.namespace and subcode.namespace not in prefix_of:
            prefix = _PREFERRED_PREFIXES.get(subcode.namespace, "")
            if not prefix or prefix in declared:
                prefix = next(f"ns{n}" for n in range(len(declared) + 1) if f"ns{n}" not in declared)
            declared[prefix] = subcode.namespace
            prefix_of[subcode.namespace] = prefix

    def value_of(name: QName) -> str:
        return f"{prefix_of[name.namespace]}:{name.local}" if name.namespace else name.local

    code: Node | None = None
    for subcode in reversed(fault.subcodes):
        code = Node(
            f"{ENVELOPE_PREFIX}:Subcode", children=(Node(f"{ENVELOPE_PREFIX}:Value", value_of(subcode)), code)
        )
    detail_children = (
        Node(f"{ENVELOPE_PREFIX}:Text", fault.detail) if fault.detail is not None else None,
        *detail,
    )
    body = Node(
        f"{ENVELOPE_PREFIX}:Fault",
        children=(
            Node(
                f"{ENVELOPE_PREFIX}:Code",
                children=(Node(f"{ENVELOPE_PREFIX}:Value", f"{ENVELOPE_PREFIX}:{fault.code.value}"), code),
            ),
            Node(
                f"{ENVELOPE_PREFIX}:Reason",
                children=(Node(f"{ENVELOPE_PREFIX}:Text", fault.reason, attributes=(("xml:lang", "en"),)),),
            ),
            Node(f"{ENVELOPE_PREFIX}:Detail", children=detail_children)
            if any(sub is not None for sub in detail_children)
            else None,
        ),
    )
    return render_envelope(body, header=header, namespaces=declared)


#: Prefixes a fault may use without declaring them: real cheap cameras omit ``xmlns:ter`` (``onvif.md`` §1.3).
_FAULT_FALLBACK: Final[Mapping[str, str]] = {"ter": ONVIF_ERROR_NS, "env": SOAP_ENV_NS}
_MAX_SUBCODES = 8


def parse_fault(message: Envelope | bytes) -> Fault:
    """Read the fault in a SOAP 1.2 envelope, tolerating an undeclared ``ter:`` prefix.

    Args:
        message: a parsed envelope, or the raw bytes of one.

    Returns:
        The fault; ``http_status`` is left at its default since the envelope does not carry one.

    Raises:
        ProtocolError: the bytes are not a SOAP 1.2 envelope (see :func:`parse_envelope`).
        InvalidContent: the body is not a ``Fault``, or its Code is missing or not a SOAP code.
    """
    envelope = message if isinstance(message, Envelope) else parse_envelope(message)
    fault = envelope.body
    if fault is None or not envelope.is_fault:
        raise InvalidContent("the SOAP body is not a <Fault>", field="Fault")
    value = xml.child(fault, "Code", "Value")
    if value is None:
        raise InvalidContent("<Fault/Code/Value> is missing", field="Code")
    code_name = envelope.resolve_qname(value, value.text or "", fallback=_FAULT_FALLBACK)
    try:
        code = FaultCode(code_name.local)
    except ValueError:
        raise InvalidContent("<Fault/Code/Value> is not a SOAP 1.2 fault code", field="Code") from None
    subcodes: list[QName] = []
    level = xml.child(fault, "Code", "Subcode")
    while level is not None and len(subcodes) < _MAX_SUBCODES:
        sub_value = xml.child(level, "Value")
        if sub_value is None:
            raise InvalidContent("<Subcode> without <Value>", field="Subcode")
        subcodes.append(envelope.resolve_qname(sub_value, sub_value.text or "", fallback=_FAULT_FALLBACK))
        level = xml.child(level, "Subcode")
    reason = xml.optional_text(fault, "Reason", "Text") or ""
    detail_element = xml.child(fault, "Detail")
    detail = " ".join(" ".join(detail_element.itertext()).split()) if detail_element is not None else None
    return Fault(code, tuple(subcodes), reason, detail or None)
