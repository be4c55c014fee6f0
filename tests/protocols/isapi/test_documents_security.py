from __future__ import annotations

import logging
from dataclasses import fields
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge
from camvault.protocols.isapi.documents import (
    ANSWER_LENGTH,
    NAMESPACES,
    NS_ISAPI_V20,
    AdminAccessProtocol,
    AdminAccessProtocolList,
    Document,
    ExternCapabilities,
    IllegalLoginLock,
    IntRange,
    LockStatus,
    LoginPassword,
    OnlineUser,
    OnlineUserList,
    QuestionCertification,
    SecurityCap,
    SecurityQuestion,
    SecurityQuestions,
    SessionLoginCap,
    SessionLoginRequest,
    SessionLoginResult,
    User,
    UserCheck,
    UserLevel,
    UserList,
    decode,
    encode,
)

SECRET = "Planted-S3cret!"

# ---- Real captures (OBS: "Security APIs … Observed Response", research notes §4.3, §4.5, §6.1, §8) ----

OBS_USER_LIST = b"""<?xml version="1.0" encoding="UTF-8"?>
<UserList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
  <User>
    <id>1</id>
    <userName>admin</userName>
    <userLevel>Administrator</userLevel>
  </User>
</UserList>
"""

OBS_USER_CHECK = b"""<?xml version="1.0" encoding="UTF-8"?>
<userCheck version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
  <statusValue>200</statusValue>
  <statusString>OK</statusString>
  <isDefaultPassword>false</isDefaultPassword>
  <isRiskPassword>false</isRiskPassword>
  <isActivated>true</isActivated>
</userCheck>
"""

OBS_ILLEGAL_LOGIN_LOCK = b"""<?xml version="1.0" encoding="UTF-8"?>
<IllegalLoginLock version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
  <enabled>true</enabled>
  <maxIllegalLoginTimes>5</maxIllegalLoginTimes>
  <maxIllegalLoginLockTime>1800</maxIllegalLoginLockTime>
</IllegalLoginLock>
"""

OBS_ONLINE_USERS = b"""<?xml version="1.0" encoding="UTF-8"?>
<OnlineUserList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
  <OnlineUser>
    <id>65536</id>
    <name>admin</name>
    <type>admin</type>
    <loginTime>2026-07-13 19:03:51</loginTime>
    <clientAddress>
      <ipAddress>192.168.1.2</ipAddress>
    </clientAddress>
  </OnlineUser>
</OnlineUserList>
"""

OBS_ADMIN_ACCESSES = b"""<?xml version="1.0" encoding="UTF-8"?>
<AdminAccessProtocolList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
  <AdminAccessProtocol>
    <id>1</id>
    <enabled>true</enabled>
    <protocol>HTTP</protocol>
    <portNo>80</portNo>
  </AdminAccessProtocol>
  <AdminAccessProtocol>
    <id>2</id>
    <protocol>DEV_MANAGE</protocol>
    <portNo>8000</portNo>
  </AdminAccessProtocol>
  <AdminAccessProtocol>
    <id>4</id>
    <enabled>true</enabled>
    <protocol>HTTPS</protocol>
    <portNo>443</portNo>
  </AdminAccessProtocol>
</AdminAccessProtocolList>
"""

