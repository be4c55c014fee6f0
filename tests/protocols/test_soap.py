"""SOAP 1.2 envelope and fault codec: golden captures, zeep interop, hostile input."""

from __future__ import annotations

import contextlib
from pathlib import Path

import onvif
import pytest
import zeep
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from zeep.exceptions import Fault as ZeepFault
from zeep.exceptions import XMLParseError

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge, ProtocolError
from camvault.protocols import soap
from camvault.protocols.soap import QName
from camvault.protocols.xml import Node

TDS = "http://www.onvif.org/ver10/device/wsdl"
TT = "http://www.onvif.org/ver10/schema"
TER = "http://www.onvif.org/ver10/error"

# onvif.md §1.6: the CreateUsers request zeep produced (UsernameToken digest), verbatim.
ZEEP_CREATE_USERS = b"""<soap-env:Envelope xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope">
  <soap-env:Header>
    <wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
      <wsse:UsernameToken>
        <wsse:Username>admin</wsse:Username>
        <wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">I677tO9u4yhM0/QkIIV208tslx0=</wsse:Password>
        <wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">lXWc/i0BeYTTRfrDSwb98w==</wsse:Nonce>
        <wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">2026-11-25T01:34:50+00:00</wsu:Created>
      </wsse:UsernameToken>
    </wsse:Security>
  </soap-env:Header>
  <soap-env:Body>
    <ns0:CreateUsers xmlns:ns0="http://www.onvif.org/ver10/device/wsdl">
      <ns0:User>
        <ns1:Username xmlns:ns1="http://www.onvif.org/ver10/schema">op1</ns1:Username>
        <ns2:Password xmlns:ns2="http://www.onvif.org/ver10/schema">Pa55word!</ns2:Password>
        <ns3:UserLevel xmlns:ns3="http://www.onvif.org/ver10/schema">Operator</ns3:UserLevel>
      </ns0:User>
    </ns0:CreateUsers>
  </soap-env:Body>
</soap-env:Envelope>"""

# onvif.md §1.3: the Core.xml fault example, verbatim (including the ellipsis in Detail).
CORE_FAULT = """<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"
                  xmlns:ter="http://www.onvif.org/ver10/error">
  <soapenv:Body>
    <soapenv:Fault>
      <soapenv:Code>
        <soapenv:Value>soapenv:Sender</soapenv:Value>
        <soapenv:Subcode>
          <soapenv:Value>ter:OperationProhibited</soapenv:Value>
          <soapenv:Subcode><soapenv:Value>ter:UsernameClash</soapenv:Value></soapenv:Subcode>
        </soapenv:Subcode>
      </soapenv:Code>
      <soapenv:Reason><soapenv:Text xml:lang="en">Username already exists</soapenv:Text></soapenv:Reason>
      <soapenv:Node>http://www.w3.org/2003/05/soap-envelope/node/ultimateReceiver</soapenv:Node>
      <soapenv:Role>http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver</soapenv:Role>
      <soapenv:Detail><soapenv:Text>…</soapenv:Text></soapenv:Detail>
    </soapenv:Fault>
  </soapenv:Body>
</soapenv:Envelope>""".encode()

CATALOGUE = {
    name: value for name, value in vars(soap).items() if isinstance(value, soap.Fault) and name.isupper()
}


@pytest.fixture(scope="module")
def device_service() -> zeep.proxy.ServiceProxy:
    """zeep bound to the devicemgmt.wsdl that onvif-zeep-async ships (what Home Assistant uses)."""
    wsdl = Path(onvif.__file__).parent / "wsdl" / "devicemgmt.wsdl"
    client = zeep.Client(str(wsdl), settings=zeep.Settings(strict=False))
    return client.create_service(f"{{{TDS}}}DeviceBinding", "http://127.0.0.1/onvif/device_service")


