"""WS-Discovery codec: golden captures, python-ws-discovery interop, matching rules, hostile datagrams."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import unquote
from xml.etree.ElementTree import canonicalize

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsdiscovery.actions.bye import constructBye
from wsdiscovery.actions.probe import constructProbe
from wsdiscovery.actions.resolve import constructResolve
from wsdiscovery.message import createSOAPMessage, parseSOAPMessage
from wsdiscovery.qname import QName as LibQName
from wsdiscovery.scope import Scope as LibScope
from wsdiscovery.service import Service as LibService
from wsdiscovery.util import matchesFilter

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge, ProtocolError
from camvault.protocols import soap
from camvault.protocols import wsdiscovery as wsd
from camvault.protocols.soap import QName

NVT = wsd.NETWORK_VIDEO_TRANSMITTER
DEVICE = wsd.DEVICE_TYPE
SCOPES = (
    "onvif://www.onvif.org/Profile/Streaming",
    "onvif://www.onvif.org/type/video_encoder",
    "onvif://www.onvif.org/hardware/DS-2CD2385G1-I",
    "onvif://www.onvif.org/name/Front%20door",
    "onvif://www.onvif.org/MAC/58:50:ed:1f:e3:85",
    "onvif://www.onvif.org/location/country/ie",
)
DEVICE_RECORD = wsd.ProbeMatch(
    address="urn:uuid:6f1b1c2e-1d8a-4a8e-9d7e-5850ed1fe385",
    types=(NVT, DEVICE),
    scopes=SCOPES,
    xaddrs=("http://127.0.0.2:80/onvif/device_service",),
    metadata_version=1,
)
PROBE_ID = "urn:uuid:2de9f5ad-abd2-4c0e-9ba8-178098d67f01"

# onvif.md §2, the ProbeMatches the emulator should send; placeholders filled with DEVICE_RECORD's values.
SECTION2_PROBE_MATCHES = f"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
            xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
            xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
            xmlns:dn="http://www.onvif.org/ver10/network/wsdl"
            xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
  <s:Header>
    <a:MessageID>urn:uuid:0a6dc791-2e3b-4b7e-9ae8-3b3cb5c4f7a1</a:MessageID>
    <a:RelatesTo>{PROBE_ID}</a:RelatesTo>
    <a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>
    <a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>
    <d:AppSequence InstanceId="7" MessageNumber="3"/>
  </s:Header>
  <s:Body>
    <d:ProbeMatches>
      <d:ProbeMatch>
        <a:EndpointReference><a:Address>{DEVICE_RECORD.address}</a:Address></a:EndpointReference>
        <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
        <d:Scopes>{" ".join(SCOPES)}</d:Scopes>
        <d:XAddrs>http://127.0.0.2:80/onvif/device_service</d:XAddrs>
        <d:MetadataVersion>1</d:MetadataVersion>
      </d:ProbeMatch>
    </d:ProbeMatches>
  </s:Body>
</s:Envelope>""".encode()

# A real gSOAP camera's ProbeMatches (onvif.md §2):
# andreikop/python-ws-discovery tests/data/probe_response.xml, verbatim.
GSOAP_CAMERA_PROBE_MATCHES = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:SOAP-ENC="http://www.w3.org/2003/05/soap-encoding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsdd="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:vfdis="http://www.onvif.org/ver10/network/wsdl/RemoteDiscoveryBinding" xmlns:vfdis2="http://www.onvif.org/ver10/network/wsdl/DiscoveryLookupBinding" xmlns:tdn="http://www.onvif.org/ver10/network/wsdl">
<SOAP-ENV:Header>
    <wsa:MessageID>uuid:2419d68a-2dd2-21b2-a205-78A5DD0F9593</wsa:MessageID>
    <wsa:RelatesTo>urn:uuid:2de9f5ad-abd2-4c0e-9ba8-178098d67f01</wsa:RelatesTo>
    <wsa:To SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>
    <wsa:Action SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>
