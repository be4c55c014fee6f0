from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from camvault.errors import StoreError
from camvault.fleet.store import Store
from camvault.fleet.store.engine import display_url
from camvault.fleet.store.schema import vault_audit

PLANTED = "Planted-Pa55-XYZ"


def _audit_row(detail: str) -> dict[str, object]:
    return {
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "actor": "tester",
        "action": "reveal",
        "ref": None,
        "detail": detail,
    }


def _count(store: Store) -> int:
    with store.transaction(readonly=True) as conn:
        return int(conn.execute(select(func.count()).select_from(vault_audit)).scalar_one())


def test_transaction_commits_on_success(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(insert(vault_audit).values(_audit_row("one")))
    assert _count(store) == 1


def test_transaction_rolls_back_on_exception(store: Store) -> None:
    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with store.transaction() as conn:
            conn.execute(insert(vault_audit).values(_audit_row("one")))
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    assert _count(store) == 0


def test_timestamps_come_back_timezone_aware_utc(store: Store) -> None:
    local = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with store.transaction() as conn:
        conn.execute(insert(vault_audit).values({**_audit_row("tz"), "at": local}))
    with store.transaction(readonly=True) as conn:
        stored = conn.execute(select(vault_audit.c.at)).scalar_one()
    assert stored == local
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 10
    assert stored.tzinfo == UTC


def test_naive_timestamps_are_refused(store: Store) -> None:
    statement = insert(vault_audit).values({**_audit_row("naive"), "at": datetime(2026, 1, 1)})
    with pytest.raises(StoreError), store.transaction() as conn:
        conn.execute(statement)


def test_driver_errors_become_one_line_store_errors_without_parameters(store: Store) -> None:
    with pytest.raises(StoreError) as caught, store.transaction() as conn:
        conn.execute(text("INSERT INTO no_such_table(secret) VALUES (:s)"), {"s": PLANTED})
    message = str(caught.value)
    assert "\n" not in message
    assert "no_such_table" in message
    assert PLANTED not in message
    assert PLANTED not in str(caught.value.__cause__)


def test_a_write_transaction_excludes_other_writers_from_its_begin(database_url: str) -> None:
    """BEGIN IMMEDIATE on SQLite, the writer advisory lock on PostgreSQL: another writer waits, then fails."""
    holder = Store.open(database_url)
    waiter = Store.open(database_url, busy_timeout=0.2)
    try:
        with holder.transaction() as conn:
            conn.execute(select(func.count()).select_from(vault_audit))  # holds the writer lock, only reads
            with pytest.raises(StoreError), waiter.transaction() as other:
                other.execute(select(func.count()).select_from(vault_audit))
            with waiter.transaction(readonly=True) as reader:  # readers do not wait
                assert reader.execute(select(func.count()).select_from(vault_audit)).scalar_one() == 0
        with waiter.transaction() as other:  # the lock is released at commit
            other.execute(insert(vault_audit).values(_audit_row("after")))
    finally:
        holder.close()
        waiter.close()


@pytest.mark.postgres
def test_readonly_transactions_refuse_writes_on_postgres(postgres_url: str) -> None:
    with Store.open(postgres_url) as store:
        with pytest.raises(StoreError), store.transaction(readonly=True) as conn:
            conn.execute(insert(vault_audit).values(_audit_row("ro")))
        assert _count(store) == 0


def test_store_url_and_repr_hide_the_password(store: Store) -> None:
    shown = store.url
    assert shown == display_url(store.engine)
    password = store.engine.url.password
    if password:
        assert str(password) not in shown
        assert str(password) not in repr(store)


def test_context_manager_closes_the_pool(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}") as store:
        assert store.revision() is not None
    assert store.engine.pool.checkedout() == 0