def zeep_fault(service: zeep.proxy.ServiceProxy, data: bytes) -> ZeepFault:
    with pytest.raises(ZeepFault) as info:
        service._binding.process_error(etree.fromstring(data), service._binding.get("GetUsers"))
    return info.value


# --- golden captures -------------------------------------------------------------------------------


def test_zeep_create_users_request_routes_by_namespace() -> None:
    envelope = soap.parse_envelope(ZEEP_CREATE_USERS)
    assert envelope.body_name == QName(TDS, "CreateUsers")
    assert not envelope.is_fault
    security = envelope.header(
        QName("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd", "Security")
    )
    assert security is not None
    assert envelope.body is not None
    user = envelope.body[0]
    assert [QName.of(field) for field in user] == [
        QName(TT, "Username"),
        QName(TT, "Password"),
        QName(TT, "UserLevel"),
    ]
    assert envelope.namespaces_in_scope(user[0])["ns1"] == TT


def test_core_fault_example() -> None:
    fault = soap.parse_fault(CORE_FAULT)
    assert fault.code is soap.FaultCode.SENDER
    assert fault.subcodes == (QName(TER, "OperationProhibited"), QName(TER, "UsernameClash"))
    assert fault.reason == "Username already exists"
    assert fault.detail == "…"
    assert fault.has_subcode("UsernameClash")
    assert fault == soap.Fault(
        soap.FaultCode.SENDER, soap.USERNAME_CLASH.subcodes, soap.USERNAME_CLASH.reason, "…"
    )


def test_same_body_with_any_prefix_routes_alike() -> None:
    def request(prefix: str, uri: str) -> bytes:
        return (
            f'<e:Envelope xmlns:e="{soap.SOAP_ENV_NS}"><e:Body>'
            f'<{prefix}:GetUsers xmlns:{prefix}="{uri}"/></e:Body></e:Envelope>'
        ).encode()

    assert soap.parse_envelope(request("ns0", TDS)).body_name == QName(TDS, "GetUsers")
    assert soap.parse_envelope(request("tds", TDS)).body_name == QName(TDS, "GetUsers")
    assert soap.parse_envelope(request("tds", "urn:elsewhere")).body_name == QName(
        "urn:elsewhere", "GetUsers"
    )


def test_empty_body_and_default_namespace_resolution() -> None:
    data = (f'<Envelope xmlns="{soap.SOAP_ENV_NS}" xmlns:a="urn:a"><Body/></Envelope>').encode()
    envelope = soap.parse_envelope(data)
    assert envelope.body is None
    assert envelope.body_name is None
    assert envelope.header_blocks == ()
    assert envelope.resolve_qname(envelope.root, "Sender") == QName(soap.SOAP_ENV_NS, "Sender")
    assert envelope.resolve_qname(envelope.root, " a:x ") == QName("urn:a", "x")


def test_inner_declarations_shadow_outer_ones() -> None:
    data = (
        f'<s:Envelope xmlns:s="{soap.SOAP_ENV_NS}" xmlns:p="urn:outer"><s:Body>'
        '<p:A><p:B xmlns:p="urn:inner"/></p:A></s:Body></s:Envelope>'
    ).encode()
    envelope = soap.parse_envelope(data)
    assert envelope.body is not None
    outer, inner = envelope.body, envelope.body[0]
    assert envelope.resolve_qname(outer, "p:x") == QName("urn:outer", "x")
    assert envelope.resolve_qname(inner, "p:x") == QName("urn:inner", "x")


@pytest.mark.parametrize("value", ["a:b:c", "", "1abc", "p:", ":x", "has space"])
def test_non_qnames_are_refused(value: str) -> None:
    envelope = soap.parse_envelope(
        f'<s:Envelope xmlns:s="{soap.SOAP_ENV_NS}"><s:Body/></s:Envelope>'.encode()
    )
    with pytest.raises(InvalidContent):
        envelope.resolve_qname(envelope.root, value)


