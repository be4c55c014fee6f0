from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge
from camvault.protocols.isapi.documents import NAMESPACES, NS_STD_CGI_V20, decode, encode
from camvault.protocols.isapi.status import (
    SUB_STATUS,
    LockStatus,
    ResponseStatus,
    StatusCode,
    decode_status,
    error_status,
    http_status_for,
    ok_status,
)

# Research notes §2.1: the SDK-THERM skeleton, with its comments (only their indentation is shortened).
SKELETON_STD_CGI = b"""<?xml version="1.0" encoding="utf-8"?>
<ResponseStatus version="2.0" xmlns="http://www.std-cgi.org/ver20/XMLSchema">
  <requestURL>/ISAPI/...</requestURL>      <!-- required, read-only -->
  <statusCode>1</statusCode>               <!-- 0,1=OK 2=Device Busy 3=Device Error 4=Invalid Operation
       5=Invalid XML Format 6=Invalid XML Content 7=Reboot Required
       9=Additional Error -->
  <statusString>OK</statusString>          <!-- OK | Device Busy | Device Error | Invalid Operation |
       Invalid XML Format | Invalid XML Content | Reboot | Additional Error -->
  <subStatusCode>ok</subStatusCode>        <!-- detailed reason, see 2.2 -->
  <MErrCode>0x12345678</MErrCode>          <!-- optional, module error code -->
  <MErrDevSelfEx></MErrDevSelfEx>          <!-- optional -->
</ResponseStatus>
"""

# The ISAPI guide's "Error Processing" example body (HTTP 403), verbatim.
GUIDE_NOT_SUPPORT_JSON = b"""{
    "requestURL": "/ISAPI/Event/triggers/notifications/channels/whiteLightAlarm",
    "statusCode": 4,
    "statusString": "Invalid Operation",
    "subStatusCode": "notSupport",
    "errorCode": 1073741825,
    "errorMsg": "notSupport"
}"""

# Research notes §2.2, the TSRS enumeration, plus the web UI's maxSessionUserLink.
RESEARCH_SUB_STATUSES = (
    "ok",
    "riskPassword",
    "noMemory",
    "serviceUnavailable",
    "upgrading",
    "deviceBusy",
    "reConnectIpc",
    "deviceError",
    "badFlash",
    "28181Uninitialized",
    "notSupport",
    "lowPrivilege",
    "badAuthorization",
    "methodNotAllowed",
    "notSetHdiskRedund",
    "invalidOperation",
    "notActivated",
    "hasActivated",
    "badXmlFormat",
    "badParameters",
    "badHostAddress",
    "badXmlContent",
    "badIPv4Address",
    "badIPv6Address",
    "conflictIPv4Address",
    "conflictIPv6Address",
    "badDomainName",
    "connectServerFail",
    "conflictDomainName",
    "badPort",
    "portError",
    "importErrorData",
    "badNetMask",
    "badVersion",
    "badDevType",
    "badLanguage",
    "incorrectUserNameOrPassword",
    "invalidStoragePoolOfCloudServer",
    "noFreeSpaceOfStoragePool",
    "fileFormatError",
    "fileContentError",
    "UnSupportCapture",
    "unableCalibrate",
    "pleaseCalibrate",
    "SNMPv3PasswordNone",
    "SNMPv3NameDifferent",
    "notSupportDeicing",
    "notMeetDeicing",
    "alarmInputOccupied",
    "notSupportWithAPMode",
    "rebootRequired",
    "maxSessionUserLink",
)

SECRET = "Planted-S3cret!"


def test_golden_skeleton_in_the_std_cgi_namespace() -> None:
    status = decode(SKELETON_STD_CGI, ResponseStatus)
    assert status.request_url == "/ISAPI/..."
    assert status.status_code is StatusCode.OK
    assert status.status_string == "OK"
    assert status.sub_status_code == "ok"
    assert status.m_err_code == "0x12345678"
    assert status.m_err_dev_self_ex == ""
    assert status.is_success
    assert status.http_status == 200


def test_golden_guide_json_error_matches_the_table() -> None:
    status = ResponseStatus.from_json(GUIDE_NOT_SUPPORT_JSON)
    assert status.status_code is StatusCode.INVALID_OPERATION
    assert status.sub_status_code == "notSupport"
    assert status.error_code == 1073741825 == 0x40000001
    assert status.http_status == 403  # the guide's reply came with HTTP 403
    built = error_status(status.request_url, "notSupport")
    assert built == status
    assert json.loads(built.to_json()) == json.loads(GUIDE_NOT_SUPPORT_JSON)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (StatusCode.OK, "OK"),
        (StatusCode.DEVICE_BUSY, "Device Busy"),
        (StatusCode.DEVICE_ERROR, "Device Error"),
        (StatusCode.INVALID_OPERATION, "Invalid Operation"),
        (StatusCode.INVALID_XML_FORMAT, "Invalid XML Format"),
        (StatusCode.INVALID_XML_CONTENT, "Invalid XML Content"),
        (StatusCode.REBOOT_REQUIRED, "Reboot Required"),
        (StatusCode.ADDITIONAL_ERROR, "Additional Error"),
    ],
)
def test_status_strings_are_the_vendor_strings(code: StatusCode, text: str) -> None:
    assert code.status_string == text