OBS_SECURITY_CAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<SecurityCap version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
  <supportUserNums>1</supportUserNums>
  <userBondIpNums>1</userBondIpNums>
  <userBondMacNums>1</userBondMacNums>
  <isSupCertificate>false</isSupCertificate>
  <issupIllegalLoginLock>true</issupIllegalLoginLock>
  <isSupportOnlineUser>true</isSupportOnlineUser>
  <isSupportAnonymous>false</isSupportAnonymous>
  <isSupportStreamEncryption>false</isSupportStreamEncryption>
  <securityVersion opt="1"/>
  <keyIterateNum>100</keyIterateNum>
  <isSupportUserCheck>true</isSupportUserCheck>
  <RSAKeyLength opt="1024" def="1024"/>
  <isSupportONVIFUserManagement>false</isSupportONVIFUserManagement>
  <WebCertificateCap>
    <CertificateType opt="digest">digest</CertificateType>
    <SecurityAlgorithm>
      <algorithmType opt="MD5,SHA256,MD5/SHA256">MD5</algorithmType>
    </SecurityAlgorithm>
  </WebCertificateCap>
  <isSupportConfigFileImport>true</isSupportConfigFileImport>
  <isSupportConfigFileExport>true</isSupportConfigFileExport>
  <isSupportSecurityQuestionConfig>true</isSupportSecurityQuestionConfig>
  <isSupportSecurityEmail>true</isSupportSecurityEmail>
  <SecurityLimits>
    <LoginPasswordLenLimit min="8" max="16">8</LoginPasswordLenLimit>
    <SecurityAnswerLenLimit min="1" max="128"/>
  </SecurityLimits>
  <cfgFileSecretKeyLenLimit min="0" max="32"/>
  <isIrreversible>true</isIrreversible>
  <salt>2F1C2DE6D8D243EF46F177D830796D51CC10733BEC81DC0CAABE837942351A92</salt>
  <isSupportDeviceCertificatesManagement>true</isSupportDeviceCertificatesManagement>
  <isSupportRTSPCertificate opt="true,false">true</isSupportRTSPCertificate>
  <isSupportEncryptCertificate>true</isSupportEncryptCertificate>
  <isSupportCertificateCustomID>true</isSupportCertificateCustomID>
  <isSupportSecurityEmail>true</isSupportSecurityEmail>
</SecurityCap>
"""

# A std-cgi camera's sessionLogin/capabilities reply, as a public note quotes it (research §6.2 shape).
SESSION_LOGIN_CAP_STD_CGI = b"""<SessionLoginCap version="2.0" xmlns="http://www.std-cgi.com/ver20/XMLSchema">
    <sessionID>181f3168754f1edc2b342583cc70d6108949f4ffdf37d54a015d747aebffc8d8</sessionID>
    <challenge>f07835483178cb6031ddb0e711ec6660</challenge>
    <iterations>100</iterations>
    <isIrreversible>true</isIrreversible>
    <salt>e20c1867afe6da609f2b058c7f00177d62f4aea00f98c0325c212ee7adfb03ca</salt>
    <sessionIDVersion>2</sessionIDVersion>
