"""Alembic environment of the fleet store: migrations run on a connection the caller already opened.

:func:`camvault.fleet.store.migrate.upgrade` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite, the
writer advisory lock on PostgreSQL), puts the connection in ``config.attributes["connection"]`` and runs
the command; every revision then applies inside that one transaction, so a failed migration leaves the
database as it was (SQLite and PostgreSQL both have transactional DDL).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from camvault.errors import MigrationError
from camvault.fleet.store.schema import metadata


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise MigrationError("fleet store migrations run through camvault.fleet.store.migrate.upgrade()")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
