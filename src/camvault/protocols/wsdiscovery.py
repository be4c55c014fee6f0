"""WS-Discovery 2005/04 messages as ONVIF devices and clients exchange them (sans-I/O).

Shapes follow research ``onvif.md`` §2: SOAP 1.2 over UDP to 239.255.255.250:3702, WS-Addressing **2004/08**
headers (python-ws-discovery, which Home Assistant uses, dispatches strictly on that ``Action``), and
``wsa:EndpointReference`` (not ``d:EndpointReference``) in every record. :func:`encode_probe_matches` writes
exactly the §2 ProbeMatches shape: ``RelatesTo`` = the probe's ``MessageID``, ``To`` = the anonymous role,
a ``d:AppSequence`` header and a ``d:ProbeMatches`` wrapper.

Reading is tolerant where real devices are sloppy and strict where it matters:

* ``Types`` are QNames resolved against the namespace declarations in scope, whatever the prefix
  (python-ws-discovery declares random prefixes on the Envelope); an undeclared ``dn:`` or ``tds:`` falls back
  to the ONVIF namespace, since cheap cameras forget declarations (as they forget ``xmlns:ter``; inferred).
* A missing ``MetadataVersion`` reads as 0 and a missing ``AppSequence`` as ``None`` (the real gSOAP camera
  capture in python-ws-discovery's tests has no AppSequence).
* The body must be a WS-Discovery **2005/04** element; a 2009/01 (WS-Discovery 1.1) message is refused.

:func:`matches` implements the Target Service side of a Probe: every probed type must be among the
target's; every probed scope must match one of the target's under the ``MatchBy`` rule; an empty list
matches. The default rule (``MatchBy`` absent) is rfc2396 per WS-Discovery 2005/04, which is the same
segment-wise prefix rule as the rfc3986 rule ONVIF requires, so both are implemented as one; ``strcmp0`` is
supported too. Any other rule gives :attr:`MatchResult.UNSUPPORTED_RULE`, for which a unicast responder sends
:func:`encode_matching_rule_fault` and a multicast responder stays silent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Final
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import soap, xml
from camvault.protocols.soap import DEVICE_NS, NETWORK_NS, Envelope, Fault, FaultCode, QName
from camvault.protocols.xml import Node

__all__ = [
    "ACTION_BYE",
    "ACTION_FAULT",
    "ACTION_HELLO",
    "ACTION_PROBE",
    "ACTION_PROBE_MATCHES",
    "ACTION_RESOLVE",
    "ACTION_RESOLVE_MATCHES",
    "ADDRESSING_NS",
    "ANONYMOUS_ROLE",
    "DEVICE_TYPE",
    "DISCOVERY_NS",
    "MATCH_BY_LDAP",
    "MATCH_BY_RFC2396",
    "MATCH_BY_RFC3986",
    "MATCH_BY_STRCMP0",
    "MATCH_BY_UUID",
    "MAX_DATAGRAM_BYTES",
    "MAX_PARSE_BYTES",
    "MULTICAST_IPV4",
    "MULTICAST_IPV6",
    "MULTICAST_TO",
    "NETWORK_VIDEO_TRANSMITTER",
    "PORT",
    "SUPPORTED_MATCH_RULES",
    "AppSequence",
    "Bye",
    "DiscoveryFault",
    "Hello",
    "MatchResult",
    "Probe",
    "ProbeMatch",
    "ProbeMatches",
    "Resolve",
    "ResolveMatches",
    "WsdMessage",
    "decode",
    "encode",
    "encode_bye",
    "encode_hello",
    "encode_matching_rule_fault",
    "encode_probe",
    "encode_probe_matches",
    "encode_resolve",
    "encode_resolve_matches",
    "matches",
    "new_message_id",
]

MULTICAST_IPV4: Final = "239.255.255.250"
MULTICAST_IPV6: Final = "ff02::c"
PORT: Final = 3702
#: SOAP-over-UDP allows 64 KiB datagrams; nothing legitimate in ONVIF discovery comes close to half that.
MAX_DATAGRAM_BYTES: Final = 64 * 1024
MAX_PARSE_BYTES: Final = 32 * 1024

DISCOVERY_NS: Final = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
ADDRESSING_NS: Final = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#: ``wsa:To`` of multicast messages (Probe, Resolve, Hello, Bye).
MULTICAST_TO: Final = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
#: ``wsa:To`` of unicast replies (ProbeMatches, ResolveMatches).
ANONYMOUS_ROLE: Final = f"{ADDRESSING_NS}/role/anonymous"

ACTION_HELLO: Final = f"{DISCOVERY_NS}/Hello"
ACTION_BYE: Final = f"{DISCOVERY_NS}/Bye"
ACTION_PROBE: Final = f"{DISCOVERY_NS}/Probe"
ACTION_PROBE_MATCHES: Final = f"{DISCOVERY_NS}/ProbeMatches"
ACTION_RESOLVE: Final = f"{DISCOVERY_NS}/Resolve"
ACTION_RESOLVE_MATCHES: Final = f"{DISCOVERY_NS}/ResolveMatches"
ACTION_FAULT: Final = f"{ADDRESSING_NS}/fault"

MATCH_BY_RFC2396: Final = f"{DISCOVERY_NS}/rfc2396"
MATCH_BY_RFC3986: Final = f"{DISCOVERY_NS}/rfc3986"
MATCH_BY_STRCMP0: Final = f"{DISCOVERY_NS}/strcmp0"
MATCH_BY_UUID: Final = f"{DISCOVERY_NS}/uuid"
MATCH_BY_LDAP: Final = f"{DISCOVERY_NS}/ldap"
SUPPORTED_MATCH_RULES: Final = (MATCH_BY_RFC3986, MATCH_BY_RFC2396, MATCH_BY_STRCMP0)

#: The types an ONVIF device advertises (Core: ``Types`` "shall include tds:Device").
NETWORK_VIDEO_TRANSMITTER: Final = QName(NETWORK_NS, "NetworkVideoTransmitter")
DEVICE_TYPE: Final = QName(DEVICE_NS, "Device")

_UINT_MAX = 2**32 - 1
_LIST_CHARS = 16 * 1024
_ENVELOPE_PREFIXES: Final[Mapping[str, str]] = {"a": ADDRESSING_NS, "d": DISCOVERY_NS}
_TYPE_PREFIXES: Final[Mapping[str, str]] = {NETWORK_NS: "dn", DEVICE_NS: "tds"}
_TYPE_FALLBACK: Final[Mapping[str, str]] = {"dn": NETWORK_NS, "tds": DEVICE_NS}


@dataclass(frozen=True, slots=True)
class AppSequence:
    """The ``d:AppSequence`` header that orders a Target Service's messages.

    Attributes:
        instance_id: grows every time the device restarts (a boot counter or boot time).
        message_number: grows with every message within one instance.
        sequence_id: optional URI naming a sequence within an instance.
    """

    instance_id: int
    message_number: int
    sequence_id: str | None = None

    def next(self) -> AppSequence:
        """Return the sequence value of the device's next message."""
        return replace(self, message_number=self.message_number + 1)

    def supersedes(self, earlier: AppSequence) -> bool:
        """Whether a message carrying this value is newer than one carrying ``earlier``.

        A higher instance wins; within one instance and sequence, a higher message number wins. Messages
        from different sequences of one instance cannot be ordered, so none supersedes the other.
        """
        if self.instance_id != earlier.instance_id:
            return self.instance_id > earlier.instance_id
        return self.sequence_id == earlier.sequence_id and self.message_number > earlier.message_number


