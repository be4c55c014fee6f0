"""Alembic migrations of the fleet store, shipped inside the package and configured in code.

There is no ``alembic.ini``: :func:`camvault.fleet.store.migrate.alembic_config` builds the configuration and
:func:`camvault.fleet.store.migrate.upgrade` runs ``env.py`` on a connection it owns.

Adding a table (or changing one):

1. Change :mod:`camvault.fleet.store.schema`.
2. Add ``versions/rNNNN_<what>.py`` (copy the newest one; ``revision = "NNNN"``, ``down_revision`` = the
   previous revision). Alembic's autogenerate can draft the operations::

       from alembic import command
       from camvault.fleet.store.migrate import alembic_config
       config = alembic_config()
       with engine.begin() as connection:  # a database already at the previous head
           config.attributes["connection"] = connection
           command.revision(config, "what changed", autogenerate=True, rev_id="NNNN")

   then rename the file to ``rNNNN_<what>.py`` and make it pass ``ruff`` and ``mypy``.
3. On SQLite, ALTERs must run in ``op.batch_alter_table(...)`` (``env.py`` enables batch rendering).
4. ``tests/fleet/store/test_migrations.py`` checks that the migrations reproduce ``schema.py`` exactly on
   SQLite and PostgreSQL.
"""
