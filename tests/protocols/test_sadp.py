"""SADP codec: the real CAP2 capture, sadp.dll command templates, device quirks, hostile datagrams."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge, ProtocolError
from camvault.protocols import sadp, xml
from camvault.protocols.xml import Node

PLANTED = "Pl4nted-S3cret!"

# hikvision.md §13.3: the real ProbeMatch of a DS-2CD2385G1-I (CAP2), verbatim including the notes' comments.
CAP2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ProbeMatch>
  <Uuid>e8ecfe09-90e4-44c0-842b-703f46b58c81</Uuid>
  <Types>inquiry</Types>
  <DeviceType>141945</DeviceType>
  <DeviceDescription>DS-2CD2385G1-I</DeviceDescription>
  <DeviceSN>DS-2CD2385G1-I20200414AAWRE33842150</DeviceSN>
  <CommandPort>8000</CommandPort>
  <HttpPort>80</HttpPort>
  <MAC>58-50-ed-1f-e3-85</MAC>
  <IPv4Address>192.168.124.40</IPv4Address>
  <IPv4SubnetMask>255.255.255.0</IPv4SubnetMask>
  <IPv4Gateway>192.168.124.1</IPv4Gateway>
  <IPv6Address>::</IPv6Address>
  <IPv6Gateway>::</IPv6Gateway>
  <IPv6MaskLen>64</IPv6MaskLen>
  <DHCP>true</DHCP>
  <AnalogChannelNum>0</AnalogChannelNum>
  <DigitalChannelNum>1</DigitalChannelNum>
  <SoftwareVersion>V5.6.2build 190701</SoftwareVersion>
  <DSPVersion>V7.3 build 190626</DSPVersion>
  <BootTime>1970-01-15 02:44:11</BootTime>
  <Encrypt>true</Encrypt>
  <ResetAbility>false</ResetAbility>
  <DiskNumber>0</DiskNumber>
  <Activated>true</Activated>
  <PasswordResetAbility>true</PasswordResetAbility>
  <PasswordResetModeSecond>true</PasswordResetModeSecond>
  <DetailOEMCode>1</DetailOEMCode>
  <SupportSecurityQuestion>true</SupportSecurityQuestion>
  <SupportHCPlatform>true</SupportHCPlatform>
  <HCPlatformEnable>flase</HCPlatformEnable>          <!-- sic: real firmware misspelling "flase" -->
  <IsModifyVerificationCode>true</IsModifyVerificationCode>
  <Salt>d8eebc414effc857bed4c3cc203c8b4413f60b00a9f4acc410084358d5fd3f91</Salt>
  <DeviceLock>flase</DeviceLock>                       <!-- sic -->
  <SDKOverTLSPort>8443</SDKOverTLSPort>
  <SDKServerStatus>true</SDKServerStatus>
  <SDKOverTLSServerStatus>true</SDKOverTLSServerStatus>
  <SupportMailBox>true</SupportMailBox>
</ProbeMatch>
"""

# A CAP1-like answer (§13.3: DS-2CD2320D-I, DeviceLock true, a public IPv6 address, no SDK* and MailBox
# elements), built from CAP2 as the notes describe CAP1.
CAP1_LIKE = (
    CAP2.replace(b"DS-2CD2385G1-I20200414AAWRE33842150", b"DS-2CD2320D-I20180402AAWR123456789")
    .replace(b"DS-2CD2385G1-I", b"DS-2CD2320D-I")
    .replace(b"V5.6.2build 190701", b"V5.5.6build 180326")
    .replace(b"<IPv6Address>::<", b"<IPv6Address>2a02:8084:2140:b680:5a50:edff:fe1f:e385<")
    .replace(b"<DeviceLock>flase</DeviceLock>", b"<DeviceLock>true</DeviceLock>")
    .replace(b"  <SDKOverTLSPort>8443</SDKOverTLSPort>\n", b"")
    .replace(b"  <SDKServerStatus>true</SDKServerStatus>\n", b"")
    .replace(b"  <SDKOverTLSServerStatus>true</SDKOverTLSServerStatus>\n", b"")
    .replace(b"  <SupportMailBox>true</SupportMailBox>\n", b"")
)