@dataclass(frozen=True, slots=True)
class ProbeMatch:
    """A Target Service's discovery record (the schema's ProbeMatchType; Hello and ResolveMatch carry it too).

    Attributes:
        address: the endpoint reference address, a stable ``urn:uuid:...``.
        types: e.g. ``(NETWORK_VIDEO_TRANSMITTER, DEVICE_TYPE)``.
        scopes: ``onvif://www.onvif.org/...`` URIs.
        xaddrs: device-service URLs.
        metadata_version: bumped when types, scopes or xaddrs change.
    """

    address: str
    types: tuple[QName, ...] = ()
    scopes: tuple[str, ...] = ()
    xaddrs: tuple[str, ...] = ()
    metadata_version: int = 1


@dataclass(frozen=True, slots=True)
class Probe:
    """A client's search.

    Attributes:
        message_id: the ``wsa:MessageID`` the replies will relate to.
        types: the types every match must have (empty: any).
        scopes: the scopes every match must have under ``match_by`` (empty: any).
        match_by: the ``MatchBy`` rule URI, ``None`` for the default (rfc2396).
    """

    message_id: str
    types: tuple[QName, ...] = ()
    scopes: tuple[str, ...] = ()
    match_by: str | None = None


@dataclass(frozen=True, slots=True)
class ProbeMatches:
    """A Target Service's unicast answer to a Probe."""

    message_id: str
    relates_to: str | None
    matches: tuple[ProbeMatch, ...]
    app_sequence: AppSequence | None = None
    to: str = ANONYMOUS_ROLE


