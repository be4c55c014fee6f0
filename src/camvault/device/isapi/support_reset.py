"""ISAPI vendor-support password reset: export a signed reset request, import a one-time code [ours].

The notes found no ISAPI resource for the vendor's "encrypted file" reset (§14.1 method 2; §16 gap 7: only
SADP's ``getencryptstring`` and ``reset`` are known by name, §13.4), so these URLs are ours, next to the
other unauthenticated recovery calls of :mod:`camvault.device.isapi.recovery`:

===============================================  ===========  ===============================================
request                                          access       what it does
===============================================  ===========  ===============================================
``POST /ISAPI/Security/passwordReset/request``   public       export a **new** signed request (the reply is
                                                              the file); the previous one stops working
``GET /ISAPI/Security/passwordReset/request``    public       download the pending request again, unchanged
``PUT /ISAPI/Security/passwordReset/code``       public       the vendor's code and a new admin password
===============================================  ===========  ===============================================

"public" means no login (a locked-out owner has none) on an active device whose firmware offers the method
and which has vendor keys from its factory (``notSupport`` otherwise). Export is a ``POST`` because it
changes the device (a new nonce replaces the pending one); the ``GET`` only reads.

Request file reply: ``200``, ``application/octet-stream``, ``Content-Disposition: attachment;
filename="ResetRequest_<serial>.txt"``, the armored file of :mod:`camvault.protocols.resetcode`. It holds no
secret (its nonce is meant to travel to the vendor).

Code import body (:class:`PasswordResetCode`)::

    <PasswordResetCode>
      <resetCode>the typed code</resetCode>        <!-- or <resetCodeFile>base64 of the code file</...> -->
      <password>the new admin password</password>
    </PasswordResetCode>

exactly one of ``resetCode`` and ``resetCodeFile``. With ``?security=1&iv=<32 hex>`` both fields are
encrypted like the other recovery calls: the AES key is the random text ``R`` of the caller's
``POST /ISAPI/Security/passwordReset/challenge`` (spent by this request). Without ``security`` they travel in
clear (scripts over HTTPS).

Answers, each a ``ResponseStatus`` whose ``MErrDevSelfEx`` (the "device-specific detail" field, §2.1) names
the reason of :mod:`camvault.device.model.vendor_support` so that a client can say what went wrong:

* ``200 OK``: the password is set; every session ended, the lock cleared;
* ``401 badAuthorization`` with ``lockStatus``/``retryTimes``/``resLockTime``: a code that was checked and
  failed (``bad_signature``, ``unknown_key``, ``replayed``, ``expired``) or an encrypted field that does not
  decrypt (``undecryptable``); each counts against the caller's lock (and restarts it while locked). A
  valid code is accepted even from a locked-out address (see :mod:`camvault.device.model.vendor_support`);
* ``400 badParameters``: a code that is not a code (``malformed``) or has a typo (``checksum``); not counted;
* ``403 invalidOperation``: no request is pending (``no_pending_request``): export one first; not counted;
* the policy refusals of a new password (``riskPassword``, ``badParameters``), checked first, not counted.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace

from camvault.device.http import Response
from camvault.device.isapi.app import Access, Handler, Route
from camvault.device.isapi.call import XML_CONTENT_TYPE, Call
from camvault.device.model import vendor_support as vs
from camvault.device.model.lockout import LockStatus
from camvault.device.model.recovery import record_failed_proof
from camvault.errors import CryptoError, DeviceRefusal, InvalidContent, MessageTooLarge
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.documents import LockStatus as LockWord
from camvault.protocols.isapi.documents import encode
from camvault.protocols.isapi.documents.reset import PasswordResetCode
from camvault.protocols.isapi.status import error_status
from camvault.protocols.resetcode import MAX_CODE_FILE_BYTES

__all__ = [
    "SUPPORT_RESET_ROUTES",
    "download_pending_request",
    "export_reset_request",
    "import_reset_code",
]

_IV = re.compile(r"[0-9a-fA-F]{32}")
_UNDECRYPTABLE = "undecryptable"


# ------------------------------------------------------------------ handlers


def export_reset_request(call: Call) -> Response:
    """``POST /ISAPI/Security/passwordReset/request``: sign a new request and answer it as a file."""
    exported = vs.export_request(call.model, source=call.request.peer)
    return call.binary(exported.content, exported.filename)


def download_pending_request(call: Call) -> Response:
    """``GET /ISAPI/Security/passwordReset/request``: the pending request again (nothing changes)."""
    if not vs.support_available(call.model):
        raise DeviceRefusal("notSupport", "this device offers no vendor-support password reset")
    pending = call.model.vendor_support.pending
    if pending is None:
        return _answer(call, 403, "invalidOperation", "no_pending_request")
    return call.binary(pending.file, f"ResetRequest_{call.model.identity.serial}.txt")


def import_reset_code(call: Call) -> Response:
    """``PUT /ISAPI/Security/passwordReset/code``: check the vendor's code and set the new admin password."""
    if not vs.support_available(call.model):
        raise DeviceRefusal("notSupport", "this device offers no vendor-support password reset")
    document = call.document(PasswordResetCode)
    peer = call.request.peer
    key = _transport_key(call)
    password = _open(key, document.password)
    code = _open(key, document.reset_code) if document.reset_code is not None else None
    encoded_file = _open(key, document.reset_code_file) if document.reset_code_file is not None else None
    if password is None or (code is None and encoded_file is None):
        counted = record_failed_proof(call.model, source=peer, recovery=False)
        return _lock_answer(call, counted.lock, _UNDECRYPTABLE)
    submitted: str | bytes | None = code if code is not None else _file_bytes(encoded_file)
    if submitted is None:
        return _answer(call, 400, "badParameters", "malformed")
    verdict = vs.reset_with_code(call.model, submitted, password, source=peer)
    if verdict.accepted:
        if verdict.synced_channels:
            call.host.channels_changed(None)
        return call.ok()
    if verdict.checked:
        return _lock_answer(call, verdict.lock, verdict.reason)
    if verdict.reason == "no_pending_request":
        return _answer(call, 403, "invalidOperation", verdict.reason)
    return _answer(call, 400, "badParameters", verdict.reason)


