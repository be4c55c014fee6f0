"""Engines for the fleet store: a SQLite file by default, PostgreSQL for teams, one code path for both.

Every transaction the fleet opens is a *write* transaction unless it asks otherwise, and writers serialise
instead of failing half-way:

* SQLite: ``sqlite3``'s own transaction handling is switched off and SQLAlchemy's ``begin`` event emits
  ``BEGIN IMMEDIATE`` (``BEGIN DEFERRED`` for read-only transactions), so a writer takes the database's write
  lock before its first read and waits for it (``busy_timeout``) rather than failing with "database is
  locked" when it later upgrades a read lock. The file runs in WAL mode with ``synchronous=FULL``: a
  committed vault or journal step survives power loss (DESIGN.md, Storage).
* PostgreSQL: transactions run at READ COMMITTED and a write transaction first takes one transaction-scoped
  advisory lock (:data:`WRITER_LOCK_KEY`), which gives exactly SQLite's "one writer at a time" semantics.
  Writers therefore never see serialization failures that would need a retry loop, and readers never wait.
  ``lock_timeout`` bounds that wait like SQLite's busy timeout. Read-only transactions run ``READ ONLY``.

Passwords in URLs never reach a log line or an error message: use :func:`display_url`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, Final, cast

import platformdirs
from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from camvault.errors import ConfigurationError
from camvault.localdb import enable_wal

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "READONLY_OPTION",
    "WRITER_LOCK_KEY",
    "create_engine_for",
    "default_database_path",
    "display_url",
]

_log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT: Final = 15.0
"""Seconds a writer waits for another writer before the store gives up."""

READONLY_OPTION: Final = "camvault_readonly"
"""Connection execution option: ``True`` makes the next transaction read-only (see module docstring)."""

WRITER_LOCK_KEY: Final = 0x63616D7661756C74
"""The PostgreSQL advisory-lock key that serialises writers (the ASCII bytes of ``camvault``)."""

_SQLITE_DRIVERS: Final = frozenset({"sqlite", "sqlite+pysqlite"})
_POSTGRES_DRIVERS: Final = frozenset({"postgresql", "postgresql+psycopg"})


def default_database_path() -> Path:
    """Return where the fleet store lives when no URL is given.

    Returns:
        ``fleet.sqlite`` in the user's data directory (``platformdirs.user_data_dir("camvault")``).
    """
    return Path(platformdirs.user_data_dir("camvault")) / "fleet.sqlite"


def display_url(url: URL | Engine) -> str:
    """Return a URL fit for logs and messages: the password, if any, is masked.

    Args:
        url: a parsed URL, or an engine whose URL to show.

    Returns:
        The URL as text with ``***`` in place of the password.
    """
    target = url.url if isinstance(url, Engine) else url
    return target.render_as_string(hide_password=True)


def create_engine_for(url: str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """Create the engine of the fleet store.

    Args:
        url: ``sqlite:///path/to/file`` or ``postgresql+psycopg://user:pass@host/db`` (``postgresql://`` is
            taken to mean psycopg). ``None`` means the default SQLite file (:func:`default_database_path`).
        busy_timeout: seconds a writer waits for another writer (SQLite ``busy_timeout``, PostgreSQL
            ``lock_timeout``).

    Returns:
        An engine with the pragmas, isolation and writer serialisation described in the module docstring.
        SQL parameters are hidden from SQLAlchemy's error messages and logs.

    Raises:
        ConfigurationError: the URL cannot be parsed, names an unsupported backend, or is an in-memory
            SQLite database (the store must outlive the process).
    """
    if busy_timeout <= 0:
        raise ConfigurationError("the busy timeout must be positive")
    parsed = _parse(url)
    if parsed.drivername in _SQLITE_DRIVERS:
        engine = _sqlite_engine(parsed, busy_timeout)
    else:
        engine = _postgres_engine(parsed, busy_timeout)
    _log.debug("fleet store engine for %s", display_url(engine))
    return engine


def _parse(url: str | None) -> URL:
    if url is None:
        return URL.create("sqlite", database=str(default_database_path()))
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # SQLAlchemy's message repeats the URL, password included.
        raise ConfigurationError(
            "cannot parse the database URL; expected sqlite:///path or postgresql+psycopg://..."
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in _SQLITE_DRIVERS | _POSTGRES_DRIVERS:
        raise ConfigurationError(
            f"unsupported database backend {parsed.drivername!r}; "
            "use sqlite:///path or postgresql+psycopg://user@host/database"
        )
    return parsed


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise ConfigurationError("the fleet store needs a SQLite file path, not an in-memory database")
    _prepare_sqlite_file(Path(url.database))
    engine = sa_create_engine(url, hide_parameters=True)
    _install_sqlite_hooks(engine, busy_timeout)
    return engine


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file owner-only before SQLite does; SQLite gives its ``-wal``/``-shm`` the same mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _install_sqlite_hooks(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        connection = cast(sqlite3.Connection, dbapi_connection)
        connection.isolation_level = None  # SQLAlchemy's begin hook below emits BEGIN itself
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        enable_wal(connection, busy_timeout)
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = bool(conn.get_execution_options().get(READONLY_OPTION, False))
        conn.exec_driver_sql("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")


def _postgres_engine(url: URL, busy_timeout: float) -> Engine:
    engine = sa_create_engine(url, hide_parameters=True, pool_pre_ping=True)
    lock_timeout = f"SET LOCAL lock_timeout = '{int(busy_timeout * 1000)}ms'"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = bool(conn.get_execution_options().get(READONLY_OPTION, False))
        if readonly:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(lock_timeout)
        if not readonly:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")

    return engine
