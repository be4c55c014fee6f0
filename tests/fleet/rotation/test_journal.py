"""The journal's state machine and its pairing with vault changes, on both engines."""

from __future__ import annotations

import pytest

from camvault.clock import ManualClock
from camvault.errors import JournalError, SecretNotFound
from camvault.fleet.rotation.journal import DependentState, Journal, State, policies, set_policy
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault

REF = "cred:device-1"


@pytest.fixture
def journal(vault: Vault, clock: ManualClock) -> Journal:
    with vault.store.transaction() as conn:
        vault.put(conn, REF, "Old-Passw0rd-1", username="admin")
    return Journal(vault, clock.now)


def stage(journal: Journal, store: Store, password: str = "New-Passw0rd-2"):  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        run = journal.start_run(conn, {"canary": 1})
        return journal.stage(
            conn, run_id=run, device_id="dev-1", username="admin", credential_ref=REF, new_password=password
        )


def current_password(vault: Vault) -> str:
    with vault.store.transaction(readonly=True) as conn:
        return vault.current(conn, REF).password


def test_the_happy_path_stages_then_promotes(journal: Journal, vault: Vault, store: Store) -> None:
    entry = stage(journal, store)
    assert entry.state is State.STAGED and entry.from_version == 1 and entry.to_version == 2
    assert current_password(vault) == "Old-Passw0rd-1", "staged is not current"
    with store.transaction() as conn:
        entry = journal.move(conn, entry, State.APPLYING)
        entry = journal.move(conn, entry, State.CHANGED, attempts=1)
        entry = journal.promote(conn, entry)
        entry = journal.move(conn, entry, State.DONE)
    assert current_password(vault) == "New-Passw0rd-2"
    assert entry.attempts == 1 and entry.state.finished
    with store.transaction(readonly=True) as conn:
        assert [info.state.value for info in vault.history(conn, REF)] == ["retired", "current"]
        assert journal.unfinished(conn) == []


def test_abandon_discards_and_only_legal_moves_pass(journal: Journal, vault: Vault, store: Store) -> None:
    entry = stage(journal, store)
    with store.transaction() as conn:
        with pytest.raises(JournalError, match="illegal"):
            journal.move(conn, entry, State.PROMOTED)
        entry = journal.move(conn, entry, State.APPLYING)
        entry = journal.abandon(conn, entry, State.ROLLED_BACK, reason="the device kept its old password")
    assert current_password(vault) == "Old-Passw0rd-1"
    with store.transaction(readonly=True) as conn:
        assert [info.state.value for info in vault.history(conn, REF)] == ["current", "discarded"]


def test_one_unfinished_rotation_per_device_account(journal: Journal, store: Store) -> None:
    stage(journal, store)
    with pytest.raises(JournalError, match="already in progress"):
        stage(journal, store, "Another-Pass-3")


def test_a_rolled_back_transaction_leaves_neither_journal_nor_vault_change(
    journal: Journal, vault: Vault, store: Store
) -> None:
    def crash_after_staging() -> None:
        with store.transaction() as conn:
            run = journal.start_run(conn, {})
            journal.stage(
                conn,
                run_id=run,
                device_id="dev-1",
                username="admin",
                credential_ref=REF,
                new_password="Never-Stored-9",
            )
            raise RuntimeError("crash between the two writes")

    with pytest.raises(RuntimeError):
        crash_after_staging()
    with store.transaction(readonly=True) as conn:
        assert journal.unfinished(conn) == []
        assert [info.version for info in vault.history(conn, REF)] == [1]


def test_stale_entries_are_refused(journal: Journal, store: Store) -> None:
    entry = stage(journal, store)
    with store.transaction() as conn:
        journal.move(conn, entry, State.APPLYING)
    with store.transaction() as conn, pytest.raises(JournalError, match="underneath"):
        journal.move(conn, entry, State.FAILED)


def test_dependents_and_policies(journal: Journal, store: Store) -> None:
    entry = stage(journal, store)
    with store.transaction() as conn:
        journal.add_dependent(conn, entry, "nvr-channel", "nvr-1/1")
        journal.add_dependent(conn, entry, "nvr-channel", "nvr-1/1")
        journal.mark_dependent(conn, entry, "nvr-channel", "nvr-1/1", state=DependentState.VERIFIED)
        set_policy(conn, "site-a", 90)
        set_policy(conn, "site-a", 30)
        assert [(d.target, d.state) for d in journal.dependents(conn, entry)] == [
            ("nvr-1/1", DependentState.VERIFIED)
        ]
        assert policies(conn) == {"site-a": 30}
        with pytest.raises(JournalError):
            set_policy(conn, "site-b", 0)


def test_activation_has_no_previous_version(vault: Vault, clock: ManualClock, store: Store) -> None:
    journal = Journal(vault, clock.now)
    with store.transaction() as conn:
        run = journal.start_run(conn, {})
        entry = journal.stage(
            conn,
            run_id=run,
            device_id="new",
            username="admin",
            credential_ref="cred:new",
            new_password="First-Passw0rd1",
        )
        assert entry.from_version is None
        with pytest.raises(SecretNotFound):
            vault.current(conn, "cred:new")
