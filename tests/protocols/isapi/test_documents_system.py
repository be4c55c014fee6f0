from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage
from camvault.protocols.isapi.documents import (
    NAMESPACES,
    NS_HIKVISION_V20,
    NS_ISAPI_V20,
    ActivateInfo,
    ActivateStatus,
    ChallengeRequest,
    ChallengeResponse,
    DeviceInfo,
    DeviceInfoUpdate,
    Time,
    TimeMode,
    decode,
    encode,
    utc_offset_of,
)

# Research notes §3: GET /ISAPI/System/deviceInfo on V5.5.0 build 170725 (MISSIAL cassette), CRLF lines.
DEVICE_INFO_V550 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
    b'<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">\r\n'
    b"<deviceName>IP CAMERA</deviceName>\r\n"
    b"<deviceID>xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx</deviceID>\r\n"
    b"<deviceDescription>IPCamera</deviceDescription>\r\n"
    b"<deviceLocation>hangzhou</deviceLocation>\r\n"
    b"<systemContact>Hikvision.China</systemContact>\r\n"
    b"<model>DS-2CD2155FWD-I</model>\r\n"
    b"<serialNumber>DS-2CD2155FWD-XXXXXXXXXXXXXXXXXXXXX</serialNumber>\r\n"
    b"<macAddress>XX:XX:XX:XX:XX:XX</macAddress>\r\n"
    b"<firmwareVersion>V5.5.0</firmwareVersion>\r\n"
    b"<firmwareReleasedDate>build 170725</firmwareReleasedDate>\r\n"
    b"<encoderVersion>V7.3</encoderVersion>\r\n"
    b"<encoderReleasedDate>build 170627</encoderReleasedDate>\r\n"
    b"<bootVersion>V1.3.4</bootVersion>\r\n"
    b"<bootReleasedDate>100316</bootReleasedDate>\r\n"
    b"<hardwareVersion>0x0</hardwareVersion>\r\n"
    b"<deviceType>IPCamera</deviceType>\r\n"
    b"<telecontrolID>88</telecontrolID>\r\n"
    b"<supportBeep>false</supportBeep>\r\n"
    b"<supportVideoLoss>false</supportVideoLoss>\r\n"
    b"<firmwareVersionInfo>B-R-G1-0</firmwareVersionInfo>\r\n"
    b"</DeviceInfo>\r\n"
)

SECRET = "Planted-S3cret!"


def test_golden_device_info_decodes_every_field() -> None:
    info = decode(DEVICE_INFO_V550, DeviceInfo)
    assert info == DeviceInfo(
        model="DS-2CD2155FWD-I",
        serial_number="DS-2CD2155FWD-XXXXXXXXXXXXXXXXXXXXX",
        mac_address="XX:XX:XX:XX:XX:XX",
        firmware_version="V5.5.0",
        device_name="IP CAMERA",
        device_id="xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        device_description="IPCamera",
        device_location="hangzhou",
        system_contact="Hikvision.China",
        firmware_released_date="build 170725",
        encoder_version="V7.3",
        encoder_released_date="build 170627",
        boot_version="V1.3.4",
        boot_released_date="100316",
        hardware_version="0x0",
        device_type="IPCamera",
        telecontrol_id=88,
        support_beep=False,
        support_video_loss=False,
        firmware_version_info="B-R-G1-0",
    )


def test_golden_device_info_re_encodes_byte_for_byte() -> None:
    assert encode(decode(DEVICE_INFO_V550, DeviceInfo), namespace=NS_HIKVISION_V20) == DEVICE_INFO_V550


def test_device_info_tolerates_other_firmware_shapes() -> None:
    minimal = (
        b"<DeviceInfo xmlns='http://www.isapi.org/ver20/XMLSchema'>\n  <model> DS-7608NI-K2 </model>\n"
        b"  <serialNumber>S1</serialNumber><macAddress>aa:bb:cc:dd:ee:ff</macAddress>"
        b"<firmwareVersion>V4.30.005</firmwareVersion><manufacturer>hikvision</manufacturer>"
        b"<deviceType>NVR</deviceType><supportBeep>flase</supportBeep></DeviceInfo>"
    )
    info = decode(minimal, DeviceInfo)
    assert info.model == "DS-7608NI-K2"
    assert info.device_type == "NVR"
    assert info.support_beep is False
    assert info.device_name is None and info.telecontrol_id is None


@pytest.mark.parametrize("field", ["model", "serialNumber", "macAddress", "firmwareVersion"])
def test_device_info_requires_identity_fields(field: str) -> None:
    body = DEVICE_INFO_V550.replace(f"<{field}>".encode(), b"<ignored>").replace(
        f"</{field}>".encode(), b"</ignored>"
    )
    with pytest.raises(InvalidContent) as info:
        decode(body, DeviceInfo)
    assert info.value.field == field


