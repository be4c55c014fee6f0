"""ISAPI password recovery: capabilities, security questions, GUID files, admin-password check (§12).

Resources and the URL choices made where the research notes found none (§16 gap 6). Paths the web UI is
known to call are marked [V], ours [ours]:

=========================================================  ==========  ======================================
request                                                    access      what it does
=========================================================  ==========  ======================================
``GET /ISAPI/Security/extern/capabilities`` [V §12.1]      public      which reset methods exist
``GET /ISAPI/Security/questionConfiguration`` [V §12.2]    public      configured question ids, ``mark=true``
``PUT /ISAPI/Security/questionConfiguration`` [V §12.2]    admin       set three questions; ``<password>``
``POST /ISAPI/Security/passwordReset/challenge`` [ours]    public      transport key for the calls below
``POST /ISAPI/Security/questionCertification`` [V path]    public      check answers only (the UI's step 1)
``PUT /ISAPI/Security/questionCertification`` [ours]       public      answers + new ``<password>``: reset
``POST|PUT /ISAPI/Security/GUIDFileData`` [V path §12.4]   admin       export a new GUID file
``PUT /ISAPI/Security/GUIDFileData/reset`` [ours]          public      GUID file + new password: reset
``POST|PUT /ISAPI/Security/loginPassword`` [V path §12.5]  user        check your own current password
=========================================================  ==========  ======================================

"public" routes need an active device but no login: a locked-out owner has none. Which question ids are
configured is not secret (the device shows the questions to anyone at its reset screen). The
``loginPassword`` check takes a body, so it answers ``POST`` and ``PUT``, not ``GET`` (a browser cannot send
a body with ``GET``; the WebSDK table names the URL but not the method).

Bodies (the notes give the questionConfiguration PUT and the GUID export; the rest is ours, shaped alike):

* ``PUT questionConfiguration``: ``<SecurityQuestion><QuestionList><Question><id/><answer/></Question>×3
  </QuestionList><password/></SecurityQuestion>`` (web UI ``setSecurityQA``); ``password`` is the admin's
  current one.
* ``POST questionCertification``: the same without ``<password>``; ``PUT`` carries the *new* password in
  ``<password>``, like SADP's ``AnswerReset`` (§13.4) which sends answers and password together.
* ``POST GUIDFileData``: ``<LoginPassword><password/></LoginPassword>`` (web UI ``exportGuid``, §12.4).
  Without ``security`` the reply is the file (``application/octet-stream``, attachment); with
  ``security=1`` the reply is ``<GUIDFileData><fileName/><GUIDFile/></GUIDFileData>`` with the file,
  base64-encoded, encrypted like any other secret field, so that it never crosses plain HTTP in clear.
* ``PUT GUIDFileData/reset``: ``<GUIDFileReset><GUIDFile>base64 of the file</GUIDFile><password>new
  </password></GUIDFileReset>`` (like SADP's ``GUIDReset``: GUID and password together).

``security=1`` (§6.3): on authenticated routes the key is the usual one, from the caller's password. On the
public reset routes nobody is logged in, so the client first posts an RSA public key to
``passwordReset/challenge`` exactly as for activation (``<PublicKey><key>``, §7.2) and gets a random text
``R`` encrypted to it; the AES-128 key of the next request from that address is ``hex→bytes(R)``, with the
usual field cipher (AES-CBC over base64 of the escaped value, ``iv`` in the query). ``R`` is spent by that
one request. Without ``security`` the fields travel in clear (for scripts over HTTPS).

Refusals: a wrong answer set, GUID file or password (including an encrypted field that does not decrypt)
is a failed login of the caller's address (see :mod:`camvault.device.model.recovery`) and answers **401**
``badAuthorization`` with ``lockStatus``, ``retryTimes`` and ``resLockTime`` (§2.1), so a client can tell
how many tries are left; while device-wide recovery is suspended the answer is 403 ``invalidOperation``
with ``lockStatus=locked`` and the time left.
"""

from __future__ import annotations

