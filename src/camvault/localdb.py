"""The embedded SQLite files of the lab and the support service: pragmas and versioned migrations.

Each role keeps one SQLite file in WAL mode. Its schema is an ordered list of :class:`Migration` steps; the
version applied so far lives in ``PRAGMA user_version``, so opening a file brings it up to date and refuses a
file written by newer code. (The fleet store, which must also run on PostgreSQL, uses SQLAlchemy and Alembic
instead; see :mod:`camvault.fleet.store`.)
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from camvault.errors import MigrationError, StoreError

__all__ = ["BUSY_TIMEOUT", "Migration", "enable_wal", "open_database"]

_log = logging.getLogger(__name__)

BUSY_TIMEOUT = 5.0
"""Seconds a role's connection waits for another writer before giving up."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the SQL script that takes the file from ``version - 1`` to ``version``."""

    version: int
    description: str
    script: str


def enable_wal(connection: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch a SQLite file to WAL mode, waiting up to ``busy_timeout`` seconds for other connections.

    SQLite does not call its busy handler for a journal-mode change, so two processes (or threads)
    opening a new file at once would otherwise see "database is locked" from the loser's switch.
    A file already in WAL mode is left alone; a file that cannot use WAL (some network filesystems)
    keeps its mode, with a warning.

    Args:
        connection: an open connection, outside any transaction.
        busy_timeout: seconds to keep retrying while another connection holds the lock.

    Raises:
        sqlite3.OperationalError: the lock was still held at the deadline, or another error.
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.005
    while True:
        try:
            row = connection.execute("PRAGMA journal_mode").fetchone()
            if row is not None and row[0] == "wal":
                return
            row = connection.execute("PRAGMA journal_mode=WAL").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
            continue
        if row is None or row[0] != "wal":
            _log.warning("SQLite refused WAL mode (journal_mode=%s); the store still works", row and row[0])
        return


def open_database(
    path: Path | str, migrations: Sequence[Migration], *, durable: bool = False
) -> sqlite3.Connection:
    """Open (creating if needed) a role's SQLite file and apply pending migrations.

    Args:
        path: the database file, or ``":memory:"``.
        migrations: the role's full migration list, versions 1, 2, 3, ... in order.
        durable: use ``synchronous=FULL`` so a committed transaction survives power loss
            (otherwise ``NORMAL``, which in WAL mode may lose the last commits but never corrupts).

    Returns:
        A connection in autocommit mode (``isolation_level=None``): callers open explicit transactions.

    Raises:
        MigrationError: the file was written by newer code, or a migration failed.
        StoreError: the file cannot be opened.
    """
    _check_sequence(migrations)
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        if str(path) != ":memory:":
            enable_wal(connection, BUSY_TIMEOUT)
        connection.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        connection.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    _migrate(connection, migrations, path)
    return connection


def _check_sequence(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {migration.description!r} has version {migration.version}, not {expected}"
            )


def _migrate(connection: sqlite3.Connection, migrations: Sequence[Migration], path: Path | str) -> None:
    current = _version(connection)
    if current > len(migrations):
        raise MigrationError(f"{path} has schema version {current}; this camvault knows {len(migrations)}")
    for migration in migrations[current:]:
        try:
            connection.execute("BEGIN IMMEDIATE")
            if _version(connection) >= migration.version:  # another opener applied it while we waited
                connection.execute("COMMIT")
                continue
            for statement in _statements(migration.script):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={migration.version}")
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            connection.execute("ROLLBACK")
            raise MigrationError(
                f"{path}: migration {migration.version} ({migration.description}) failed: {exc}"
            ) from None


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (``executescript`` would commit on its own)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise MigrationError("migration script ends with an incomplete statement")
    return statements