# hikvision.md §13.2 / §13.4 (sadp.dll strings), as %-templates.
INQUIRY_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>%s</Uuid><Types>inquiry</Types></Probe>'
)
RESET_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>%s</Uuid><MAC>%s</MAC><Types>reset</Types>'
    "<Password>%s</Password><Code>%s</Code></Probe>"
)
GETCODE_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>%s</Uuid><MAC>%s</MAC><Types>getcode</Types></Probe>'
)
ACTIVATE_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>%s</Uuid><MAC>%s</MAC><Types>activate</Types>'
    "<Password>%s</Password></Probe>"
)
RESTORE_INACTIVE_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>%s</Uuid><MAC>%s</MAC><Types>restoreInactive</Types>'
    "<Password>%s</Password></Probe>"
)
ANSWER_RESET_TEMPLATE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>%s</Uuid><MAC>%s</MAC><Types>AnswerReset</Types>'
    "<QuestionList><Question><ID>%d</ID><Answer>%s</Answer><mark>true</mark></Question>"
    "<Question><ID>%d</ID><Answer>%s</Answer><mark>true</mark></Question>"
    "<Question><ID>%d</ID><Answer>%s</Answer><mark>true</mark></Question></QuestionList>"
    "<Password>%s</Password></Probe>"
)
# §13.6 / JAVASADP: the update command (Types before MAC, Password carries bSalt).
JAVASADP_UPDATE = (
    b'<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>4C0F4B8E-2B5A-4F8C-9E1D-0B9E5D7C1A22</Uuid>'
    b"<Types>update</Types><PWErrorParse>true</PWErrorParse><MAC>58-50-ED-1F-E3-85</MAC>"
    b'<Password bSalt="true">kFnsMaQrzmGi89g+6txepC1RNnZMSi/fA16x+UdjFOk=</Password>'
    b"<IPv4Address>192.168.124.41</IPv4Address><CommandPort>8000</CommandPort>"
    b"<IPv4SubnetMask>255.255.255.0</IPv4SubnetMask><IPv4Gateway>192.168.124.1</IPv4Gateway>"
    b"<IPv6Address>::</IPv6Address><IPv6Gateway>::</IPv6Gateway><IPv6MaskLen>64</IPv6MaskLen>"
    b"<DHCP>false</DHCP><HttpPort>80</HttpPort><SDKOverTLSPort>8443</SDKOverTLSPort></Probe>"
)
UUID = "2F4C5D1A-7B8E-4C3D-9A1B-0E2F3A4B5C6D"
MARK = Node("mark", "true")
MAC = "58-50-ed-1f-e3-85"


def leaves(document: bytes) -> list[tuple[str, str]]:
    return [(xml.local_name(element.tag), (element.text or "").strip()) for element in xml.parse(document)]


# --- golden: CAP2 and the CAP1-like variant --------------------------------------------------------------


def test_cap2_decodes_every_field_typed() -> None:
    message = sadp.decode(CAP2)
    assert isinstance(message, sadp.ProbeMatch)
    assert (message.uuid, message.types) == ("e8ecfe09-90e4-44c0-842b-703f46b58c81", "inquiry")
    assert message.device == sadp.DeviceRecord(
        mac=MAC,
        ipv4_address="192.168.124.40",
        description="DS-2CD2385G1-I",
        serial="DS-2CD2385G1-I20200414AAWRE33842150",
        device_type=141945,
        command_port=8000,
        http_port=80,
        ipv4_subnet_mask="255.255.255.0",
        ipv4_gateway="192.168.124.1",
        ipv6_address="::",
        ipv6_gateway="::",
        ipv6_mask_len=64,
        dhcp=True,
        analog_channels=0,
        digital_channels=1,
        software_version="V5.6.2build 190701",
        dsp_version="V7.3 build 190626",
        boot_time=datetime(1970, 1, 15, 2, 44, 11),  # SADP gives device-local time, no zone
        encrypt=True,
        reset_ability=False,
        disk_number=0,
        activated=True,
        password_reset_ability=True,
        password_reset_mode_second=True,
        detail_oem_code=1,
        support_security_question=True,
        support_hc_platform=True,
        hc_platform_enable=False,
        is_modify_verification_code=True,
        salt="d8eebc414effc857bed4c3cc203c8b4413f60b00a9f4acc410084358d5fd3f91",
        device_lock=False,
        sdk_over_tls_port=8443,
        sdk_server_status=True,
        sdk_over_tls_server_status=True,
        support_mailbox=True,
    )
    assert message.device.firmware == ("V5.6.2", "190701")


