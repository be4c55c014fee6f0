"""The support service's use cases: receive, verify, record ownership, approve, refuse, issue, audit.

The web app and the CLI are thin layers over :class:`SupportService`. Every state change and the audit entry
that describes it commit in one transaction. The clock is injected; so is the source of code ids.

Lifecycle of a case::

    receive ──► verified ──(ownership recorded)──► approved ──► issued
         └────► refused (bad signature, policy)      └──────────► refused (operator, stolen, expired)

A request whose file cannot be read is not a case; the attempt is still audited (``request_unreadable``).
A request whose certificate or signature fails becomes a refused case (``bad_signature``), and does not count
against its claimed serial's request limits, so nobody can exhaust a victim's limits with forgeries.

Nothing here logs or audits a secret: the typed code and the code file are returned to the caller once and
only their fingerprint is kept.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from camvault.clock import Clock
from camvault.errors import ProtocolError, RequestRejected, SignatureError
from camvault.protocols import resetcode
from camvault.support.audit import AuditEntry, AuditLog, AuditReport
from camvault.support.keys import PublicKeyring, VendorKeys
from camvault.support.policy import PolicyConfig, Refusal, RequestHistory, check_issuable, evaluate_request
from camvault.support.store import (
    Case,
    CaseStatus,
    IssuedCodeRecord,
    NewCase,
    StolenSerial,
    SupportStore,
    format_time,
)

__all__ = ["CaseDetails", "IssuedCode", "SupportService"]

logger = logging.getLogger(__name__)

_MAX_NOTE = 2000
_MAX_NAME = 64
_MAX_CODE_ID_ATTEMPTS = 32


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A freshly issued code, handed to the operator once.

    Attributes:
        typed: the human-typable code (secret until used).
        file: the code file (secret until used).
        fingerprint: the non-secret fingerprint kept in the store and the audit log.
    """

    case_id: int
    code_id: int
    key_id: int
    serial: str
    expiry_on_device_clock: datetime
    sync_ipc_password: bool
    fingerprint: str
    typed: str = field(repr=False)
    file: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class CaseDetails:
    """A case with its issued code record (if any) and its audit trail."""

    case: Case
    issued: IssuedCodeRecord | None
    history: tuple[AuditEntry, ...]


