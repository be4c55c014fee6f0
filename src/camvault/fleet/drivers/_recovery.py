"""Password recovery without a login, client side: documents, the transport key, and the device's replies.

Sans-I/O support for :class:`~camvault.fleet.drivers.hikvision.HikvisionDriver`: pure functions over bytes
that build the reset requests and read what comes back. The conversation (research notes ``hikvision.md``
§12, §14.1; paths the notes do not give are our device's, §16 gap 6):

==========================================================  ===========================================
request                                                     purpose
==========================================================  ===========================================
``GET /ISAPI/Security/extern/capabilities`` [V §12.1]       which reset methods exist
``GET /ISAPI/Security/questionConfiguration`` [V §12.2]     the configured question ids (``mark=true``)
``GET /ISAPI/Security/passwordReset/request`` [ours]        vendor support offered? (reads, spends nothing)
``POST /ISAPI/Security/passwordReset/request`` [ours]       export a new signed request for the vendor
``POST /ISAPI/Security/passwordReset/challenge`` [ours]     the transport key ``R`` of the next request
``PUT /ISAPI/Security/questionCertification`` [V path]      answers + new password
``PUT /ISAPI/Security/GUIDFileData/reset`` [ours]           GUID file + new password
``PUT /ISAPI/Security/passwordReset/code`` [ours]           vendor code (typed or file) + new password
==========================================================  ===========================================

**Transport key.** A locked-out owner has no password from which the usual ``security=1`` key (§6.3) could
be derived, so the reset requests are sealed with a one-time key exchanged exactly like activation's
(§7.2): the client posts ``<PublicKey><key>base64(hex(modulus))</key></PublicKey>`` of an RSA-1024 key, the
device answers ``R`` (32 hex digits) encrypted to it, and ``hex→bytes(R)`` is the AES-128 key of the field
cipher of §6.3 (AES-CBC over base64 of the escaped value, the ``iv`` in the query). ``R`` is spent by the
one request that follows. The client never sends a new password, an answer, a GUID file or a code in clear:
every reset carries ``?security=1&iv=<32 hex>``.

**Bodies.** Answers: ``<SecurityQuestion><QuestionList><Question><id/><answer/></Question>…</QuestionList>
<password/></SecurityQuestion>`` (the web UI's ``setSecurityQA`` shape, §12.2, with the *new* password, as
SADP's ``AnswerReset`` sends answers and password together, §13.4). GUID file: ``<GUIDFileReset><GUIDFile>
base64 of the file</GUIDFile><password/></GUIDFileReset>`` (like SADP's ``GUIDReset``). Code:
``<PasswordResetCode><resetCode|resetCodeFile/><password/></PasswordResetCode>``.

**Replies** (:func:`read_reset_reply`): 2xx with a successful ``ResponseStatus`` (or an empty body) is
accepted; 401 is a secret the device checked and refused, counted against the caller's illegal-login lock,
with ``lockStatus``/``retryTimes``/``resLockTime`` (§2.1) — ``lockStatus=locked`` means the lock is engaged
for us; 403 *with* ``lockStatus=locked`` is recovery suspended device-wide; other 4xx are refusals that test
no secret (policy, ``badParameters``, ``invalidOperation``), ``MErrDevSelfEx`` naming the device's reason
(``checksum``, ``malformed``, ``no_pending_request``); 5xx and "Device Busy"/"Device Error" are failures.
Device words that reach a message are kept only when they look like identifiers, so a hostile device cannot
make an exception message carry what it likes (such as a code it was sent).

**Attempt fingerprints.** A reset spends one attempt of the lockout budget like a password. The budget
remembers a keyed fingerprint of what was rejected; :func:`answers_attempt`, :func:`guid_attempt` and
:func:`code_attempt` give it a string standing for the secret, prefixed by the method so that no answer set
can collide with a password. Answers are fingerprinted exactly as sent (so ``"rex"`` after ``"Rex"`` is a new
attempt: a real device may compare case-sensitively, and the budget still bounds the count); a typed code
without case, blanks and dashes (devices read it so, and so a mistyped copy of a rejected code is not resent
in another spelling); files by their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from camvault.errors import InvalidContent, ProtocolError
from camvault.fleet.drivers.models import SecurityQuestion
from camvault.protocols import resetcode
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.activation import ActivationClientKey
from camvault.protocols.isapi.documents import (
    ANSWER_LENGTH,
    ChallengeRequest,
    ChallengeResponse,
    ExternCapabilities,
    LockStatus,
    SecurityQuestions,
    decode,
    encode,
)
from camvault.protocols.isapi.documents import SecurityQuestion as QuestionDocument
from camvault.protocols.isapi.documents.reset import GuidFileReset, PasswordResetCode
from camvault.protocols.isapi.questions import question_text
from camvault.protocols.isapi.status import ResponseStatus, StatusCode, decode_status

__all__ = [
    "EXTERN_CAPABILITIES",
    "GUID_RESET",
    "MAX_GUID_FILE_BYTES",
    "MAX_TYPED_CODE_LENGTH",
    "QUESTION_CERTIFICATION",
    "QUESTION_CONFIGURATION",
    "RESET_CHALLENGE",
    "RESET_CODE",
    "RESET_REQUEST",
    "ResetReply",
    "ResetVerdict",
    "TransportKey",
    "answers_attempt",
    "answers_body",
    "challenge_request",
    "check_answers",
    "check_code",
    "check_guid_file",
    "check_new_password",
    "code_attempt",
    "code_body",
    "configured_questions",
    "guid_attempt",
    "guid_reset_body",
    "read_capabilities",
    "read_challenge",
    "read_request_file",
    "read_reset_reply",
    "support_offered",
]

EXTERN_CAPABILITIES = "/ISAPI/Security/extern/capabilities"
QUESTION_CONFIGURATION = "/ISAPI/Security/questionConfiguration"
QUESTION_CERTIFICATION = "/ISAPI/Security/questionCertification"
RESET_CHALLENGE = "/ISAPI/Security/passwordReset/challenge"
GUID_RESET = "/ISAPI/Security/GUIDFileData/reset"
RESET_REQUEST = "/ISAPI/Security/passwordReset/request"
RESET_CODE = "/ISAPI/Security/passwordReset/code"

MAX_GUID_FILE_BYTES = 16 * 1024
"""Largest GUID file sent (the files devices write are well under 1 KiB; its sealed form must fit a field)."""

MAX_TYPED_CODE_LENGTH = 512
"""Longest typed code sent (a code is 125 symbols and 24 dashes; room for blanks and line breaks)."""

MAX_ANSWERS = 16
"""Most answers in one reset (devices ask three, §12.2)."""

MAX_NEW_PASSWORD_LENGTH = 128
"""Longest new password sent (devices allow 8-16, §9: anything longer is refused by the device anyway)."""

_QUESTIONS_MAX_BYTES = 64 * 1024
_CAPABILITIES_MAX_BYTES = 16 * 1024
_DEVICE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_UNSUPPORTED_SUB_STATUSES = frozenset({"notSupport", "methodNotAllowed"})
_UNSUPPORTED_HTTP = frozenset({404, 405, 501})


# ------------------------------------------------------------------ the transport key


@dataclass(frozen=True, slots=True)
class TransportKey:
    """The one-request ``security=1`` key of a reset: ``hex→bytes(R)`` and the request's IV.

    Attributes:
        key: the AES-128 key (out of ``repr``).
        iv: the IV, 32 hex digits, sent in the query.
    """

    key: bytes = field(repr=False)
    iv: str

    def seal(self, value: str) -> str:
        """Encrypt one field (§6.3)."""
        return field_crypto.encrypt_field(self.key, value, self.iv)

    @property
    def query(self) -> str:
        """``?security=1&iv=<iv>``: the query of the sealed request (the IV is not a secret)."""
        return f"?security=1&iv={self.iv}"


def challenge_request(client_key: ActivationClientKey) -> bytes:
    """The ``passwordReset/challenge`` body: ``<PublicKey><key>`` as the web UI sends for activation (§7.2)."""
    return encode(ChallengeRequest(key=client_key.public_key_param()), namespace=None)


def read_challenge(client_key: ActivationClientKey, content: bytes, *, iv: str) -> TransportKey:
    """Recover ``R`` from the challenge answer and make the key of the next request.

    Args:
        client_key: the key whose public half was posted.
        content: the device's answer (any root with a ``<key>``).
        iv: a fresh IV for the request (``field_crypto.new_iv()``).

    Raises:
        ProtocolError: the answer is not a challenge document (malformed, hostile, no ``<key>``).
        CryptoError: ``<key>`` does not decrypt to 32 hex digits under ``client_key``.
    """
    challenge = decode(content, ChallengeResponse, max_bytes=_CAPABILITIES_MAX_BYTES)
    random_text = client_key.decrypt_challenge(challenge.key)
    return TransportKey(key=bytes.fromhex(random_text), iv=iv)


# ------------------------------------------------------------------ checks before anything is sent


def check_new_password(password: str) -> None:
    """Refuse a new password that cannot be sent (empty, too long, with NUL); the device judges the rest.

    Raises:
        InvalidContent: the message never contains the password.
    """
    if not password or len(password) > MAX_NEW_PASSWORD_LENGTH or "\x00" in password:
        raise InvalidContent(
            f"the new password must be 1 to {MAX_NEW_PASSWORD_LENGTH} characters without NUL",
            field="password",
        )


def check_answers(answers: Mapping[int, str]) -> None:
    """Refuse answers no device accepts: none, too many, a bad id, or an answer outside 1-128 characters.

    The length rule is the plaintext one (``SecurityAnswerLenLimit``, §12.2), after stripping blanks.

    Raises:
        InvalidContent: the message names the question id, never the answer.
    """
    if not answers or len(answers) > MAX_ANSWERS:
        raise InvalidContent(f"give 1 to {MAX_ANSWERS} answers", field="answer")
    for question_id, answer in answers.items():
        if isinstance(question_id, bool) or not isinstance(question_id, int) or not 1 <= question_id <= 65535:
            raise InvalidContent("a question id is a number from 1 to 65535", field="id")
        stripped = answer.strip()
        if len(stripped) not in ANSWER_LENGTH or not stripped.isprintable():
            raise InvalidContent(
                f"the answer to question {question_id} must be {ANSWER_LENGTH.minimum} to "
                f"{ANSWER_LENGTH.maximum} printable characters",
                field="answer",
            )


def check_guid_file(guid_file: bytes) -> None:
    """Refuse a GUID file that is empty or larger than :data:`MAX_GUID_FILE_BYTES`.

    Raises:
        InvalidContent: the file is not sendable.
    """
    if not guid_file or len(guid_file) > MAX_GUID_FILE_BYTES:
        raise InvalidContent(f"a GUID file has 1 to {MAX_GUID_FILE_BYTES} bytes", field="GUIDFile")


def check_code(code: str | bytes) -> None:
    """Refuse a code that is empty or too long to be one.

    A typed code has at most :data:`MAX_TYPED_CODE_LENGTH` characters, a code file at most
    ``resetcode.MAX_CODE_FILE_BYTES`` bytes.

    Raises:
        InvalidContent: the message never contains the code.
    """
    if isinstance(code, bytes):
        if not code or len(code) > resetcode.MAX_CODE_FILE_BYTES:
            raise InvalidContent(
                f"a code file has 1 to {resetcode.MAX_CODE_FILE_BYTES} bytes", field="resetCodeFile"
            )
        return
    stripped = code.strip()
    if not stripped or len(stripped) > MAX_TYPED_CODE_LENGTH or not stripped.isprintable():
        raise InvalidContent(
            f"a typed code has 1 to {MAX_TYPED_CODE_LENGTH} printable characters", field="resetCode"
        )


# ------------------------------------------------------------------ bodies


def answers_body(key: TransportKey, answers: Mapping[int, str], new_password: str) -> bytes:
    """The sealed ``PUT questionCertification`` body (answers stripped, ids in ascending order).

    Raises:
        InvalidContent, MessageTooLarge: a field cannot be sealed (prevented by the checks above).
    """
    questions = tuple(
        QuestionDocument(id=question_id, answer=key.seal(answers[question_id].strip()))
        for question_id in sorted(answers)
    )
    return encode(SecurityQuestions(questions=questions, password=key.seal(new_password)), namespace=None)


def guid_reset_body(key: TransportKey, guid_file: bytes, new_password: str) -> bytes:
    """The sealed ``PUT GUIDFileData/reset`` body.

    Raises:
        InvalidContent, MessageTooLarge: a field cannot be sealed (prevented by the checks above).
    """
    encoded = base64.b64encode(guid_file).decode("ascii")
    return encode(GuidFileReset(guid_file=key.seal(encoded), password=key.seal(new_password)), namespace=None)


def code_body(key: TransportKey, code: str | bytes, new_password: str) -> bytes:
    """The sealed ``PUT passwordReset/code`` body: a typed code (``str``) or a code file (``bytes``).

    Raises:
        InvalidContent, MessageTooLarge: a field cannot be sealed (prevented by the checks above).
    """
    if isinstance(code, bytes):
        document = PasswordResetCode(
            reset_code=None,
            reset_code_file=key.seal(base64.b64encode(code).decode("ascii")),
            password=key.seal(new_password),
        )
    else:
        document = PasswordResetCode(
            reset_code=key.seal(code.strip()), reset_code_file=None, password=key.seal(new_password)
        )
    return encode(document, namespace=None)


# ------------------------------------------------------------------ attempt fingerprints


def answers_attempt(answers: Mapping[int, str]) -> str:
    """What the budget fingerprints for an answer set: the ``(id, answer)`` pairs exactly as sent."""
    pairs = [[question_id, answers[question_id].strip()] for question_id in sorted(answers)]
    return "security-answers\x00" + json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))


def guid_attempt(guid_file: bytes) -> str:
    """What the budget fingerprints for a GUID file: its SHA-256."""
    return "guid-file\x00" + hashlib.sha256(guid_file).hexdigest()


def code_attempt(code: str | bytes) -> str:
    """What the budget fingerprints for a code: a typed code without case, blanks and dashes; a file's SHA-256."""
    if isinstance(code, bytes):
        return "reset-code-file\x00" + hashlib.sha256(code).hexdigest()
    return "reset-code\x00" + "".join(code.split()).replace("-", "").upper()