import base64
import binascii
import re

from camvault.device.http import Response
from camvault.device.isapi.app import Access, Handler, Route
from camvault.device.isapi.call import KEY_ITERATIONS, Call
from camvault.device.model import recovery as rec
from camvault.errors import CryptoError, DeviceRefusal, InvalidContent, MessageTooLarge, ProtocolError
from camvault.protocols.isapi import activation, field_crypto
from camvault.protocols.isapi.documents import (
    ChallengeRequest,
    ChallengeResponse,
    ExternCapabilities,
    LoginPassword,
    QuestionCertification,
    SecurityQuestion,
    SecurityQuestions,
    encode,
)
from camvault.protocols.isapi.documents import LockStatus as LockWord
from camvault.protocols.isapi.documents.reset import GuidFileData, GuidFileReset
from camvault.protocols.isapi.status import error_status

__all__ = [
    "RECOVERY_ROUTES",
    "certify_questions",
    "check_login_password",
    "export_guid",
    "extern_capabilities",
    "get_question_configuration",
    "put_question_configuration",
    "reset_by_guid",
    "reset_by_questions",
    "reset_challenge",
]


# ------------------------------------------------------------------ keys and failure answers


class _Undecryptable(Exception):
    """An encrypted secret field did not decrypt: a wrong key, so a wrong password or challenge."""


def _iv(call: Call) -> str:
    if call.request.query.get("security") == "2":
        raise DeviceRefusal("notSupport", "security=2 (AES-256) is not supported")
    iv = call.request.query.get("iv", "")
    if not re.fullmatch(r"[0-9a-fA-F]{32}", iv):
        raise DeviceRefusal("badParameters", "security=1 needs an iv of 32 hex digits")
    return iv


def _login_key(call: Call) -> tuple[bytes, str] | None:
    """The ``security=1`` key of the logged-in caller, or ``None`` when the request is in clear."""
    if not call.security:
        return None
    iv = _iv(call)
    actor = call.actor
    irreversible = actor.password.irreversible_hash(actor.name, call.model.identity.salt)
    return field_crypto.derive_key_from_irreversible_hash(irreversible, KEY_ITERATIONS), iv


def _recovery_key(call: Call) -> tuple[bytes, str] | None:
    """The key of an unauthenticated recovery request: the caller's pending challenge, spent here."""
    if not call.security:
        return None
    iv = _iv(call)
    random_text = call.model.recovery.take_challenge(call.request.peer, call.model.monotonic())
    if random_text is None:
        raise DeviceRefusal(
            "invalidOperation", "no recovery challenge for this client: POST passwordReset/challenge first"
        )
    return bytes.fromhex(random_text), iv


def _open(key: tuple[bytes, str] | None, value: str) -> str:
    if key is None:
        return value
    try:
        return field_crypto.decrypt_field(key[0], value, key[1])
    except (CryptoError, InvalidContent, MessageTooLarge):
        raise _Undecryptable from None


def _seal(key: tuple[bytes, str] | None, value: str) -> str:
    return value if key is None else field_crypto.encrypt_field(key[0], value, key[1])


def _refused(call: Call, verdict: rec.Verdict) -> Response:
    namespace = call.namespace
    if verdict.suspended:
        until = call.model.recovery.suspended_until or call.model.monotonic()
        remaining = max(1, round(until - call.model.monotonic()))
        status = error_status(
            call.url, "invalidOperation", lock_status=LockWord.LOCKED, retry_times=0, res_lock_time=remaining
        )
        return _xml_response(403, encode(status, namespace=namespace))
    lock = verdict.lock
    status = error_status(
        call.url,
        "badAuthorization",
        lock_status=LockWord.LOCKED if lock.locked else LockWord.UNLOCK,
        retry_times=lock.attempts_left,
        res_lock_time=lock.remaining_seconds,
    )
    return _xml_response(401, encode(status, namespace=namespace))


def _xml_response(status: int, body: bytes) -> Response:
    return Response(status, [("Content-Type", 'application/xml; charset="UTF-8"')], body)