</SOAP-ENV:Header>
<SOAP-ENV:Body>
    <wsdd:ProbeMatches>
        <wsdd:ProbeMatch>
            <wsa:EndpointReference>
                <wsa:Address>urn:uuid:2419d68a-2dd2-21b2-a205-78A5DD0F9593</wsa:Address>
                <wsa:ReferenceProperties/>
                <wsa:ReferenceParameters/>
                <wsa:PortType>ttl</wsa:PortType>
            </wsa:EndpointReference>
            <wsdd:Scopes>onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/Model/631GA onvif://www.onvif.org/Name/IPCAM onvif://www.onvif.org/location/country/china</wsdd:Scopes>
            <wsdd:XAddrs>http://192.168.1.104:80/onvif/device_service</wsdd:XAddrs>
            <wsdd:MetadataVersion>1</wsdd:MetadataVersion>
        </wsdd:ProbeMatch>
    </wsdd:ProbeMatches>
</SOAP-ENV:Body>
</SOAP-ENV:Envelope>
"""

# onvif.md §2: the Probe onveef sends (MessageID placeholder filled).
ONVEEF_PROBE = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
  xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">
 <s:Header><a:MessageID>urn:uuid:2de9f5ad-abd2-4c0e-9ba8-178098d67f01</a:MessageID>
  <a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
  <a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>
 <s:Body><d:Probe xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
   <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes/></d:Probe></s:Body></s:Envelope>"""


def reply(app_sequence: wsd.AppSequence | None = None) -> wsd.ProbeMatches:
    return wsd.ProbeMatches(
        message_id="urn:uuid:0a6dc791-2e3b-4b7e-9ae8-3b3cb5c4f7a1",
        relates_to=PROBE_ID,
        matches=(DEVICE_RECORD,),
        app_sequence=app_sequence or wsd.AppSequence(instance_id=7, message_number=3),
    )


# --- golden captures -----------------------------------------------------------------------------------


def test_section2_probe_matches_decodes() -> None:
    message = wsd.decode(SECTION2_PROBE_MATCHES)
    assert message == reply()


def test_our_probe_matches_is_exactly_the_section2_shape() -> None:
    ours = canonicalize(wsd.encode_probe_matches(reply()).decode(), strip_text=True)
    theirs = canonicalize(SECTION2_PROBE_MATCHES.decode(), strip_text=True)
    assert ours == theirs


def test_real_gsoap_camera_probe_matches() -> None:
    message = wsd.decode(GSOAP_CAMERA_PROBE_MATCHES)
    assert isinstance(message, wsd.ProbeMatches)
    assert message.message_id == "uuid:2419d68a-2dd2-21b2-a205-78A5DD0F9593"
    assert message.relates_to == PROBE_ID
    assert message.app_sequence is None
    (match,) = message.matches
    assert match.address == "urn:uuid:2419d68a-2dd2-21b2-a205-78A5DD0F9593"
    assert match.types == ()
    assert match.scopes[1] == "onvif://www.onvif.org/Model/631GA"
    assert len(match.scopes) == 4
    assert match.xaddrs == ("http://192.168.1.104:80/onvif/device_service",)
    assert match.metadata_version == 1


def test_onveef_probe_resolves_types_and_matches_only_full_type_sets() -> None:
    probe = wsd.decode(ONVEEF_PROBE)
    assert probe == wsd.Probe(message_id=PROBE_ID, types=(NVT, DEVICE), scopes=(), match_by=None)
    assert wsd.matches(probe, (DEVICE, NVT), SCOPES) is wsd.MatchResult.MATCH
    assert wsd.matches(probe, (DEVICE,), SCOPES) is wsd.MatchResult.NO_MATCH


# --- interop with python-ws-discovery (what Home Assistant runs) -----------------------------------------


def lib_types(*names: QName) -> list[LibQName]:
    return [LibQName(name.namespace, name.local) for name in names]


def test_wsdiscovery_parses_our_probe_matches_and_ha_filters_keep_it() -> None:
    env = parseSOAPMessage(wsd.encode_probe_matches(reply()), "127.0.0.1")
    assert env is not None
    assert env.getAction() == wsd.ACTION_PROBE_MATCHES
    assert env.getRelatesTo() == PROBE_ID
    assert (env.getInstanceId(), env.getMessageNumber()) == ("7", "3")
    (match,) = env.getProbeResolveMatches()
    assert match.getEPR() == DEVICE_RECORD.address
    assert [t.getFullname() for t in match.getTypes()] == [f"{n.namespace}:{n.local}" for n in (NVT, DEVICE)]
    assert [s.getValue() for s in match.getScopes()] == [
        unquote(scope) for scope in SCOPES
    ]  # the library unquotes
    assert match.getXAddrs() == list(DEVICE_RECORD.xaddrs)
    assert match.getMetadataVersion() == "1"
    # Home Assistant's searchServices(scopes=[Scope(".../Profile/Streaming")]) and an NVT type filter
    assert matchesFilter(match, None, [LibScope("onvif://www.onvif.org/Profile/Streaming")])
    assert matchesFilter(match, lib_types(NVT), None)
    assert not matchesFilter(match, None, [LibScope("onvif://www.onvif.org/Profile/G")])


