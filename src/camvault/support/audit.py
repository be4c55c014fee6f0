"""The support service's audit log: append-only, hash-chained, and signed entry by entry.

Each entry holds ``seq, time, actor, action, case_id, details, prev_hash`` and ``hash``, the SHA-256 of a
canonical encoding of the other fields; ``prev_hash`` is the previous entry's hash (64 zeros for the
first). Editing, inserting or deleting an entry in the middle breaks the chain at that entry.

An insider with write access to the database could rewrite the *whole* chain from the edit onwards, so each
entry's hash is also signed with the current reset-signing key (with its own domain tag, so an audit
signature can never pass for a reset code). Rewriting the chain then needs the vendor key too. Dropping the
newest entries leaves a shorter, valid chain: :meth:`AuditLog.verify` detects it when given a head
(sequence number and hash) recorded earlier, e.g. the one ``camvault support audit verify`` prints.

Details never hold a secret: the service stores a code fingerprint, never the code; :meth:`AuditLog.append`
refuses detail keys that name secrets, as a last line of defence.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from camvault.errors import StoreError
from camvault.protocols.resetcode import format_key_id, key_id_for
from camvault.support.store import SupportStore, format_time, parse_time

__all__ = ["GENESIS_HASH", "AuditEntry", "AuditLog", "AuditReport"]

GENESIS_HASH = "0" * 64
_HASH_DOMAIN = b"camvault audit entry v1\x00"
_SIGNATURE_DOMAIN = b"camvault audit signature v1\x00"
_SECRET_KEYS = frozenset(
    {
        "code",
        "typed_code",
        "reset_code",
        "password",
        "passphrase",
        "private_key",
        "signature",
        "token",
        "secret",
    }
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the log."""

    seq: int
    time: datetime
    actor: str
    action: str
    case_id: int | None
    details: Mapping[str, Any]
    prev_hash: str
    hash: str
    key_id: int | None
    signature: bytes | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of :meth:`AuditLog.verify`.

    Attributes:
        ok: every entry is intact and (when keys were given) signed by a known key.
        entries: how many entries were read.
        head_seq: the last entry's sequence number (0 for an empty log).
        head_hash: the last entry's hash.
        first_bad_seq: the first entry that failed, if any.
        problem: what is wrong with it.
    """

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


class AuditLog:
    """The audit log over a :class:`SupportStore`; appends join the caller's transaction."""

    def __init__(self, store: SupportStore, *, signing_key: Ed25519PrivateKey | None = None) -> None:
        self._store = store
        self._signing_key = signing_key

    def append(
        self, *, time: datetime, actor: str, action: str, case_id: int | None, details: Mapping[str, Any]
    ) -> AuditEntry:
        """Append one entry, chained to the current head and signed when a key was given.

        Raises:
            ValueError: ``details`` has a key that names a secret.
        """
        leaked = _SECRET_KEYS & {key.lower() for key in details}
        if leaked:
            raise ValueError(f"audit details must not hold secrets ({sorted(leaked)[0]!r})")
        with self._store.transaction():
            row = self._store.execute(
                "SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev_hash = (1, GENESIS_HASH) if row is None else (row["seq"] + 1, row["hash"])
            digest = _entry_hash(
                seq=seq,
                time=time,
                actor=actor,
                action=action,
                case_id=case_id,
                details=details,
                prev_hash=prev_hash,
            )
            key_id, signature = self._sign(digest)
            self._store.execute(
                "INSERT INTO audit_entry (seq, time, actor, action, case_id, details, prev_hash, hash,"
                " key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    format_time(time),
                    actor,
                    action,
                    case_id,
                    _canonical(details),
                    prev_hash,
                    digest,
                    key_id,
                    signature,
                ),
            )
        return AuditEntry(
            seq, time, actor, action, case_id, dict(details), prev_hash, digest, key_id, signature
        )

    def entries(self, *, case_id: int | None = None) -> Iterator[AuditEntry]:
        """Yield the entries in order, optionally only those about one case.

        Raises:
            StoreError: a row cannot be read at all (corrupted); :meth:`verify` names it.
        """
        if case_id is None:
            cursor = self._store.execute("SELECT * FROM audit_entry ORDER BY seq")
        else:
            cursor = self._store.execute(
                "SELECT * FROM audit_entry WHERE case_id = ? ORDER BY seq", (case_id,)
            )
        for row in cursor.fetchall():
            try:
                yield _entry(row)
            except (ValueError, TypeError):
                raise StoreError(f"audit entry {row['seq']} cannot be read; run audit verify") from None

    def verify(
        self,
        *,
        public_keys: Mapping[int, Ed25519PublicKey] | None = None,
        expected_head: tuple[int, str] | None = None,
    ) -> AuditReport:
        """Check the whole chain and report the first bad entry.

        Args:
            public_keys: every reset key that may have signed entries (retired ones included); when given,
                every entry must carry a valid signature by one of them.
            expected_head: a ``(seq, hash)`` recorded earlier; it must still be in the chain (detects a
                truncated log).

        Returns:
            The report; ``ok`` is false and ``first_bad_seq`` names the entry when something is wrong.
        """
        prev_hash, count, last_seq = GENESIS_HASH, 0, 0
        seen_head = expected_head is None
        for raw in self._store.execute("SELECT * FROM audit_entry ORDER BY seq").fetchall():
            count += 1
            problem = _check_row(raw, last_seq + 1, prev_hash, public_keys)
            if problem is not None:
                return AuditReport(False, count, last_seq, prev_hash, raw["seq"], problem)
            last_seq, prev_hash = raw["seq"], raw["hash"]
            if expected_head is not None and expected_head == (last_seq, prev_hash):
                seen_head = True
        if not seen_head:
            assert expected_head is not None
            return AuditReport(
                False,
                count,
                last_seq,
                prev_hash,
                expected_head[0],
                f"entry {expected_head[0]} with the recorded hash is no longer in the log "
                "(truncated or rewritten)",
            )
        return AuditReport(True, count, last_seq, prev_hash)

    def _sign(self, digest: str) -> tuple[int | None, bytes | None]:
        if self._signing_key is None:
            return None, None
        signature = self._signing_key.sign(_SIGNATURE_DOMAIN + bytes.fromhex(digest))
        return key_id_for(self._signing_key.public_key()), signature


