from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.device.model import UserLevel
from camvault.device.model import recovery as rec
from camvault.errors import DeviceRefusal
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.documents import (
    ExternCapabilities,
    LoginPassword,
    SecurityCap,
    SecurityQuestions,
    decode,
    encode,
)
from camvault.protocols.isapi.documents.reset import GuidFileData, GuidFileReset
from tests.device.isapi.recovery_client import (
    ANSWERS,
    NEW,
    Device,
    export_guid,
    guid_reset_body,
    questions_body,
    recovery_key,
    reset_by_guid,
    reset_by_questions,
    set_questions,
    status_of,
)
from tests.device.model.conftest import STRONG

ADMIN = httpx.DigestAuth("admin", STRONG)
PLANTED = "Zanzibar-Planted-Answer-4471"


def fingerprint(device: Device) -> str:
    state = device.model.to_snapshot()
    state.pop("saved_at")
    return json.dumps(state, sort_keys=True)


@pytest.fixture
def device() -> Device:
    return Device()


# ------------------------------------------------------------------ capabilities


async def test_capabilities_advertise_the_reset_methods(device: Device) -> None:
    async with device.client() as client:
        extern = await client.get("/ISAPI/Security/extern/capabilities")
        security = await client.get("/ISAPI/Security/capabilities", auth=ADMIN)
    assert extern.status_code == 200
    caps = decode(extern.content, ExternCapabilities)
    assert caps.is_support_with_security_question and caps.is_support_with_guid_file_data
    assert caps.is_support_with_security_email is False
    cap = decode(security.content, SecurityCap)
    assert cap.is_support_security_question_config and cap.is_support_guid_file_data_export


async def test_legacy_firmware_has_no_self_service_recovery() -> None:
    legacy = Device(firmware="V5.2.5 build 141201")
    async with legacy.client() as client:
        extern = decode((await client.get("/ISAPI/Security/extern/capabilities")).content, ExternCapabilities)
        questions = await client.get("/ISAPI/Security/questionConfiguration")
        cap = await client.get("/ISAPI/Security/capabilities", auth=httpx.DigestAuth("admin", "12345"))
    assert not extern.is_support_with_security_question and not extern.is_support_with_guid_file_data
    assert status_of(questions).sub_status_code == "notSupport"
    assert decode(cap.content, SecurityCap).is_support_guid_file_data_export is False


async def test_an_inactive_device_answers_not_activated() -> None:
    fresh = Device(activate=False)
    async with fresh.client() as client:
        response = await client.get("/ISAPI/Security/extern/capabilities")
    assert response.status_code == 403
    assert status_of(response).sub_status_code == "notActivated"


# ------------------------------------------------------------------ question configuration


async def test_set_questions_with_security_1_and_read_them_back_without_login(device: Device) -> None:
    async with device.client() as client:
        before = decode(
            (await client.get("/ISAPI/Security/questionConfiguration")).content, SecurityQuestions
        )
        response = await set_questions(device, client)
        after = decode((await client.get("/ISAPI/Security/questionConfiguration")).content, SecurityQuestions)
    assert before.questions == ()
    assert response.status_code == 200 and status_of(response).sub_status_code == "ok"
    assert [(q.id, q.mark, q.answer) for q in after.questions] == [
        (2, True, None),
        (7, True, None),
        (9, True, None),
    ]
    assert device.model.recovery.answers_match(ANSWERS)


async def test_set_questions_in_clear_also_works(device: Device) -> None:
    async with device.client() as client:
        response = await client.put(
            "/ISAPI/Security/questionConfiguration",
            content=questions_body(ANSWERS, STRONG, None, field_crypto.DEFAULT_IV),
            auth=ADMIN,
        )
    assert response.status_code == 200
    assert device.model.recovery.answers_match(ANSWERS)