def test_every_researched_sub_status_is_in_the_table() -> None:
    assert set(RESEARCH_SUB_STATUSES) <= set(SUB_STATUS)
    for name, entry in SUB_STATUS.items():
        assert entry.name == name
        if entry.error_code is not None:
            assert entry.error_code >> 28 == int(entry.status_code)


@pytest.mark.parametrize(
    ("sub_status", "family", "http"),
    [
        ("ok", StatusCode.OK, 200),
        ("riskPassword", StatusCode.OK, 200),
        ("deviceBusy", StatusCode.DEVICE_BUSY, 503),
        ("upgrading", StatusCode.DEVICE_BUSY, 503),
        ("deviceError", StatusCode.DEVICE_ERROR, 500),
        ("notSupport", StatusCode.INVALID_OPERATION, 403),
        ("notActivated", StatusCode.INVALID_OPERATION, 403),
        ("lowPrivilege", StatusCode.INVALID_OPERATION, 403),
        ("hasActivated", StatusCode.INVALID_OPERATION, 403),
        ("invalidOperation", StatusCode.INVALID_OPERATION, 403),
        ("methodNotAllowed", StatusCode.INVALID_OPERATION, 405),
        ("badAuthorization", StatusCode.INVALID_OPERATION, 401),
        ("maxSessionUserLink", StatusCode.INVALID_OPERATION, 403),
        ("badXmlFormat", StatusCode.INVALID_XML_FORMAT, 400),
        ("badXmlContent", StatusCode.INVALID_XML_CONTENT, 400),
        ("badParameters", StatusCode.INVALID_XML_CONTENT, 400),
        ("incorrectUserNameOrPassword", StatusCode.INVALID_XML_CONTENT, 401),
        ("importErrorData", StatusCode.INVALID_XML_CONTENT, 400),
        ("fileFormatError", StatusCode.INVALID_XML_CONTENT, 400),
        ("badVersion", StatusCode.INVALID_XML_CONTENT, 400),
        ("badDevType", StatusCode.INVALID_XML_CONTENT, 400),
        ("rebootRequired", StatusCode.REBOOT_REQUIRED, 200),
    ],
)
def test_family_and_http_status(sub_status: str, family: StatusCode, http: int) -> None:
    assert SUB_STATUS[sub_status].status_code is family
    assert http_status_for(sub_status) == http
    built = error_status("/ISAPI/x", sub_status)
    assert built.status_code is family
    assert built.status_string == family.status_string
    assert built.http_status == http


def test_unknown_sub_status_is_refused() -> None:
    with pytest.raises(InvalidContent) as info:
        http_status_for("noSuchThing")
    assert info.value.field == "subStatusCode"
    with pytest.raises(InvalidContent):
        error_status("/ISAPI/x", "noSuchThing")


def test_unknown_sub_status_received_falls_back_to_the_family_http_status() -> None:
    status = ResponseStatus("/x", StatusCode.DEVICE_BUSY, "Device Busy", "someNewBusyReason")
    assert status.http_status == 503


def test_ok_status_renders_like_the_skeleton_without_query() -> None:
    status = ok_status(f"/ISAPI/Security/users/2?security=1&iv=00&loginPassword={SECRET}")
    body = encode(status, namespace=NS_STD_CGI_V20)
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b'<ResponseStatus version="2.0" xmlns="http://www.std-cgi.org/ver20/XMLSchema">\r\n'
        b"<requestURL>/ISAPI/Security/users/2</requestURL>\r\n"
        b"<statusCode>1</statusCode>\r\n"
        b"<statusString>OK</statusString>\r\n"
        b"<subStatusCode>ok</subStatusCode>\r\n"
        b"</ResponseStatus>\r\n"
    )
    assert SECRET.encode() not in body
    assert SECRET not in repr(status)


def test_authentication_failure_fields_round_trip() -> None:
    status = error_status(
        "/ISAPI/Security/userCheck",
        "incorrectUserNameOrPassword",
        lock_status=LockStatus.UNLOCK,
        retry_times=3,
        res_lock_time=0,
    )
    body = encode(status, namespace=NS_STD_CGI_V20)
    assert (
        b"<lockStatus>unlock</lockStatus>\r\n<retryTimes>3</retryTimes>\r\n<resLockTime>0</resLockTime>"
        in body
    )
    assert decode(body, ResponseStatus) == status
    assert ResponseStatus.from_json(status.to_json()) == status