def test_wsdiscovery_parses_our_hello_bye_and_resolve_matches() -> None:
    sequence = wsd.AppSequence(instance_id=42, message_number=1)
    hello = parseSOAPMessage(wsd.encode_hello(wsd.Hello("urn:uuid:h", DEVICE_RECORD, sequence)), "127.0.0.1")
    assert hello.getAction() == wsd.ACTION_HELLO
    assert hello.getTo() == wsd.MULTICAST_TO
    assert hello.getEPR() == DEVICE_RECORD.address
    assert [s.getValue() for s in hello.getScopes()] == [unquote(scope) for scope in SCOPES]
    assert hello.getXAddrs() == list(DEVICE_RECORD.xaddrs)
    assert hello.getInstanceId() == "42"

    bye = parseSOAPMessage(wsd.encode_bye(wsd.Bye("urn:uuid:b", DEVICE_RECORD.address, sequence.next())), "x")
    assert (bye.getAction(), bye.getEPR(), bye.getMessageNumber()) == (
        wsd.ACTION_BYE,
        DEVICE_RECORD.address,
        "2",
    )

    no_xaddrs = wsd.ProbeMatch(DEVICE_RECORD.address, (DEVICE,))
    resolved = parseSOAPMessage(
        wsd.encode_resolve_matches(wsd.ResolveMatches("urn:uuid:r", "urn:uuid:q", no_xaddrs, sequence)), "x"
    )
    assert resolved.getAction() == wsd.ACTION_RESOLVE_MATCHES
    assert resolved.getRelatesTo() == "urn:uuid:q"
    assert resolved.getProbeResolveMatches()[0].getXAddrs() == []


@pytest.mark.parametrize(
    ("types", "scopes", "expected"),
    [
        ([], [LibScope("onvif://www.onvif.org/Profile/Streaming")], wsd.MatchResult.MATCH),
        (lib_types(NVT, DEVICE), [], wsd.MatchResult.MATCH),
        (
            lib_types(DEVICE),
            [LibScope("onvif://www.onvif.org/hardware", wsd.MATCH_BY_RFC3986)],
            wsd.MatchResult.MATCH,
        ),
        ([LibQName(soap.DEVICE_NS, "Printer")], [], wsd.MatchResult.NO_MATCH),
        ([], [LibScope("onvif://www.onvif.org/hardware/DS-2CD2385G1")], wsd.MatchResult.NO_MATCH),
        (
            [],
            [LibScope("onvif://www.onvif.org/Profile/Streaming", wsd.MATCH_BY_LDAP)],
            wsd.MatchResult.UNSUPPORTED_RULE,
        ),
    ],
)
def test_probes_built_by_wsdiscovery(
    types: list[LibQName], scopes: list[LibScope], expected: wsd.MatchResult
) -> None:
    raw = createSOAPMessage(constructProbe(types, scopes)).encode()
    assert re.search(rb'xmlns:[A-Za-z]{10}="', raw) or not types  # the library's random prefixes
    probe = wsd.decode(raw)
    assert isinstance(probe, wsd.Probe)
    assert probe.types == tuple(QName(t.getNamespace(), t.getLocalname()) for t in types)
    assert probe.scopes == tuple(s.getValue() for s in scopes)
    assert wsd.matches(probe, DEVICE_RECORD.types, DEVICE_RECORD.scopes) is expected


def test_resolve_and_bye_built_by_wsdiscovery() -> None:
    resolve = wsd.decode(createSOAPMessage(constructResolve("urn:uuid:abc")).encode())
    assert isinstance(resolve, wsd.Resolve)
    assert resolve.address == "urn:uuid:abc"
    service = LibService(lib_types(DEVICE), [], ["http://127.0.0.1/"], "urn:uuid:abc", 9)
    bye = wsd.decode(createSOAPMessage(constructBye(service)).encode())
    assert isinstance(bye, wsd.Bye)
    assert bye.address == "urn:uuid:abc"
    assert bye.app_sequence is not None
    assert bye.app_sequence.instance_id == 9