def test_our_probe_match_reproduces_cap2_element_for_element() -> None:
    message = sadp.decode(CAP2)
    assert isinstance(message, sadp.ProbeMatch)
    ours = sadp.encode_probe_match(message.device, uuid=message.uuid, types=message.types)
    assert leaves(ours) == leaves(CAP2)  # order, "flase" where CAP2 has it, "V5.6.2build", lowercase MAC
    assert ours.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ProbeMatch>\n<Uuid>')
    assert b"<ResetAbility>false</ResetAbility>" in ours


def test_flase_is_configurable_and_read_either_way() -> None:
    message = sadp.decode(CAP2)
    assert isinstance(message, sadp.ProbeMatch)
    correct = sadp.encode_probe_match(message.device, uuid=message.uuid, flase_fields=())
    assert b"flase" not in correct
    assert b"<DeviceLock>false</DeviceLock>" in correct
    assert sadp.decode(correct) == message


def test_cap1_like_variant() -> None:
    message = sadp.decode(CAP1_LIKE)
    assert isinstance(message, sadp.ProbeMatch)
    device = message.device
    assert device.device_lock is True
    assert device.description == "DS-2CD2320D-I"
    assert device.ipv6_address == "2a02:8084:2140:b680:5a50:edff:fe1f:e385"
    assert (device.sdk_over_tls_port, device.sdk_server_status, device.support_mailbox) == (None, None, None)
    assert device.firmware is not None
    assert device.firmware.numbers == (5, 5, 6)
    assert leaves(sadp.encode_probe_match(device, uuid=message.uuid)) == leaves(CAP1_LIKE)


def test_unknown_fields_are_kept_and_written_after_the_known_ones() -> None:
    data = CAP2.replace(b"<Activated>", b"<OEMInfo>N/A</OEMInfo><SupportGUID>true</SupportGUID><Activated>")
    message = sadp.decode(data)
    assert isinstance(message, sadp.ProbeMatch)
    assert dict(message.device.extra) == {"OEMInfo": "N/A", "SupportGUID": "true"}
    written = leaves(sadp.encode_probe_match(message.device, uuid=message.uuid))
    assert written[-2:] == [("OEMInfo", "N/A"), ("SupportGUID", "true")]


def test_hello_carries_the_same_record() -> None:
    probe_match = sadp.decode(CAP2)
    assert isinstance(probe_match, sadp.ProbeMatch)
    data = sadp.encode_hello(probe_match.device, uuid="hello-uuid")
    assert data.split(b"\n")[1:3] == [b"<Hello>", b"<Uuid>hello-uuid</Uuid>"]
    assert b"<Types>hello</Types>" in data
    assert sadp.decode(data) == sadp.Hello("hello-uuid", probe_match.device)


# --- commands: the sadp.dll templates byte for byte --------------------------------------------------------


def test_inquiry_matches_the_tool_template() -> None:
    uuid = sadp.new_uuid()
    assert uuid == uuid.upper()
    inquiry = sadp.SadpCommand(uuid, sadp.INQUIRY)
    assert inquiry.encode() == (INQUIRY_TEMPLATE % uuid).encode()
    assert sadp.decode(inquiry.encode()) == inquiry
    assert inquiry.is_addressed_to("aa:bb:cc:dd:ee:ff")