class SupportService:
    """The vendor-support use cases over a store, the vendor keys, a clock and a policy."""

    def __init__(
        self,
        store: SupportStore,
        keys: VendorKeys,
        *,
        clock: Clock,
        policy: PolicyConfig | None = None,
        two_person_rule: bool = False,
        new_code_id: Callable[[], int] = lambda: secrets.randbits(32),
    ) -> None:
        """Create the service.

        Args:
            store: the support database.
            keys: the vendor keys (device CA certificate, current reset-signing key).
            clock: the service's clock.
            policy: the request policy; the defaults of :class:`PolicyConfig` when omitted.
            two_person_rule: the operator who approves must not be the one who verified ownership.
            new_code_id: source of 32-bit code ids.
        """
        self._store = store
        self._keys = keys
        self._clock = clock
        self._policy = policy or PolicyConfig()
        self._two_person_rule = two_person_rule
        self._new_code_id = new_code_id
        self._audit = AuditLog(store, signing_key=keys.signing_key)

    # receiving -------------------------------------------------------------------------------------------

    def receive_request(self, data: bytes, *, actor: str) -> Case:
        """Record a reset request file as a case, verify it and apply the policy.

        Args:
            data: the request file as uploaded.
            actor: who uploaded it (operator name).

        Returns:
            The case, ``verified`` or ``refused`` (with reason ``bad_signature`` or a policy reason).

        Raises:
            ProtocolError: the file cannot be read (``MessageTooLarge``, ``MalformedMessage``,
                ``InvalidContent``); no case is made, the attempt is audited.
        """
        now = self._clock.now()
        actor = _name(actor, "actor")
        try:
            request = resetcode.decode_request_file(data)
        except ProtocolError as exc:
            self._audit.append(
                time=now,
                actor=actor,
                action="request_unreadable",
                case_id=None,
                details={"bytes": len(data), "error": type(exc).__name__},
            )
            logger.info("unreadable reset request (%d bytes) from %s: %s", len(data), actor, exc)
            raise
        with self._store.transaction():
            case_id = self._store.insert_case(
                NewCase(
                    serial=request.serial,
                    model=request.model,
                    mac=request.mac,
                    firmware=request.firmware,
                    device_time=request.device_time,
                    request_expiry=request.expiry,
                    received_at=now,
                    nonce=request.nonce,
                    request_file=bytes(data),
                )
            )
            self._audit.append(
                time=now,
                actor=actor,
                action="request_received",
                case_id=case_id,
                details={
                    "serial": request.serial,
                    "model": request.model,
                    "device_time": format_time(request.device_time),
                    "nonce": request.nonce.hex(),
                },
            )
            refusal = self._verify_and_evaluate(case_id, request, actor)
            if refusal is None:
                self._store.set_status(case_id, CaseStatus.VERIFIED, by="policy", at=now)
                self._audit.append(
                    time=now, actor="policy", action="request_verified", case_id=case_id, details={}
                )
            else:
                self._refuse(case_id, refusal, by="policy")
        case = self._store.get_case(case_id)
        logger.info("case %d: request from %s for serial %s is %s", case_id, actor, case.serial, case.status)
        return case

    def _verify_and_evaluate(
        self, case_id: int, request: resetcode.ResetRequest, actor: str
    ) -> Refusal | None:
        now = self._clock.now()
        try:
            verified = resetcode.verify_reset_request(request, [self._keys.keyring.device_ca], now)
        except SignatureError as exc:
            return Refusal("bad_signature", f"the request does not verify: {exc}")
        self._store.mark_signature_verified(case_id, verified.certificate_fingerprint)
        history = RequestHistory(
            stolen=self._store.stolen(request.serial) is not None,
            nonce_seen=self._store.nonce_seen(request.nonce, excluding=case_id),
            requests_last_day=self._store.count_verified_requests(
                request.serial, since=now - timedelta(days=1), excluding=case_id
            ),
            requests_last_week=self._store.count_verified_requests(
                request.serial, since=now - timedelta(days=7), excluding=case_id
            ),
        )
        return evaluate_request(request, now=now, history=history, config=self._policy)

    # operator decisions ----------------------------------------------------------------------------------

    def record_ownership(self, case_id: int, *, operator: str, note: str) -> Case:
        """Record how an operator verified that the requester owns the device (free text).

        Raises:
            CaseNotFound: no such case. RequestRejected: ``wrong_status`` (not ``verified``), or ``invalid_input``.
        """
        operator, note = _name(operator, "operator"), _note(note)
        now = self._clock.now()
        with self._store.transaction():
            self._require_status(case_id, CaseStatus.VERIFIED, "record an ownership verification")
            self._store.record_ownership(case_id, operator=operator, note=note, at=now)
            self._audit.append(
                time=now,
                actor=operator,
                action="ownership_verified",
                case_id=case_id,
                details={"note": note},
            )
        logger.info("case %d: ownership verification recorded by %s", case_id, operator)
        return self._store.get_case(case_id)

    def approve(self, case_id: int, *, operator: str) -> Case:
        """Approve a verified case whose ownership check is recorded.

        Raises:
            CaseNotFound: no such case. RequestRejected: ``wrong_status``, ``ownership_not_verified``,
                ``two_person_rule``, or a policy reason (``reported_stolen``, ``expired``; the case is then
                refused as well).
        """
        operator = _name(operator, "operator")
        now = self._clock.now()
        refusal = None
        with self._store.transaction():
            case = self._require_status(case_id, CaseStatus.VERIFIED, "approve")
            if case.ownership_operator is None:
                raise RequestRejected(
                    "ownership_not_verified", f"case {case_id}: record the ownership verification first"
                )
            if self._two_person_rule and case.ownership_operator == operator:
                raise RequestRejected(
                    "two_person_rule",
                    f"case {case_id}: the operator who verified ownership cannot also approve",
                )
            refusal = self._recheck(case)
            if refusal is None:
                self._store.set_status(case_id, CaseStatus.APPROVED, by=operator, at=now)
                self._audit.append(
                    time=now, actor=operator, action="case_approved", case_id=case_id, details={}
                )
            else:
                self._refuse(case_id, refusal, by="policy")
        if refusal is not None:
            raise RequestRejected(refusal.reason, f"case {case_id}: {refusal.message}")
        logger.info("case %d approved by %s", case_id, operator)
        return self._store.get_case(case_id)

    def refuse(self, case_id: int, *, operator: str, reason: str) -> Case:
        """Refuse a case that is not yet issued, with the operator's reason (free text).

        Raises:
            CaseNotFound: no such case. RequestRejected: ``wrong_status`` or ``invalid_input``.
        """
        operator, reason = _name(operator, "operator"), _note(reason)
        with self._store.transaction():
            case = self._store.get_case(case_id)
            if case.status not in (CaseStatus.VERIFIED, CaseStatus.APPROVED):
                raise RequestRejected(
                    "wrong_status", f"case {case_id} is {case.status}; it cannot be refused"
                )
            self._refuse(case_id, Refusal("operator", reason), by=operator)
        logger.info("case %d refused by %s", case_id, operator)
        return self._store.get_case(case_id)

    def issue_code(self, case_id: int, *, operator: str, sync_ipc_password: bool = False) -> IssuedCode:
        """Sign and record a reset code for an approved case.

        The code expires with the request, on the device's clock, and is signed with the current
        reset-signing key. Only its fingerprint is stored and audited.

        Raises:
            CaseNotFound: no such case. RequestRejected: ``wrong_status``, or a policy reason (``reported_stolen``,
                ``expired``; the case is then refused).
        """
        operator = _name(operator, "operator")
        issued: IssuedCode | None = None
        with self._store.transaction():
            case = self._require_status(case_id, CaseStatus.APPROVED, "issue a code for")
            refusal = self._recheck(case)
            if refusal is None:
                issued = self._sign_and_record(case, operator=operator, sync_ipc_password=sync_ipc_password)
            else:
                self._refuse(case_id, refusal, by="policy")
        if issued is None:
            assert refusal is not None
            raise RequestRejected(refusal.reason, f"case {case_id}: {refusal.message}")
        logger.info(
            "case %d: code %d (fingerprint %s) issued by %s",
            case_id,
            issued.code_id,
            issued.fingerprint,
            operator,
        )
        return issued

    def _sign_and_record(self, case: Case, *, operator: str, sync_ipc_password: bool) -> IssuedCode:
        now = self._clock.now()
        code = resetcode.issue_reset_code(
            self._keys.signing_key,
            serial=case.serial,
            nonce=case.nonce,
            expiry=case.request_expiry,
            code_id=self._unused_code_id(),
            sync_ipc_password=sync_ipc_password,
        )
        fingerprint = resetcode.code_fingerprint(code)
        self._store.insert_issued_code(
            IssuedCodeRecord(
                code_id=code.code_id,
                case_id=case.id,
                key_id=code.key_id,
                expiry=code.expiry,
                fingerprint=fingerprint,
                sync_ipc_password=sync_ipc_password,
                issued_at=now,
                issued_by=operator,
            )
        )
        self._store.set_status(case.id, CaseStatus.ISSUED, by=operator, at=now)
        self._audit.append(
            time=now,
            actor=operator,
            action="code_issued",
            case_id=case.id,
            details={
                "code_id": code.code_id,
                "key_id": resetcode.format_key_id(code.key_id),
                "fingerprint": fingerprint,
                "expiry": format_time(code.expiry),
                "sync_ipc_password": sync_ipc_password,
            },
        )
        return IssuedCode(
            case_id=case.id,
            code_id=code.code_id,
            key_id=code.key_id,
            serial=case.serial,
            expiry_on_device_clock=code.expiry,
            sync_ipc_password=sync_ipc_password,
            fingerprint=fingerprint,
            typed=resetcode.encode_typed_code(code),
            file=resetcode.encode_code_file(code),
        )

    def report_stolen(self, serial: str, *, operator: str, note: str = "") -> StolenSerial:
        """Put a serial on the stolen list; its requests are refused from now on.

        Raises:
            RequestRejected: ``invalid_input`` (not a serial number).
        """
        operator = _name(operator, "operator")
        if not resetcode.is_valid_serial(serial):
            raise RequestRejected("invalid_input", "that is not a serial number")
        entry = StolenSerial(serial, self._clock.now(), operator, _note(note, allow_empty=True))
        with self._store.transaction():
            self._store.add_stolen(entry)
            self._audit.append(
                time=entry.reported_at,
                actor=operator,
                action="serial_reported_stolen",
                case_id=None,
                details={"serial": serial, "note": entry.note},
            )
        logger.info("serial %s reported stolen by %s", serial, operator)
        return entry

    # reading ---------------------------------------------------------------------------------------------

    @property
    def keyring(self) -> PublicKeyring:
        """Return the public keyring the service works with (device CA, reset keys by role)."""
        return self._keys.keyring

    def audit_entries(self, *, case_id: int | None = None) -> list[AuditEntry]:
        """Return the audit entries in order, optionally only those about one case."""
        return list(self._audit.entries(case_id=case_id))

    def list_cases(self, *, status: CaseStatus | None = None) -> list[Case]:
        """Return the newest cases first."""
        return self._store.list_cases(status=status)

    def show_case(self, case_id: int) -> CaseDetails:
        """Return a case with its issued code record and audit trail.

        Raises:
            CaseNotFound: no such case.
        """
        case = self._store.get_case(case_id)
        return CaseDetails(
            case=case,
            issued=self._store.issued_code_for(case_id),
            history=tuple(self._audit.entries(case_id=case_id)),
        )

    def verify_audit(self, *, expected_head: tuple[int, str] | None = None) -> AuditReport:
        """Verify the audit chain and every entry's signature against all reset keys, retired included."""
        return self._audit.verify(
            public_keys=self._keys.keyring.all_public_keys(), expected_head=expected_head
        )

    # helpers ---------------------------------------------------------------------------------------------

    def _require_status(self, case_id: int, status: CaseStatus, doing: str) -> Case:
        case = self._store.get_case(case_id)
        if case.status != status:
            raise RequestRejected(
                "wrong_status", f"case {case_id} is {case.status}; only a {status} case can {doing}"
            )
        return case

    def _recheck(self, case: Case) -> Refusal | None:
        request = resetcode.decode_request_file(case.request_file)
        stolen = self._store.stolen(case.serial) is not None
        return check_issuable(request, now=self._clock.now(), stolen=stolen)

    def _refuse(self, case_id: int, refusal: Refusal, *, by: str) -> None:
        now = self._clock.now()
        self._store.refuse(case_id, reason=refusal.reason, message=refusal.message, by=by, at=now)
        self._audit.append(
            time=now,
            actor=by,
            action="case_refused",
            case_id=case_id,
            details={"reason": refusal.reason, "message": refusal.message},
        )

    def _unused_code_id(self) -> int:
        for _ in range(_MAX_CODE_ID_ATTEMPTS):
            code_id = self._new_code_id()
            if not 0 <= code_id <= 0xFFFFFFFF:
                raise ValueError("code ids must fit in 32 bits")
            if not self._store.code_id_taken(code_id):
                return code_id
        raise RequestRejected("code_id_exhausted", "could not draw an unused code id")


def _name(value: str, what: str) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if not cleaned or len(cleaned) > _MAX_NAME or not cleaned.isprintable():
        raise RequestRejected("invalid_input", f"{what} must be 1-{_MAX_NAME} printable characters")
    return cleaned


def _note(value: str, *, allow_empty: bool = False) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if (not cleaned and not allow_empty) or len(cleaned) > _MAX_NOTE:
        raise RequestRejected("invalid_input", f"the text must be 1-{_MAX_NOTE} characters")
    return cleaned
