from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from camvault.errors import ConfigurationError, StoreError
from camvault.fleet.store import Store, create_engine_for, default_database_path, display_url
from camvault.fleet.store import engine as engine_module

PLANTED = "Planted-Pa55-XYZ"


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module.platformdirs, "user_data_dir", lambda app: str(tmp_path / app))
    assert default_database_path() == tmp_path / "camvault" / "fleet.sqlite"
    engine = create_engine_for(None)
    try:
        assert engine.dialect.name == "sqlite"
        assert engine.url.database == str(tmp_path / "camvault" / "fleet.sqlite")
        created = tmp_path / "camvault" / "fleet.sqlite"
        assert stat.S_IMODE(created.stat().st_mode) == 0o600
        assert stat.S_IMODE(created.parent.stat().st_mode) == 0o700
    finally:
        engine.dispose()


def test_sqlite_connections_are_wal_full_sync_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'f.sqlite'}", busy_timeout=2.5)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2500
    finally:
        engine.dispose()


def test_wal_and_shm_files_are_owner_only(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'f.sqlite'}") as store, store.transaction() as conn:
        conn.execute(text("SELECT count(*) FROM vault"))
        for name in ("f.sqlite", "f.sqlite-wal", "f.sqlite-shm"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/x", "oracle://a:b@c/d", "sqlite://", "sqlite:///:memory:"],
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        create_engine_for(url)


def test_unparsable_url_error_does_not_repeat_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_engine_for(f"postgresql+psycopg://user:{PLANTED}@host:notaport/db")
    assert PLANTED not in str(caught.value)


def test_plain_postgresql_url_means_psycopg_and_is_displayed_without_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = create_engine_for(f"postgresql://camvault:{PLANTED}@127.0.0.1:1/fleet")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert PLANTED not in display_url(engine)
        assert "***" in display_url(engine)
        assert PLANTED not in repr(Store(engine))
        assert PLANTED not in caplog.text
    finally:
        engine.dispose()


def test_postgres_connection_failure_is_a_store_error_without_password() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    store = Store(create_engine_for(f"postgresql+psycopg://camvault:{PLANTED}@127.0.0.1:1/fleet"))
    with pytest.raises(StoreError) as caught, store.transaction():
        pass
    assert PLANTED not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_non_positive_busy_timeout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        create_engine_for(f"sqlite:///{tmp_path / 'f.sqlite'}", busy_timeout=0)
