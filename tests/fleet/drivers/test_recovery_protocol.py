"""The client side of recovery without a login, without a socket: documents, the transport key, replies.

Every reader gets what a hostile or broken device could send (truncated, oversized, DTDs and entities, wrong
roots and types, missing fields) and must answer with a clear camvault error, or, for the reply reader that
never raises, with a verdict that trusts nothing it could not read.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import CryptoError, InvalidContent, MalformedMessage, MessageTooLarge, ProtocolError
from camvault.fleet.drivers import _recovery as rec
from camvault.fleet.drivers._recovery import ResetVerdict
from camvault.protocols import resetcode, xml
from camvault.protocols.isapi import activation, field_crypto
from camvault.protocols.isapi.documents import ChallengeRequest, SecurityQuestions, decode, encode
from camvault.protocols.isapi.documents.reset import GuidFileReset, PasswordResetCode
from camvault.protocols.isapi.questions import QUESTIONS

CLIENT_KEY = activation.ActivationClientKey.generate()
R = "0123456789abcdef0123456789abcdef"
IV = "6cd9616beb39d4034fdebe107df9a399"
KEY = rec.TransportKey(key=bytes.fromhex(R), iv=IV)
NEW = "Planted#Rst-773"
ANSWER = "Planted-Answer-Zanzibar"
CODE = "PLANT-EDCOD-E0000"

ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
)
NS_STD_CGI = "http://www.std-cgi.org/ver20/XMLSchema"


def opened(value: str) -> str:
    return field_crypto.decrypt_field(KEY.key, value, KEY.iv)


def status_body(
    status_code: int,
    sub_status: str,
    *,
    reason: str | None = None,
    lock: str | None = None,
    retry: str | None = None,
    remaining: str | None = None,
) -> bytes:
    """A ``ResponseStatus`` laid out like the §2.1 skeleton, with the authentication-failure fields."""
    extra = "".join(
        f"<{name}>{value}</{name}>"
        for name, value in (
            ("MErrDevSelfEx", reason),
            ("lockStatus", lock),
            ("retryTimes", retry),
            ("resLockTime", remaining),
        )
        if value is not None
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<ResponseStatus version="2.0" xmlns="{NS_STD_CGI}">\n'
        f"<requestURL>/ISAPI/Security/passwordReset/code</requestURL>\n<statusCode>{status_code}</statusCode>\n"
        f"<statusString>x</statusString>\n<subStatusCode>{sub_status}</subStatusCode>\n{extra}</ResponseStatus>"
    ).encode()


# ---------------------------------------------------------------------- the transport key


def test_the_challenge_round_trip_gives_the_device_s_random_text() -> None:
    request = decode(rec.challenge_request(CLIENT_KEY), ChallengeRequest)
    answer = f"<Challenge><key>{activation.build_challenge(request.key, R)}</key></Challenge>".encode()
    key = rec.read_challenge(CLIENT_KEY, answer, iv=IV)
    assert key.key == bytes.fromhex(R) and key.query == f"?security=1&iv={IV}"
    assert R not in repr(key) and bytes.fromhex(R).hex() not in repr(key)
    assert field_crypto.decrypt_field(bytes.fromhex(R), key.seal(NEW), IV) == NEW


def test_the_challenge_request_has_the_web_ui_shape() -> None:
    """§7.1: ``<PublicKey><key>base64(hexModulus)</key></PublicKey>``, no namespace."""
    root = xml.parse(rec.challenge_request(CLIENT_KEY))
    assert root.tag == "PublicKey" and [child.tag for child in root] == ["key"]
    modulus_hex = base64.b64decode(xml.text(root, "key")).decode()
    assert re.fullmatch(r"[0-9a-f]{256}", modulus_hex)


OTHER_KEY = activation.ActivationClientKey.generate()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<Challenge><key>QUJD", MalformedMessage),
        (ENTITY_BOMB + b"<Challenge><key>&b;</key></Challenge>", MalformedMessage),
        (b"<Challenge><key>" + b"A" * 20_000 + b"</key></Challenge>", MessageTooLarge),
        (b"<Challenge><other>x</other></Challenge>", InvalidContent),
        (b"<Challenge><key>not base64 at all!</key></Challenge>", InvalidContent),
        (b"<Challenge><key>" + base64.b64encode(b"zz" * 128) + b"</key></Challenge>", InvalidContent),
        (b"", MalformedMessage),
    ],
    ids=["truncated", "entities", "oversized", "no-key", "not-base64", "not-hex", "empty"],
)
def test_bad_challenge_answers_are_protocol_errors(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        rec.read_challenge(CLIENT_KEY, body, iv=IV)


def test_a_challenge_for_another_key_does_not_decrypt() -> None:
    other = activation.build_challenge(OTHER_KEY.public_key_param(), R)
    with pytest.raises(CryptoError):
        rec.read_challenge(CLIENT_KEY, f"<Challenge><key>{other}</key></Challenge>".encode(), iv=IV)


# ---------------------------------------------------------------------- bodies


def test_the_answers_body_has_the_web_ui_shape_and_every_field_sealed() -> None:
    """The same elements as the web UI's ``setSecurityQA`` body quoted in §12.2, with sealed values."""
    quoted = (
        b"<?xml version='1.0' encoding='UTF-8'?><SecurityQuestion><QuestionList>"
        b"<Question><id>1</id><answer>a</answer></Question><Question><id>4</id><answer>b</answer></Question>"
        b"<Question><id>7</id><answer>c</answer></Question></QuestionList><password>p</password>"
        b"</SecurityQuestion>"
    )
    ours = rec.answers_body(KEY, {7: f"  {ANSWER} ", 1: "Rex", 4: "Elm"}, NEW)
    assert shape(ours) == shape(quoted)
    document = decode(ours, SecurityQuestions)
    assert [question.id for question in document.questions] == [1, 4, 7]
    assert [opened(question.answer or "") for question in document.questions] == ["Rex", "Elm", ANSWER]
    assert document.password is not None and opened(document.password) == NEW
    assert ANSWER.encode() not in ours and NEW.encode() not in ours