def test_device_info_wrong_types_and_roots() -> None:
    with pytest.raises(InvalidContent) as info:
        decode(DEVICE_INFO_V550.replace(b">88<", b">eighty<"), DeviceInfo)
    assert info.value.field == "telecontrolID"
    with pytest.raises(InvalidContent) as info:
        decode(DEVICE_INFO_V550.replace(b">false</supportBeep>", b">nope</supportBeep>"), DeviceInfo)
    assert info.value.field == "supportBeep"
    with pytest.raises(InvalidContent, match="DeviceInfo"):
        decode(DEVICE_INFO_V550.replace(b"DeviceInfo", b"DeviceInformation"), DeviceInfo)
    with pytest.raises(MalformedMessage):
        decode(DEVICE_INFO_V550[:200], DeviceInfo)


def test_device_info_update_reads_a_full_put_and_renders_only_writable_fields() -> None:
    update = decode(DEVICE_INFO_V550.replace(b"IP CAMERA", b"Front door"), DeviceInfoUpdate)
    assert update.device_name == "Front door"
    assert update.telecontrol_id == 88
    body = encode(update, namespace=NS_ISAPI_V20)
    assert b"<model>" not in body and b"<serialNumber>" not in body
    assert decode(body, DeviceInfoUpdate) == update
    with pytest.raises(InvalidContent) as info:
        decode(b"<DeviceInfo><deviceName>  </deviceName></DeviceInfo>", DeviceInfoUpdate)
    assert info.value.field == "deviceName"


# Real /ISAPI/System/time shapes found with the code search (see the module docstring).
TIME_ARGENTINA = b"""<Time>
  <timeMode>manual</timeMode>
  <localTime>2026-04-26T21:50:57-03:00</localTime>
  <timeZone>CST+3:00:00</timeZone>
</Time>"""


def test_time_golden_shapes() -> None:
    argentina = decode(TIME_ARGENTINA, Time)
    assert argentina.time_mode is TimeMode.MANUAL
    assert argentina.local_time == datetime(2026, 4, 27, 0, 50, 57, tzinfo=UTC)
    assert argentina.local_time is not None
    assert argentina.local_time.utcoffset() == timedelta(hours=-3)
    assert argentina.time_zone is not None
    assert utc_offset_of(argentina.time_zone) == timedelta(hours=-3)
    ntp = decode(
        b'<Time version="1.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><timeMode>NTP</timeMode>'
        b"<localTime>2025-01-20T10:30:00+00:00</localTime><timeZone>CST-8:00:00</timeZone></Time>",
        Time,
    )
    assert ntp.time_mode is TimeMode.NTP
    assert ntp.time_zone is not None and utc_offset_of(ntp.time_zone) == timedelta(hours=8)
    dst = decode(
        b"<Time><timeMode>manual</timeMode><localTime>2026-07-24T13:20:29-05:00</localTime>"
        b"<timeZone>CST6CDT,M3.2.0/02:00:00,M11.1.0/02:00:00</timeZone></Time>",
        Time,
    )
    assert dst.time_zone is not None and utc_offset_of(dst.time_zone) == timedelta(hours=-6)


def test_time_renders_like_the_device() -> None:
    moment = datetime(2026, 1, 1, 8, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    body = encode(Time(TimeMode.MANUAL, moment, "CST-8:00:00"), namespace=NS_ISAPI_V20)
    assert b"<timeMode>manual</timeMode>\r\n<localTime>2026-01-01T08:00:00+08:00</localTime>\r\n" in body
    assert b"<timeZone>CST-8:00:00</timeZone>" in body
    utc = encode(Time(TimeMode.NTP, datetime(2026, 1, 1, tzinfo=UTC)), namespace=NS_ISAPI_V20)
    assert b"<localTime>2026-01-01T00:00:00Z</localTime>" in utc
    assert b"timeZone" not in utc


def test_time_tolerance_and_rejection() -> None:
    naive = decode(
        b"<Time><timeMode>MANUAL</timeMode><localTime>2020-08-03T18:04:24</localTime></Time>", Time
    )
    assert naive.time_mode is TimeMode.MANUAL
    assert naive.local_time == datetime(2020, 8, 3, 18, 4, 24)
    zulu = decode(b"<Time><timeMode>NTP</timeMode><localTime>2026-01-01T00:00:00Z</localTime></Time>", Time)
    assert zulu.local_time == datetime(2026, 1, 1, tzinfo=UTC)
    for body, field in [
        (b"<Time><localTime>2026-01-01T00:00:00Z</localTime></Time>", "timeMode"),
        (b"<Time><timeMode>GPS-ish</timeMode></Time>", "timeMode"),
        (b"<Time><timeMode>NTP</timeMode><localTime>yesterday</localTime></Time>", "localTime"),
        (b"<Time><timeMode>NTP</timeMode><localTime>2026-13-01T00:00:00Z</localTime></Time>", "localTime"),
    ]:
        with pytest.raises(InvalidContent) as info:
            decode(body, Time)
        assert info.value.field == field
    odd_zone = decode(b"<Time><timeMode>NTP</timeMode><timeZone>Europe/Paris</timeZone></Time>", Time)
    assert odd_zone.time_zone == "Europe/Paris"  # kept; only its interpretation fails
    for zone in ("Europe/Paris", "CST-99:00:00", "CST-8:75", "", "-8:00:00"):
        with pytest.raises(InvalidContent) as info:
            utc_offset_of(zone)
        assert info.value.field == "timeZone"
    assert utc_offset_of("<+0545>-5:45") == timedelta(hours=5, minutes=45)


def test_activate_status_any_root() -> None:
    assert (
        decode(b"<ActivateStatus><Activated>false</Activated></ActivateStatus>", ActivateStatus).activated
        is False
    )
    assert decode(b"<Whatever><Activated>true</Activated></Whatever>", ActivateStatus).activated is True
    assert encode(ActivateStatus(activated=False), namespace=NS_ISAPI_V20).endswith(
        b'<ActivateStatus version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\r\n'
        b"<Activated>false</Activated>\r\n</ActivateStatus>\r\n"
    )
    with pytest.raises(InvalidContent) as info:
        decode(b"<ActivateStatus><activated>true</activated></ActivateStatus>", ActivateStatus)
    assert info.value.field == "Activated"


def test_challenge_request_accepts_both_roots() -> None:
    web_ui = b"<?xml version='1.0' encoding='UTF-8'?><PublicKey><key>MDAxMjM0NTY=</key></PublicKey>"
    cndoc = (
        b'<Challenge xmlns="http://www.isapi.org/ver20/XMLSchema" version="2.0"><key>QUJD</key></Challenge>'
    )
    request = decode(web_ui, ChallengeRequest)
    assert request == ChallengeRequest("MDAxMjM0NTY=", "PublicKey")
    assert decode(cndoc, ChallengeRequest) == ChallengeRequest("QUJD", "Challenge")
    assert encode(request, namespace=None) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b"<PublicKey>\r\n<key>MDAxMjM0NTY=</key>\r\n</PublicKey>\r\n"
    )
    with pytest.raises(InvalidContent):
        decode(b"<Key><key>QUJD</key></Key>", ChallengeRequest)
    with pytest.raises(InvalidContent) as info:
        decode(b"<PublicKey><key></key></PublicKey>", ChallengeRequest)
    assert info.value.field == "key"


