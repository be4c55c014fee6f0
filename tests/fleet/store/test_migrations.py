from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import camvault
from camvault.errors import MigrationError
from camvault.fleet.store import Store, create_engine_for, current_revision, head_revision, metadata, upgrade
from camvault.fleet.store.migrate import MIGRATIONS_DIR, alembic_config


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_brings_an_empty_database_to_head_and_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine) == head_revision()
    assert {"vault", "vault_secret", "vault_audit", "alembic_version"} <= _tables(engine)
    assert upgrade(engine) == head_revision()
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()


def test_migrations_produce_exactly_the_schema_module(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert diffs == []


def test_the_comparison_would_see_a_missing_table(engine: Engine) -> None:
    """Guards the test above: compare_metadata does report differences on this engine."""
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE vault_audit"))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert any(diff[0] == "add_table" and diff[1].name == "vault_audit" for diff in diffs)


def test_a_database_from_newer_code_is_refused(database_url: str) -> None:
    Store.open(database_url).close()
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(MigrationError, match="9999"):
            upgrade(engine)
    finally:
        engine.dispose()
    with pytest.raises(MigrationError, match="newer"):
        Store.open(database_url)


def test_a_failed_migration_leaves_the_database_untouched(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE vault_audit (id INTEGER PRIMARY KEY)"))  # collides with revision 1
    with pytest.raises(MigrationError, match="migration failed"):
        upgrade(engine)
    assert _tables(engine) == {"vault_audit"}  # vault and vault_secret, created first, were rolled back


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert _tables(engine) <= {"alembic_version"}
    assert upgrade(engine) == head_revision()


def test_env_py_refuses_to_run_without_a_connection() -> None:
    with pytest.raises(MigrationError):
        command.upgrade(alembic_config(), "head")


def test_concurrent_upgrades_serialise(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            Store.open(url).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with Store.open(url) as store:
        assert store.revision() == head_revision()


def test_migration_scripts_ship_inside_the_package() -> None:
    package_dir = Path(camvault.__file__).resolve().parent
    assert MIGRATIONS_DIR.is_relative_to(package_dir)
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert any(MIGRATIONS_DIR.joinpath("versions").glob("r0001_*.py"))