async def test_wrong_admin_password_is_a_counted_failure(device: Device) -> None:
    async with device.client() as client:
        response = await client.put(
            "/ISAPI/Security/questionConfiguration",
            content=questions_body(ANSWERS, "Wrong-Pass-99", None, field_crypto.DEFAULT_IV),
            auth=ADMIN,
        )
    assert response.status_code == 401
    status = status_of(response)
    assert status.sub_status_code == "badAuthorization" and status.retry_times == 4
    assert not device.model.recovery.questions_configured


async def test_undecryptable_fields_count_as_a_wrong_password(device: Device) -> None:
    iv = field_crypto.new_iv()
    wrong_key = device.login_key("Not-The-Pass1")
    async with device.client() as client:
        response = await client.put(
            f"/ISAPI/Security/questionConfiguration?security=1&iv={iv}",
            content=questions_body(ANSWERS, STRONG, wrong_key, iv),
            auth=ADMIN,
        )
    assert response.status_code == 401
    assert status_of(response).retry_times == 4
    assert not device.model.recovery.questions_configured


@pytest.mark.parametrize(
    ("body", "sub_status"),
    [
        (b"<SecurityQuestion><QuestionList>", "badXmlFormat"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><SecurityQuestion>&a;</SecurityQuestion>', "badXmlFormat"),
        (b"<LoginPassword><password>x</password></LoginPassword>", "badXmlContent"),
        (
            b"<SecurityQuestion><QuestionList><Question><id>1</id><answer>a</answer></Question>"
            b"<Question><id>1</id><answer>b</answer></Question></QuestionList></SecurityQuestion>",
            "badXmlContent",
        ),
        (
            b"<SecurityQuestion><QuestionList><Question><id>x</id><answer>a</answer></Question>"
            b"</QuestionList></SecurityQuestion>",
            "badXmlContent",
        ),
        (questions_body({1: "a", 2: "b", 3: "x" * 129}, STRONG, None, ""), "badParameters"),
        (questions_body({1: "a", 2: "b"}, STRONG, None, ""), "badParameters"),
        (questions_body({1: "a", 2: "b", 3: "c"}, None, None, ""), "badParameters"),
        (b"<SecurityQuestion>" + b"<a>" * 40 + b"</a>" * 40 + b"</SecurityQuestion>", "badXmlFormat"),
    ],
    ids=[
        "truncated",
        "entities",
        "wrong-root",
        "duplicate-ids",
        "id-not-int",
        "long",
        "two",
        "no-password",
        "deep",
    ],
)
async def test_bad_question_documents_change_nothing(device: Device, body: bytes, sub_status: str) -> None:
    async with device.client() as client:
        await set_questions(device, client)
        before = fingerprint(device)
        response = await client.put("/ISAPI/Security/questionConfiguration", content=body, auth=ADMIN)
    assert status_of(response).sub_status_code == sub_status
    assert response.status_code == 400
    assert fingerprint(device) == before
    assert device.model.lock_status("10.0.0.5").attempts_left == 5


async def test_questions_are_for_the_admin_account_only(device: Device) -> None:
    model = device.model
    model.add_user(model.user(1), name="deputy", password="Dep-uty-2024!", level=UserLevel.ADMINISTRATOR)
    async with device.client() as client:
        response = await client.put(
            "/ISAPI/Security/questionConfiguration",
            content=questions_body(ANSWERS, "Dep-uty-2024!", None, ""),
            auth=httpx.DigestAuth("deputy", "Dep-uty-2024!"),
        )
        anonymous = await client.put(
            "/ISAPI/Security/questionConfiguration", content=questions_body(ANSWERS, STRONG, None, "")
        )
    assert status_of(response).sub_status_code == "lowPrivilege"
    assert anonymous.status_code == 401
    assert not model.recovery.questions_configured


async def test_security_1_needs_a_usable_iv(device: Device) -> None:
    async with device.client() as client:
        response = await client.put(
            "/ISAPI/Security/questionConfiguration?security=1&iv=zz",
            content=questions_body(ANSWERS, STRONG, None, ""),
            auth=ADMIN,
        )
    assert status_of(response).sub_status_code == "badParameters"


# ------------------------------------------------------------------ certification and reset by answers


async def test_certify_then_reset_with_answers(device: Device) -> None:
    async with device.client() as admin_client, device.client(peer="10.0.0.9") as owner:
        await set_questions(device, admin_client)
        key = await recovery_key(owner)
        iv = field_crypto.new_iv()
        certified = await owner.post(
            f"/ISAPI/Security/questionCertification?security=1&iv={iv}",
            content=questions_body(ANSWERS, None, key, iv),
        )
        assert certified.status_code == 200
        assert device.model.user(1).password.matches(STRONG), "certification alone changes nothing"
        reset = await reset_by_questions(owner, ANSWERS, NEW)
        assert reset.status_code == 200 and status_of(reset).sub_status_code == "ok"
        old = await owner.get("/ISAPI/Security/userCheck", auth=ADMIN)
        new = await owner.get("/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", NEW))
    assert old.status_code == 401 and new.status_code == 200