</SessionLoginCap>"""

# An AX PRO reply (test fixture of a public client): salt2, a non-integer sessionIDVersion, an extra flag.
SESSION_LOGIN_CAP_AXPRO = b"""<SessionLoginCap version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<sessionID>116c191b1981ca41fd110a4140e63c522c0d168a460fed22bc0b4ca84e18fe0e</sessionID>
<challenge>f0a902b12718652487db2b0cd9e83c4a</challenge><iterations>100</iterations>
<isSupportRTSPWithSession>true</isSupportRTSPWithSession>
<isIrreversible>true</isIrreversible>
<sessionIDVersion>2.1</sessionIDVersion>
<salt>22CF57B6ADE75214A4C87042B3272630C55EF5D782AB3BE4C9EC4DA1CD95AF3B</salt>
<salt2>7BEB8CA39D05B89CABC4003FDCBA5AE73556CB8008BCEE3CBCA48CABC3AC201B</salt2>
</SessionLoginCap>"""


def test_golden_user_list() -> None:
    users = decode(OBS_USER_LIST, UserList)
    assert users == UserList((User("admin", id=1, user_level=UserLevel.ADMINISTRATOR),))
    assert users.users[0].password is None


def test_golden_single_user_without_wrapper() -> None:
    body = b'<User version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><id>1</id><userName>admin</userName><userLevel>Administrator</userLevel></User>'
    assert decode(body, User) == User("admin", id=1, user_level=UserLevel.ADMINISTRATOR)


def test_qb60_request_shapes() -> None:
    # Research §4.4: QB60's PUT (change admin password) and POST (add a viewer).
    put = decode(b"<User><id>1</id><userName>admin</userName><password>NEW</password></User>", User)
    assert put == User("admin", id=1, password="NEW")
    post = User("video", user_level=UserLevel.VIEWER, password=SECRET)
    body = encode(post, namespace=None)
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n<User>\r\n<userName>video</userName>\r\n'
        + f"<password>{SECRET}</password>\r\n".encode()
        + b"<userLevel>Viewer</userLevel>\r\n</User>\r\n"
    )
    assert decode(body, User) == post


def test_sdk_user_shape_with_bond_lists_and_security_fields() -> None:
    body = (
        b'<User version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><id>3</id><enabled>true</enabled>'
        b"<userName>ops</userName><password>0a1b</password><keypadPassword>1234</keypadPassword>"
        b"<loginPassword>c0ffee</loginPassword><userOperateType>1</userOperateType>"
        b"<bondIpAddressList><bondIpAddress><id>1</id><ipAddress>0.0.0.0</ipAddress><ipv6Address/>"
        b"</bondIpAddress></bondIpAddressList><bondMacAddressList><bondMacAddress><id>1</id><macAddress/>"
        b"</bondMacAddress></bondMacAddressList><userLevel>operator</userLevel>"
        b"<attribute><inherent>true</inherent></attribute></User>"
    )
    user = decode(body, User)
    assert user == User(
        "ops",
        id=3,
        enabled=True,
        password="0a1b",
        login_password="c0ffee",
        user_operate_type=1,
        user_level=UserLevel.OPERATOR,
    )
    redacted = user.redacted()
    assert redacted.password is None and redacted.login_password is None
    reply = encode(UserList((user,)).redacted(), namespace=NS_ISAPI_V20)
    assert b"password" not in reply.lower()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"<User><id>1</id></User>", "userName"),
        (b"<User><userName></userName></User>", "userName"),
        (b"<User><id>one</id><userName>a</userName></User>", "id"),
        (b"<User><id>-1</id><userName>a</userName></User>", "id"),
        (b"<User><userName>a</userName><userLevel>Installer</userLevel></User>", "userLevel"),
        (b"<User><userName>a</userName><userOperateType>9</userOperateType></User>", "userOperateType"),
        (b"<User><userName>a</userName><enabled>ja</enabled></User>", "enabled"),
    ],
)
def test_user_rejections(body: bytes, field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        decode(body, User)
    assert info.value.field == field


def test_golden_user_check_success_and_failure() -> None:
    ok = decode(OBS_USER_CHECK, UserCheck)
    assert ok == UserCheck(200, "OK", is_default_password=False, is_risk_password=False, is_activated=True)
    failed = decode(
        b"<userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString>"
        b"<lockStatus>lock</lockStatus><unlockTime>1795</unlockTime><retryLoginTime>0</retryLoginTime>"
        b"</userCheck>",
        UserCheck,
    )
    assert failed.lock_status is LockStatus.LOCKED
    assert (failed.unlock_time, failed.retry_login_time) == (1795, 0)
    spelled_locked = decode(
        b"<userCheck><statusValue>401</statusValue><lockStatus>locked</lockStatus></userCheck>", UserCheck
    )
    assert spelled_locked.lock_status is LockStatus.LOCKED
    rendered = encode(failed, namespace=NS_ISAPI_V20)
    assert b"<lockStatus>lock</lockStatus>" in rendered  # the spelling a real client tests for
    assert decode(rendered, UserCheck) == failed
    with pytest.raises(InvalidContent) as info:
        decode(b"<userCheck><statusString>OK</statusString></userCheck>", UserCheck)
    assert info.value.field == "statusValue"
    with pytest.raises(InvalidContent, match="userCheck"):
        decode(OBS_USER_CHECK.replace(b"userCheck", b"UserCheck"), UserCheck)


def test_golden_user_check_renders_like_the_capture() -> None:
    ok = decode(OBS_USER_CHECK, UserCheck)
    assert encode(ok, namespace=NS_ISAPI_V20) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b'<userCheck version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\r\n'
        b"<statusValue>200</statusValue>\r\n<statusString>OK</statusString>\r\n"
        b"<isDefaultPassword>false</isDefaultPassword>\r\n<isRiskPassword>false</isRiskPassword>\r\n"
        b"<isActivated>true</isActivated>\r\n</userCheck>\r\n"
    )


def test_session_login_cap_variants() -> None:
    camera = decode(SESSION_LOGIN_CAP_STD_CGI, SessionLoginCap)
    assert camera.challenge == "f07835483178cb6031ddb0e711ec6660"
    assert camera.iterations == 100 and camera.is_irreversible is True
    assert camera.session_id_version == "2" and camera.salt2 is None
    assert camera.session_id not in repr(camera)
    panel = decode(SESSION_LOGIN_CAP_AXPRO, SessionLoginCap)
    assert panel.session_id_version == "2.1"
    assert panel.salt2 == "7BEB8CA39D05B89CABC4003FDCBA5AE73556CB8008BCEE3CBCA48CABC3AC201B"
    rendered = encode(camera, namespace=NS_ISAPI_V20).split(b"\r\n")
    assert [line.split(b">")[0] for line in rendered[2:8]] == [
        b"<sessionID",
        b"<challenge",
        b"<iterations",
        b"<isIrreversible",
        b"<salt",
        b"<sessionIDVersion",
    ]
    with pytest.raises(InvalidContent) as info:
        decode(SESSION_LOGIN_CAP_STD_CGI.replace(b">100<", b">0<"), SessionLoginCap)
    assert info.value.field == "iterations"
    with pytest.raises(InvalidContent) as info:
        decode(
            b"<SessionLoginCap><challenge>a</challenge><iterations>1</iterations></SessionLoginCap>",
            SessionLoginCap,
        )
    assert info.value.field == "sessionID"


def test_session_login_request_and_result() -> None:
    request = SessionLoginRequest(
        "admin",
        password=SECRET,
        session_id="S355ION",
        is_session_id_valid_long_term=True,
        session_id_version="2",
    )
    assert SECRET not in repr(request) and "S355ION" not in repr(request)
    body = encode(request, namespace=None)
    assert body.index(b"<userName>") < body.index(b"<password>") < body.index(b"<sessionID>")
    assert decode(body, SessionLoginRequest) == request
    with pytest.raises(InvalidContent) as info:
        decode(
            b"<SessionLogin><userName>admin</userName><sessionID>x</sessionID></SessionLogin>",
            SessionLoginRequest,
        )
    assert info.value.field == "password"
    result = decode(
        b"<SessionLogin><statusValue>200</statusValue><statusString>OK</statusString>"
        b"<isDefaultPassword>false</isDefaultPassword><isRiskPassword>true</isRiskPassword>"
        b"<isActivated>true</isActivated></SessionLogin>",
        SessionLoginResult,
    )
    assert result.is_risk_password is True
    wrong = decode(
        b"<SessionLogin><statusValue>401</statusValue><retryLoginTime>4</retryLoginTime></SessionLogin>",
        SessionLoginResult,
    )
    assert wrong.retry_login_time == 4 and wrong.lock_status is None


def test_golden_illegal_login_lock_and_partial_put() -> None:
    lock = decode(OBS_ILLEGAL_LOGIN_LOCK, IllegalLoginLock)
    assert lock == IllegalLoginLock(enabled=True, max_illegal_login_times=5, max_illegal_login_lock_time=1800)
    qb60 = decode(b"<IllegalLoginLock><enabled>false</enabled></IllegalLoginLock>", IllegalLoginLock)
    assert qb60 == IllegalLoginLock(enabled=False)
    assert encode(qb60, namespace=None).count(b"<") == 5  # declaration, root open/close, enabled open/close
    empty = decode(b"<IllegalLoginLock/>", IllegalLoginLock)
    assert empty == IllegalLoginLock()
    with pytest.raises(InvalidContent) as info:
        decode(OBS_ILLEGAL_LOGIN_LOCK.replace(b">5<", b">0<"), IllegalLoginLock)
    assert info.value.field == "maxIllegalLoginTimes"


def test_golden_security_cap() -> None:
    cap = decode(OBS_SECURITY_CAP, SecurityCap)
    assert cap == SecurityCap(
        support_user_nums=1,
        issup_illegal_login_lock=True,
        is_support_online_user=True,
        security_version=(1,),
        key_iterate_num=100,
        is_support_user_check=True,
        is_support_onvif_user_management=False,
        is_support_config_file_import=True,
        is_support_config_file_export=True,
        is_support_security_question_config=True,
        is_support_security_email=True,
        login_password_length=IntRange(8, 16),
        security_answer_length=IntRange(1, 128),
        cfg_file_secret_key_length=IntRange(0, 32),
        is_irreversible=True,
        salt="2F1C2DE6D8D243EF46F177D830796D51CC10733BEC81DC0CAABE837942351A92",
    )
    rendered = encode(cap, namespace=NS_ISAPI_V20)
    assert b'<securityVersion opt="1"/>' in rendered
    assert (
        b'<SecurityLimits>\r\n<LoginPasswordLenLimit min="8" max="16">8</LoginPasswordLenLimit>\r\n'
        in rendered
    )
    assert b'<SecurityAnswerLenLimit min="1" max="128"/>' in rendered
    assert decode(rendered, SecurityCap) == cap


def test_security_cap_rejections() -> None:
    for body, field in [
        (
            b'<SecurityCap><SecurityLimits><LoginPasswordLenLimit min="8"/></SecurityLimits></SecurityCap>',
            "LoginPasswordLenLimit",
        ),
        (
            b'<SecurityCap><cfgFileSecretKeyLenLimit min="9" max="1"/></SecurityCap>',
            "cfgFileSecretKeyLenLimit",
        ),
        (
            b'<SecurityCap><cfgFileSecretKeyLenLimit min="a" max="1"/></SecurityCap>',
            "cfgFileSecretKeyLenLimit",
        ),
        (b'<SecurityCap><securityVersion opt="1,x"/></SecurityCap>', "securityVersion"),
        (b"<SecurityCap><keyIterateNum>0</keyIterateNum></SecurityCap>", "keyIterateNum"),
    ]:
        with pytest.raises(InvalidContent) as info:
            decode(body, SecurityCap)
        assert info.value.field == field


def test_extern_capabilities() -> None:
    body = (
        b"<externSecurityCap><isSupportWithGUIDFileData>true</isSupportWithGUIDFileData>"
        b"<isSupportWithSecurityQuestion>true</isSupportWithSecurityQuestion>"
        b"<isSupportWithSecurityEmail>false</isSupportWithSecurityEmail>"
        b"<minResetAdminPassWordNum>1</minResetAdminPassWordNum></externSecurityCap>"
    )
    cap = decode(body, ExternCapabilities)
    assert cap == ExternCapabilities(True, True, False, None, 1)
    assert decode(body.replace(b"externSecurityCap", b"ExternSecurityCap"), ExternCapabilities) == cap
    with pytest.raises(InvalidContent):
        decode(body.replace(b"externSecurityCap", b"SecurityCap"), ExternCapabilities)


# Research §12.2: the web UI's setSecurityQA body.
WEB_UI_SECURITY_QA = (
    b"<?xml version='1.0' encoding='UTF-8'?><SecurityQuestion><QuestionList>"
    b"<Question><id>1</id><answer>Rex</answer></Question>"
    b"<Question><id>4</id><answer>Lisbon</answer></Question>"
    b"<Question><id>7</id><answer>blue</answer></Question>"
    b"</QuestionList><password>" + SECRET.encode() + b"</password></SecurityQuestion>"
)


def test_security_questions_put_and_get_shapes() -> None:
    put = decode(WEB_UI_SECURITY_QA, SecurityQuestions)
    assert [q.id for q in put.questions] == [1, 4, 7]
    assert put.password == SECRET
    put.check_answer_lengths()
    for text in (repr(put), repr(put.questions[0])):
        assert SECRET not in text and "Lisbon" not in text
    assert decode(encode(put, namespace=None), SecurityQuestions) == put
    get = decode(
        b"<SecurityQuestion><QuestionList><Question><id>1</id><mark>true</mark></Question>"
        b"<Question><id>2</id><mark>false</mark></Question></QuestionList></SecurityQuestion>",
        SecurityQuestions,
    )
    assert [(q.id, q.mark, q.answer) for q in get.questions] == [(1, True, None), (2, False, None)]
    assert get.password is None


def test_security_question_rules() -> None:
    with pytest.raises(InvalidContent, match="distinct") as info:
        decode(WEB_UI_SECURITY_QA.replace(b"<id>4</id>", b"<id>1</id>"), SecurityQuestions)
    assert info.value.field == "id"
    with pytest.raises(InvalidContent) as info:
        decode(WEB_UI_SECURITY_QA.replace(b"<answer>Rex</answer>", b"<answer> </answer>"), SecurityQuestions)
    assert info.value.field == "answer"
    long_answer = "x" * (ANSWER_LENGTH.maximum + 1)
    too_long = SecurityQuestions((SecurityQuestion(1, answer=long_answer),))
    with pytest.raises(InvalidContent) as info:
        too_long.check_answer_lengths()
    assert info.value.field == "answer"
    assert long_answer not in str(info.value)
    too_long.check_answer_lengths(IntRange(1, 512))  # a device with a longer limit accepts it
    with pytest.raises(InvalidContent) as info:
        decode(WEB_UI_SECURITY_QA.replace(b"<id>7</id>", b"<id>0</id>"), SecurityQuestions)
    assert info.value.field == "id"


def test_question_certification() -> None:
    body = WEB_UI_SECURITY_QA.replace(b"<password>" + SECRET.encode() + b"</password>", b"")
    certification = decode(body, QuestionCertification)
    assert [q.answer for q in certification.questions] == ["Rex", "Lisbon", "blue"]
    rendered = encode(certification, namespace=NS_ISAPI_V20)
    assert b"<password>" not in rendered
    assert decode(rendered, QuestionCertification) == certification
    renamed = body.replace(b"SecurityQuestion>", b"QuestionCertification>")
    assert decode(renamed, QuestionCertification) == certification
    with pytest.raises(InvalidContent) as info:
        decode(body.replace(b"<answer>Rex</answer>", b""), QuestionCertification)
    assert info.value.field == "answer"


def test_login_password() -> None:
    body = (
        b"<?xml version='1.0' encoding='UTF-8'?><LoginPassword><password>"
        + SECRET.encode()
        + b"</password></LoginPassword>"
    )
    document = decode(body, LoginPassword)
    assert document.password == SECRET and SECRET not in repr(document)
    assert decode(encode(document, namespace=None), LoginPassword) == document
    with pytest.raises(InvalidContent) as info:
        decode(b"<LoginPassword/>", LoginPassword)
    assert info.value.field == "password"


def test_golden_online_users() -> None:
    users = decode(OBS_ONLINE_USERS, OnlineUserList)
    assert users == OnlineUserList(
        (OnlineUser(65536, "admin", "admin", datetime(2026, 7, 13, 19, 3, 51), "192.168.1.2"),)
    )
    rendered = encode(users, namespace=NS_ISAPI_V20)
    assert (
        b"<loginTime>2026-07-13 19:03:51</loginTime>\r\n<clientAddress>\r\n<ipAddress>192.168.1.2" in rendered
    )
    with pytest.raises(InvalidContent) as info:
        decode(OBS_ONLINE_USERS.replace(b"2026-07-13 19:03:51", b"last tuesday"), OnlineUserList)
    assert info.value.field == "loginTime"


def test_golden_admin_accesses() -> None:
    protocols = decode(OBS_ADMIN_ACCESSES, AdminAccessProtocolList)
    assert protocols.protocols == (
        AdminAccessProtocol(1, "HTTP", 80, True),
        AdminAccessProtocol(2, "DEV_MANAGE", 8000, None),
        AdminAccessProtocol(4, "HTTPS", 443, True),
    )
    with pytest.raises(InvalidContent) as info:
        decode(OBS_ADMIN_ACCESSES.replace(b">8000<", b">80000<"), AdminAccessProtocolList)
    assert info.value.field == "portNo"


@pytest.mark.parametrize(
    "document_type",
    [UserList, UserCheck, IllegalLoginLock, SecurityCap, SessionLoginCap, SecurityQuestions, OnlineUserList],
)
def test_hostile_truncated_and_oversized_input(document_type: type) -> None:
    root = document_type.ROOT.encode()
    with pytest.raises(MalformedMessage):
        decode(
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><' + root + b">&e;</" + root + b">",
            document_type,
        )
    with pytest.raises(MalformedMessage):
        decode(b"<" + root + b"><a>", document_type)
    with pytest.raises(MessageTooLarge):
        decode(b"<" + root + b">" + b"<x/>" * 70_000 + b"</" + root + b">", document_type)
    with pytest.raises(InvalidContent):
        decode(b"<NotIt/>", document_type)


def test_secrets_never_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    documents = [
        User("admin", password=SECRET, login_password=SECRET),
        SessionLoginRequest("admin", SECRET, SECRET),
        SessionLoginCap(SECRET, "c", 1),
        SecurityQuestions((SecurityQuestion(1, SECRET),), password=SECRET),
        QuestionCertification((SecurityQuestion(1, SECRET),)),
        LoginPassword(SECRET),
    ]
    with caplog.at_level(logging.DEBUG):
        for document in documents:
            logging.getLogger("camvault.test").info("document %r", document)
            assert SECRET not in repr(document)
            assert SECRET.encode() in encode(document, namespace=None)  # request documents do carry it
    assert SECRET not in caplog.text
    hidden = {f.name for f in fields(User) if not f.repr}
    assert hidden == {"password", "login_password"}


_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=20
)
_opt = st.none() | _text
_flag = st.none() | st.booleans()
_small = st.none() | st.integers(0, 10_000)
_users = st.builds(
    User,
    user_name=_text,
    id=_small,
    enabled=_flag,
    password=_opt,
    login_password=_opt,
    user_operate_type=st.none() | st.integers(1, 3),
    user_level=st.none() | st.sampled_from(UserLevel),
)
_lock = st.none() | st.sampled_from(LockStatus)
_ranges = st.none() | st.builds(
    lambda a, b: IntRange(min(a, b), max(a, b)), st.integers(0, 200), st.integers(0, 200)
)


def _questions(with_answers: bool) -> st.SearchStrategy[tuple[SecurityQuestion, ...]]:
    answers = _text if with_answers else _opt
    return st.lists(
        st.builds(SecurityQuestion, id=st.integers(1, 99), answer=answers, mark=_flag),
        max_size=4,
        unique_by=lambda question: question.id,
    ).map(tuple)


_documents = st.one_of(
    _users,
    st.builds(UserList, users=st.lists(_users, max_size=3).map(tuple)),
    st.builds(
        UserCheck,
        status_value=st.integers(0, 999),
        status_string=_opt,
        is_default_password=_flag,
        is_risk_password=_flag,
        is_activated=_flag,
        lock_status=_lock,
        unlock_time=_small,
        retry_login_time=_small,
    ),
    st.builds(
        SessionLoginCap,
        session_id=_text,
        challenge=_text,
        iterations=st.integers(1, 5000),
        is_irreversible=_flag,
        salt=_opt,
        salt2=_opt,
        session_id_version=st.none() | st.sampled_from(["1", "2", "2.1"]),
        is_session_id_valid_long_term=_flag,
    ),
    st.builds(
        SessionLoginRequest,
        user_name=_text,
        password=_text,
        session_id=_text,
        is_session_id_valid_long_term=_flag,
        session_id_version=st.none() | st.sampled_from(["1", "2", "2.1"]),
        is_support_session_tag=_flag,
    ),
    st.builds(
        SessionLoginResult, status_value=st.integers(0, 999), lock_status=_lock, retry_login_time=_small
    ),
    st.builds(
        IllegalLoginLock,
        enabled=_flag,
        max_illegal_login_times=st.none() | st.integers(1, 100),
        max_illegal_login_lock_time=_small,
    ),
    st.builds(
        SecurityCap,
        support_user_nums=_small,
        issup_illegal_login_lock=_flag,
        security_version=st.none() | st.lists(st.integers(0, 3), max_size=3).map(tuple),
        key_iterate_num=st.none() | st.integers(1, 1000),
        login_password_length=_ranges,
        security_answer_length=_ranges,
        cfg_file_secret_key_length=_ranges,
        is_irreversible=_flag,
        salt=_opt,
        is_support_guid_file_data_export=_flag,
    ),
    st.builds(ExternCapabilities, _flag, _flag, _flag, _flag, _small),
    st.builds(SecurityQuestions, questions=_questions(False), password=_opt),
    st.builds(QuestionCertification, questions=_questions(True)),
    st.builds(LoginPassword, password=_text),
    st.builds(
        OnlineUserList,
        users=st.lists(
            st.builds(
                OnlineUser,
                id=st.integers(0, 70_000),
                name=_text,
                type=_opt,
                login_time=st.none()
                | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1)).map(
                    lambda moment: moment.replace(microsecond=0)
                ),
                ip_address=_opt,
            ),
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        AdminAccessProtocolList,
        protocols=st.lists(
            st.builds(AdminAccessProtocol, st.integers(0, 9), _text, st.integers(0, 65535), _flag), max_size=3
        ).map(tuple),
    ),
)


@settings(max_examples=80, deadline=None)
@given(document=_documents, namespace=st.sampled_from((*NAMESPACES, None)))
def test_round_trip_in_every_namespace(document: Document, namespace: str | None) -> None:
    assert decode(encode(document, namespace=namespace), type(document)) == document
