"""The support service's SQLite file: cases, issued codes, stolen serials and the audit log's table.

One connection, one writer: the service wraps each use case in :meth:`SupportStore.transaction`, so a case
change and the audit entry that describes it commit together or not at all. The file is opened with
``synchronous=FULL`` (:func:`camvault.localdb.open_database` with ``durable=True``): an issued code that was
reported to the operator is on disk.

No secret is stored: not the typed code, not the signature; issued codes are kept as a fingerprint.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from camvault.errors import CaseNotFound, StoreError
from camvault.localdb import Migration, open_database

__all__ = [
    "MIGRATIONS",
    "Case",
    "CaseStatus",
    "IssuedCodeRecord",
    "NewCase",
    "StolenSerial",
    "SupportStore",
    "format_time",
    "parse_time",
]

MIGRATIONS = [
    Migration(
        1,
        "support cases, issued codes, stolen serials, audit log",
        """
CREATE TABLE reset_case (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    model TEXT NOT NULL,
    mac TEXT NOT NULL,
    firmware TEXT NOT NULL,
    device_time TEXT NOT NULL,
    request_expiry TEXT NOT NULL,
    received_at TEXT NOT NULL,
    skew_seconds INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    signature_verified INTEGER NOT NULL,
    certificate_fingerprint TEXT,
    request_file BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'verified', 'approved', 'refused', 'issued')),
    refusal_reason TEXT,
    refusal_message TEXT,
    ownership_note TEXT,
    ownership_operator TEXT,
    ownership_at TEXT,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX reset_case_serial ON reset_case (serial, received_at);
