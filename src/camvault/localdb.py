"""The embedded SQLite files of the lab and the support service: pragmas and versioned migrations.

Each role keeps one SQLite file in WAL mode. Its schema is an ordered list of :class:`Migration` steps; the
version applied so far lives in ``PRAGMA user_version``, so opening a file brings it up to date and refuses a
file written by newer code. (The fleet store, which must also run on PostgreSQL, uses SQLAlchemy and Alembic
instead; see :mod:`camvault.fleet.store`.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from camvault.errors import MigrationError, StoreError

__all__ = ["Migration", "open_database"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the SQL script that takes the file from ``version - 1`` to ``version``."""

    version: int
    description: str
    script: str


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
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=5000")
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
    current = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if current > len(migrations):
        raise MigrationError(f"{path} has schema version {current}; this camvault knows {len(migrations)}")
    for migration in migrations[current:]:
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _statements(migration.script):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={migration.version}")
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            connection.execute("ROLLBACK")
            raise MigrationError(
                f"{path}: migration {migration.version} ({migration.description}) failed: {exc}"
            ) from None


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
