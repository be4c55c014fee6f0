from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage
from camvault.protocols.isapi.documents import (
    NAMESPACES,
    NS_HIKVISION_V20,
    ChanDetectResult,
    Document,
    InputProxyChannel,
    InputProxyChannelList,
    InputProxyChannelStatus,
    InputProxyChannelStatusList,
    SourceInputPortDescriptor,
    decode,
    encode,
)

SECRET = "Planted-S3cret!"

# A real InputProxyChannel as a public Go test quotes it (camera identity anonymised there).
CHANNEL_HIKVISION_V10 = b"""
<?xml version="1.0" encoding="UTF-8" ?>
<InputProxyChannel version="1.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
  <id>6</id>
  <name>Gate</name>
  <sourceInputPortDescriptor>
  <proxyProtocol>HIKVISION</proxyProtocol>
  <addressingFormatType>ipaddress</addressingFormatType>
  <ipAddress>192.0.2.1</ipAddress>
  <managePortNo>8000</managePortNo>
  <srcInputPort>1</srcInputPort>
  <userName>admin</userName>
  <streamType>auto</streamType>
  <model>DS-2CD2T63G0-I5</model>
  <serialNumber>DS-2CD2T63G0-AABBCC</serialNumber>
  <firmwareVersion>V1.0.0 build 123456</firmwareVersion>
  <deviceID></deviceID>
  </sourceInputPortDescriptor>
  <enableAnr>false</enableAnr>
  <enableTiming>true</enableTiming>
  <devIndex>11111111-2222-3333-4444-555555555555</devIndex>
  <twoWayAudioChannelIDList>
    <twoWayAudioChannelID>6001</twoWayAudioChannelID>
  </twoWayAudioChannelIDList>
</InputProxyChannel>
""".strip()

# Real DS-7708N-I4 per-channel status (public test fixture), and a list with several shapes.
STATUS_DS7708 = b"""<InputProxyChannelStatus version="1.0"
 xmlns="http://www.hikvision.com/ver20/XMLSchema">
<id>1</id>
<online>true</online>
<chanDetectResult>connect</chanDetectResult>
</InputProxyChannelStatus>"""

STATUS_LIST = b"""<?xml version="1.0" encoding="UTF-8" ?>
<InputProxyChannelStatusList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<InputProxyChannelStatus><id>1</id><sourceInputPortDescriptor><ipAddress>192.168.1.64</ipAddress>
</sourceInputPortDescriptor><online>true</online><streamingProxyChannelIdList>
<streamingProxyChannelId>101</streamingProxyChannelId><streamingProxyChannelId>102</streamingProxyChannelId>
</streamingProxyChannelIdList><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus>
<InputProxyChannelStatus><id>2</id><online>false</online><chanDetectResult>errorUserNameOrPasswd</chanDetectResult>
</InputProxyChannelStatus>
<InputProxyChannelStatus><id>3</id><online>false</online><chanDetectResult>userOrPasswordError</chanDetectResult>
</InputProxyChannelStatus>
<InputProxyChannelStatus><id>4</id></InputProxyChannelStatus>
</InputProxyChannelStatusList>"""


def test_golden_channel_reads_the_descriptor_and_ignores_the_rest() -> None:
    channel = decode(CHANNEL_HIKVISION_V10, InputProxyChannel)
    assert channel == InputProxyChannel(
        6,
        "Gate",
        SourceInputPortDescriptor(
            proxy_protocol="HIKVISION",
            addressing_format_type="ipaddress",
            ip_address="192.0.2.1",
            manage_port_no=8000,
            src_input_port=1,
            user_name="admin",
            stream_type="auto",
            model="DS-2CD2T63G0-I5",
            serial_number="DS-2CD2T63G0-AABBCC",
            firmware_version="V1.0.0 build 123456",
            device_id="",
        ),
    )


def test_channel_put_carries_the_camera_password_and_the_reply_does_not() -> None:
    # The body NVR scripts PUT to /ISAPI/ContentMgmt/InputProxy/channels/<id> to change a camera password.
    channel = InputProxyChannel(
        3,
        source=SourceInputPortDescriptor(
            proxy_protocol="HIKVISION",
            addressing_format_type="ipaddress",
            ip_address="192.168.1.65",
            manage_port_no=8000,
            src_input_port=1,
            user_name="admin",
            password=SECRET,
        ),
    )
    body = encode(channel, namespace=None)
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n<InputProxyChannel>\r\n<id>3</id>\r\n'
        b"<sourceInputPortDescriptor>\r\n<proxyProtocol>HIKVISION</proxyProtocol>\r\n"
        b"<addressingFormatType>ipaddress</addressingFormatType>\r\n<ipAddress>192.168.1.65</ipAddress>\r\n"
        b"<managePortNo>8000</managePortNo>\r\n<srcInputPort>1</srcInputPort>\r\n<userName>admin</userName>\r\n"
        + f"<password>{SECRET}</password>\r\n".encode()
        + b"</sourceInputPortDescriptor>\r\n</InputProxyChannel>\r\n"
    )
    assert decode(body, InputProxyChannel) == channel
    assert SECRET not in repr(channel)
    reply = encode(InputProxyChannelList((channel,)).redacted(), namespace=NS_HIKVISION_V20)
    assert SECRET.encode() not in reply and b"<password>" not in reply
    assert InputProxyChannel(9).redacted() == InputProxyChannel(9)