# ------------------------------------------------------------------ replies


class ResetVerdict(StrEnum):
    """What a reply to a recovery request means."""

    ACCEPTED = "accepted"
    """Done (the new password is set)."""
    WRONG_SECRET = "wrong-secret"  # noqa: S105 (a verdict name, not a secret)
    """The device checked the answers, file or code and refused them; counted against our lock."""
    LOCKED = "locked"
    """The device's illegal-login lock is engaged for our address."""
    SUSPENDED = "suspended"
    """Recovery is suspended device-wide for a while."""
    REFUSED = "refused"
    """A refusal that tested no secret: the new password's policy, a malformed or mistyped code, nothing
    pending, no questions set, bad parameters."""
    UNSUPPORTED = "unsupported"
    """The firmware has no such method."""
    NOT_ACTIVATED = "not-activated"
    """The device must be activated first."""
    FAILED = "failed"
    """The device failed (5xx, busy): the outcome is unknown."""
    UNREADABLE = "unreadable"
    """The reply cannot be interpreted."""


@dataclass(frozen=True, slots=True)
class ResetReply:
    """A recovery reply, interpreted.

    Attributes:
        verdict: what it means.
        http_status: the HTTP status received.
        sub_status: the ``subStatusCode``, when it looks like one.
        reason: the device's detail (``MErrDevSelfEx``), when it looks like an identifier.
        attempts_left: ``retryTimes``, when sent.
        unlock_in_seconds: ``resLockTime``, when sent and not zero.
    """

    verdict: ResetVerdict
    http_status: int
    sub_status: str | None = None
    reason: str | None = None
    attempts_left: int | None = None
    unlock_in_seconds: int | None = None

    @property
    def explanation(self) -> str:
        """The device's words for a message: ``"badParameters: checksum"``, or the HTTP status."""
        words = [word for word in (self.sub_status, self.reason) if word]
        return ": ".join(words) if words else f"HTTP {self.http_status}"