@pytest.mark.parametrize(
    ("command", "template", "values"),
    [
        (
            sadp.SadpCommand(UUID, "reset", MAC, {"Password": PLANTED, "Code": "SyrReQQe99"}),
            RESET_TEMPLATE,
            (UUID, MAC, PLANTED, "SyrReQQe99"),
        ),
        (sadp.SadpCommand(UUID, "getcode", MAC), GETCODE_TEMPLATE, (UUID, MAC)),
        (
            sadp.SadpCommand(UUID, "activate", MAC, {"Password": "QUJD"}),
            ACTIVATE_TEMPLATE,
            (UUID, MAC, "QUJD"),
        ),
        (
            sadp.SadpCommand(UUID, "restoreInactive", MAC, {"Password": PLANTED}),
            RESTORE_INACTIVE_TEMPLATE,
            (UUID, MAC, PLANTED),
        ),
        (
            sadp.SadpCommand(
                UUID,
                "AnswerReset",
                MAC,
                {
                    "QuestionList": Node(
                        "QuestionList",
                        children=tuple(
                            Node(
                                "Question",
                                children=(Node("ID", str(n)), Node("Answer", f"{PLANTED}{n}"), MARK),
                            )
                            for n in (1, 4, 7)
                        ),
                    ),
                    "Password": "ZW5j",
                },
            ),
            ANSWER_RESET_TEMPLATE,
            (UUID, MAC, 1, f"{PLANTED}1", 4, f"{PLANTED}4", 7, f"{PLANTED}7", "ZW5j"),
        ),
    ],
)
def test_commands_match_the_sadp_dll_templates(
    command: sadp.SadpCommand, template: str, values: tuple[object, ...]
) -> None:
    assert command.encode() == (template % values).encode()
    assert sadp.SadpCommand.decode(command.encode()) == command
    assert sadp.decode((template % values).encode()) == command


def test_update_command_with_salted_password_attribute() -> None:
    command = sadp.SadpCommand.decode(JAVASADP_UPDATE)
    assert (command.types, command.mac) == ("update", MAC)
    assert list(command.fields)[:2] == ["PWErrorParse", "Password"]
    password = command.fields["Password"]
    assert isinstance(password, Node)
    assert tuple(password.attributes) == (("bSalt", "true"),)
    assert command.text("Password") == "kFnsMaQrzmGi89g+6txepC1RNnZMSi/fA16x+UdjFOk="
    assert command.text("IPv4Address") == "192.168.124.41"
    assert command.text("Missing") is None
    assert sadp.decode(command.encode()) == command
    assert b'<Password bSalt="true">' in command.encode()


def test_commands_are_addressed_by_mac() -> None:
    command = sadp.SadpCommand(UUID, "getcode", "58:50:ED:1F:E3:85")
    assert command.mac == MAC
    assert command.is_addressed_to("5850.ed1f.e385")
    assert not command.is_addressed_to("58-50-ed-1f-e3-86")


def test_bad_command_fields_are_programming_errors() -> None:
    for name in ("MAC", "Types", "Uuid", "1abc", "a b"):
        with pytest.raises(ValueError, match="cannot be"):
            sadp.SadpCommand(UUID, "reset", MAC, {name: "x"}).encode()
    with pytest.raises(ValueError, match="named"):
        sadp.SadpCommand(UUID, "reset", MAC, {"Password": Node("Code", "x")}).encode()


# --- action responses ----------------------------------------------------------------


def test_getcode_response_shape() -> None:
    # §13.4: <ProbeMatch><Uuid/><MAC/><Types>getcode</Types><Result>success</Result><Code>{base64}</Code>
    data = (
        f"<ProbeMatch><Uuid>{UUID}</Uuid><MAC>58-50-ED-1F-E3-85</MAC><Types>getcode</Types>"
        "<Result>success</Result><Code>AwAAAFN5clJlUVFlOTkBAgME</Code></ProbeMatch>"
    ).encode()
    response = sadp.decode(data)
    assert response == sadp.ActionResponse(
        UUID, "getcode", sadp.Result.SUCCESS, MAC, "AwAAAFN5clJlUVFlOTkBAgME"
    )
    assert isinstance(response, sadp.ActionResponse)
    written = sadp.encode_action_response(response)
    assert [name for name, _ in leaves(written)] == ["Uuid", "MAC", "Types", "Result", "Code"]
    assert sadp.decode(written) == response