# --- matching rules ----------------------------------------------------------------------------------


def probe_for(*scopes: str, match_by: str | None = None, types: tuple[QName, ...] = ()) -> wsd.Probe:
    return wsd.Probe("urn:uuid:p", types, scopes, match_by)


@pytest.mark.parametrize(
    "rule", [None, wsd.MATCH_BY_RFC3986, wsd.MATCH_BY_RFC2396, f" {wsd.MATCH_BY_RFC3986} "]
)
@pytest.mark.parametrize(
    ("wanted", "have", "expected"),
    [
        ("onvif://www.onvif.org/hardware/D1", "onvif://www.onvif.org/hardware/D1", True),
        ("onvif://www.onvif.org/hardware/D1", "onvif://www.onvif.org/hardware/D1-566", False),
        ("onvif://www.onvif.org/hardware", "onvif://www.onvif.org/hardware/D1-566", True),
        ("onvif://www.onvif.org/hardware/", "onvif://www.onvif.org/hardware/D1-566", True),
        ("onvif://www.onvif.org/", "onvif://www.onvif.org/name/x", True),
        ("ONVIF://WWW.ONVIF.ORG/name", "onvif://www.onvif.org/name/x", True),
        ("onvif://www.onvif.org/Name", "onvif://www.onvif.org/name/x", False),
        ("onvif://www.onvif.org/name/Front door", "onvif://www.onvif.org/name/Front%20door", True),
        ("onvif://www.onvif.org/name/../name", "onvif://www.onvif.org/name/x", False),
        ("onvif://other.org/name", "onvif://www.onvif.org/name/x", False),
        ("http://www.onvif.org/name", "onvif://www.onvif.org/name/x", False),
        ("onvif://www.onvif.org/name/x/y", "onvif://www.onvif.org/name/x", False),
        ("onvif://www.onvif.org/name?q", "onvif://www.onvif.org/name/x", True),
        ("onvif://[::1", "onvif://www.onvif.org/name/x", False),
    ],
)
def test_segment_prefix_rule(rule: str | None, wanted: str, have: str, expected: bool) -> None:
    result = wsd.matches(probe_for(wanted, match_by=rule), (), (have,))
    assert result is (wsd.MatchResult.MATCH if expected else wsd.MatchResult.NO_MATCH)


def test_strcmp0_is_exact() -> None:
    target = ("onvif://www.onvif.org/hardware/D1",)
    assert (
        wsd.matches(probe_for(target[0], match_by=wsd.MATCH_BY_STRCMP0), (), target) is wsd.MatchResult.MATCH
    )
    prefix = probe_for("onvif://www.onvif.org/hardware", match_by=wsd.MATCH_BY_STRCMP0)
    assert wsd.matches(prefix, (), target) is wsd.MatchResult.NO_MATCH


@pytest.mark.parametrize("rule", [wsd.MATCH_BY_LDAP, wsd.MATCH_BY_UUID, "urn:nonsense"])
def test_unsupported_rules_are_distinct_and_answered_with_a_fault(rule: str) -> None:
    probe = probe_for("onvif://www.onvif.org/name", match_by=rule)
    assert wsd.matches(probe, (DEVICE,), SCOPES) is wsd.MatchResult.UNSUPPORTED_RULE
    assert wsd.matches(probe_for(match_by=rule), (DEVICE,), SCOPES) is wsd.MatchResult.MATCH  # no scopes
    fault = wsd.decode(wsd.encode_matching_rule_fault(probe, message_id="urn:uuid:f"))
    assert isinstance(fault, wsd.DiscoveryFault)
    assert fault.relates_to == probe.message_id
    assert fault.fault.code is soap.FaultCode.SENDER
    assert fault.fault.subcodes == (QName(wsd.DISCOVERY_NS, "MatchingRuleNotSupported"),)
    assert fault.fault.detail is not None
    assert wsd.MATCH_BY_RFC3986 in fault.fault.detail.split()
    assert parseSOAPMessage(wsd.encode_matching_rule_fault(probe, message_id="urn:uuid:f"), "x") is None


