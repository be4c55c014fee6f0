"""Self-service password recovery of the emulated device: security questions and the GUID file (§12).

A locked-out owner gets back in without erasing the device in one of two self-service ways the later
firmware offers (research notes §12, §14.1), both of which set a new *administrator* password:

* **Security questions** (§12.2): the administrator picks three distinct questions from the device's fixed
  table (:data:`QUESTIONS`) and answers each in 1-128 characters (``SecurityAnswerLenLimit``); setting them
  needs the administrator's current password. The notes found no question-id → text table (§16 gap 6), so
  :data:`QUESTIONS` is our own, worded like the manuals' prompts.
* **GUID file** (§12.4): the administrator exports a file (needs the current password); importing it on the
  Forgot-Password screen allows a new password. "When the new password is set, the original GUID file will
  be invalid" (NVR manual, §12.4): *any* change of the administrator's password, by any path, invalidates it.

How answers and GUID files are held (our choices; the notes are silent):

* Answers are **normalised** before hashing and comparing: Unicode NFKC, surrounding whitespace stripped,
  then case-folded (``"  Rex "`` and ``"rex"`` match), so an owner is not locked out by capitals. The
  length rule (1-128 characters) applies to the answer as typed, after stripping. The three answers are
  hashed **together** with Argon2id (one salted hash over the ordered ``(id, answer)`` pairs), so a check
  never tells which answer was wrong. Plaintext answers are never stored.
* A GUID file carries 256 random bits. The device keeps only an HMAC of the file's secret over the serial
  number and the administrator's password at export time, so a file stops matching as soon as that
  password changes even without the explicit invalidation hook; every export mints a new secret and so
  invalidates the previous file (the device cannot re-export a secret it does not keep).
* Questions survive *Restore* (``basic``) and are cleared by *Default* (``full``) (§10, CAM-MAN via §12.2);
  a GUID file survives a basic reset (the administrator's password is kept) and dies with a full one.
* Used answers stay valid after a reset: the notes say only the GUID file is invalidated.

Brute force: every wrong answer set and every wrong GUID file counts as a failed login of the source IP in
the illegal-login lock (:mod:`camvault.device.model.lockout`), and an attempt while locked is refused and
restarts the lock, exactly as for logins; otherwise the questions would be a way around the lock. As a
backstop for a disabled lock or an attacker with many addresses, :data:`MAX_RECOVERY_FAILURES` wrong
attempts from all sources together, without a success in between, suspend self-service recovery for the
lock time (our choice). A reboot lifts the suspension, as it clears the lock.

Transport keys: a locked-out owner has no password from which the ``security=1`` key could be derived, so
recovery requests are protected with a per-client random text ``R`` exchanged like activation's (§7.2):
:meth:`RecoveryState.begin_challenge` draws it, and it is good for one request from that IP.

Elsewhere: the vendor-support reset (export a signed request, enter the returned code) and the legacy
serial-plus-date security code of pre-activation firmware (§14.2) are in
:mod:`camvault.device.model.vendor_support`; the reserved e-mail (§12.3) is not emulated.
:class:`RecoveryMethod` names every method so that front ends can offer them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from random import Random
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from camvault.device.model.accounts import ADMIN_ID, ADMIN_NAME, Account, check_device_password
from camvault.device.model.identity import Firmware
from camvault.device.model.lockout import LockStatus
from camvault.errors import DeviceRefusal, ProtocolError
from camvault.protocols import xml
from camvault.protocols.isapi.questions import QUESTIONS

if TYPE_CHECKING:
    from camvault.device.model.device import DeviceModel

__all__ = [
    "ANSWER_MAX_LENGTH",
    "ANSWER_MIN_LENGTH",
    "GUID_FILE_MAX_BYTES",
    "MAX_RECOVERY_FAILURES",
    "QUESTIONS",
    "QUESTION_COUNT",
    "GuidFile",
    "RecoveryMethod",
    "RecoveryState",
    "Verdict",
    "available_methods",
    "certify_answers",
    "configure_questions",
    "confirm_password",
    "export_guid_file",
    "normalise_answer",
    "parse_guid_file",
    "record_failed_proof",
    "recovery_supported",
    "reset_with_answers",
    "reset_with_guid_file",
]

QUESTION_COUNT = 3
"""Questions the administrator must set (the manuals ask for three, §12.2; the web UI's ``iMaxQANum``)."""

ANSWER_MIN_LENGTH = 1
ANSWER_MAX_LENGTH = 128
"""``SecurityAnswerLenLimit min="1" max="128"`` (OBS capture, §4.5 and §12.2)."""

GUID_FILE_MAX_BYTES = 4096
"""Largest GUID file the device reads; the files it writes are well under 1 KiB."""

MAX_RECOVERY_FAILURES = 20
"""Wrong recovery attempts from all sources together that suspend self-service recovery (our backstop)."""

CHALLENGE_SECONDS = 120.0
MAX_PENDING_CHALLENGES = 64
_GUID_BYTES = 32
_GUID_HEX = re.compile(r"[0-9a-f]{64}")
_ANSWER_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
"""Argon2id at the OWASP minimum (19 MiB, 2 passes): about 30 ms per check, one check per attempt."""


class RecoveryMethod(StrEnum):
    """Ways back in, as the Forgot-Password screen lists them."""

    SECURITY_QUESTIONS = "security-questions"
    GUID_FILE = "guid-file"
    SUPPORT_CODE = "support-code"
    """Vendor support: export a signed reset request, enter the returned code (:mod:`camvault.device.model.vendor_support`)."""
    LEGACY_SECURITY_CODE = "legacy-security-code"
    """The serial-plus-date code of pre-activation firmware (§14.2), over SADP ``reset`` (:mod:`camvault.device.model.vendor_support`)."""
    RESET_BUTTON = "reset-button"
    """Hold the reset button: erases everything (§14.3). Always possible."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a check that counts against the illegal-login lock.

    Attributes:
        accepted: the secret (answers, GUID file, password) was right and the action was done.
        lock: the source's lock status after the attempt (``retryTimes``/``resLockTime`` for the client).
        suspended: recovery is suspended device-wide (:data:`MAX_RECOVERY_FAILURES`).
    """

    accepted: bool
    lock: LockStatus
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class GuidFile:
    """An exported GUID file: its suggested name and its content (the content is a credential)."""

    filename: str
    content: bytes = field(repr=False)


def recovery_supported(firmware: Firmware) -> bool:
    """Whether a firmware offers security questions and GUID files.

    Firmware that needs activation (V5.3.0 and later on cameras) is the generation with the new reset
    methods; older Hikvision firmware has only the legacy security code, other vendors neither (§14.1).
    """
    return firmware.requires_activation


def available_methods(firmware: Firmware) -> tuple[RecoveryMethod, ...]:
    """The recovery methods a Forgot-Password screen should offer on this firmware, best first."""
    methods: list[RecoveryMethod] = []
    if recovery_supported(firmware):
        methods += [RecoveryMethod.SECURITY_QUESTIONS, RecoveryMethod.GUID_FILE, RecoveryMethod.SUPPORT_CODE]
    elif firmware.legacy_security_code:
        methods.append(RecoveryMethod.LEGACY_SECURITY_CODE)
    methods.append(RecoveryMethod.RESET_BUTTON)
    return tuple(methods)


def normalise_answer(answer: str) -> str:
    """The form of an answer that is hashed and compared: NFKC, stripped, case-folded."""
    return unicodedata.normalize("NFKC", answer).strip().casefold()


def _check_answers(answers: Mapping[int, str]) -> None:
    if len(answers) != QUESTION_COUNT:
        raise DeviceRefusal("badParameters", f"exactly {QUESTION_COUNT} security questions are needed")
    for question_id, answer in answers.items():
        if question_id not in QUESTIONS:
            raise DeviceRefusal("badParameters", f"there is no security question {question_id}")
        stripped = answer.strip()
        if not ANSWER_MIN_LENGTH <= len(stripped) <= ANSWER_MAX_LENGTH:
            raise DeviceRefusal(
                "badParameters",
                f"each answer must be {ANSWER_MIN_LENGTH} to {ANSWER_MAX_LENGTH} characters",
            )
        if not all(char.isprintable() for char in stripped):
            raise DeviceRefusal("badParameters", "answers cannot contain control characters")


def _answers_message(answers: Mapping[int, str]) -> str:
    pairs = [[question_id, normalise_answer(answers[question_id])] for question_id in sorted(answers)]
    return json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))


