"""Nothing readable at rest: a planted password goes through every vault path, then every byte is searched.

Searched: the SQLite file, its ``-wal`` and ``-shm``, every export, the shredded CSV's directory, captured logs
(every logger at DEBUG, SQLAlchemy's statement log included) and captured stdout/stderr; on PostgreSQL the
tables' raw bytes and every file of the server's data directory after a checkpoint. Searched for: the
password in UTF-8 and UTF-16, hex, and base64 at all three alignments.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from camvault.fleet.store import Store
from camvault.fleet.vault import (
    Vault,
    decode_archive,
    export_archive,
    export_kdbx,
    import_archive,
    import_csv_rows,
    parse_credentials_csv,
    shred_file,
)
from tests.fleet.conftest import PostgresServer
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE, PLANTED

EXPORT_PASSPHRASE = "export passphrase 42"


def _needles(secret: str) -> list[bytes]:
    raw = secret.encode("utf-8")
    found = [raw, secret.encode("utf-16-le"), raw.hex().encode(), raw.hex().upper().encode()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\x00" * shift + raw)
            found.append(encoded[4 if shift else 0 : -4])  # the characters that depend only on the secret
    return found


NEEDLES = _needles(PLANTED)


def _leaks(data: bytes) -> list[bytes]:
    return [needle for needle in NEEDLES if needle in data]


def test_the_search_would_find_each_form() -> None:
    """Guards the search itself: every encoding it looks for is found when present."""
    for shift in range(3):
        blob = b"prefix" + b"\x00" * shift + PLANTED.encode() + b"suffix"
        assert _leaks(base64.b64encode(blob))
    assert _leaks(PLANTED.encode("utf-16-le"))
    assert _leaks(b"x" + PLANTED.encode().hex().encode())
    assert not _leaks(b"Planted-Pa55-XY")


def _exercise(vault: Vault, store: Store, workdir: Path) -> list[Path]:
    """Every path a password takes through the vault; returns the files written."""
    with store.transaction() as conn:
        vault.stage(conn, "cred:door", PLANTED, username="admin", note="rotation 1")
        vault.promote(conn, "cred:door", 1)
        vault.put(conn, "cred:door", "the-next-password", username="admin")  # planted one is now retired
        vault.history(conn, "cred:door")
        vault.put(conn, "cred:yard", PLANTED, username="admin")  # reused: current
        vault.fingerprints(conn)
    assert vault.reveal("cred:door", passphrase=PASSPHRASE, version=1).secret.password == PLANTED
    kdbx, archive = workdir / "fleet.kdbx", workdir / "fleet.cva"
    export_kdbx(vault, kdbx, passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE)
    export_archive(vault, archive, passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE, kdf=FAST_KDF)
    with store.transaction() as conn:
        import_archive(
            vault, conn, decode_archive(archive.read_bytes(), EXPORT_PASSPHRASE), source="fleet.cva"
        )
    source = workdir / "cams.csv"
    source.write_text(f"ip;user;password\n192.168.1.70;admin;{PLANTED}\n", encoding="utf-8")
    parsed = parse_credentials_csv(source.read_bytes())
    parsed.raise_for_problems()
    with store.transaction() as conn:
        import_csv_rows(vault, conn, parsed.rows, source="cams.csv")
    shred_file(source)
    return [kdbx, archive]


def _files_under(directory: Path) -> Iterator[Path]:
    for root, _dirs, names in os.walk(directory):
        for name in names:
            yield Path(root) / name


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_nothing_readable_at_rest_on_sqlite(
    tmp_path: Path, all_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "fleet.sqlite"
    store = Store.open(f"sqlite:///{database}")
    try:
        vault = Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
        exports = _exercise(vault, store, tmp_path)
        live = {
            name: (tmp_path / name).read_bytes()
            for name in ("fleet.sqlite", "fleet.sqlite-wal", "fleet.sqlite-shm")
        }
        assert live["fleet.sqlite-wal"], "the WAL should hold the recent writes while the store is open"
    finally:
        store.close()
    for name, data in live.items():
        assert not _leaks(data), name
    assert not (tmp_path / "cams.csv").exists()
    for path in _files_under(tmp_path):  # after close: checkpointed database, exports, nothing else
        assert not _leaks(path.read_bytes()), path
    assert {path.name for path in exports} <= {path.name for path in _files_under(tmp_path)}
    assert "sqlalchemy.engine" in {record.name.rsplit(".", 1)[0] for record in all_logs.records}
    assert not _leaks(all_logs.text.encode())
    captured = capsys.readouterr()
    assert not _leaks((captured.out + captured.err).encode())


@pytest.mark.postgres
def test_nothing_readable_at_rest_on_postgres(
    postgres_server: PostgresServer,
    postgres_url: str,
    tmp_path: Path,
    all_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store.open(postgres_url)
    try:
        vault = Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
        for path in _exercise(vault, store, tmp_path):
            assert not _leaks(path.read_bytes()), path
    finally:
        store.close()
    with psycopg.connect(
        postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as connection:
        for table in ("vault", "vault_secret", "vault_audit"):
            with connection.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy:
                dumped = b"".join(bytes(chunk) for chunk in copy)
            assert dumped, table
            assert not _leaks(dumped), table
        connection.execute("CHECKPOINT")
    if os.geteuid() == 0:  # the data directory belongs to the server's user
        scanned = 0
        for path in _files_under(postgres_server.data_dir):
            assert not _leaks(path.read_bytes()), path
            scanned += 1
        assert scanned > 100
    assert not _leaks(all_logs.text.encode())
    captured = capsys.readouterr()
    assert not _leaks((captured.out + captured.err).encode())