async def test_wrong_answers_report_attempts_left_and_trip_the_lock(device: Device) -> None:
    wrong = {**ANSWERS, 7: "Fido"}
    async with device.client() as admin_client, device.client(peer="10.0.0.9") as owner:
        await set_questions(device, admin_client)
        retries = []
        for _ in range(5):
            response = await reset_by_questions(owner, wrong, NEW)
            assert response.status_code == 401
            retries.append(status_of(response).retry_times)
        locked = status_of(response)
        login = await owner.get("/ISAPI/Security/userCheck", auth=ADMIN)
        right_but_locked = await reset_by_questions(owner, ANSWERS, NEW)
    assert retries == [4, 3, 2, 1, 0]
    assert locked.lock_status is not None and locked.lock_status.value == "locked"
    assert locked.res_lock_time == 1800
    assert login.status_code == 401, "the answers tripped the same lock as logins"
    assert status_of(right_but_locked).lock_status is not None
    assert device.model.user(1).password.matches(STRONG)


async def test_a_recovery_challenge_serves_one_request(device: Device) -> None:
    async with (
        device.client() as admin_client,
        device.client(peer="10.0.0.9") as owner,
        device.client(peer="10.0.0.10") as other,
    ):
        await set_questions(device, admin_client)
        key = await recovery_key(owner)
        iv = field_crypto.new_iv()
        body = questions_body(ANSWERS, "Fir5t-Choice!", key, iv)
        url = f"/ISAPI/Security/questionCertification?security=1&iv={iv}"
        other_peer = await other.put(url, content=body)
        first = await owner.put(url, content=body)
        replay = await owner.put(url, content=body)
    assert first.status_code == 200
    assert status_of(replay).sub_status_code == "invalidOperation"
    assert status_of(other_peer).sub_status_code == "invalidOperation"


async def test_a_risky_new_password_is_refused_without_counting(device: Device) -> None:
    async with device.client() as admin_client, device.client(peer="10.0.0.9") as owner:
        await set_questions(device, admin_client)
        before = fingerprint(device)
        response = await reset_by_questions(owner, ANSWERS, "12345678")
    assert status_of(response).sub_status_code == "riskPassword"
    assert fingerprint(device) == before
    assert device.model.lock_status("10.0.0.9").attempts_left == 5


async def test_recovery_challenge_refuses_a_bad_key(device: Device) -> None:
    async with device.client() as client:
        bad = await client.post(
            "/ISAPI/Security/passwordReset/challenge", content=b"<PublicKey><key>bm90aGV4</key></PublicKey>"
        )
        hostile = await client.post(
            "/ISAPI/Security/passwordReset/challenge",
            content=b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><PublicKey><key>&e;</key></PublicKey>',
        )
    assert status_of(bad).sub_status_code == "badParameters"
    assert status_of(hostile).sub_status_code == "badXmlFormat"


async def test_no_questions_configured(device: Device) -> None:
    async with device.client() as client:
        response = await client.post(
            "/ISAPI/Security/questionCertification", content=questions_body(ANSWERS, None, None, "")
        )
    assert status_of(response).sub_status_code == "invalidOperation"


# ------------------------------------------------------------------ GUID file