def _check_row(
    raw: sqlite3.Row, expected_seq: int, prev_hash: str, public_keys: Mapping[int, Ed25519PublicKey] | None
) -> str | None:
    if raw["seq"] != expected_seq:
        return f"entry {expected_seq} is missing (next entry is {raw['seq']})"
    if raw["prev_hash"] != prev_hash:
        return f"entry {raw['seq']} does not chain to entry {expected_seq - 1}"
    try:
        entry = _entry(raw)
        recomputed = _entry_hash(
            seq=entry.seq,
            time=entry.time,
            actor=entry.actor,
            action=entry.action,
            case_id=entry.case_id,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
    except (ValueError, TypeError):
        return f"entry {raw['seq']} cannot be read"
    stored_as_written = _canonical(entry.details) == raw["details"] and format_time(entry.time) == raw["time"]
    if recomputed != entry.hash or not stored_as_written:
        return f"entry {entry.seq} was modified: its content does not match its hash"
    if public_keys is not None:
        return _check_signature(entry, public_keys)
    return None


def _check_signature(entry: AuditEntry, public_keys: Mapping[int, Ed25519PublicKey]) -> str | None:
    if entry.signature is None or entry.key_id is None:
        return f"entry {entry.seq} is not signed"
    key = public_keys.get(entry.key_id)
    if key is None:
        return f"entry {entry.seq} is signed by unknown key {format_key_id(entry.key_id)}"
    try:
        key.verify(entry.signature, _SIGNATURE_DOMAIN + bytes.fromhex(entry.hash))
    except (InvalidSignature, ValueError):
        return f"entry {entry.seq} has an invalid signature"
    return None


def _entry(row: sqlite3.Row) -> AuditEntry:
    details = json.loads(row["details"])
    if not isinstance(details, dict):
        raise ValueError("details must be a JSON object")
    return AuditEntry(
        seq=row["seq"],
        time=parse_time(row["time"]),
        actor=row["actor"],
        action=row["action"],
        case_id=row["case_id"],
        details=details,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        key_id=row["key_id"],
        signature=row["signature"],
    )


def _entry_hash(
    *,
    seq: int,
    time: datetime,
    actor: str,
    action: str,
    case_id: int | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "time": format_time(time),
            "actor": actor,
            "action": action,
            "case_id": case_id,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(_HASH_DOMAIN + canonical.encode("ascii")).hexdigest()


def _canonical(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