@pytest.mark.parametrize("result", ["success", "failure", "denied", "failed", "Denied"])
def test_every_result_is_understood(result: str) -> None:
    data = f"<ProbeMatch><Uuid>u</Uuid><Types>activate</Types><Result>{result}</Result></ProbeMatch>"
    response = sadp.decode(data.encode())
    assert isinstance(response, sadp.ActionResponse)
    assert response.result is sadp.Result(result.lower())
    assert response.mac is None


def test_response_extra_fields_round_trip() -> None:
    response = sadp.ActionResponse(UUID, "exchangecode", sadp.Result.SUCCESS, MAC, "Y2lwaGVy", {"Retry": "3"})
    assert sadp.decode(sadp.encode_action_response(response)) == response
    with pytest.raises(ValueError, match="cannot be"):
        sadp.encode_action_response(
            sadp.ActionResponse(UUID, "x", sadp.Result.FAILED, fields={"Result": "x"})
        )


# --- helpers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["58-50-ed-1f-e3-85", "58:50:ED:1F:E3:85", "5850ed1fe385", "5850.ED1F.e385", " 58-50-ed-1f-e3-85 "],
)
def test_normalize_mac(text: str) -> None:
    assert sadp.normalize_mac(text) == MAC


@pytest.mark.parametrize(
    "text", ["", "58-50-ed-1f-e3", "58-50-ed-1f-e3-85-00", "zz-50-ed-1f-e3-85", "58_50_ed_1f_e3_85"]
)
def test_normalize_mac_refuses_non_macs(text: str) -> None:
    with pytest.raises(InvalidContent) as info:
        sadp.normalize_mac(text)
    assert info.value.field == "MAC"


@pytest.mark.parametrize(
    ("text", "version", "build"),
    [
        ("V5.6.2build 190701", "V5.6.2", "190701"),
        ("V5.5.0 build 170725", "V5.5.0", "170725"),
        ("V7.3 build 190626", "V7.3", "190626"),
        ("V5.4.5", "V5.4.5", None),
        (" V5.5.6build180326 ", "V5.5.6", "180326"),
        ("5.7.1 Build 220101", "5.7.1", "220101"),
    ],
)
def test_parse_software_version(text: str, version: str, build: str | None) -> None:
    assert sadp.parse_software_version(text) == sadp.FirmwareVersion(version, build)


@pytest.mark.parametrize("text", ["", "build 190701", "V5.x", "V5.6.2 beta", "V5.6.2build"])
def test_parse_software_version_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidContent):
        sadp.parse_software_version(text)


def test_format_software_version_both_styles() -> None:
    assert sadp.format_software_version("V5.6.2", "190701") == "V5.6.2build 190701"
    assert sadp.format_software_version("V5.5.0", "170725", space_before_build=True) == "V5.5.0 build 170725"
    assert sadp.format_software_version("V5.4.5", None) == "V5.4.5"
    # numeric, not textual, ordering: "V5.10.0" < "V5.9.0" as text
    assert sadp.FirmwareVersion("V5.10.0", None).numbers > sadp.FirmwareVersion("V5.9.0", None).numbers


# --- hostile and broken datagrams ----------------------------------------------------------------


def cap2_with(old: bytes, new: bytes) -> bytes:
    assert old in CAP2
    return CAP2.replace(old, new, 1)