def shape(body: bytes) -> list[str]:
    root = xml.parse(body)
    return [xml.local_name(element.tag) for element in root.iter()]


def test_the_guid_and_code_bodies_are_sealed() -> None:
    guid_file = b"<GUIDFile><GUID>planted</GUID></GUIDFile>"
    guid = decode(rec.guid_reset_body(KEY, guid_file, NEW), GuidFileReset)
    assert base64.b64decode(opened(guid.guid_file)) == guid_file and opened(guid.password) == NEW

    typed = decode(rec.code_body(KEY, f" {CODE}\n", NEW), PasswordResetCode)
    assert typed.reset_code_file is None and opened(typed.reset_code or "") == CODE
    code_file = b"-----BEGIN CAMVAULT RESET CODE-----\nplanted\n"
    filed = decode(rec.code_body(KEY, code_file, NEW), PasswordResetCode)
    assert filed.reset_code is None and base64.b64decode(opened(filed.reset_code_file or "")) == code_file
    for document in (guid, typed, filed):
        assert NEW not in repr(document) and CODE not in repr(document)


hex_text = st.text(alphabet="0123456789abcdef", min_size=1, max_size=200)


@settings(max_examples=40)
@given(guid_file=hex_text, password=hex_text)
def test_guid_reset_documents_round_trip(guid_file: str, password: str) -> None:
    document = GuidFileReset(guid_file=guid_file, password=password)
    assert decode(encode(document, namespace=None), GuidFileReset) == document


@settings(max_examples=40)
@given(code=hex_text, password=hex_text, as_file=st.booleans())
def test_reset_code_documents_round_trip(code: str, password: str, as_file: bool) -> None:
    document = PasswordResetCode(
        reset_code=None if as_file else code, reset_code_file=code if as_file else None, password=password
    )
    assert decode(encode(document, namespace=None), PasswordResetCode) == document


