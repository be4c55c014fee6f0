from __future__ import annotations

import threading
from pathlib import Path

import pytest

from camvault.errors import MigrationError
from camvault.localdb import Migration, open_database

V1 = Migration(1, "items", "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL);")
V2 = Migration(
    2, "item colour", "ALTER TABLE item ADD COLUMN colour TEXT;\nCREATE INDEX item_name ON item(name);"
)


def test_migrations_apply_in_order_and_only_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = open_database(path, [V1])
    db.execute("INSERT INTO item(name) VALUES ('a')")
    db.close()
    db = open_database(path, [V1, V2])
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute("SELECT name, colour FROM item").fetchall() == [("a", None)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert open_database(path, [V1, V2]).execute("SELECT count(*) FROM item").fetchone()[0] == 1


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    open_database(path, [V1, V2]).close()
    with pytest.raises(MigrationError, match="schema version 2"):
        open_database(path, [V1])


def test_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    open_database(path, [V1]).close()
    broken = Migration(2, "broken", "ALTER TABLE item ADD COLUMN x TEXT;\nTHIS IS NOT SQL;")
    with pytest.raises(MigrationError, match="broken"):
        open_database(path, [V1, broken])
    db = open_database(path, [V1])
    assert [row[1] for row in db.execute("PRAGMA table_info(item)")] == ["id", "name"]


def test_misnumbered_migrations_are_refused() -> None:
    with pytest.raises(MigrationError):
        open_database(":memory:", [V2])


def test_openers_racing_on_a_new_file_all_succeed(tmp_path: Path) -> None:
    """Eight threads create the same file at once, twenty times: every one gets a migrated WAL database."""
    for round_number in range(20):
        path = tmp_path / f"race-{round_number}.sqlite"
        errors: list[BaseException] = []
        versions: list[int] = []

        def open_it(
            target: Path = path, errors: list[BaseException] = errors, versions: list[int] = versions
        ) -> None:
            try:
                db = open_database(target, [V1, V2])
                versions.append(db.execute("PRAGMA user_version").fetchone()[0])
                db.close()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert versions == [2] * 8
        db = open_database(path, [V1, V2])
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()