async def test_guid_export_in_clear_and_reset(device: Device) -> None:
    async with device.client() as client:
        content = await export_guid(device, client)
        reset = await reset_by_guid(client, content, NEW)
        replay = await reset_by_guid(client, content, "An0ther-Choice!")
    assert content.startswith(b"<?xml") and b"<GUIDFile" in content
    assert reset.status_code == 200
    assert replay.status_code == 401, "the new password spent the file"
    assert device.model.user(1).password.matches(NEW)


async def test_guid_export_with_security_1_is_encrypted(device: Device) -> None:
    iv = field_crypto.new_iv()
    key = device.login_key()
    password = field_crypto.encrypt_field(key, STRONG, iv)
    async with device.client() as client:
        response = await client.post(
            f"/ISAPI/Security/GUIDFileData?security=1&iv={iv}",
            content=encode(LoginPassword(password=password), namespace=None),
            auth=ADMIN,
        )
    assert response.status_code == 200
    data = decode(response.content, GuidFileData)
    content = base64.b64decode(field_crypto.decrypt_field(key, data.guid_file, iv))
    serial, secret = rec.parse_guid_file(content)
    assert serial == device.model.identity.serial
    assert secret.hex() not in response.text
    assert data.file_name == f"GUID_{serial}.xml"


async def test_guid_export_refusals(device: Device) -> None:
    model = device.model
    model.add_user(model.user(1), name="deputy", password="Dep-uty-2024!", level=UserLevel.ADMINISTRATOR)
    body = encode(LoginPassword(password="Dep-uty-2024!"), namespace=None)
    async with device.client() as client:
        deputy = await client.post(
            "/ISAPI/Security/GUIDFileData", content=body, auth=httpx.DigestAuth("deputy", "Dep-uty-2024!")
        )
        wrong = await client.post(
            "/ISAPI/Security/GUIDFileData",
            content=encode(LoginPassword(password="Wrong-Pass-99"), namespace=None),
            auth=ADMIN,
        )
    assert status_of(deputy).sub_status_code == "lowPrivilege"
    assert wrong.status_code == 401 and status_of(wrong).retry_times == 4
    assert not model.recovery.guid_valid


@pytest.mark.parametrize(
    ("guid_field", "sub_status"),
    [("%%%not-base64%%%", "fileFormatError"), (base64.b64encode(b"junk").decode(), "fileFormatError")],
)
async def test_broken_guid_uploads_change_nothing(device: Device, guid_field: str, sub_status: str) -> None:
    async with device.client() as client:
        await export_guid(device, client)
        before = fingerprint(device)
        response = await client.put(
            "/ISAPI/Security/GUIDFileData/reset",
            content=encode(GuidFileReset(guid_file=guid_field, password=NEW), namespace=None),
        )
    assert status_of(response).sub_status_code == sub_status
    assert fingerprint(device) == before


async def test_guid_reset_with_a_wrong_key_counts(device: Device) -> None:
    async with device.client() as client:
        content = await export_guid(device, client)
        await recovery_key(client)
        iv = field_crypto.new_iv()
        response = await client.put(
            f"/ISAPI/Security/GUIDFileData/reset?security=1&iv={iv}",
            content=guid_reset_body(content, NEW, b"\x01" * 16, iv),
        )
    assert response.status_code == 401 and status_of(response).retry_times == 4
    assert device.model.user(1).password.matches(STRONG)


# ------------------------------------------------------------------ loginPassword


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_login_password_check(device: Device, method: str) -> None:
    iv = field_crypto.new_iv()
    right = field_crypto.encrypt_field(device.login_key(), STRONG, iv)
    async with device.client() as client:
        ok = await client.request(
            method,
            f"/ISAPI/Security/loginPassword?security=1&iv={iv}",
            content=encode(LoginPassword(password=right), namespace=None),
            auth=ADMIN,
        )
        wrong = await client.request(
            method,
            "/ISAPI/Security/loginPassword",
            content=encode(LoginPassword(password="Wrong-Pass-99"), namespace=None),
            auth=ADMIN,
        )
    assert ok.status_code == 200
    assert wrong.status_code == 401 and status_of(wrong).retry_times == 4


