from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from camvault.protocols.resetcode import key_id_for
from camvault.support import audit
from camvault.support.audit import AuditLog
from camvault.support.store import SupportStore, parse_time

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VENDOR_KEY = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
KEYS = {key_id_for(VENDOR_KEY.public_key()): VENDOR_KEY.public_key()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SupportStore]:
    opened = SupportStore.open(tmp_path / "support.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def log(store: SupportStore) -> AuditLog:
    log = AuditLog(store, signing_key=VENDOR_KEY)
    for seq in range(1, 6):
        log.append(
            time=T0 + timedelta(minutes=seq),
            actor="alice",
            action=f"action_{seq}",
            case_id=seq,
            details={"n": seq, "text": "ünïcode"},
        )
    return log


def insider(store: SupportStore) -> sqlite3.Connection:
    """Someone with write access to the file, who first drops the append-only triggers."""
    connection = store.connection
    connection.execute("DROP TRIGGER audit_entry_is_append_only_update")
    connection.execute("DROP TRIGGER audit_entry_is_append_only_delete")
    return connection


def test_intact_log_verifies(log: AuditLog) -> None:
    report = log.verify(public_keys=KEYS)
    assert report.ok
    assert report.entries == report.head_seq == 5
    entries = list(log.entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in pairwise(entries))
    assert report.head_hash == entries[-1].hash
    assert [e.action for e in log.entries(case_id=3)] == ["action_3"]


def test_the_database_refuses_plain_updates_and_deletes(log: AuditLog, store: SupportStore) -> None:
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.connection.execute("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.connection.execute("DELETE FROM audit_entry WHERE seq = 2")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory"),
        ("action", "nothing_happened"),
        ("case_id", 99),
        ("details", '{"n":3,"text":"edited"}'),
        ("time", "2026-03-01T12:03:00.000001+00:00"),
        ("details", '{"n": 3, "text": "\\u00fcn\\u00efcode"}'),  # same content, other spelling
        ("details", "not json"),
    ],
)
def test_editing_a_row_is_named(log: AuditLog, store: SupportStore, column: str, value: object) -> None:
    insider(store).execute(f"UPDATE audit_entry SET {column} = ? WHERE seq = 3", (value,))
    report = log.verify(public_keys=KEYS)
    assert not report.ok
    assert report.first_bad_seq == 3
    assert report.problem is not None
    assert "3" in report.problem


def test_deleting_a_row_is_named(log: AuditLog, store: SupportStore) -> None:
    insider(store).execute("DELETE FROM audit_entry WHERE seq = 2")
    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "entry 2 is missing" in (report.problem or "")


def test_rewriting_the_chain_is_caught_by_signatures(log: AuditLog, store: SupportStore) -> None:
    """An insider rewrites entry 2 and re-chains everything after it, keeping the old signatures."""
    connection = insider(store)
    originals = connection.execute("SELECT * FROM audit_entry WHERE seq >= 2 ORDER BY seq").fetchall()
    connection.execute("DELETE FROM audit_entry WHERE seq >= 2")
    forger = AuditLog(store)  # the insider has the database, not the vendor key
    for row in originals:
        details = {"n": 2, "text": "forged"} if row["seq"] == 2 else json.loads(row["details"])
        forger.append(
            time=parse_time(row["time"]),
            actor=row["actor"],
            action=row["action"],
            case_id=row["case_id"],
            details=details,
        )
        connection.execute(
            "UPDATE audit_entry SET key_id = ?, signature = ? WHERE seq = ?",
            (row["key_id"], row["signature"], row["seq"]),
        )
    assert log.verify().ok  # the bare chain cannot tell
    report = log.verify(public_keys=KEYS)
    assert not report.ok
    assert report.first_bad_seq == 2
    assert "invalid signature" in (report.problem or "")


def test_a_chain_signed_by_another_key_is_caught(log: AuditLog, store: SupportStore) -> None:
    connection = insider(store)
    connection.execute("DELETE FROM audit_entry WHERE seq >= 2")
    AuditLog(store, signing_key=Ed25519PrivateKey.generate()).append(
        time=T0, actor="mallory", action="forged", case_id=None, details={}
    )
    report = log.verify(public_keys=KEYS)
    assert report.first_bad_seq == 2
    assert "unknown key" in (report.problem or "")


def test_stripping_signatures_is_caught(log: AuditLog, store: SupportStore) -> None:
    insider(store).execute("UPDATE audit_entry SET signature = NULL, key_id = NULL WHERE seq = 4")
    report = log.verify(public_keys=KEYS)
    assert report.first_bad_seq == 4
    assert "not signed" in (report.problem or "")


def test_entries_signed_by_an_unknown_key_are_refused(log: AuditLog) -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32)
    report = log.verify(public_keys={key_id_for(other.public_key()): other.public_key()})
    assert report.first_bad_seq == 1
    assert "unknown key" in (report.problem or "")


def test_truncation_is_caught_with_a_recorded_head(log: AuditLog, store: SupportStore) -> None:
    head = log.verify(public_keys=KEYS)
    insider(store).execute("DELETE FROM audit_entry WHERE seq >= 4")
    assert log.verify(public_keys=KEYS).ok  # a shorter chain is still a chain
    report = log.verify(public_keys=KEYS, expected_head=(head.head_seq, head.head_hash))
    assert not report.ok
    assert report.first_bad_seq == 5
    assert log.verify(public_keys=KEYS, expected_head=(3, list(log.entries())[2].hash)).ok


def test_secret_detail_keys_are_refused(store: SupportStore) -> None:
    log = AuditLog(store)
    for key in ("code", "Password", "passphrase", "signature", "token"):
        with pytest.raises(ValueError, match="secrets"):
            log.append(time=T0, actor="a", action="x", case_id=None, details={key: "x"})
    assert list(log.entries()) == []


def test_a_failed_transaction_leaves_no_entry(store: SupportStore) -> None:
    log = AuditLog(store, signing_key=VENDOR_KEY)

    def crash_after_the_audit_entry() -> None:
        with store.transaction():
            log.append(time=T0, actor="a", action="x", case_id=None, details={})
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        crash_after_the_audit_entry()
    assert list(log.entries()) == []
    log.append(time=T0, actor="a", action="y", case_id=None, details={})
    assert log.verify(public_keys=KEYS).ok