@pytest.mark.parametrize(
    ("body", "cls", "error"),
    [
        (b"<GUIDFileReset><GUIDFile>AA</GUIDFile></GUIDFileReset>", GuidFileReset, InvalidContent),
        (
            b"<GUIDFileReset><GUIDFile></GUIDFile><password>x</password></GUIDFileReset>",
            GuidFileReset,
            InvalidContent,
        ),
        (
            b"<PasswordResetCode><password>x</password></PasswordResetCode>",
            PasswordResetCode,
            InvalidContent,
        ),
        (
            b"<PasswordResetCode><resetCode>A</resetCode><resetCodeFile>B</resetCodeFile>"
            b"<password>x</password></PasswordResetCode>",
            PasswordResetCode,
            InvalidContent,
        ),
        (
            b"<PasswordResetCode><resetCode>A</resetCode><password/></PasswordResetCode>",
            PasswordResetCode,
            InvalidContent,
        ),
        (
            b"<Other><resetCode>A</resetCode><password>x</password></Other>",
            PasswordResetCode,
            InvalidContent,
        ),
        (b"<PasswordResetCode><resetCode>A", PasswordResetCode, MalformedMessage),
        (
            ENTITY_BOMB + b"<GUIDFileReset><GUIDFile>&b;</GUIDFile><password>x</password></GUIDFileReset>",
            GuidFileReset,
            MalformedMessage,
        ),
        (
            b"<GUIDFileReset><GUIDFile>" + b"A" * 300_000 + b"</GUIDFile></GUIDFileReset>",
            GuidFileReset,
            MessageTooLarge,
        ),
    ],
    ids=[
        "no-password",
        "empty-file",
        "no-code",
        "both-codes",
        "empty-password",
        "wrong-root",
        "truncated",
        "entities",
        "oversized",
    ],
)
def test_bad_reset_documents_are_refused(body: bytes, cls: type, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(body, cls)


# ---------------------------------------------------------------------- checks and fingerprints


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {2: ""},
        {2: "   "},
        {2: "x" * 129},
        {0: "Rex"},
        {70000: "Rex"},
        {2: "new\nline"},
        {i: "a" for i in range(1, 18)},
    ],
    ids=["none", "empty", "blank", "too-long", "id-0", "id-too-big", "control", "too-many"],
)
def test_answers_no_device_accepts_are_refused_without_the_answer(answers: dict[int, str]) -> None:
    with pytest.raises(InvalidContent) as refused:
        rec.check_answers(answers)
    assert ANSWER not in str(refused.value)


def test_a_refused_answer_is_not_named() -> None:
    with pytest.raises(InvalidContent, match="question 3") as refused:
        rec.check_answers({3: ANSWER + "\x07"})
    assert ANSWER not in str(refused.value)
    rec.check_answers({3: f"  {ANSWER}  ", 7: "x" * 128})


@pytest.mark.parametrize("password", ["", "x" * 129, "nul\x00inside"])
def test_unsendable_new_passwords(password: str) -> None:
    with pytest.raises(InvalidContent) as refused:
        rec.check_new_password(password)
    assert password not in str(refused.value) or not password


@pytest.mark.parametrize(
    "code",
    ["", "   ", "A" * 513, "tab\tin", b"", b"x" * (resetcode.MAX_CODE_FILE_BYTES + 1)],
    ids=["empty", "blank", "too-long", "control", "empty-file", "oversized-file"],
)
def test_codes_that_cannot_be_codes(code: str | bytes) -> None:
    with pytest.raises(InvalidContent):
        rec.check_code(code)


def test_guid_files_out_of_bounds() -> None:
    for bad in (b"", b"x" * (rec.MAX_GUID_FILE_BYTES + 1)):
        with pytest.raises(InvalidContent):
            rec.check_guid_file(bad)
    rec.check_guid_file(b"x" * rec.MAX_GUID_FILE_BYTES)