# ------------------------------------------------------------------ helpers


def _transport_key(call: Call) -> tuple[bytes, str] | None:
    """The key of this unauthenticated request: the caller's recovery challenge, spent here."""
    if not call.security:
        return None
    if call.request.query.get("security") == "2":
        raise DeviceRefusal("notSupport", "security=2 (AES-256) is not supported")
    iv = call.request.query.get("iv", "")
    if not _IV.fullmatch(iv):
        raise DeviceRefusal("badParameters", "security=1 needs an iv of 32 hex digits")
    random_text = call.model.recovery.take_challenge(call.request.peer, call.model.monotonic())
    if random_text is None:
        raise DeviceRefusal(
            "invalidOperation", "no recovery challenge for this client: POST passwordReset/challenge first"
        )
    return bytes.fromhex(random_text), iv


def _open(key: tuple[bytes, str] | None, value: str) -> str | None:
    """The clear text of a field, or ``None`` when it does not decrypt under the challenge key."""
    if key is None:
        return value
    try:
        return field_crypto.decrypt_field(key[0], value, key[1])
    except (CryptoError, InvalidContent, MessageTooLarge):
        return None


def _file_bytes(encoded: str | None) -> bytes | None:
    """The code file from its base64 form, or ``None`` when it is not base64 of a file of a sane size."""
    if encoded is None or len(encoded) > 2 * MAX_CODE_FILE_BYTES:
        return None
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _answer(call: Call, status: int, sub_status: str, reason: str | None) -> Response:
    document = replace(error_status(call.url, sub_status), m_err_dev_self_ex=reason)
    return Response(status, [("Content-Type", XML_CONTENT_TYPE)], encode(document, namespace=call.namespace))


def _lock_answer(call: Call, lock: LockStatus, reason: str | None) -> Response:
    document = error_status(
        call.url,
        "badAuthorization",
        lock_status=LockWord.LOCKED if lock.locked else LockWord.UNLOCK,
        retry_times=lock.attempts_left,
        res_lock_time=lock.remaining_seconds,
    )
    body = encode(replace(document, m_err_dev_self_ex=reason), namespace=call.namespace)
    return Response(401, [("Content-Type", XML_CONTENT_TYPE)], body)


# ------------------------------------------------------------------ routes


def _route(method: str, path: str, handler: Handler) -> Route:
    return Route(method, re.compile("^" + path.lower() + "$"), Access.PUBLIC_ACTIVE, handler)


SUPPORT_RESET_ROUTES: tuple[Route, ...] = (
    _route("POST", "/ISAPI/Security/passwordReset/request", export_reset_request),
    _route("GET", "/ISAPI/Security/passwordReset/request", download_pending_request),
    _route("PUT", "/ISAPI/Security/passwordReset/code", import_reset_code),
)
"""The vendor-support reset resources, appended to the device's route table by the front end."""