# ------------------------------------------------------------------ secrets stay secret


async def test_answers_and_passwords_never_reach_replies_or_logs(
    device: Device, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    planted = {2: PLANTED, 7: "Rex", 9: "Elm"}
    seen: list[str] = []
    async with device.client() as admin_client, device.client(peer="10.0.0.9") as owner:
        seen.append((await set_questions(device, admin_client, planted)).text)
        seen.append((await admin_client.get("/ISAPI/Security/questionConfiguration")).text)
        seen.append((await reset_by_questions(owner, {**planted, 7: "wrong"}, NEW)).text)
        response = await reset_by_questions(owner, planted, NEW)
        seen.append(response.text)
        seen.extend(f"{name}: {value}" for name, value in response.headers.items())
    everything = "\n".join(
        [*seen, caplog.text, json.dumps(device.model.to_snapshot()), repr(device.model.recovery)]
    )
    assert PLANTED not in everything and PLANTED.casefold() not in everything
    assert NEW not in "\n".join([*seen, caplog.text])


# ------------------------------------------------------------------ our documents: bad input and fuzz


@pytest.mark.parametrize(
    "body",
    [
        b"<GUIDFileReset><password>x</password></GUIDFileReset>",
        b"<GUIDFileReset><GUIDFile>x</GUIDFile></GUIDFileReset>",
        b"<GUIDFileReset><GUIDFile></GUIDFile><password>x</password></GUIDFileReset>",
        b"<GUIDFileReset><GUIDFile>"
        + b"A" * (2 * 64 * 1024 + 1)
        + b"</GUIDFile><password>x</password></GUIDFileReset>",
        b"<LoginPassword><password>x</password></LoginPassword>",
    ],
    ids=["no-file", "no-password", "empty-file", "oversized", "wrong-root"],
)
async def test_bad_guid_reset_documents_change_nothing(device: Device, body: bytes) -> None:
    before = fingerprint(device)
    async with device.client() as client:
        response = await client.put("/ISAPI/Security/GUIDFileData/reset", content=body)
    assert response.status_code == 400
    expected = "badXmlFormat" if len(body) > 64 * 1024 else "badXmlContent"
    assert status_of(response).sub_status_code == expected
    assert fingerprint(device) == before


async def test_a_question_without_an_answer_is_refused(device: Device) -> None:
    async with device.client() as client:
        await set_questions(device, client)
        response = await client.put(
            "/ISAPI/Security/questionCertification",
            content=b"<SecurityQuestion><QuestionList><Question><id>2</id></Question></QuestionList>"
            b"<password>N3w-Owner-Pass!</password></SecurityQuestion>",
        )
    assert status_of(response).sub_status_code == "badParameters"
    assert device.model.user(1).password.matches(STRONG)


@settings(max_examples=40, deadline=None)
@given(guid_file=st.text(max_size=300), password=st.text(min_size=1, max_size=40), name=st.text(max_size=40))
def test_our_documents_round_trip(guid_file: str, password: str, name: str) -> None:
    guid_file = "".join(ch for ch in guid_file if ch.isprintable()).strip() or "x"
    password = "".join(ch for ch in password if ch.isprintable()).strip() or "p"
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "n"
    reset = GuidFileReset(guid_file=guid_file, password=password)
    assert decode(encode(reset, namespace=None), GuidFileReset) == reset
    data = GuidFileData(file_name=name, guid_file=guid_file)
    assert decode(encode(data, namespace="http://www.isapi.org/ver20/XMLSchema"), GuidFileData) == data


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=600) | st.text(max_size=400).map(str.encode))
def test_guid_file_parser_only_ever_refuses_cleanly(content: bytes) -> None:
    assert _parse_outcome(content) in {"parsed", "fileFormatError"}


def _parse_outcome(content: bytes) -> str:
    try:
        rec.parse_guid_file(content)
    except DeviceRefusal as refusal:
        return refusal.reason
    return "parsed"