@dataclass(frozen=True, slots=True)
class Hello:
    """A Target Service's multicast announcement on joining the network."""

    message_id: str
    target: ProbeMatch
    app_sequence: AppSequence | None = None


@dataclass(frozen=True, slots=True)
class Bye:
    """A Target Service's multicast announcement on leaving."""

    message_id: str
    address: str
    app_sequence: AppSequence | None = None


@dataclass(frozen=True, slots=True)
class Resolve:
    """A client's request for the current record of one endpoint address."""

    message_id: str
    address: str


@dataclass(frozen=True, slots=True)
class ResolveMatches:
    """A Target Service's unicast answer to a Resolve."""

    message_id: str
    relates_to: str | None
    match: ProbeMatch | None
    app_sequence: AppSequence | None = None


@dataclass(frozen=True, slots=True)
class DiscoveryFault:
    """A SOAP fault received over discovery (e.g. ``d:MatchingRuleNotSupported`` for a unicast Probe)."""

    message_id: str | None
    relates_to: str | None
    fault: Fault


WsdMessage = Probe | ProbeMatches | Hello | Bye | Resolve | ResolveMatches | DiscoveryFault


class MatchResult(Enum):
    """What a Target Service does with a Probe."""

    MATCH = "match"
    NO_MATCH = "no_match"
    UNSUPPORTED_RULE = "unsupported_rule"


def new_message_id() -> str:
    """Return a fresh random ``urn:uuid:`` message id."""
    return uuid.uuid4().urn


# --- matching ------------------------------------------------------------------------------------------


def matches(probe: Probe, target_types: Iterable[QName], target_scopes: Iterable[str]) -> MatchResult:
    """Decide whether a target with these types and scopes answers ``probe``.

    Args:
        probe: the decoded Probe.
        target_types: the target's types (compared by namespace and local name).
        target_scopes: the target's scopes.

    Returns:
        ``UNSUPPORTED_RULE`` when the probe lists scopes under a rule we do not implement, else ``MATCH``
        or ``NO_MATCH``.
    """
    rule = (probe.match_by or MATCH_BY_RFC2396).strip()
    matcher = _SCOPE_MATCHERS.get(rule)
    if probe.scopes and matcher is None:
        return MatchResult.UNSUPPORTED_RULE
    if not set(probe.types) <= set(target_types):
        return MatchResult.NO_MATCH
    scopes = tuple(target_scopes)
    if matcher is not None and not all(
        any(matcher(wanted, have) for have in scopes) for wanted in probe.scopes
    ):
        return MatchResult.NO_MATCH
    return MatchResult.MATCH


def _segment_prefix_match(wanted: str, have: str) -> bool:
    """The rfc3986/rfc2396 rule: same scheme and authority (case-insensitive), segment-wise path prefix."""
    try:
        left, right = urlsplit(wanted.strip()), urlsplit(have.strip())
    except ValueError:
        return False
    if left.scheme.lower() != right.scheme.lower() or left.netloc.lower() != right.netloc.lower():
        return False
    left_segments, right_segments = _segments(left.path), _segments(right.path)
    if left_segments is None or right_segments is None:
        return False
    return right_segments[: len(left_segments)] == left_segments


def _segments(path: str) -> list[str] | None:
    segments = [unquote(segment) for segment in path.split("/") if segment]
    return None if any(segment in {".", ".."} for segment in segments) else segments


def _strcmp0(wanted: str, have: str) -> bool:
    return wanted == have


_SCOPE_MATCHERS: Final[Mapping[str, Callable[[str, str], bool]]] = {
    MATCH_BY_RFC3986: _segment_prefix_match,
    MATCH_BY_RFC2396: _segment_prefix_match,
    MATCH_BY_STRCMP0: _strcmp0,
}


# --- encoding ------------------------------------------------------------------------------------------


def _a(name: str, value: str | None = None, *, children: Sequence[Node | None] = ()) -> Node:
    return Node(f"a:{name}", value, children)


def _d(
    name: str,
    value: str | int | None = None,
    *,
    children: Sequence[Node | None] = (),
    attributes: Sequence[tuple[str, str]] = (),
) -> Node:
    return Node(f"d:{name}", value, children, attributes)


