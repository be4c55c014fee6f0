"""The fleet store: SQLAlchemy Core on a SQLite file by default, PostgreSQL for teams, Alembic migrations.

Public API:

* :func:`create_engine_for`: an engine for a URL (or the default SQLite file), with WAL, ``synchronous=FULL``
  and serialised writers on SQLite, and the same one-writer semantics on PostgreSQL.
* :func:`upgrade`: bring any database to the newest schema; a database from newer code is refused.
* :class:`Store`: engine plus ``transaction()``; domain code takes the yielded connection.
* :mod:`camvault.fleet.store.schema`: the tables (``metadata``), defined once.
"""

from __future__ import annotations

from camvault.fleet.store.engine import create_engine_for, default_database_path, display_url
from camvault.fleet.store.migrate import current_revision, head_revision, upgrade
from camvault.fleet.store.schema import metadata
from camvault.fleet.store.store import Store

__all__ = [
    "Store",
    "create_engine_for",
    "current_revision",
    "default_database_path",
    "display_url",
    "head_revision",
    "metadata",
    "upgrade",
]