def test_undeclared_prefix_is_refused_unless_a_fallback_names_it() -> None:
    envelope = soap.parse_envelope(
        f'<s:Envelope xmlns:s="{soap.SOAP_ENV_NS}"><s:Body/></s:Envelope>'.encode()
    )
    with pytest.raises(InvalidContent, match="undeclared"):
        envelope.resolve_qname(envelope.root, "ter:NotAuthorized")
    assert envelope.resolve_qname(envelope.root, "ter:X", fallback={"ter": TER}) == QName(TER, "X")


# --- faults: catalogue and zeep interop ---------------------------------------------------------------


def test_catalogue_codes_follow_core() -> None:
    assert soap.NOT_AUTHORIZED.code is soap.FaultCode.SENDER
    assert soap.NOT_AUTHORIZED.subcodes == (QName(TER, "NotAuthorized"),)
    assert soap.NOT_AUTHORIZED.reason == "Sender not Authorized"
    assert soap.TOO_MANY_USERS.code is soap.FaultCode.RECEIVER
    assert soap.TOO_MANY_USERS.subcodes == (QName(TER, "Action"), QName(TER, "TooManyUsers"))
    assert soap.ACTION_NOT_SUPPORTED.code is soap.FaultCode.RECEIVER
    assert soap.PASSWORD_TOO_WEAK.subcodes[-1] == QName(TER, "PasswordTooWeak")
    assert soap.USERNAME_MISSING.subcodes == (QName(TER, "InvalidArgVal"), QName(TER, "UsernameMissing"))
    assert soap.FIXED_USER.subcodes == (QName(TER, "InvalidArgVal"), QName(TER, "FixedUser"))
    for name in (
        "ACTION_NOT_SUPPORTED",
        "WELL_FORMED",
        "TAG_MISMATCH",
        "INVALID_ARG_VAL",
        "USERNAME_CLASH",
        "PASSWORD_TOO_LONG",
        "PASSWORD_TOO_WEAK",
        "USERNAME_TOO_LONG",
        "USERNAME_TOO_SHORT",
        "TOO_MANY_USERS",
        "ANONYMOUS_NOT_ALLOWED",
        "USERNAME_MISSING",
        "FIXED_USER",
    ):
        assert name in CATALOGUE


def test_http_status_is_400_only_for_not_authorized() -> None:
    statuses = {name: fault.http_status for name, fault in CATALOGUE.items()}
    assert statuses.pop("NOT_AUTHORIZED") == 400
    assert set(statuses.values()) == {500}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_catalogue_fault_parses_in_zeep_and_round_trips(
    name: str, device_service: zeep.proxy.ServiceProxy
) -> None:
    fault = CATALOGUE[name]
    data = soap.render_fault(fault)
    assert b'xmlns:ter="http://www.onvif.org/ver10/error"' in data
    seen = zeep_fault(device_service, data)
    assert seen.message == fault.reason
    assert seen.code == f"s:{fault.code.value}"
    assert [(q.namespace, q.localname) for q in seen.subcodes] == [
        (q.namespace, q.local) for q in fault.subcodes
    ]
    assert soap.parse_fault(data) == soap.Fault(fault.code, fault.subcodes, fault.reason, fault.detail)


def test_fault_without_ter_declaration_breaks_zeep_but_we_tolerate_it(
    device_service: zeep.proxy.ServiceProxy,
) -> None:
    """The Wanscam-style fault of onvif.md §1.3: why render_fault always declares ter."""
    broken = soap.render_fault(soap.NOT_AUTHORIZED).replace(
        b' xmlns:ter="http://www.onvif.org/ver10/error"', b""
    )
    with pytest.raises(XMLParseError, match="ter"):
        device_service._binding.process_error(
            etree.fromstring(broken), device_service._binding.get("GetUsers")
        )
    assert soap.parse_fault(broken).has_subcode("NotAuthorized")