def _header(
    action: str,
    message_id: str,
    *,
    to: str,
    relates_to: str | None = None,
    app_sequence: AppSequence | None = None,
) -> list[Node]:
    blocks = [_a("MessageID", message_id)]
    if relates_to is not None:
        blocks.append(_a("RelatesTo", relates_to))
    blocks += [_a("To", to), _a("Action", action)]
    if app_sequence is not None:
        attributes = [("InstanceId", str(app_sequence.instance_id))]
        if app_sequence.sequence_id is not None:
            attributes.append(("SequenceId", app_sequence.sequence_id))
        attributes.append(("MessageNumber", str(app_sequence.message_number)))
        blocks.append(_d("AppSequence", attributes=tuple(attributes)))
    return blocks


class _TypePrefixes:
    """Assigns prefixes to type namespaces: ``dn``/``tds`` for ONVIF's, ``t0``, ``t1``... for others."""

    def __init__(self) -> None:
        self.declared: dict[str, str] = dict(_ENVELOPE_PREFIXES)
        self._prefix_of: dict[str, str] = {}

    def text(self, types: Sequence[QName]) -> str:
        return " ".join(self._qualified(name) for name in types)

    def _qualified(self, name: QName) -> str:
        if name.namespace is None:
            return name.local
        prefix = self._prefix_of.get(name.namespace)
        if prefix is None:
            prefix = _TYPE_PREFIXES.get(name.namespace, "")
            if not prefix or prefix in self.declared:
                prefix = next(f"t{n}" for n in range(len(self.declared) + 1) if f"t{n}" not in self.declared)
            self.declared[prefix] = name.namespace
            self._prefix_of[name.namespace] = prefix
        return f"{prefix}:{name.local}"


def _record(
    element: str, record: ProbeMatch, prefixes: _TypePrefixes, *, always_xaddrs: bool = False
) -> Node:
    return _d(
        element,
        children=(
            _a("EndpointReference", children=(_a("Address", record.address),)),
            _d("Types", prefixes.text(record.types)) if record.types else None,
            _d("Scopes", " ".join(record.scopes)) if record.scopes else None,
            _d("XAddrs", " ".join(record.xaddrs)) if record.xaddrs or always_xaddrs else None,
            _d("MetadataVersion", record.metadata_version),
        ),
    )


def _render(header: list[Node], body: Node, prefixes: _TypePrefixes) -> bytes:
    return soap.render_envelope(body, header=header, namespaces=prefixes.declared)


def encode_probe(probe: Probe) -> bytes:
    """Encode a client's multicast Probe."""
    prefixes = _TypePrefixes()
    scopes_attributes = (("MatchBy", probe.match_by),) if probe.match_by else ()
    body = _d(
        "Probe",
        children=(
            _d("Types", prefixes.text(probe.types)) if probe.types else None,
            _d("Scopes", " ".join(probe.scopes), attributes=scopes_attributes) if probe.scopes else None,
        ),
    )
    return _render(_header(ACTION_PROBE, probe.message_id, to=MULTICAST_TO), body, prefixes)


def encode_probe_matches(reply: ProbeMatches) -> bytes:
    """Encode a device's ProbeMatches in the shape of ``onvif.md`` §2 (parsed by WSDiscovery 2.1.2)."""
    prefixes = _TypePrefixes()
    body = _d(
        "ProbeMatches", children=tuple(_record("ProbeMatch", match, prefixes) for match in reply.matches)
    )
    header = _header(
        ACTION_PROBE_MATCHES,
        reply.message_id,
        to=reply.to,
        relates_to=reply.relates_to,
        app_sequence=reply.app_sequence,
    )
    return _render(header, body, prefixes)


def encode_hello(hello: Hello) -> bytes:
    """Encode a device's multicast Hello (same record as a ProbeMatch, no RelatesTo)."""
    prefixes = _TypePrefixes()
    body = _record("Hello", hello.target, prefixes)
    header = _header(ACTION_HELLO, hello.message_id, to=MULTICAST_TO, app_sequence=hello.app_sequence)
    return _render(header, body, prefixes)


def encode_bye(bye: Bye) -> bytes:
    """Encode a device's multicast Bye (endpoint reference only)."""
    body = _d("Bye", children=(_a("EndpointReference", children=(_a("Address", bye.address),)),))
    header = _header(ACTION_BYE, bye.message_id, to=MULTICAST_TO, app_sequence=bye.app_sequence)
    return _render(header, body, _TypePrefixes())