def test_types_compare_by_namespace_not_local_name() -> None:
    impostor = QName("urn:other", "Device")
    assert wsd.matches(probe_for(types=(impostor,)), (DEVICE,), ()) is wsd.MatchResult.NO_MATCH
    assert wsd.matches(probe_for(), (), ()) is wsd.MatchResult.MATCH
    assert wsd.matches(probe_for("onvif://www.onvif.org/x"), (), ()) is wsd.MatchResult.NO_MATCH


def test_app_sequence_ordering() -> None:
    first = wsd.AppSequence(5, 1)
    assert first.next() == wsd.AppSequence(5, 2)
    assert first.next().supersedes(first)
    assert not first.supersedes(first)
    assert wsd.AppSequence(6, 1).supersedes(wsd.AppSequence(5, 99))
    assert not wsd.AppSequence(4, 99).supersedes(first)
    assert not wsd.AppSequence(5, 9, "urn:a").supersedes(wsd.AppSequence(5, 1, "urn:b"))


def test_message_ids_are_fresh_urns() -> None:
    first, second = wsd.new_message_id(), wsd.new_message_id()
    assert first != second
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", first)


# --- round trips ---------------------------------------------------------------------------------------

tokens = st.from_regex(r"[A-Za-z0-9:/._%~-]{1,40}", fullmatch=True)
qnames = st.builds(
    QName,
    st.sampled_from([soap.NETWORK_NS, soap.DEVICE_NS, "urn:vendor:types", "http://example.org/t", None]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True),
)
records = st.builds(
    wsd.ProbeMatch,
    tokens,
    st.lists(qnames, max_size=4).map(tuple),
    st.lists(tokens, max_size=5).map(tuple),
    st.lists(tokens, max_size=3).map(tuple),
    st.integers(0, 2**32 - 1),
)
sequences = st.builds(
    wsd.AppSequence, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.none() | tokens
)
messages = st.one_of(
    st.builds(
        wsd.Probe,
        tokens,
        st.lists(qnames, max_size=4).map(tuple),
        st.lists(tokens, min_size=1, max_size=4).map(tuple),
        st.none() | st.sampled_from(wsd.SUPPORTED_MATCH_RULES),
    ),
    st.builds(wsd.Probe, tokens, st.lists(qnames, max_size=3).map(tuple)),
    st.builds(
        wsd.ProbeMatches,
        tokens,
        st.none() | tokens,
        st.lists(records, max_size=3).map(tuple),
        sequences,
        tokens,
    ),
    st.builds(wsd.Hello, tokens, records, st.none() | sequences),
    st.builds(wsd.Bye, tokens, tokens, st.none() | sequences),
    st.builds(wsd.Resolve, tokens, tokens),
    st.builds(wsd.ResolveMatches, tokens, st.none() | tokens, st.none() | records, st.none() | sequences),
)


@settings(max_examples=120, deadline=None)
@given(messages)
def test_every_message_round_trips(message: wsd.WsdMessage) -> None:
    data = wsd.encode(message)
    assert len(data) < wsd.MAX_DATAGRAM_BYTES
    assert wsd.decode(data) == message


def test_faults_cannot_be_encoded_generically() -> None:
    fault = wsd.DiscoveryFault(None, None, soap.NOT_AUTHORIZED)
    with pytest.raises(TypeError):
        wsd.encode(fault)


# --- hostile and broken datagrams ----------------------------------------------------------------------


def mangle(old: bytes, new: bytes, source: bytes = SECTION2_PROBE_MATCHES) -> bytes:
    assert old in source
    return source.replace(old, new, 1)


ENVELOPE_ONWARDS = SECTION2_PROBE_MATCHES[SECTION2_PROBE_MATCHES.index(b"<s:Envelope") :]
BOMB = b'<!DOCTYPE s [<!ENTITY a "a"><!ENTITY b "&a;&a;">]>' + ENVELOPE_ONWARDS
OVERSIZED = SECTION2_PROBE_MATCHES.replace(b"</s:Envelope>", b"<!--" + b"x" * 33000 + b"--></s:Envelope>")
OUR_ID = b"<a:MessageID>urn:uuid:0a6dc791-2e3b-4b7e-9ae8-3b3cb5c4f7a1</a:MessageID>"
ADDRESS = b"<a:Address>" + DEVICE_RECORD.address.encode()
SOAP11 = b"http://schemas.xmlsoap.org/soap/envelope/"
WRONG_NS_PROBE = ONVEEF_PROBE.replace(b"<d:Probe ", b'<x:Probe xmlns:x="urn:wrong" ').replace(
    b"</d:Probe>", b"</x:Probe>"
)
NO_NS_PROBE = ONVEEF_PROBE.replace(b"<d:Probe ", b"<Probe ").replace(b"</d:Probe>", b"</Probe>")