@settings(max_examples=50)
@given(
    code=st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=5, max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=5),
)
def test_a_typed_code_is_the_same_attempt_in_any_spelling(code: str, cuts: list[int]) -> None:
    spelled = code
    for cut in sorted(set(cuts), reverse=True):
        spelled = spelled[:cut] + "- " + spelled[cut:]
    assert rec.code_attempt(f"  {spelled.lower()}\n") == rec.code_attempt(code)
    assert rec.code_attempt(code) != rec.code_attempt(code + "0")


@settings(max_examples=50)
@given(answers=st.dictionaries(st.integers(1, 20), st.text(min_size=1, max_size=20), min_size=1, max_size=3))
def test_an_answer_set_is_the_same_attempt_in_any_order_and_padding(answers: dict[int, str]) -> None:
    reordered = {question_id: f" {answers[question_id]} " for question_id in sorted(answers, reverse=True)}
    assert rec.answers_attempt(reordered) == rec.answers_attempt(answers)
    changed = {**answers, min(answers): answers[min(answers)].strip() + "!"}
    assert rec.answers_attempt(changed) != rec.answers_attempt(answers)


def test_attempts_of_different_methods_never_collide() -> None:
    secret = "Same#Secret-01"
    attempts = {
        secret,
        rec.answers_attempt({1: secret}),
        rec.code_attempt(secret),
        rec.code_attempt(secret.encode()),
        rec.guid_attempt(secret.encode()),
    }
    assert len(attempts) == 5
    assert rec.guid_attempt(b"a") != rec.guid_attempt(b"b")


# ---------------------------------------------------------------------- replies


@pytest.mark.parametrize(
    ("status", "body", "verdict", "sub", "reason", "left", "unlock"),
    [
        (200, b"", ResetVerdict.ACCEPTED, None, None, None, None),
        (200, status_body(1, "ok"), ResetVerdict.ACCEPTED, None, None, None, None),
        (200, status_body(0, "ok"), ResetVerdict.ACCEPTED, None, None, None, None),
        (200, b"<html>hello</html>", ResetVerdict.UNREADABLE, None, None, None, None),
        (200, status_body(4, "invalidOperation"), ResetVerdict.REFUSED, "invalidOperation", None, None, None),
        (200, status_body(2, "deviceBusy"), ResetVerdict.FAILED, "deviceBusy", None, None, None),
        (
            401,
            status_body(
                4, "badAuthorization", reason="bad_signature", lock="unlock", retry="3", remaining="0"
            ),
            ResetVerdict.WRONG_SECRET,
            "badAuthorization",
            "bad_signature",
            3,
            None,
        ),
        (
            401,
            status_body(4, "badAuthorization", lock="locked", retry="0", remaining="1800"),
            ResetVerdict.LOCKED,
            "badAuthorization",
            None,
            0,
            1800,
        ),
        (401, b"<html>401 Unauthorized</html>", ResetVerdict.WRONG_SECRET, None, None, None, None),
        (
            403,
            status_body(4, "invalidOperation", lock="locked", retry="0", remaining="600"),
            ResetVerdict.SUSPENDED,
            "invalidOperation",
            None,
            0,
            600,
        ),
        (
            403,
            status_body(4, "invalidOperation", reason="no_pending_request"),
            ResetVerdict.REFUSED,
            "invalidOperation",
            "no_pending_request",
            None,
            None,
        ),
        (403, status_body(4, "notActivated"), ResetVerdict.NOT_ACTIVATED, "notActivated", None, None, None),
        (403, status_body(4, "notSupport"), ResetVerdict.UNSUPPORTED, "notSupport", None, None, None),
        (404, b"<html>Not Found</html>", ResetVerdict.UNSUPPORTED, None, None, None, None),
        (
            400,
            status_body(6, "badParameters", reason="checksum"),
            ResetVerdict.REFUSED,
            "badParameters",
            "checksum",
            None,
            None,
        ),
        (500, b"", ResetVerdict.FAILED, None, None, None, None),
        (302, b"", ResetVerdict.UNREADABLE, None, None, None, None),
    ],
)
def test_replies_are_read_as_the_device_meant_them(
    status: int,
    body: bytes,
    verdict: ResetVerdict,
    sub: str | None,
    reason: str | None,
    left: int | None,
    unlock: int | None,
) -> None:
    reply = rec.read_reset_reply(status, body)
    assert (reply.verdict, reply.sub_status, reply.reason, reply.attempts_left, reply.unlock_in_seconds) == (
        verdict,
        sub,
        reason,
        left,
        unlock,
    )