def encode_resolve(resolve: Resolve) -> bytes:
    """Encode a client's multicast Resolve."""
    body = _d("Resolve", children=(_a("EndpointReference", children=(_a("Address", resolve.address),)),))
    return _render(_header(ACTION_RESOLVE, resolve.message_id, to=MULTICAST_TO), body, _TypePrefixes())


def encode_resolve_matches(reply: ResolveMatches) -> bytes:
    """Encode a device's ResolveMatches (``XAddrs`` always present: python-ws-discovery requires it)."""
    prefixes = _TypePrefixes()
    match = _record("ResolveMatch", reply.match, prefixes, always_xaddrs=True) if reply.match else None
    header = _header(
        ACTION_RESOLVE_MATCHES,
        reply.message_id,
        to=ANONYMOUS_ROLE,
        relates_to=reply.relates_to,
        app_sequence=reply.app_sequence,
    )
    return _render(header, _d("ResolveMatches", children=(match,)), prefixes)


def encode_matching_rule_fault(probe: Probe, *, message_id: str) -> bytes:
    """Encode the ``s:Sender / d:MatchingRuleNotSupported`` fault a device unicasts for an unknown MatchBy.

    The fault's ``Detail`` lists the rules we support in ``d:SupportedMatchingRules``.
    """
    fault = Fault(
        FaultCode.SENDER,
        (QName(DISCOVERY_NS, "MatchingRuleNotSupported"),),
        "The matching rule specified is not supported",
    )
    header = _header(ACTION_FAULT, message_id, to=ANONYMOUS_ROLE, relates_to=probe.message_id)
    return soap.render_fault(
        fault,
        header=header,
        namespaces=_ENVELOPE_PREFIXES,
        detail=(_d("SupportedMatchingRules", " ".join(SUPPORTED_MATCH_RULES)),),
    )


def encode(message: WsdMessage) -> bytes:
    """Encode any discovery message (dispatching to the ``encode_*`` functions).

    Raises:
        TypeError: ``message`` is a :class:`DiscoveryFault`, which is built with
            :func:`encode_matching_rule_fault` instead.
    """
    match message:
        case Probe():
            return encode_probe(message)
        case ProbeMatches():
            return encode_probe_matches(message)
        case Hello():
            return encode_hello(message)
        case Bye():
            return encode_bye(message)
        case Resolve():
            return encode_resolve(message)
        case ResolveMatches():
            return encode_resolve_matches(message)
        case _:
            raise TypeError(f"cannot encode a {type(message).__name__}")


# --- decoding ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Addressing:
    action: str | None
    message_id: str | None
    relates_to: str | None
    to: str | None
    app_sequence: AppSequence | None

    def required_message_id(self) -> str:
        if not self.message_id:
            raise InvalidContent("the <MessageID> header is missing", field="MessageID")
        return self.message_id


def decode(datagram: bytes) -> WsdMessage:
    """Decode one untrusted discovery datagram.

    Args:
        datagram: the UDP payload.

    Returns:
        The message, typed by its body (and checked against its ``Action``).

    Raises:
        MessageTooLarge: the datagram exceeds :data:`MAX_PARSE_BYTES`.
        MalformedMessage: not well-formed, or hostile XML.
        InvalidContent: not a SOAP 1.2 WS-Discovery 2005/04 message, or a field is missing or malformed.
    """
    envelope = soap.parse_envelope(datagram, max_bytes=MAX_PARSE_BYTES)
    addressing = _addressing(envelope)
    if envelope.is_fault:
        return DiscoveryFault(addressing.message_id, addressing.relates_to, soap.parse_fault(envelope))
    body, name = envelope.body, envelope.body_name
    entry = _DECODERS.get(name) if name is not None else None
    if body is None or entry is None:
        raise InvalidContent("the body is not a WS-Discovery 2005/04 message", field="Body")
    action, decoder = entry
    if addressing.action is not None and addressing.action != action:
        raise InvalidContent("the <Action> header does not match the body", field="Action")
    return decoder(envelope, body, addressing)


def _addressing(envelope: Envelope) -> _Addressing:
    def header_text(name: str) -> str | None:
        block = next((b for b in envelope.header_blocks if xml.local_name(b.tag) == name), None)
        if block is None:
            return None
        return (block.text or "").strip()[:_LIST_CHARS] or None

    sequence = next((b for b in envelope.header_blocks if xml.local_name(b.tag) == "AppSequence"), None)
    return _Addressing(
        action=header_text("Action"),
        message_id=header_text("MessageID"),
        relates_to=header_text("RelatesTo"),
        to=header_text("To"),
        app_sequence=_app_sequence(sequence) if sequence is not None else None,
    )