CREATE INDEX reset_case_nonce ON reset_case (nonce);
CREATE TABLE issued_code (
    code_id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL UNIQUE REFERENCES reset_case (id),
    key_id INTEGER NOT NULL,
    expiry TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sync_ipc_password INTEGER NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL
);
CREATE TABLE stolen_serial (
    serial TEXT PRIMARY KEY,
    reported_at TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE audit_entry (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id INTEGER,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    key_id INTEGER,
    signature BLOB
);
CREATE TRIGGER audit_entry_is_append_only_update BEFORE UPDATE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entry_is_append_only_delete BEFORE DELETE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
""",
    )
]


class CaseStatus(StrEnum):
    """Where a case stands. ``received`` only exists inside the transaction that records a request."""

    RECEIVED = "received"
    VERIFIED = "verified"
    APPROVED = "approved"
    REFUSED = "refused"
    ISSUED = "issued"


@dataclass(frozen=True, slots=True)
class NewCase:
    """A request as received, before its verification outcome is known."""

    serial: str
    model: str
    mac: str
    firmware: str
    device_time: datetime
    request_expiry: datetime
    received_at: datetime
    nonce: bytes
    request_file: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Case:
    """A support case: one received reset request and what was decided about it.

    Attributes:
        skew: the device clock minus the service clock at receipt (the request's age is unknown, so a
            device that exported long before the upload shows a negative skew too).
    """

    id: int
    serial: str
    model: str
    mac: str
    firmware: str
    device_time: datetime
    request_expiry: datetime
    received_at: datetime
    skew: timedelta
    nonce: bytes
    signature_verified: bool
    certificate_fingerprint: str | None
    status: CaseStatus
    refusal_reason: str | None
    refusal_message: str | None
    ownership_note: str | None
    ownership_operator: str | None
    ownership_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    request_file: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class IssuedCodeRecord:
    """What the service remembers about an issued code: never the code itself."""

    code_id: int
    case_id: int
    key_id: int
    expiry: datetime
    fingerprint: str
    sync_ipc_password: bool
    issued_at: datetime
    issued_by: str


@dataclass(frozen=True, slots=True)
class StolenSerial:
    """A serial number reported stolen."""

    serial: str
    reported_at: datetime
    reported_by: str
    note: str


def format_time(moment: datetime) -> str:
    """Return the stored form of a time: ISO 8601 in UTC, microseconds included."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """Read a stored time."""
    return datetime.fromisoformat(text).astimezone(UTC)


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


class SupportStore:
    """Typed access to the support database; callers group writes in :meth:`transaction`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.connection.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0

    @classmethod
    def open(cls, path: Path | str) -> SupportStore:
        """Open (creating and migrating if needed) the support database at ``path``."""
        return cls(open_database(path, MIGRATIONS, durable=True))

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block as one immediate transaction (nested blocks join the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._execute("ROLLBACK")
                raise
            self._depth = 0
            self._execute("COMMIT")

    # cases -----------------------------------------------------------------------------------------------

    def insert_case(self, case: NewCase) -> int:
        """Record a received request with status ``received``; return its case id."""
        cursor = self._execute(
            "INSERT INTO reset_case (serial, model, mac, firmware, device_time, request_expiry, received_at,"
            " skew_seconds, nonce, signature_verified, request_file, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'received')",
            (
                case.serial,
                case.model,
                case.mac,
                case.firmware,
                format_time(case.device_time),
                format_time(case.request_expiry),
                format_time(case.received_at),
                round((case.device_time - case.received_at).total_seconds()),
                case.nonce,
                case.request_file,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def mark_signature_verified(self, case_id: int, certificate_fingerprint: str) -> None:
        """Record that the request's chain and signature verified."""
        self._execute(
            "UPDATE reset_case SET signature_verified = 1, certificate_fingerprint = ? WHERE id = ?",
            (certificate_fingerprint, case_id),
        )

    def set_status(self, case_id: int, status: CaseStatus, *, by: str | None, at: datetime) -> None:
        """Move a case to ``status`` (a decision by ``by`` at ``at``)."""
        self._execute(
            "UPDATE reset_case SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            (status.value, by, format_time(at), case_id),
        )

    def refuse(self, case_id: int, *, reason: str, message: str, by: str, at: datetime) -> None:
        """Move a case to ``refused`` with a stable reason code and a message."""
        self._execute(
            "UPDATE reset_case SET status = 'refused', refusal_reason = ?, refusal_message = ?,"
            " decided_by = ?, decided_at = ? WHERE id = ?",
            (reason, message, by, format_time(at), case_id),
        )

    def record_ownership(self, case_id: int, *, operator: str, note: str, at: datetime) -> None:
        """Record the ownership verification an operator performed."""
        self._execute(
            "UPDATE reset_case SET ownership_note = ?, ownership_operator = ?, ownership_at = ? WHERE id = ?",
            (note, operator, format_time(at), case_id),
        )

    def get_case(self, case_id: int) -> Case:
        """Return one case.

        Raises:
            CaseNotFound: no such case.
        """
        row = self._execute("SELECT * FROM reset_case WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise CaseNotFound(f"case {case_id} does not exist")
        return _case(row)

    def list_cases(self, *, status: CaseStatus | None = None, limit: int = 200) -> list[Case]:
        """Return the newest cases first, optionally only those in ``status``."""
        if status is None:
            rows = self._execute("SELECT * FROM reset_case ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._execute(
                "SELECT * FROM reset_case WHERE status = ? ORDER BY id DESC LIMIT ?", (status.value, limit)
            )
        return [_case(row) for row in rows.fetchall()]

    def count_verified_requests(self, serial: str, *, since: datetime, excluding: int) -> int:
        """Count requests for ``serial`` whose signature verified, received since ``since``."""
        row = self._execute(
            "SELECT count(*) FROM reset_case WHERE serial = ? AND signature_verified = 1"
            " AND received_at >= ? AND id != ?",
            (serial, format_time(since), excluding),
        ).fetchone()
        return int(row[0])

    def nonce_seen(self, nonce: bytes, *, excluding: int) -> bool:
        """Tell whether a verified request with this nonce was received before."""
        row = self._execute(
            "SELECT 1 FROM reset_case WHERE nonce = ? AND signature_verified = 1 AND id != ? LIMIT 1",
            (nonce, excluding),
        ).fetchone()
        return row is not None

    # issued codes ----------------------------------------------------------------------------------------

    def code_id_taken(self, code_id: int) -> bool:
        """Tell whether a code id was ever issued."""
        return self._execute("SELECT 1 FROM issued_code WHERE code_id = ?", (code_id,)).fetchone() is not None

    def insert_issued_code(self, record: IssuedCodeRecord) -> None:
        """Record an issued code (its fingerprint, never the code)."""
        self._execute(
            "INSERT INTO issued_code (code_id, case_id, key_id, expiry, fingerprint, sync_ipc_password,"
            " issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.code_id,
                record.case_id,
                record.key_id,
                format_time(record.expiry),
                record.fingerprint,
                int(record.sync_ipc_password),
                format_time(record.issued_at),
                record.issued_by,
            ),
        )

    def issued_code_for(self, case_id: int) -> IssuedCodeRecord | None:
        """Return the code issued for a case, if any."""
        row = self._execute("SELECT * FROM issued_code WHERE case_id = ?", (case_id,)).fetchone()
        if row is None:
            return None
        return IssuedCodeRecord(
            code_id=row["code_id"],
            case_id=row["case_id"],
            key_id=row["key_id"],
            expiry=parse_time(row["expiry"]),
            fingerprint=row["fingerprint"],
            sync_ipc_password=bool(row["sync_ipc_password"]),
            issued_at=parse_time(row["issued_at"]),
            issued_by=row["issued_by"],
        )

    # stolen serials --------------------------------------------------------------------------------------

    def add_stolen(self, entry: StolenSerial) -> None:
        """Record a serial as stolen (a second report replaces the first)."""
        self._execute(
            "INSERT OR REPLACE INTO stolen_serial (serial, reported_at, reported_by, note)"
            " VALUES (?, ?, ?, ?)",
            (entry.serial, format_time(entry.reported_at), entry.reported_by, entry.note),
        )

    def stolen(self, serial: str) -> StolenSerial | None:
        """Return the stolen report for ``serial``, if any."""
        row = self._execute("SELECT * FROM stolen_serial WHERE serial = ?", (serial,)).fetchone()
        if row is None:
            return None
        return StolenSerial(row["serial"], parse_time(row["reported_at"]), row["reported_by"], row["note"])

    # plumbing --------------------------------------------------------------------------------------------

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self.connection.execute(sql, parameters)
            except sqlite3.Error as exc:
                raise StoreError(f"support database: {exc}") from None

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """Run raw SQL for sibling modules (the audit log); wraps SQLite errors in :class:`StoreError`."""
        return self._execute(sql, parameters)


def _case(row: sqlite3.Row) -> Case:
    return Case(
        id=row["id"],
        serial=row["serial"],
        model=row["model"],
        mac=row["mac"],
        firmware=row["firmware"],
        device_time=parse_time(row["device_time"]),
        request_expiry=parse_time(row["request_expiry"]),
        received_at=parse_time(row["received_at"]),
        skew=timedelta(seconds=row["skew_seconds"]),
        nonce=row["nonce"],
        signature_verified=bool(row["signature_verified"]),
        certificate_fingerprint=row["certificate_fingerprint"],
        status=CaseStatus(row["status"]),
        refusal_reason=row["refusal_reason"],
        refusal_message=row["refusal_message"],
        ownership_note=row["ownership_note"],
        ownership_operator=row["ownership_operator"],
        ownership_at=_optional_time(row["ownership_at"]),
        decided_by=row["decided_by"],
        decided_at=_optional_time(row["decided_at"]),
        request_file=row["request_file"],
    )