class RecoveryState:
    """The recovery data of one device: what persists (questions, GUID verifier) and what does not.

    Args:
        rng: randomness for transport challenges (the device's own).
        hasher: the answer hasher; tests may pass a cheaper one.
        guid_random: source of GUID secrets (``secrets.token_bytes`` unless a test injects one).
    """

    def __init__(
        self,
        rng: Random,
        *,
        hasher: PasswordHasher = _ANSWER_HASHER,
        guid_random: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self._rng = rng
        self._hasher = hasher
        self._guid_random = guid_random
        self.question_ids: tuple[int, ...] = ()
        self._answers_hash: str | None = None
        self._guid_verifier: str | None = None
        self.guid_issued_at: datetime | None = None
        self._challenges: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.failures = 0
        self.suspended_until: float | None = None

    def __repr__(self) -> str:
        return (
            f"RecoveryState(questions={self.question_ids}, guid_valid={self.guid_valid}, "
            f"failures={self.failures})"
        )

    # ------------------------------------------------------------------ security questions

    @property
    def questions_configured(self) -> bool:
        """Whether the administrator has set the security questions."""
        return self._answers_hash is not None

    def set_questions(self, answers: Mapping[int, str]) -> None:
        """Store three answered questions (replacing any earlier ones).

        Raises:
            DeviceRefusal: ``badParameters`` for a wrong count, an unknown id or an answer outside the rules.
        """
        _check_answers(answers)
        self._answers_hash = self._hasher.hash(_answers_message(answers))
        self.question_ids = tuple(sorted(answers))

    def answers_match(self, answers: Mapping[int, str]) -> bool:
        """Whether ``answers`` answer the configured questions (all of them right)."""
        if self._answers_hash is None or tuple(sorted(answers)) != self.question_ids:
            return False
        try:
            return self._hasher.verify(self._answers_hash, _answers_message(answers))
        except (VerificationError, InvalidHashError):
            return False

    def clear_questions(self) -> None:
        """Forget the questions (a full reset)."""
        self.question_ids = ()
        self._answers_hash = None

    # ------------------------------------------------------------------ GUID file

    @property
    def guid_valid(self) -> bool:
        """Whether an exported GUID file can still reset the password."""
        return self._guid_verifier is not None

    def issue_guid_file(self, serial: str, admin_password: str, now: datetime) -> GuidFile:
        """Mint a new GUID secret, keep its verifier, and return the file (older files stop working)."""
        secret = self._guid_random(_GUID_BYTES)
        self._guid_verifier = _guid_verifier(secret, serial, admin_password)
        self.guid_issued_at = now
        node = xml.Node(
            "GUIDFile",
            children=(
                xml.Node("serialNumber", serial),
                xml.Node("GUID", secret.hex()),
                xml.Node("exportTime", now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            ),
        )
        content = xml.render(node, version="1.0")
        return GuidFile(filename=f"GUID_{serial}.xml", content=content)

    def guid_file_matches(self, content: bytes, serial: str, admin_password: str) -> bool:
        """Whether a GUID file is this device's current one.

        Raises:
            DeviceRefusal: ``fileFormatError`` when the content is not a GUID file, ``badDevType`` when it
                names another device; neither tests the secret, so neither counts as an attempt.
        """
        file_serial, secret = parse_guid_file(content)
        if file_serial != serial:
            raise DeviceRefusal("badDevType", "the GUID file was exported from another device")
        if self._guid_verifier is None:
            return False
        return hmac.compare_digest(self._guid_verifier, _guid_verifier(secret, serial, admin_password))

    def invalidate_guid(self) -> None:
        """Make every exported GUID file useless (the administrator's password changed)."""
        self._guid_verifier = None
        self.guid_issued_at = None

    # ------------------------------------------------------------------ transport challenge

    def begin_challenge(self, source: str, now: float) -> str:
        """Draw the random text ``R`` that protects one recovery request from ``source``."""
        random_text = f"{self._rng.getrandbits(128):032x}"
        self._challenges.pop(source, None)
        self._challenges[source] = (random_text, now + CHALLENGE_SECONDS)
        while len(self._challenges) > MAX_PENDING_CHALLENGES:
            self._challenges.popitem(last=False)
        return random_text

    def take_challenge(self, source: str, now: float) -> str | None:
        """Remove and return ``source``'s live random text: good for one request only."""
        entry = self._challenges.pop(source, None)
        if entry is None or entry[1] < now:
            return None
        return entry[0]

    # ------------------------------------------------------------------ brute-force backstop

    def is_suspended(self, now: float) -> bool:
        """Whether self-service recovery is suspended device-wide."""
        if self.suspended_until is not None and now >= self.suspended_until:
            self.suspended_until = None
            self.failures = 0
        return self.suspended_until is not None

    def record_failure(self, now: float, lock_seconds: int) -> None:
        """Count a wrong attempt; suspend recovery at :data:`MAX_RECOVERY_FAILURES`."""
        self.failures += 1
        if self.failures >= MAX_RECOVERY_FAILURES:
            self.suspended_until = now + lock_seconds

    def record_success(self) -> None:
        """A right answer or file resets the device-wide count."""
        self.failures = 0

    # ------------------------------------------------------------------ life cycle

    def drop_volatile(self) -> None:
        """Forget pending challenges, counts and suspensions (a reboot)."""
        self._challenges.clear()
        self.failures = 0
        self.suspended_until = None

    def clear(self) -> None:
        """Forget everything (a full reset)."""
        self.clear_questions()
        self.invalidate_guid()
        self.drop_volatile()

    def to_snapshot(self) -> dict[str, Any]:
        """What survives a power cycle, JSON-ready (hashes only; the lab seals the state at rest)."""
        return {
            "questions": list(self.question_ids),
            "answers_hash": self._answers_hash,
            "guid_verifier": self._guid_verifier,
            "guid_issued_at": self.guid_issued_at.isoformat() if self.guid_issued_at else None,
        }

    def load_snapshot(self, data: Mapping[str, Any] | None) -> None:
        """Load :meth:`to_snapshot` output; ``None`` (a snapshot from before this feature) means empty."""
        self.drop_volatile()
        if not data:
            self.clear()
            return
        questions = tuple(int(question_id) for question_id in data.get("questions", ()))
        answers_hash = data.get("answers_hash")
        if (answers_hash is None) != (not questions):
            raise ValueError("recovery snapshot: questions and their hash must come together")
        self.question_ids = questions
        self._answers_hash = str(answers_hash) if answers_hash is not None else None
        verifier = data.get("guid_verifier")
        self._guid_verifier = str(verifier) if verifier is not None else None
        issued = data.get("guid_issued_at")
        self.guid_issued_at = datetime.fromisoformat(issued) if issued else None


def _guid_verifier(secret: bytes, serial: str, admin_password: str) -> str:
    message = serial.encode("utf-8") + b"\x00" + admin_password.encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def parse_guid_file(content: bytes) -> tuple[str, bytes]:
    """Read a GUID file: its serial number and secret.

    Raises:
        DeviceRefusal: ``fileFormatError`` if the content is not a well-formed GUID file.
    """
    if len(content) > GUID_FILE_MAX_BYTES:
        raise DeviceRefusal("fileFormatError", "the file is too large to be a GUID file")
    try:
        root = xml.require_root(xml.parse(content, max_bytes=GUID_FILE_MAX_BYTES, max_depth=4), "GUIDFile")
        serial = xml.text(root, "serialNumber", max_length=64)
        guid = xml.text(root, "GUID", max_length=64).lower()
    except ProtocolError:
        raise DeviceRefusal("fileFormatError", "the file is not a GUID file") from None
    if not _GUID_HEX.fullmatch(guid):
        raise DeviceRefusal("fileFormatError", "the GUID file is damaged")
    return serial, bytes.fromhex(guid)


# ---------------------------------------------------------------------------------------------------------
# Use cases: what the ISAPI and web front ends call. Each applies the lock the way a login does.


def _mark_changed(model: DeviceModel) -> None:
    model.revision += 1  # the lab saves a device whose revision moved


def _require_supported(model: DeviceModel) -> None:
    model.require_activated()
    if not recovery_supported(model.firmware):
        raise DeviceRefusal("notSupport", "this firmware has no self-service password recovery")


def _refuse_if_locked(model: DeviceModel, source: str) -> Verdict | None:
    now = model.monotonic()
    if model.lock.is_locked(source, now):
        return Verdict(False, model.lock.touch_locked(source, now))
    return None


def _judge(model: DeviceModel, source: str, ok: bool, *, recovery: bool) -> Verdict:
    now = model.monotonic()
    if ok:
        model.lock.record_success(source)
        if recovery:
            model.recovery.record_success()
        return Verdict(True, model.lock.status(source, now))
    status = model.lock.record_failure(source, now)
    if recovery:
        model.recovery.record_failure(now, model.settings.lock.lock_seconds)
    return Verdict(False, status, suspended=recovery and model.recovery.is_suspended(now))


def confirm_password(model: DeviceModel, actor: Account, password: str | None, *, source: str) -> Verdict:
    """Check a logged-in user's re-entered password (``/ISAPI/Security/loginPassword``, §12.5).

    A wrong one counts against ``source``'s lock: whoever holds a stolen session could otherwise guess the
    password behind it without limit.

    Raises:
        DeviceRefusal: ``notActivated``, or ``badParameters`` when no password was sent (not a guess).
    """
    model.require_activated()
    if not password:
        raise DeviceRefusal("badParameters", "your current password is required")
    locked = _refuse_if_locked(model, source)
    if locked is not None:
        return locked
    return _judge(model, source, actor.password.matches(password), recovery=False)


def record_failed_proof(model: DeviceModel, *, source: str, recovery: bool) -> Verdict:
    """Count a request whose encrypted secret does not decrypt as a failed attempt.

    Under ``security=1`` the key comes from the password (or the recovery challenge), so a field that does
    not decrypt is a wrong password in disguise; not counting it would turn the decryption into an
    unlimited password oracle. While the source is locked the attempt restarts the lock.
    """
    locked = _refuse_if_locked(model, source)
    if locked is not None:
        return locked
    return _judge(model, source, False, recovery=recovery)


def _require_admin(actor: Account) -> None:
    if actor.id != ADMIN_ID:
        raise DeviceRefusal("lowPrivilege", "only the admin account manages its own recovery")


def configure_questions(
    model: DeviceModel, actor: Account, answers: Mapping[int, str], *, password: str | None, source: str
) -> Verdict:
    """Set the security questions: the admin account only, with its current password (§12.2).

    Raises:
        DeviceRefusal: ``notSupport``, ``lowPrivilege``, or ``badParameters`` for answers outside the rules
            (checked before the password, so a typo in an answer costs no attempt).
    """
    _require_supported(model)
    _require_admin(actor)
    _check_answers(answers)
    verdict = confirm_password(model, actor, password, source=source)
    if verdict.accepted:
        model.recovery.set_questions(answers)
        _mark_changed(model)
    return verdict


def export_guid_file(
    model: DeviceModel, actor: Account, *, password: str | None, source: str
) -> tuple[Verdict, GuidFile | None]:
    """Export a new GUID file: the admin account only, with its current password (§12.4).

    Raises:
        DeviceRefusal: ``notSupport`` or ``lowPrivilege``.
    """
    _require_supported(model)
    _require_admin(actor)
    verdict = confirm_password(model, actor, password, source=source)
    if not verdict.accepted or password is None:
        return verdict, None
    exported = model.recovery.issue_guid_file(model.identity.serial, password, model.now())
    _mark_changed(model)
    return verdict, exported


def _begin_recovery_attempt(model: DeviceModel, source: str) -> Verdict | None:
    _require_supported(model)
    now = model.monotonic()
    if model.recovery.is_suspended(now):
        return Verdict(False, model.lock.status(source, now), suspended=True)
    return _refuse_if_locked(model, source)


def _answered(model: DeviceModel, answers: Mapping[int, str]) -> None:
    if not model.recovery.questions_configured:
        raise DeviceRefusal("invalidOperation", "no security questions are set on this device")
    if tuple(sorted(answers)) != model.recovery.question_ids:
        raise DeviceRefusal("badParameters", "answer exactly the configured security questions")
    if any(not answer.strip() or len(answer.strip()) > ANSWER_MAX_LENGTH for answer in answers.values()):
        raise DeviceRefusal(
            "badParameters", f"each answer must be {ANSWER_MIN_LENGTH} to {ANSWER_MAX_LENGTH} characters"
        )


def certify_answers(model: DeviceModel, answers: Mapping[int, str], *, source: str) -> Verdict:
    """Check answers without changing the password (the first step of the web UI's reset, §12.2).

    Raises:
        DeviceRefusal: ``notSupport``, ``invalidOperation`` (no questions set), ``badParameters``.
    """
    refused = _begin_recovery_attempt(model, source)
    if refused is not None:
        return refused
    _answered(model, answers)
    return _judge(model, source, model.recovery.answers_match(answers), recovery=True)


def reset_with_answers(
    model: DeviceModel, answers: Mapping[int, str], new_password: str, *, source: str
) -> Verdict:
    """Set a new admin password by answering the security questions.

    The new password is checked against the policy first: a refused password tests no secret and costs no
    attempt. On success the password changes (which ends every session and invalidates the GUID file).

    Raises:
        DeviceRefusal: ``notSupport``, ``invalidOperation``, ``badParameters``, ``riskPassword``.
    """
    refused = _begin_recovery_attempt(model, source)
    if refused is not None:
        return refused
    _answered(model, answers)
    check_device_password(new_password, ADMIN_NAME)
    verdict = _judge(model, source, model.recovery.answers_match(answers), recovery=True)
    if verdict.accepted:
        model.reset_admin_password(new_password)
    return verdict


def reset_with_guid_file(model: DeviceModel, content: bytes, new_password: str, *, source: str) -> Verdict:
    """Set a new admin password with an exported GUID file; the file is spent by the change.

    Raises:
        DeviceRefusal: ``notSupport``, ``fileFormatError``, ``badDevType``, ``badParameters``,
            ``riskPassword``.
    """
    refused = _begin_recovery_attempt(model, source)
    if refused is not None:
        return refused
    check_device_password(new_password, ADMIN_NAME)
    admin = model.accounts[ADMIN_ID]
    ok = model.recovery.guid_file_matches(content, model.identity.serial, admin.password.value)
    verdict = _judge(model, source, ok, recovery=True)
    if verdict.accepted:
        model.reset_admin_password(new_password)
    return verdict