def _answers(key: tuple[bytes, str] | None, questions: tuple[SecurityQuestion, ...]) -> dict[int, str]:
    answers: dict[int, str] = {}
    for question in questions:
        if question.answer is None:
            raise DeviceRefusal("badParameters", f"question {question.id} has no answer")
        answers[question.id] = _open(key, question.answer)
    return answers


def _require_recovery(call: Call) -> None:
    if not rec.recovery_supported(call.model.firmware):
        raise DeviceRefusal("notSupport", "this firmware has no self-service password recovery")


# ------------------------------------------------------------------ handlers


def extern_capabilities(call: Call) -> Response:
    """``GET /ISAPI/Security/extern/capabilities`` (§12.1): the reset methods, no login needed."""
    supported = rec.recovery_supported(call.model.firmware)
    return call.reply(
        ExternCapabilities(
            is_support_with_guid_file_data=supported,
            is_support_with_security_question=supported,
            is_support_with_security_email=False,
            is_support_with_hc_app=False,
            min_reset_admin_password_num=0,
        )
    )


def get_question_configuration(call: Call) -> Response:
    """``GET /ISAPI/Security/questionConfiguration``: the configured ids with ``<mark>true</mark>``."""
    _require_recovery(call)
    ids = call.model.recovery.question_ids
    return call.reply(SecurityQuestions(questions=tuple(SecurityQuestion(id=qid, mark=True) for qid in ids)))


def put_question_configuration(call: Call) -> Response:
    """``PUT /ISAPI/Security/questionConfiguration``: three answers and the admin's current password."""
    _require_recovery(call)
    document = call.document(SecurityQuestions)
    key = _login_key(call)
    peer = call.request.peer
    try:
        answers = _answers(key, document.questions)
        password = _open(key, document.password) if document.password is not None else None
    except _Undecryptable:
        return _refused(call, rec.record_failed_proof(call.model, source=peer, recovery=False))
    verdict = rec.configure_questions(call.model, call.actor, answers, password=password, source=peer)
    return call.ok() if verdict.accepted else _refused(call, verdict)


def reset_challenge(call: Call) -> Response:
    """``POST /ISAPI/Security/passwordReset/challenge``: ``R`` encrypted to the client's RSA key [ours]."""
    _require_recovery(call)
    request = call.document(ChallengeRequest)
    random_text = call.model.recovery.begin_challenge(call.request.peer, call.model.monotonic())
    try:
        key = activation.build_challenge(request.key, random_text)
    except (CryptoError, ProtocolError):
        call.model.recovery.take_challenge(call.request.peer, call.model.monotonic())
        raise DeviceRefusal("badParameters", "the public key is not a usable RSA modulus") from None
    return call.reply(ChallengeResponse(key=key))


def certify_questions(call: Call) -> Response:
    """``POST /ISAPI/Security/questionCertification``: are these the right answers? (counts if not)."""
    _require_recovery(call)
    document = call.document(QuestionCertification)
    peer = call.request.peer
    try:
        answers = _answers(_recovery_key(call), document.questions)
    except _Undecryptable:
        return _refused(call, rec.record_failed_proof(call.model, source=peer, recovery=True))
    verdict = rec.certify_answers(call.model, answers, source=peer)
    return call.ok() if verdict.accepted else _refused(call, verdict)


def reset_by_questions(call: Call) -> Response:
    """``PUT /ISAPI/Security/questionCertification``: answers and a new admin password [ours]."""
    _require_recovery(call)
    document = call.document(SecurityQuestions)
    if document.password is None:
        raise DeviceRefusal("badParameters", "the new password is required")
    peer = call.request.peer
    try:
        key = _recovery_key(call)
        answers = _answers(key, document.questions)
        new_password = _open(key, document.password)
    except _Undecryptable:
        return _refused(call, rec.record_failed_proof(call.model, source=peer, recovery=True))
    verdict = rec.reset_with_answers(call.model, answers, new_password, source=peer)
    return call.ok() if verdict.accepted else _refused(call, verdict)