OVERSIZED = CAP2.replace(b"</ProbeMatch>", b"<Pad>" + b"x" * 8192 + b"</Pad></ProbeMatch>")
BOMB = b'<!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Probe><Uuid>&b;</Uuid></Probe>'
EXTERNAL_DTD = b'<!DOCTYPE p SYSTEM "http://127.0.0.1/x.dtd"><Probe/>'
TWO_CODES = b"<Probe><Uuid>1</Uuid><Types>reset</Types><Code>1</Code><Code>2</Code></Probe>"
LONG_OEM = b"<OEMInfo>" + b"o" * 4100 + b"</OEMInfo><ResetAbility>"
BAD_RESULT = b"<ProbeMatch><Uuid>u</Uuid><Types>reset</Types><Result>ok</Result></ProbeMatch>"
NO_SN = b"<DeviceSN>DS-2CD2385G1-I20200414AAWRE33842150</DeviceSN>"


@pytest.mark.parametrize(
    ("datagram", "error", "field"),
    [
        (OVERSIZED, MessageTooLarge, None),
        (BOMB, MalformedMessage, None),
        (EXTERNAL_DTD, MalformedMessage, None),
        (CAP2[:700], MalformedMessage, None),
        (b"\x00\xffSADP", MalformedMessage, None),
        (CAP2.replace(b"UTF-8", b"U-F-8"), MalformedMessage, None),  # found by the fuzz test below
        (CAP2.replace(b"UTF-8", b"rot13"), MalformedMessage, None),
        (b"<Inquiry><Uuid>1</Uuid></Inquiry>", InvalidContent, None),
        (b"<Probe><Types>inquiry</Types></Probe>", InvalidContent, "Uuid"),
        (b"<Probe><Uuid> </Uuid><Types>inquiry</Types></Probe>", InvalidContent, "Uuid"),
        (b"<Probe><Uuid>1</Uuid></Probe>", InvalidContent, "Types"),
        (b"<Probe><Uuid>1</Uuid><Types>in quiry</Types></Probe>", InvalidContent, "Types"),
        (b"<Probe><Uuid>1</Uuid><Types>reset</Types><MAC>nope</MAC></Probe>", InvalidContent, "MAC"),
        (TWO_CODES, InvalidContent, "Code"),
        (cap2_with(b"<Types>inquiry</Types>", b"<Types>activate</Types>"), InvalidContent, "Result"),
        (cap2_with(b"  <MAC>58-50-ed-1f-e3-85</MAC>\n", b""), InvalidContent, "MAC"),
        (cap2_with(NO_SN, b""), InvalidContent, "DeviceSN"),
        (
            cap2_with(b"<IPv4Address>192.168.124.40<", b"<IPv4Address>300.1.1.1<"),
            InvalidContent,
            "IPv4Address",
        ),
        (cap2_with(b"<HttpPort>80<", b"<HttpPort>80a<"), InvalidContent, "HttpPort"),
        (cap2_with(b"<HttpPort>80<", b"<HttpPort>70000<"), InvalidContent, "HttpPort"),
        (cap2_with(b"<DHCP>true<", b"<DHCP>maybe<"), InvalidContent, "DHCP"),
        (cap2_with(b"<BootTime>1970-01-15 02:44:11<", b"<BootTime>yesterday<"), InvalidContent, "BootTime"),
        (cap2_with(b"<ResetAbility>", LONG_OEM), InvalidContent, "OEMInfo"),
        (BAD_RESULT, InvalidContent, "Result"),
        (b"<Hello><Uuid>u</Uuid></Hello>", InvalidContent, "Types"),
    ],
)
def test_hostile_and_broken_datagrams(datagram: bytes, error: type[ProtocolError], field: str | None) -> None:
    with pytest.raises(error) as info:
        sadp.decode(datagram)
    if field is not None:
        assert isinstance(info.value, InvalidContent)
        assert info.value.field == field


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        sadp.decode(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([CAP2, CAP1_LIKE, JAVASADP_UPDATE]),
    st.integers(min_value=0, max_value=2000),
    st.binary(max_size=6),
    st.booleans(),
)
def test_mutated_datagrams_only_raise_protocol_errors(
    source: bytes, at: int, noise: bytes, truncate: bool
) -> None:
    at = min(at, len(source))
    mutated = source[:at] if truncate else source[:at] + noise + source[at + len(noise) :]
    with contextlib.suppress(ProtocolError):
        sadp.decode(mutated)