def test_golden_status_and_detect_results() -> None:
    single = decode(STATUS_DS7708, InputProxyChannelStatus)
    assert single == InputProxyChannelStatus(1, online=True, chan_detect_result="connect")
    assert single.detect_result is ChanDetectResult.CONNECT
    statuses = decode(STATUS_LIST, InputProxyChannelStatusList).statuses
    assert [s.id for s in statuses] == [1, 2, 3, 4]
    assert statuses[0].streaming_proxy_channel_ids == (101, 102)
    assert statuses[0].source == SourceInputPortDescriptor(ip_address="192.168.1.64")
    assert statuses[1].detect_result is ChanDetectResult.USER_NAME_OR_PASSWORD_ERROR
    assert statuses[2].chan_detect_result == "userOrPasswordError"  # seen in the wild, kept verbatim
    assert statuses[2].detect_result is None
    assert statuses[3].online is None and statuses[3].chan_detect_result is None


def test_status_never_renders_a_password() -> None:
    status = InputProxyChannelStatus(
        2,
        source=SourceInputPortDescriptor(ip_address="192.0.2.9", password=SECRET),
        online=False,
        chan_detect_result=ChanDetectResult.NET_UNREACHABLE,
    )
    body = encode(status, namespace=NS_HIKVISION_V20)
    assert SECRET.encode() not in body
    assert b"<chanDetectResult>netUnreachable</chanDetectResult>" in body


@pytest.mark.parametrize(
    ("body", "document_type", "field"),
    [
        (b"<InputProxyChannel><name>x</name></InputProxyChannel>", InputProxyChannel, "id"),
        (
            b"<InputProxyChannel><id>1</id><sourceInputPortDescriptor><managePortNo>70000</managePortNo>"
            b"</sourceInputPortDescriptor></InputProxyChannel>",
            InputProxyChannel,
            "managePortNo",
        ),
        (
            b"<InputProxyChannelStatus><id>1</id><online>maybe</online></InputProxyChannelStatus>",
            InputProxyChannelStatus,
            "online",
        ),
        (
            b"<InputProxyChannelStatus><id>1</id><streamingProxyChannelIdList><streamingProxyChannelId>x"
            b"</streamingProxyChannelId></streamingProxyChannelIdList></InputProxyChannelStatus>",
            InputProxyChannelStatus,
            "streamingProxyChannelId",
        ),
        (b"<InputProxyChannelList><InputProxyChannel/></InputProxyChannelList>", InputProxyChannelList, "id"),
    ],
)
def test_rejections_name_the_field(body: bytes, document_type: type[Document], field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        decode(body, document_type)
    assert info.value.field == field


def test_wrong_root_and_broken_xml() -> None:
    with pytest.raises(InvalidContent):
        decode(STATUS_LIST, InputProxyChannelList)
    with pytest.raises(MalformedMessage):
        decode(STATUS_LIST[:300], InputProxyChannelStatusList)
    with pytest.raises(MalformedMessage):
        decode(b'<!DOCTYPE a [<!ENTITY x "y">]><InputProxyChannelList/>', InputProxyChannelList)


_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=20
)
_opt = st.none() | _text
_port = st.none() | st.integers(0, 65535)


def _descriptors(with_password: bool) -> st.SearchStrategy[SourceInputPortDescriptor]:
    return st.builds(
        SourceInputPortDescriptor,
        proxy_protocol=st.none() | st.sampled_from(["HIKVISION", "ONVIF", "ISAPI"]),
        addressing_format_type=st.none() | st.sampled_from(["ipaddress", "hostname"]),
        host_name=_opt,
        ip_address=_opt,
        manage_port_no=_port,
        src_input_port=_port,
        user_name=_opt,
        password=_opt if with_password else st.none(),
        stream_type=_opt,
        model=_opt,
        serial_number=_opt,
        firmware_version=_opt,
        device_id=_opt,
    )


_channels = st.builds(
    InputProxyChannel, id=st.integers(0, 512), name=_opt, source=st.none() | _descriptors(True)
)
_statuses = st.builds(
    InputProxyChannelStatus,
    id=st.integers(0, 512),
    source=st.none() | _descriptors(False),
    online=st.none() | st.booleans(),
    streaming_proxy_channel_ids=st.lists(st.integers(0, 99_999), max_size=3).map(tuple),
    chan_detect_result=st.none() | st.sampled_from(ChanDetectResult).map(str) | _text,
)
_documents = st.one_of(
    _channels,
    st.builds(InputProxyChannelList, channels=st.lists(_channels, max_size=3).map(tuple)),
    _statuses,
    st.builds(InputProxyChannelStatusList, statuses=st.lists(_statuses, max_size=3).map(tuple)),
)


@settings(max_examples=50, deadline=None)
@given(document=_documents, namespace=st.sampled_from((*NAMESPACES, None)))
def test_round_trip_in_every_namespace(document: Document, namespace: str | None) -> None:
    assert decode(encode(document, namespace=namespace), type(document)) == document