def test_fault_detail_text_and_nodes_and_foreign_subcodes() -> None:
    fault = soap.Fault(
        soap.FaultCode.SENDER,
        (
            QName("http://schemas.xmlsoap.org/ws/2005/04/discovery", "MatchingRuleNotSupported"),
            QName("urn:x", "Y"),
        ),
        "The matching rule specified is not supported",
        "see below",
    )
    data = soap.render_fault(fault, detail=[Node("d:SupportedMatchingRules", "urn:rule")])
    assert b"<s:Value>d:MatchingRuleNotSupported</s:Value>" in data
    assert b"<s:Value>ns0:Y</s:Value>" in data
    parsed = soap.parse_fault(data)
    assert parsed.subcodes == fault.subcodes
    assert parsed.detail == "see below urn:rule"


def test_parse_fault_refuses_non_faults_and_bad_codes() -> None:
    with pytest.raises(InvalidContent, match="not a <Fault>"):
        soap.parse_fault(ZEEP_CREATE_USERS)
    no_code = soap.render_fault(soap.WELL_FORMED).replace(b"<s:Value>s:Sender</s:Value>", b"")
    with pytest.raises(InvalidContent):
        soap.parse_fault(no_code)
    bogus = soap.render_fault(soap.WELL_FORMED).replace(b"s:Sender", b"s:Bogus")
    with pytest.raises(InvalidContent, match="fault code"):
        soap.parse_fault(bogus)
    no_value = soap.render_fault(soap.WELL_FORMED).replace(b"<s:Value>ter:WellFormed</s:Value>", b"")
    with pytest.raises(InvalidContent, match="Subcode"):
        soap.parse_fault(no_value)


subcode_names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,20}", fullmatch=True)
reasons = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FFF), max_size=60).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    code=st.sampled_from(list(soap.FaultCode)),
    subcodes=st.lists(
        st.tuples(
            st.sampled_from([TER, "http://schemas.xmlsoap.org/ws/2005/04/discovery", "urn:other"]),
            subcode_names,
        ),
        max_size=4,
    ),
    reason=reasons,
)
def test_fault_round_trip(code: soap.FaultCode, subcodes: list[tuple[str, str]], reason: str) -> None:
    fault = soap.Fault(code, tuple(QName(ns, local) for ns, local in subcodes), reason)
    assert soap.parse_fault(soap.render_fault(fault)) == fault


# --- rendering bodies -------------------------------------------------------------------------------


def test_rendered_body_is_deserialised_by_zeep(device_service: zeep.proxy.ServiceProxy) -> None:
    body = Node(
        "tds:GetUsersResponse",
        children=[
            Node("tds:User", children=[Node("tt:Username", "admin"), Node("tt:UserLevel", "Administrator")]),
            Node("tds:User", children=[Node("tt:Username", "viewer"), Node("tt:UserLevel", "User")]),
        ],
    )
    data = soap.render_envelope(body, namespaces=soap.ONVIF_NAMESPACES)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s=')
    users = device_service._binding.get("GetUsers").process_reply(etree.fromstring(data))
    assert [(user.Username, user.UserLevel) for user in users] == [
        ("admin", "Administrator"),
        ("viewer", "User"),
    ]
    assert soap.parse_envelope(data).body_name == QName(TDS, "GetUsersResponse")


def test_header_blocks_and_byte_bodies() -> None:
    header = [Node("wsa:Action", f"{TDS}/GetUsers"), Node("x:Extra", "1", attributes=[("xmlns:x", "urn:x")])]
    data = soap.render_envelope(
        b"<tds:GetUsers/>", header=header, namespaces={"tds": TDS, "wsa": soap.WSA_NS}
    )
    envelope = soap.parse_envelope(data)
    assert [QName.of(block) for block in envelope.header_blocks] == [
        QName(soap.WSA_NS, "Action"),
        QName("urn:x", "Extra"),
    ]
    assert envelope.body_name == QName(TDS, "GetUsers")
    assert soap.parse_envelope(soap.render_envelope(None, declaration=False)).body is None