@pytest.mark.parametrize(
    "body",
    [
        status_body(4, "badAuthorization", lock="unlock", retry="3")[:150],
        ENTITY_BOMB
        + b"<ResponseStatus><requestURL>&b;</requestURL><statusCode>4</statusCode></ResponseStatus>",
        status_body(4, "badAuthorization", retry="three"),
        status_body(4, "badAuthorization", lock="maybe"),
        b"<ResponseStatus><statusCode>4</statusCode></ResponseStatus>",
        b"<ResponseStatus>" + b"<x>y</x>" * 40_000 + b"</ResponseStatus>",
        b"\xff\xfe\x00garbage",
    ],
    ids=["truncated", "entities", "retry-not-int", "lock-word", "no-url", "oversized", "binary"],
)
def test_a_hostile_refusal_is_still_a_refusal_that_claims_nothing(body: bytes) -> None:
    reply = rec.read_reset_reply(401, body)
    assert reply.verdict is ResetVerdict.WRONG_SECRET
    assert (reply.sub_status, reply.reason, reply.attempts_left, reply.unlock_in_seconds) == (None,) * 4


def test_device_words_that_are_not_identifiers_are_dropped() -> None:
    echo = status_body(6, "badParameters", reason=f"{CODE} {NEW}")
    reply = rec.read_reset_reply(400, echo)
    assert reply.reason is None and CODE not in reply.explanation and NEW not in reply.explanation
    odd = rec.read_reset_reply(400, status_body(6, "bad Parameters!", reason="checksum"))
    assert (odd.sub_status, odd.explanation) == (None, "checksum")
    assert rec.read_reset_reply(400, b"").explanation == "HTTP 400"


@settings(max_examples=100)
@given(status=st.integers(100, 599), body=st.binary(max_size=300))
def test_the_reply_reader_never_raises(status: int, body: bytes) -> None:
    reply = rec.read_reset_reply(status, body)
    assert reply.http_status == status


# ---------------------------------------------------------------------- what the device offers


def capabilities(**fields: str) -> bytes:
    leaves = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return f'<externSecurityCap version="2.0" xmlns="{NS_STD_CGI}">{leaves}</externSecurityCap>'.encode()