def test_firmware_variants_are_read() -> None:
    body = (
        b"<ResponseStatus><requestURL>/a</requestURL><statusCode> 0 </statusCode>"
        b"<statusString>Reboot</statusString><lockStatus>lock</lockStatus><unknownThing>x</unknownThing>"
        b"</ResponseStatus>"
    )
    status = decode(body, ResponseStatus)
    assert status.status_code is StatusCode.OK
    assert status.status_string == "Reboot"
    assert status.lock_status is LockStatus.LOCKED
    assert status.sub_status_code is None
    reboot = decode(body.replace(b"> 0 <", b">7<"), ResponseStatus)
    assert reboot.status_code is StatusCode.REBOOT_REQUIRED and reboot.is_success
    missing_string = decode(
        b"<ResponseStatus><requestURL>/a</requestURL><statusCode>6</statusCode></ResponseStatus>",
        ResponseStatus,
    )
    assert missing_string.status_string == "Invalid XML Content"
    assert not missing_string.is_success


def test_wrapped_json_is_read_and_decode_status_dispatches() -> None:
    wrapped = json.dumps({"ResponseStatus": json.loads(GUIDE_NOT_SUPPORT_JSON)}).encode()
    assert ResponseStatus.from_json(wrapped) == ResponseStatus.from_json(GUIDE_NOT_SUPPORT_JSON)
    assert decode_status(b"  \r\n" + GUIDE_NOT_SUPPORT_JSON).sub_status_code == "notSupport"
    assert decode_status(SKELETON_STD_CGI).sub_status_code == "ok"
    assert (
        ResponseStatus.from_json('{"requestURL": "/a", "statusCode": "4"}').status_code
        is StatusCode.INVALID_OPERATION
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"<ResponseStatus><statusCode>1</statusCode></ResponseStatus>", "requestURL"),
        (b"<ResponseStatus><requestURL>/a</requestURL></ResponseStatus>", "statusCode"),
        (
            b"<ResponseStatus><requestURL>/a</requestURL><statusCode>one</statusCode></ResponseStatus>",
            "statusCode",
        ),
        (
            b"<ResponseStatus><requestURL>/a</requestURL><statusCode>8</statusCode></ResponseStatus>",
            "statusCode",
        ),
        (
            b"<ResponseStatus><requestURL>/a</requestURL><statusCode>4</statusCode>"
            b"<retryTimes>-1</retryTimes></ResponseStatus>",
            "retryTimes",
        ),
        (
            b"<ResponseStatus><requestURL>/a</requestURL><statusCode>4</statusCode>"
            b"<lockStatus>maybe</lockStatus></ResponseStatus>",
            "lockStatus",
        ),
    ],
)
def test_bad_xml_content_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        decode(body, ResponseStatus)
    assert info.value.field == field


def test_wrong_root_truncated_hostile_and_oversized_xml() -> None:
    with pytest.raises(InvalidContent, match="ResponseStatus"):
        decode(b"<userCheck><statusValue>200</statusValue></userCheck>", ResponseStatus)
    with pytest.raises(MalformedMessage):
        decode(SKELETON_STD_CGI[:-40], ResponseStatus)
    with pytest.raises(MalformedMessage):
        decode(
            b'<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b"<ResponseStatus><requestURL>&b;</requestURL><statusCode>1</statusCode></ResponseStatus>",
            ResponseStatus,
        )
    with pytest.raises(MessageTooLarge):
        decode(b"<ResponseStatus>" + b" " * 300_000 + b"</ResponseStatus>", ResponseStatus)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", MalformedMessage),
        (b"[1, 2]", MalformedMessage),
        (b"[" * 50_000, MalformedMessage),
        (b'{"statusCode": 1}', InvalidContent),
        (b'{"requestURL": "/a", "statusCode": true}', InvalidContent),
        (b'{"requestURL": "/a", "statusCode": 1.5}', InvalidContent),
        (b'{"requestURL": 7, "statusCode": 1}', InvalidContent),
        (b'{"requestURL": "/a", "statusCode": 1, "retryTimes": -2}', InvalidContent),
        (b'{"requestURL": "/a", "statusCode": 1, "errorCode": "0x4"}', InvalidContent),
        (b'{"requestURL": "/a", "statusCode": 1, "pad": "' + b"x" * 70_000 + b'"}', MessageTooLarge),
    ],
)
def test_bad_json_is_refused(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        ResponseStatus.from_json(body)


_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=24
)
_statuses = st.builds(
    ResponseStatus,
    request_url=_text,
    status_code=st.sampled_from(StatusCode),
    status_string=_text,
    sub_status_code=st.none() | st.sampled_from(sorted(SUB_STATUS)),
    id=st.none() | st.integers(0, 10_000),
    error_code=st.none() | st.integers(0, 2**31),
    error_msg=st.none() | _text,
    m_err_code=st.none() | _text,
    m_err_dev_self_ex=st.none() | _text,
    lock_status=st.none() | st.sampled_from(LockStatus),
    retry_times=st.none() | st.integers(0, 100),
    res_lock_time=st.none() | st.integers(0, 86_400),
)


@settings(max_examples=40, deadline=None)
@given(status=_statuses, namespace=st.sampled_from(NAMESPACES))
def test_round_trip_in_every_namespace_and_in_json(status: ResponseStatus, namespace: str) -> None:
    assert decode(encode(status, namespace=namespace), ResponseStatus) == status
    assert decode_status(encode(status, namespace=namespace)) == status
    assert ResponseStatus.from_json(status.to_json()) == status
    assert decode_status(status.to_json()) == status
