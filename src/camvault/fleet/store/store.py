"""The :class:`Store`: an engine brought to the newest schema, and transactions with the right semantics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from camvault.errors import StoreError
from camvault.fleet.store.engine import (
    DEFAULT_BUSY_TIMEOUT,
    READONLY_OPTION,
    create_engine_for,
    display_url,
)
from camvault.fleet.store.migrate import current_revision, upgrade

__all__ = ["Store"]


class Store:
    """The fleet database: an engine plus :meth:`transaction`.

    Domain code (vault, journal, inventory) takes the :class:`~sqlalchemy.Connection` that
    :meth:`transaction` yields and never commits on its own, so one rotation step can write its journal row
    and its vault change atomically::

        with store.transaction() as conn:
            journal.record(conn, ...)
            vault.promote(conn, ref, version)

    Args:
        engine: an engine from :func:`~camvault.fleet.store.engine.create_engine_for`, already migrated
            (use :meth:`open` to create and migrate in one step).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        """Open the fleet store and bring its schema to the newest revision.

        Args:
            url: the database URL; ``None`` for the default SQLite file in the user's data directory.
            busy_timeout: seconds a writer waits for another writer.

        Raises:
            ConfigurationError: the URL is unusable.
            MigrationError: the database was written by newer code, or a migration failed.
        """
        engine = create_engine_for(url, busy_timeout=busy_timeout)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with its password masked: the only form to log or show."""
        return display_url(self._engine)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Connection]:
        """Run a block in one transaction: committed if it returns, rolled back if it raises.

        Write transactions (the default) serialise with every other writer, on SQLite and PostgreSQL alike
        (see :mod:`camvault.fleet.store.engine`), waiting up to the busy timeout.

        Args:
            readonly: the block only reads; it then never waits for writers (PostgreSQL enforces read-only,
                SQLite starts a deferred transaction).

        Yields:
            The connection to pass to domain functions.

        Raises:
            StoreError: the database could not be reached, was busy beyond the timeout, or refused a
                statement. Exceptions raised by the block itself propagate unchanged (after the rollback).
        """
        try:
            with self._engine.connect() as connection:
                connection.execution_options(**{READONLY_OPTION: readonly})
                with connection.begin():
                    yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"database {self.url}: {_reason(exc)}") from exc

    def revision(self) -> str | None:
        """Return the schema revision of the database (``None`` if it was never migrated)."""
        with self.transaction(readonly=True) as connection:
            return current_revision(connection)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def _reason(exc: SQLAlchemyError) -> str:
    """One line from the driver; SQL parameters are hidden by the engine, the URL is never included."""
    original: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(original).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(original).__name__}: {first}" if first else type(original).__name__