@pytest.mark.parametrize(
    ("datagram", "error", "pattern"),
    [
        (BOMB, MalformedMessage, "forbidden"),
        (SECTION2_PROBE_MATCHES[:500], MalformedMessage, "well-formed"),
        (b"\x8a\x00\x13junk", MalformedMessage, None),
        (b'<?xml version="1.0" encoding="hex"?>' + ENVELOPE_ONWARDS, MalformedMessage, "encoding"),
        (ONVEEF_PROBE.replace(b"<d:Probe ", b'<d:Probe xmlns:d="" '), MalformedMessage, "undeclare"),
        (OVERSIZED, MessageTooLarge, "32768"),
        (mangle(b'2005/04/discovery"\n', b'2009/01/discovery"\n'), InvalidContent, "2005/04"),
        (WRONG_NS_PROBE, InvalidContent, "2005/04"),
        (NO_NS_PROBE, InvalidContent, "2005/04"),
        (mangle(b"discovery/ProbeMatches<", b"discovery/Hello<"), InvalidContent, "Action"),
        (mangle(OUR_ID, b""), InvalidContent, "MessageID"),
        (mangle(b'InstanceId="7"', b'InstanceId="-7"'), InvalidContent, "InstanceId"),
        (mangle(b'MessageNumber="3"', b'MessageNumber="99999999999"'), InvalidContent, "MessageNumber"),
        (mangle(b'MessageNumber="3"', b""), InvalidContent, "MessageNumber"),
        (mangle(b"dn:NetworkVideoTransmitter", b"zz:NetworkVideoTransmitter"), InvalidContent, "undeclared"),
        (mangle(b"tds:Device<", b"a:b:c<"), InvalidContent, "QName"),
        (mangle(ADDRESS + b"</a:Address>", b""), InvalidContent, "Address"),
        (mangle(ADDRESS, b"<a:Address>"), InvalidContent, "empty"),
        (mangle(b"<d:MetadataVersion>1<", b"<d:MetadataVersion>one<"), InvalidContent, "integer"),
        (mangle(b"http://www.w3.org/2003/05/soap-envelope", SOAP11), InvalidContent, "SOAP 1"),
        (soap.render_envelope(None), InvalidContent, "not a WS-Discovery"),
    ],
)
def test_hostile_and_broken_datagrams(
    datagram: bytes, error: type[ProtocolError], pattern: str | None
) -> None:
    with pytest.raises(error, match=pattern):
        wsd.decode(datagram)


def test_undeclared_onvif_prefixes_fall_back_to_onvif_namespaces() -> None:
    sloppy = SECTION2_PROBE_MATCHES.replace(
        b'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"', b""
    ).replace(b'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"', b"")
    assert wsd.decode(sloppy) == reply()


def test_missing_metadata_version_and_app_sequence_are_tolerated() -> None:
    lax = mangle(b'<d:AppSequence InstanceId="7" MessageNumber="3"/>', b"").replace(
        b"<d:MetadataVersion>1</d:MetadataVersion>", b""
    )
    message = wsd.decode(lax)
    assert isinstance(message, wsd.ProbeMatches)
    assert message.app_sequence is None
    assert message.matches[0].metadata_version == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_only_raise_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        wsd.decode(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([SECTION2_PROBE_MATCHES, GSOAP_CAMERA_PROBE_MATCHES, ONVEEF_PROBE]),
    st.integers(min_value=0, max_value=2000),
    st.binary(max_size=6),
    st.booleans(),
)
def test_mutated_captures_only_raise_protocol_errors(
    source: bytes, at: int, noise: bytes, truncate: bool
) -> None:
    at = min(at, len(source))
    mutated = source[:at] if truncate else source[:at] + noise + source[at + len(noise) :]
    with contextlib.suppress(ProtocolError):
        wsd.decode(mutated)
