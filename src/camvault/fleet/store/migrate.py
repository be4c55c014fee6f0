"""Schema migrations of the fleet store: Alembic, configured in code, scripts shipped in the package."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from camvault.errors import MigrationError
from camvault.fleet.store.engine import display_url

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current_revision", "head_revision", "upgrade"]

_log = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
"""The Alembic script directory (``env.py`` and ``versions/``), inside the installed package."""


def alembic_config() -> Config:
    """Build the Alembic configuration of the fleet store (no ``alembic.ini`` involved).

    Returns:
        A configuration whose ``script_location`` is :data:`MIGRATIONS_DIR`. To run a command, put an open
        connection in ``config.attributes["connection"]``; ``env.py`` refuses to connect on its own.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """Return the newest revision this code knows.

    Raises:
        MigrationError: the shipped scripts have several heads (a packaging bug).
    """
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise MigrationError(f"the fleet store migrations have {len(heads)} heads, expected one")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    """Return the revision a database is at, or ``None`` when it has never been migrated.

    Args:
        connection: a connection to the database.
    """
    heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else None


def upgrade(engine: Engine) -> str:
    """Bring a database to the newest revision, in one transaction.

    Concurrent callers serialise on the writer lock (see :mod:`camvault.fleet.store.engine`); the second
    one finds the work done.

    Args:
        engine: an engine from :func:`camvault.fleet.store.engine.create_engine_for`.

    Returns:
        The revision the database is now at.

    Raises:
        MigrationError: the database is at a revision this code does not know (written by a newer
            camvault), or a migration failed (the database is left as it was).
    """
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    where = display_url(engine)
    try:
        with engine.begin() as connection:
            before = current_revision(connection)
            _refuse_unknown(script, before, where)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            after = current_revision(connection)
    except MigrationError:
        raise
    except (SQLAlchemyError, CommandError) as exc:
        raise MigrationError(f"{where}: migration failed: {_first_line(exc)}") from exc
    if after is None:
        raise MigrationError(f"{where}: no revision recorded after upgrading")
    if after != before:
        _log.info("fleet store %s migrated from %s to %s", where, before or "empty", after)
    return after


def _refuse_unknown(script: ScriptDirectory, revision: str | None, where: str) -> None:
    if revision is None:
        return
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise MigrationError(
            f"{where} is at schema revision {revision!r}, which this camvault does not know "
            "(written by a newer version?); upgrade camvault"
        )


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__