def _device_word(value: str | None) -> str | None:
    if value is None or not _DEVICE_WORD.fullmatch(value):
        return None
    return value


def _status_of(content: bytes) -> ResponseStatus | None:
    if not content.strip():
        return None
    try:
        return decode_status(content)
    except ProtocolError:
        return None


def read_reset_reply(http_status: int, content: bytes) -> ResetReply:
    """Interpret the device's answer to a recovery request (see the module docstring).

    A 2xx whose body is a ``ResponseStatus`` that failed is read by that status's own HTTP mapping (old
    firmware answers errors under 200). Never raises: a body that cannot be read leaves only the HTTP
    status to go by.
    """
    status = _status_of(content)
    effective = http_status
    if 200 <= http_status < 300:
        if not content.strip() or (status is not None and status.is_success):
            return ResetReply(ResetVerdict.ACCEPTED, http_status)
        if status is None:
            return ResetReply(ResetVerdict.UNREADABLE, http_status)
        effective = status.http_status
    if status is None:
        return ResetReply(_verdict(effective, None, None, locked=False), http_status)
    sub = _device_word(status.sub_status_code)
    locked = status.lock_status is LockStatus.LOCKED
    return ResetReply(
        _verdict(effective, sub, status, locked=locked),
        http_status,
        sub_status=sub,
        reason=_device_word(status.m_err_dev_self_ex),
        attempts_left=status.retry_times,
        unlock_in_seconds=status.res_lock_time or None,
    )