def test_text_is_escaped_in_bodies() -> None:
    data = soap.render_envelope(Node("tt:Name", "<s:Body/>&"), namespaces={"tt": TT})
    envelope = soap.parse_envelope(data)
    assert envelope.body is not None
    assert envelope.body.text == "<s:Body/>&"


def test_undeclared_prefixes_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="tds"):
        soap.render_envelope(Node("tds:GetUsers"))
    with pytest.raises(ValueError, match="tt"):
        soap.render_envelope(Node("tds:GetUsers", children=[Node("tt:X", 1)]), namespaces={"tds": TDS})
    with pytest.raises(ValueError, match="q"):
        soap.render_envelope(Node("tds:A", attributes=[("q:attr", "1")]), namespaces={"tds": TDS})
    with pytest.raises(ValueError, match="reserved"):
        soap.render_envelope(None, namespaces={"s": "urn:not-soap"})
    # a prefix declared on the node itself is fine, for it and its children
    soap.render_envelope(Node("p:A", attributes=[("xmlns:p", "urn:p")], children=[Node("p:B", 1)]))


# --- hostile and broken input -------------------------------------------------------------------------

ENV_OPEN = f'<s:Envelope xmlns:s="{soap.SOAP_ENV_NS}">'.encode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + ENV_OPEN
            + b"<s:Body>&b;</s:Body></s:Envelope>",
            MalformedMessage,
        ),
        (
            b'<!DOCTYPE s SYSTEM "file:///etc/passwd">' + ENV_OPEN + b"<s:Body/></s:Envelope>",
            MalformedMessage,
        ),
        (ENV_OPEN + b"<s:Body>", MalformedMessage),
        (ZEEP_CREATE_USERS[: len(ZEEP_CREATE_USERS) // 2], MalformedMessage),
        (b"", MalformedMessage),
        (b"\x00\x01\x02garbage", MalformedMessage),
        (
            b'<?xml version="1.0" encoding="x-user-defined"?>' + ENV_OPEN + b"<s:Body/></s:Envelope>",
            MalformedMessage,
        ),
        (
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
            InvalidContent,
        ),
        (b'<s:Envelope xmlns:s="urn:wrong"><s:Body/></s:Envelope>', InvalidContent),
        (b"<Envelope><Body/></Envelope>", InvalidContent),
        (f'<s:Body xmlns:s="{soap.SOAP_ENV_NS}"/>'.encode(), InvalidContent),
        (ENV_OPEN + b"</s:Envelope>", InvalidContent),
        (ENV_OPEN + b"<s:Body/><s:Header/></s:Envelope>", InvalidContent),
        (ENV_OPEN + b"<s:Body/><s:Body/></s:Envelope>", InvalidContent),
        (ENV_OPEN + b'<s:Header/><x:Body xmlns:x="urn:x"/></s:Envelope>', InvalidContent),
        (ENV_OPEN + b"<s:Body>" + b"<a>" * 40 + b"</a>" * 40 + b"</s:Body></s:Envelope>", MalformedMessage),
    ],
)
def test_hostile_or_broken_envelopes(data: bytes, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        soap.parse_envelope(data)


def test_soap11_is_named_in_the_error() -> None:
    with pytest.raises(InvalidContent, match=r"SOAP 1\.1"):
        soap.parse_envelope(
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>'
        )


def test_size_bound() -> None:
    big = ENV_OPEN + b"<s:Body><x>" + b"a" * 5000 + b"</x></s:Body></s:Envelope>"
    with pytest.raises(MessageTooLarge):
        soap.parse_envelope(big, max_bytes=4096)
    assert soap.parse_envelope(big, max_bytes=8192).body is not None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        soap.parse_envelope(data)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(CORE_FAULT)), st.binary(max_size=8))
def test_mutated_faults_only_raise_protocol_errors(cut: int, noise: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        soap.parse_fault(CORE_FAULT[:cut] + noise + CORE_FAULT[cut + len(noise) :])