def test_challenge_response_any_root_and_hidden_key() -> None:
    response = decode(b"<SomethingElse><key>ZGVhZGJlZWY=</key></SomethingElse>", ChallengeResponse)
    assert response.key == "ZGVhZGJlZWY="
    assert "ZGVhZGJlZWY=" not in repr(response)
    assert decode(encode(response, namespace=NS_ISAPI_V20), ChallengeResponse) == response
    with pytest.raises(InvalidContent):
        decode(b"<Challenge/>", ChallengeResponse)


def test_activate_info_renders_the_password_but_never_shows_it() -> None:
    activate = ActivateInfo(password=SECRET)
    assert SECRET not in repr(activate)
    body = encode(activate, namespace=None)
    assert f"<password>{SECRET}</password>".encode() in body
    assert decode(body, ActivateInfo) == activate
    with pytest.raises(InvalidContent) as info:
        decode(b"<ActivateInfo/>", ActivateInfo)
    assert info.value.field == "password"
    assert SECRET not in str(info.value)


_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=20
)
_opt = st.none() | _text
_moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
_offsets = st.integers(-12 * 4, 14 * 4).map(lambda quarters: timezone(timedelta(minutes=15 * quarters)))
_aware = st.builds(lambda moment, zone: moment.replace(tzinfo=zone), _moments, _offsets)

_documents = st.one_of(
    st.builds(
        DeviceInfo,
        model=_text,
        serial_number=_text,
        mac_address=_text,
        firmware_version=_text,
        device_name=_opt,
        device_id=_opt,
        device_type=_opt,
        telecontrol_id=st.none() | st.integers(0, 255),
        support_beep=st.none() | st.booleans(),
        firmware_version_info=_opt,
    ),
    st.builds(
        DeviceInfoUpdate,
        device_name=_text,
        device_location=_opt,
        telecontrol_id=st.none() | st.integers(0, 9),
    ),
    st.builds(
        Time,
        time_mode=st.sampled_from(TimeMode),
        local_time=st.none() | _aware | _moments,
        time_zone=st.none()
        | st.sampled_from(["CST-8:00:00", "CST+3:00:00", "UTC+00:00", "CST6CDT,M3.2.0,M11.1.0"]),
    ),
    st.builds(ActivateStatus, activated=st.booleans()),
    st.builds(ChallengeRequest, key=_text, root=st.sampled_from(["PublicKey", "Challenge"])),
    st.builds(ChallengeResponse, key=_text),
    st.builds(ActivateInfo, password=_text),
)


@settings(max_examples=60, deadline=None)
@given(document=_documents, namespace=st.sampled_from((*NAMESPACES, None)))
def test_round_trip_in_every_namespace(
    document: DeviceInfo
    | DeviceInfoUpdate
    | Time
    | ActivateStatus
    | ChallengeRequest
    | ChallengeResponse
    | ActivateInfo,
    namespace: str | None,
) -> None:
    assert decode(encode(document, namespace=namespace), type(document)) == document