def _verdict(
    http_status: int, sub: str | None, status: ResponseStatus | None, *, locked: bool
) -> ResetVerdict:
    if http_status == 401:
        return ResetVerdict.LOCKED if locked else ResetVerdict.WRONG_SECRET
    if http_status == 403 and locked:
        return ResetVerdict.SUSPENDED
    if sub == "notActivated":
        return ResetVerdict.NOT_ACTIVATED
    if sub in _UNSUPPORTED_SUB_STATUSES or http_status in _UNSUPPORTED_HTTP:
        return ResetVerdict.UNSUPPORTED
    failed = status is not None and status.status_code in (StatusCode.DEVICE_BUSY, StatusCode.DEVICE_ERROR)
    if http_status >= 500 or failed:
        return ResetVerdict.FAILED
    if 400 <= http_status < 500:
        return ResetVerdict.REFUSED
    return ResetVerdict.UNREADABLE


# ------------------------------------------------------------------ what the device offers


def read_capabilities(content: bytes) -> ExternCapabilities:
    """Read ``extern/capabilities`` (§12.1).

    Raises:
        ProtocolError: not a bounded, well-formed ``externSecurityCap`` with fields of the right types.
    """
    return decode(content, ExternCapabilities, max_bytes=_CAPABILITIES_MAX_BYTES)