def export_guid(call: Call) -> Response:
    """``POST|PUT /ISAPI/Security/GUIDFileData``: a new GUID file for the admin's current password."""
    _require_recovery(call)
    document = call.document(LoginPassword)
    key = _login_key(call)
    peer = call.request.peer
    try:
        password = _open(key, document.password)
    except _Undecryptable:
        return _refused(call, rec.record_failed_proof(call.model, source=peer, recovery=False))
    verdict, exported = rec.export_guid_file(call.model, call.actor, password=password, source=peer)
    if not verdict.accepted or exported is None:
        return _refused(call, verdict)
    if key is None:
        return call.binary(exported.content, exported.filename)
    sealed = _seal(key, base64.b64encode(exported.content).decode("ascii"))
    return call.reply(GuidFileData(file_name=exported.filename, guid_file=sealed))


def reset_by_guid(call: Call) -> Response:
    """``PUT /ISAPI/Security/GUIDFileData/reset``: a GUID file and a new admin password [ours]."""
    _require_recovery(call)
    document = call.document(GuidFileReset)
    peer = call.request.peer
    try:
        key = _recovery_key(call)
        encoded = _open(key, document.guid_file)
        new_password = _open(key, document.password)
    except _Undecryptable:
        return _refused(call, rec.record_failed_proof(call.model, source=peer, recovery=True))
    verdict = rec.reset_with_guid_file(call.model, _base64_file(encoded), new_password, source=peer)
    return call.ok() if verdict.accepted else _refused(call, verdict)


def _base64_file(encoded: str) -> bytes:
    if len(encoded) > 2 * rec.GUID_FILE_MAX_BYTES:
        raise DeviceRefusal("fileFormatError", "the file is too large to be a GUID file")
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DeviceRefusal("fileFormatError", "<GUIDFile> must hold the file in base64") from None


def check_login_password(call: Call) -> Response:
    """``POST|PUT /ISAPI/Security/loginPassword`` (§12.5): is this my current password? (counts if not)."""
    document = call.document(LoginPassword)
    peer = call.request.peer
    try:
        password = _open(_login_key(call), document.password)
    except _Undecryptable:
        return _refused(call, rec.record_failed_proof(call.model, source=peer, recovery=False))
    verdict = rec.confirm_password(call.model, call.actor, password, source=peer)
    return call.ok() if verdict.accepted else _refused(call, verdict)


# ------------------------------------------------------------------ routes


def _route(method: str, path: str, access: Access, handler: Handler) -> Route:
    return Route(method, re.compile("^" + path.lower() + "$"), access, handler)


_PUBLIC = Access.PUBLIC_ACTIVE
_USER = Access.USER

RECOVERY_ROUTES: tuple[Route, ...] = (
    _route("GET", "/ISAPI/Security/extern/capabilities", _PUBLIC, extern_capabilities),
    _route("GET", "/ISAPI/Security/questionConfiguration", _PUBLIC, get_question_configuration),
    _route("PUT", "/ISAPI/Security/questionConfiguration", _USER, put_question_configuration),
    _route("POST", "/ISAPI/Security/passwordReset/challenge", _PUBLIC, reset_challenge),
    _route("POST", "/ISAPI/Security/questionCertification", _PUBLIC, certify_questions),
    _route("PUT", "/ISAPI/Security/questionCertification", _PUBLIC, reset_by_questions),
    _route("POST", "/ISAPI/Security/GUIDFileData", _USER, export_guid),
    _route("PUT", "/ISAPI/Security/GUIDFileData", _USER, export_guid),
    _route("PUT", "/ISAPI/Security/GUIDFileData/reset", _PUBLIC, reset_by_guid),
    _route("POST", "/ISAPI/Security/loginPassword", _USER, check_login_password),
    _route("PUT", "/ISAPI/Security/loginPassword", _USER, check_login_password),
)
"""The recovery resources, appended to :data:`camvault.device.isapi.app.ROUTES` by the device front end."""