def _app_sequence(element: Element) -> AppSequence:
    def number(attribute: str) -> int:
        raw = (element.get(attribute) or "").strip()
        if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > _UINT_MAX:
            raise InvalidContent(
                f"AppSequence/@{attribute} is not an unsigned 32-bit integer", field=attribute
            )
        return int(raw)

    return AppSequence(number("InstanceId"), number("MessageNumber"), element.get("SequenceId"))


def _types(envelope: Envelope, parent: Element) -> tuple[QName, ...]:
    found = xml.child(parent, "Types")
    if found is None:
        return ()
    text = xml.optional_text(parent, "Types", max_length=_LIST_CHARS) or ""
    return tuple(envelope.resolve_qname(found, token, fallback=_TYPE_FALLBACK) for token in text.split())


def _list(parent: Element, name: str) -> tuple[str, ...]:
    return tuple((xml.optional_text(parent, name, max_length=_LIST_CHARS) or "").split())


def _address(parent: Element) -> str:
    address = xml.text(parent, "EndpointReference", "Address")
    if not address:
        raise InvalidContent("<EndpointReference/Address> is empty", field="Address")
    return address


def _read_record(envelope: Envelope, element: Element) -> ProbeMatch:
    version = xml.optional_integer(element, "MetadataVersion", minimum=0, maximum=_UINT_MAX)
    return ProbeMatch(
        address=_address(element),
        types=_types(envelope, element),
        scopes=_list(element, "Scopes"),
        xaddrs=_list(element, "XAddrs"),
        metadata_version=0 if version is None else version,
    )


def _decode_probe(envelope: Envelope, body: Element, addressing: _Addressing) -> Probe:
    scopes = xml.child(body, "Scopes")
    match_by = (scopes.get("MatchBy") or "").strip() if scopes is not None else ""
    return Probe(
        message_id=addressing.required_message_id(),
        types=_types(envelope, body),
        scopes=_list(body, "Scopes"),
        match_by=match_by or None,
    )


def _decode_probe_matches(envelope: Envelope, body: Element, addressing: _Addressing) -> ProbeMatches:
    return ProbeMatches(
        message_id=addressing.required_message_id(),
        relates_to=addressing.relates_to,
        matches=tuple(_read_record(envelope, match) for match in xml.children(body, "ProbeMatch")),
        app_sequence=addressing.app_sequence,
        to=addressing.to or ANONYMOUS_ROLE,
    )


def _decode_hello(envelope: Envelope, body: Element, addressing: _Addressing) -> Hello:
    return Hello(addressing.required_message_id(), _read_record(envelope, body), addressing.app_sequence)


def _decode_bye(envelope: Envelope, body: Element, addressing: _Addressing) -> Bye:
    return Bye(addressing.required_message_id(), _address(body), addressing.app_sequence)


def _decode_resolve(envelope: Envelope, body: Element, addressing: _Addressing) -> Resolve:
    return Resolve(addressing.required_message_id(), _address(body))


def _decode_resolve_matches(envelope: Envelope, body: Element, addressing: _Addressing) -> ResolveMatches:
    match = xml.child(body, "ResolveMatch")
    return ResolveMatches(
        message_id=addressing.required_message_id(),
        relates_to=addressing.relates_to,
        match=_read_record(envelope, match) if match is not None else None,
        app_sequence=addressing.app_sequence,
    )


_Decoder = Callable[[Envelope, Element, _Addressing], WsdMessage]
_DECODERS: Final[Mapping[QName, tuple[str, _Decoder]]] = {
    QName(DISCOVERY_NS, "Probe"): (ACTION_PROBE, _decode_probe),
    QName(DISCOVERY_NS, "ProbeMatches"): (ACTION_PROBE_MATCHES, _decode_probe_matches),
    QName(DISCOVERY_NS, "Hello"): (ACTION_HELLO, _decode_hello),
    QName(DISCOVERY_NS, "Bye"): (ACTION_BYE, _decode_bye),
    QName(DISCOVERY_NS, "Resolve"): (ACTION_RESOLVE, _decode_resolve),
    QName(DISCOVERY_NS, "ResolveMatches"): (ACTION_RESOLVE_MATCHES, _decode_resolve_matches),
}