def configured_questions(content: bytes) -> tuple[SecurityQuestion, ...]:
    """The questions a ``GET questionConfiguration`` lists as configured, with their texts, by id.

    A question marked ``<mark>true</mark>`` is configured (§12.2); one listed without a ``mark`` is taken as
    configured too (the device listed it, and an unmarked list is all a device without marks can say); one
    marked false is not. Texts come from :mod:`camvault.protocols.isapi.questions`, or a neutral wording for
    an id the table lacks.

    Raises:
        ProtocolError: not a bounded, well-formed ``SecurityQuestion`` document (ids must be distinct).
    """
    document = decode(content, SecurityQuestions, max_bytes=_QUESTIONS_MAX_BYTES)
    ids = sorted(question.id for question in document.questions if question.mark is not False)
    return tuple(SecurityQuestion(id=question_id, text=question_text(question_id)) for question_id in ids)


def support_offered(http_status: int, content: bytes) -> bool:
    """Whether ``GET passwordReset/request`` shows that the device offers vendor-support reset.

    A file (2xx that is not a failed ``ResponseStatus``) means a request is pending; ``invalidOperation``
    (``no_pending_request``) means the method exists with nothing pending. Anything else (``notSupport``,
    404, a login demanded, a failure) says nothing about the method, which counts as not offered.
    """
    status = _status_of(content)
    if 200 <= http_status < 300 and (status is None or status.is_success):
        return bool(content)
    reply = read_reset_reply(http_status, content)
    return reply.verdict is ResetVerdict.REFUSED and reply.sub_status == "invalidOperation"


def read_request_file(content: bytes) -> bytes:
    """Check that an exported reply is a reset-request file (armored, signed fields present) and return it.

    Only the shape is checked; the vendor verifies the signature and the certificate.

    Raises:
        ProtocolError: it is not a request file (too large, malformed, fields missing or of the wrong type).
    """
    resetcode.decode_request_file(content)
    return content