def test_capabilities_use_the_web_ui_field_names() -> None:
    """§12.1 (``getPwdResetCap``): the four ``isSupportWith…`` flags and ``minResetAdminPassWordNum``."""
    read = rec.read_capabilities(
        capabilities(
            isSupportWithGUIDFileData="true",
            isSupportWithSecurityQuestion="flase",
            isSupportWithSecurityEmail="false",
            isSupportWithHCApp="true",
            minResetAdminPassWordNum="1",
        )
    )
    assert read.is_support_with_guid_file_data is True
    assert read.is_support_with_security_question is False, "the firmware's 'flase' is false"
    assert read.min_reset_admin_password_num == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (capabilities(isSupportWithGUIDFileData="perhaps"), InvalidContent),
        (capabilities(minResetAdminPassWordNum="-1"), InvalidContent),
        (
            b"<SecurityCap><isSupportWithGUIDFileData>true</isSupportWithGUIDFileData></SecurityCap>",
            InvalidContent,
        ),
        (b"<externSecurityCap><isSupportWithGUIDFileData>true", MalformedMessage),
        (
            ENTITY_BOMB
            + b"<externSecurityCap><isSupportWithHCApp>&b;</isSupportWithHCApp></externSecurityCap>",
            MalformedMessage,
        ),
        (b"<externSecurityCap>" + b"<x/>" * 5000 + b"</externSecurityCap>", MessageTooLarge),
    ],
    ids=["flag-word", "negative", "wrong-root", "truncated", "entities", "oversized"],
)
def test_bad_capabilities(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        rec.read_capabilities(body)


def test_configured_questions_are_the_marked_ones_with_their_texts() -> None:
    body = (
        f'<SecurityQuestion version="2.0" xmlns="{NS_STD_CGI}"><QuestionList>'
        "<Question><id>9</id><mark>true</mark></Question><Question><id>2</id><mark>true</mark></Question>"
        "<Question><id>5</id><mark>false</mark></Question><Question><id>42</id></Question>"
        "</QuestionList></SecurityQuestion>"
    ).encode()
    assert [(question.id, question.text) for question in rec.configured_questions(body)] == [
        (2, QUESTIONS[2]),
        (9, QUESTIONS[9]),
        (42, "Security question 42."),
    ]
    assert rec.configured_questions(b"<SecurityQuestion/>") == ()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b"<SecurityQuestion><QuestionList><Question><id>2</id></Question><Question><id>2</id></Question>"
            b"</QuestionList></SecurityQuestion>",
            InvalidContent,
        ),
        (
            b"<SecurityQuestion><QuestionList><Question><id>two</id></Question></QuestionList></SecurityQuestion>",
            InvalidContent,
        ),
        (
            b"<SecurityQuestion><QuestionList><Question><mark>true</mark></Question></QuestionList></SecurityQuestion>",
            InvalidContent,
        ),
        (
            b"<SecurityQuestion><QuestionList><Question><id>2</id><mark>sure</mark></Question></QuestionList></SecurityQuestion>",
            InvalidContent,
        ),
        (b"<UserList/>", InvalidContent),
        (b"<SecurityQuestion><QuestionList>", MalformedMessage),
        (
            ENTITY_BOMB + b"<SecurityQuestion><QuestionList>&b;</QuestionList></SecurityQuestion>",
            MalformedMessage,
        ),
        (b"<SecurityQuestion>" + b"<x/>" * 20_000 + b"</SecurityQuestion>", MessageTooLarge),
    ],
    ids=[
        "duplicate-ids",
        "id-word",
        "no-id",
        "mark-word",
        "wrong-root",
        "truncated",
        "entities",
        "oversized",
    ],
)
def test_bad_question_lists(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        rec.configured_questions(body)


@pytest.mark.parametrize(
    ("status", "body", "offered"),
    [
        (200, b"-----BEGIN CAMVAULT RESET REQUEST-----\n...", True),
        (403, status_body(4, "invalidOperation", reason="no_pending_request"), True),
        (403, status_body(4, "notSupport"), False),
        (200, status_body(4, "notSupport"), False),
        (404, b"<html/>", False),
        (401, b"", False),
        (200, b"", False),
        (503, status_body(2, "deviceBusy"), False),
    ],
)
def test_vendor_support_is_offered_when_the_device_says_so(status: int, body: bytes, offered: bool) -> None:
    assert rec.support_offered(status, body) is offered


def test_a_request_file_is_checked_before_it_is_handed_over() -> None:
    ca_key, device_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ca = resetcode.create_device_ca(
        ca_key, not_before=now - timedelta(days=1), not_after=now + timedelta(days=9)
    )
    serial = "DS-2CD2385G1-I20200414AAWRE33842150"
    certificate = resetcode.issue_device_certificate(
        ca_key,
        ca,
        device_key.public_key(),
        serial=serial,
        model="DS-2CD2385G1-I",
        mac="58:50:ed:1f:e3:85",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=9),
    )
    request = resetcode.build_reset_request(
        device_key,
        certificate,
        model="DS-2CD2385G1-I",
        serial=serial,
        mac="58:50:ed:1f:e3:85",
        firmware="V5.6.2 build 190701",
        now=now,
    )
    content = resetcode.encode_request_file(request)
    assert rec.read_request_file(content) == content
    for bad in (content[: len(content) // 2], b"<html>oops</html>", b"", content + b"x" * 20_000):
        with pytest.raises(ProtocolError):
            rec.read_request_file(bad)