# --- round trips ----------------------------------------------------------------

KNOWN_ELEMENTS = frozenset(name for name, _ in leaves(CAP2))
words = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from("éß中 "), max_size=30)
words = words.map(str.strip)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True)
macs = st.binary(min_size=6, max_size=6).map(lambda raw: "-".join(f"{b:02x}" for b in raw))
ports = st.none() | st.integers(0, 65535)
flags = st.none() | st.booleans()
counts = st.none() | st.integers(0, 2**31 - 1)
boot_times = st.datetimes(datetime(1970, 1, 1), datetime(2037, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
records = st.builds(
    sadp.DeviceRecord,
    mac=macs,
    ipv4_address=st.ip_addresses(v=4).map(str),
    description=words.filter(bool),
    serial=words.filter(bool),
    device_type=counts,
    command_port=ports,
    http_port=ports,
    ipv6_mask_len=st.none() | st.integers(0, 128),
    dhcp=flags,
    software_version=st.none() | words,
    boot_time=st.none() | boot_times,
    activated=flags,
    hc_platform_enable=flags,
    device_lock=flags,
    reset_ability=flags,
    salt=st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    sdk_over_tls_port=ports,
    extra=st.dictionaries(names.filter(lambda n: n not in KNOWN_ELEMENTS), words, max_size=3),
)


@settings(max_examples=80, deadline=None)
@given(records, st.sampled_from([sadp.INQUIRY, sadp.INQUIRY_V32]), st.booleans())
def test_device_records_round_trip(device: sadp.DeviceRecord, types: str, misspell: bool) -> None:
    flase = sadp.FIRMWARE_FLASE_FIELDS if misspell else frozenset()
    probe_match = sadp.encode_probe_match(device, uuid="u-1", types=types, flase_fields=flase)
    assert sadp.decode(probe_match) == sadp.ProbeMatch("u-1", types, device)
    assert sadp.decode(sadp.encode_hello(device, uuid="u-2", flase_fields=flase)) == sadp.Hello("u-2", device)


def test_extra_fields_may_not_shadow_known_ones() -> None:
    shadowing = sadp.DeviceRecord(
        mac=MAC, ipv4_address="192.0.2.1", description="x", serial="y", extra={"DeviceLock": "false"}
    )
    with pytest.raises(ValueError, match="cannot be"):
        sadp.encode_probe_match(shadowing, uuid="u")


@settings(max_examples=80, deadline=None)
@given(
    uuid=words.filter(bool),
    types=names,
    mac=st.none() | macs,
    values=st.dictionaries(
        names.filter(lambda n: n not in {"Uuid", "Types", "MAC"}),
        words | st.tuples(words, words),
        max_size=5,
    ),
)
def test_commands_round_trip(
    uuid: str, types: str, mac: str | None, values: dict[str, str | tuple[str, str]]
) -> None:
    fields: dict[str, sadp.FieldValue] = {
        name: value if isinstance(value, str) else Node(name, value[0], (), (("attr", value[1]),))
        for name, value in values.items()
    }
    command = sadp.SadpCommand(uuid, types, mac, fields)
    assert sadp.decode(command.encode()) == command


# --- secrets ----------------------------------------------------------------


def test_secrets_never_appear_in_reprs_or_errors() -> None:
    command = sadp.SadpCommand(UUID, "reset", MAC, {"Password": PLANTED, "Code": PLANTED})
    response = sadp.ActionResponse(UUID, "getcode", sadp.Result.SUCCESS, MAC, PLANTED, {"Extra": PLANTED})
    texts = [repr(command), str(command), repr(response), str(response)]
    assert "Password" in repr(command)
    duplicated = command.encode().replace(b"</Probe>", f"<Password>{PLANTED}</Password></Probe>".encode())
    with pytest.raises(InvalidContent) as info:
        sadp.decode(duplicated)
    texts.append(str(info.value))
    for text in texts:
        assert PLANTED not in text
