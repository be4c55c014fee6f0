from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, insert, select, update

from camvault.clock import ManualClock
from camvault.errors import (
    PasswordRejected,
    SecretNotFound,
    StoreError,
    VaultError,
    VaultIntegrityError,
    WrongPassphrase,
)
from camvault.fleet.store import Store
from camvault.fleet.store.schema import vault as vault_table
from camvault.fleet.store.schema import vault_secret
from camvault.fleet.vault import (
    AuditAction,
    Secret,
    SecretState,
    Vault,
    read_audit,
    vault_status,
)
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE, PLANTED

REF = "cred:0001"


def _states(vault: Vault, conn: Connection, ref: str) -> list[tuple[int, SecretState]]:
    return [(info.version, info.state) for info in vault.history(conn, ref)]


def test_staged_is_not_current_until_promoted(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        staged = vault.stage(conn, REF, PLANTED, username="admin", note="rotation 1")
        assert (staged.version, staged.state) == (1, SecretState.STAGED)
        with pytest.raises(SecretNotFound, match="only staged"):
            vault.current(conn, REF)
        assert [item.version for item in vault.staged(conn, REF)] == [1]
        vault.promote(conn, REF, 1)
        assert vault.current(conn, REF) == Secret("admin", PLANTED)
        assert vault.staged(conn, REF) == []


def test_promote_retires_the_previous_current_and_history_keeps_it_readable(
    vault: Vault, store: Store, clock: ManualClock
) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, "old-password-1", username="admin")
        clock.advance(60)
        vault.stage(conn, REF, "new-password-2", username="admin", note="rotation 7")
        assert vault.current(conn, REF).password == "old-password-1"
        info = vault.promote(conn, REF, 2)
        assert info.state is SecretState.CURRENT
        assert info.state_changed_at == clock.now()
    with store.transaction(readonly=True) as conn:
        assert _states(vault, conn, REF) == [(1, SecretState.RETIRED), (2, SecretState.CURRENT)]
        assert vault.current(conn, REF).password == "new-password-2"
        old = vault.get(conn, REF, 1)
        assert old.secret.password == "old-password-1"
        assert old.state is SecretState.RETIRED
        history = vault.history(conn, REF)
        assert history[1].note == "rotation 7"
        assert history[0].created_by == "tester"


def test_promote_is_atomic_with_the_callers_transaction(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, "first-password", username="admin")
        vault.stage(conn, REF, "second-password", username="admin")

    class Crash(Exception):
        pass

    def promote_then_crash() -> None:
        with store.transaction() as conn:
            vault.promote(conn, REF, 2)
            assert vault.current(conn, REF).password == "second-password"
            raise Crash

    with pytest.raises(Crash):
        promote_then_crash()
    with store.transaction(readonly=True) as conn:
        assert _states(vault, conn, REF) == [(1, SecretState.CURRENT), (2, SecretState.STAGED)]


def test_the_database_allows_only_one_current_version_per_ref(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, "first-password", username="admin")
        vault.stage(conn, REF, "second-password", username="admin")
    with pytest.raises(StoreError), store.transaction() as conn:
        conn.execute(update(vault_secret).where(vault_secret.c.version == 2).values(state="current"))


def test_a_rolled_back_stage_leaves_nothing_behind(vault: Vault, store: Store) -> None:
    class Abort(Exception):
        pass

    def stage_then_abort() -> None:
        with store.transaction() as conn:
            vault.stage(conn, REF, PLANTED, username="admin")
            raise Abort

    with pytest.raises(Abort):
        stage_then_abort()
    with store.transaction(readonly=True) as conn:
        assert vault.refs(conn) == []
        with pytest.raises(SecretNotFound):
            vault.history(conn, REF)
        assert conn.execute(select(vault_secret)).all() == []


def test_only_staged_versions_can_be_promoted_or_discarded(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, "current-password", username="admin")
        vault.stage(conn, REF, "never-used", username="admin")
        discarded = vault.discard(conn, REF, 2)
        assert discarded.state is SecretState.DISCARDED
        with pytest.raises(VaultError, match="only a staged version can be promoted"):
            vault.promote(conn, REF, 2)
        with pytest.raises(VaultError, match="only a staged version can be discarded"):
            vault.discard(conn, REF, 1)
        with pytest.raises(VaultError, match="is current"):
            vault.promote(conn, REF, 1)
        with pytest.raises(SecretNotFound):
            vault.promote(conn, REF, 9)
        assert vault.get(conn, REF, 2).secret.password == "never-used"  # kept, still readable
        assert vault.current(conn, REF).password == "current-password"
        assert vault.stage(conn, REF, "third", username="admin").version == 3


def test_refs_current_secrets_and_unknown_refs(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, "cred:b", "pw-b-123", username="admin")
        vault.put(conn, "cred:a", "pw-a-123", username="operator")
        vault.stage(conn, "cred:c", "pw-c-123", username="admin")
        assert vault.refs(conn) == ["cred:a", "cred:b", "cred:c"]
        assert vault.current_secrets(conn) == {
            "cred:a": Secret("operator", "pw-a-123"),
            "cred:b": Secret("admin", "pw-b-123"),
        }
        assert list(vault.current_secrets(conn, ["cred:b"])) == ["cred:b"]
        with pytest.raises(SecretNotFound, match="cred:c"):
            vault.current_secrets(conn, ["cred:a", "cred:c"])
        with pytest.raises(SecretNotFound):
            vault.get(conn, "cred:zzz", 1)


@pytest.mark.parametrize("ref", ["", " cred:1", "cred: 1", "cred:\n", "x" * 201, "cred:é"])
def test_malformed_refs_are_refused(vault: Vault, store: Store, ref: str) -> None:
    with pytest.raises(VaultError), store.transaction() as conn:
        vault.stage(conn, ref, "password-1", username="admin")


@pytest.mark.parametrize(
    ("username", "password"), [("admin", ""), ("", "password-1"), ("adm\nin", "pw"), ("admin", "x" * 1025)]
)
def test_malformed_credentials_are_refused_without_echo(
    vault: Vault, store: Store, username: str, password: str
) -> None:
    with pytest.raises(VaultError) as caught, store.transaction() as conn:
        vault.stage(conn, REF, password, username=username)
    if password:
        assert password not in str(caught.value)


def test_wrong_passphrase_is_refused_and_audited_in_its_own_transaction(vault: Vault, store: Store) -> None:
    with pytest.raises(WrongPassphrase) as caught:
        Vault.unlock(store, "not the passphrase", actor="mallory")
    assert "not the passphrase" not in str(caught.value)
    with store.transaction(readonly=True) as conn:
        failed = read_audit(conn, action=AuditAction.UNLOCK_FAILED)
        status = vault_status(conn)
    assert [(entry.actor, entry.ref) for entry in failed] == [("mallory", None)]
    assert status is not None
    assert status.failed_unlocks == 1


def test_unlock_with_the_right_passphrase_reads_what_another_session_wrote(
    vault: Vault, store: Store
) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, PLANTED, username="admin")
    again = Vault.unlock(store, PASSPHRASE)
    assert again.vault_id == vault.vault_id
    with store.transaction(readonly=True) as conn:
        assert again.current(conn, REF).password == PLANTED


def test_unlock_without_a_vault_says_to_init(store: Store) -> None:
    with pytest.raises(VaultError, match="vault init"):
        Vault.unlock(store, PASSPHRASE)
    with store.transaction(readonly=True) as conn:
        assert vault_status(conn) is None


def test_initialize_refuses_a_second_vault_and_short_passphrases(vault: Vault, store: Store) -> None:
    with pytest.raises(VaultError, match="already holds"):
        Vault.initialize(store, "another long passphrase", kdf=FAST_KDF)
    with pytest.raises(PasswordRejected) as caught:
        Vault.initialize(store, "short", kdf=FAST_KDF)
    assert caught.value.reason == "too_short"


def test_tampered_ciphertext_is_an_integrity_error(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, PLANTED, username="admin")
        blob = bytearray(conn.execute(select(vault_secret.c.ciphertext)).scalar_one())
        blob[20] ^= 0x01
        conn.execute(update(vault_secret).values(ciphertext=bytes(blob)))
    with pytest.raises(VaultIntegrityError, match=REF), store.transaction() as conn:
        vault.current(conn, REF)


def test_swapped_rows_are_an_integrity_error(vault: Vault, store: Store) -> None:
    """A's ciphertext copied over B's: it would decrypt, but the AAD names another ref."""
    with store.transaction() as conn:
        vault.put(conn, "cred:a", "password-of-a", username="admin")
        vault.put(conn, "cred:b", "password-of-b", username="admin")
        row_a = conn.execute(select(vault_secret).where(vault_secret.c.ref == "cred:a")).one()
        conn.execute(
            update(vault_secret)
            .where(vault_secret.c.ref == "cred:b")
            .values(wrapped_key=row_a.wrapped_key, ciphertext=row_a.ciphertext)
        )
    with store.transaction(readonly=True) as conn:
        assert vault.current(conn, "cred:a").password == "password-of-a"
        with pytest.raises(VaultIntegrityError):
            vault.current(conn, "cred:b")


def test_a_renumbered_version_is_an_integrity_error(vault: Vault, store: Store) -> None:
    """Retired v1 relabelled as v5: the AAD binds the version, so it no longer authenticates."""
    with store.transaction() as conn:
        vault.put(conn, REF, "old-password", username="admin")
        vault.put(conn, REF, "new-password", username="admin")
        conn.execute(update(vault_secret).where(vault_secret.c.version == 1).values(version=5))
    with pytest.raises(VaultIntegrityError), store.transaction() as conn:
        vault.get(conn, REF, 5)


def test_a_row_from_another_vault_is_an_integrity_error(
    vault: Vault, store: Store, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other_store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('other') / 'o.sqlite'}")
    try:
        other = Vault.initialize(other_store, PASSPHRASE, kdf=FAST_KDF)
        with other_store.transaction() as conn:
            other.put(conn, REF, "other-vault-password", username="admin")
            foreign = dict(conn.execute(select(vault_secret)).one()._mapping)
    finally:
        other_store.close()
    with store.transaction() as conn:
        conn.execute(insert(vault_secret).values(foreign))
    with pytest.raises(VaultIntegrityError), store.transaction() as conn:
        vault.current(conn, REF)


def test_a_tampered_staged_version_is_never_promoted(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.stage(conn, REF, PLANTED, username="admin")
        blob = bytearray(conn.execute(select(vault_secret.c.wrapped_key)).scalar_one())
        blob[-1] ^= 0x80
        conn.execute(update(vault_secret).values(wrapped_key=bytes(blob)))
    with pytest.raises(VaultIntegrityError), store.transaction() as conn:
        vault.promote(conn, REF, 1)
    with store.transaction(readonly=True) as conn:
        assert _states(vault, conn, REF) == [(1, SecretState.STAGED)]


def test_doctored_kdf_parameters_are_refused_before_deriving(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(update(vault_table).values(kdf_memory_kib=2**30))  # 1 TiB
    with pytest.raises(VaultIntegrityError, match="key-derivation"):
        Vault.unlock(store, PASSPHRASE)


def test_a_tampered_wrapped_master_key_does_not_open(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        blob = bytearray(conn.execute(select(vault_table.c.wrapped_master_key)).scalar_one())
        blob[15] ^= 0x01
        conn.execute(update(vault_table).values(wrapped_master_key=bytes(blob)))
    with pytest.raises(WrongPassphrase):  # indistinguishable from a wrong passphrase, by design
        Vault.unlock(store, PASSPHRASE)


def test_reveal_needs_the_passphrase_again_and_is_audited(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, "retired-password", username="admin")
        vault.put(conn, REF, PLANTED, username="admin")
    with pytest.raises(WrongPassphrase):
        vault.reveal(REF, passphrase="wrong passphrase here")
    assert vault.reveal(REF, passphrase=PASSPHRASE).secret.password == PLANTED
    assert vault.reveal(REF, passphrase=PASSPHRASE, version=1).secret.password == "retired-password"
    with store.transaction(readonly=True) as conn:
        entries = read_audit(conn)
    actions = [(entry.action, entry.ref, entry.detail) for entry in reversed(entries)]
    assert actions[-3:] == [
        (AuditAction.UNLOCK_FAILED, None, "wrong passphrase"),
        (AuditAction.REVEAL, REF, "version 2"),
        (AuditAction.REVEAL, REF, "version 1"),
    ]


def test_change_passphrase_rewraps_only_the_master_key(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, REF, PLANTED, username="admin")
        before = conn.execute(select(vault_secret.c.wrapped_key, vault_secret.c.ciphertext)).all()
        wrapped_before = conn.execute(select(vault_table.c.wrapped_master_key)).scalar_one()
    with pytest.raises(WrongPassphrase):
        vault.change_passphrase("wrong passphrase here", "a brand new passphrase")
    with pytest.raises(PasswordRejected):
        vault.change_passphrase(PASSPHRASE, "short")
    vault.change_passphrase(PASSPHRASE, "a brand new passphrase")
    with store.transaction(readonly=True) as conn:
        assert conn.execute(select(vault_secret.c.wrapped_key, vault_secret.c.ciphertext)).all() == before
        assert conn.execute(select(vault_table.c.wrapped_master_key)).scalar_one() != wrapped_before
        assert read_audit(conn, limit=1)[0].action is AuditAction.PASSPHRASE_CHANGE
    with pytest.raises(WrongPassphrase):
        Vault.unlock(store, PASSPHRASE)
    reopened = Vault.unlock(store, "a brand new passphrase")
    with store.transaction(readonly=True) as conn:
        assert reopened.current(conn, REF).password == PLANTED


def test_fingerprints_compare_passwords_without_revealing_them(
    vault: Vault, store: Store, tmp_path: Path
) -> None:
    with store.transaction() as conn:
        vault.put(conn, "cred:1", PLANTED, username="admin")
        vault.put(conn, "cred:2", PLANTED, username="operator")
        vault.put(conn, "cred:3", "a-different-one", username="admin")
        vault.stage(conn, "cred:4", PLANTED, username="admin")  # not current: not fingerprinted
        prints = vault.fingerprints(conn)
    assert set(prints) == {"cred:1", "cred:2", "cred:3"}
    assert prints["cred:1"] == prints["cred:2"] != prints["cred:3"]
    assert PLANTED not in prints["cred:1"]
    assert PLANTED.encode().hex() not in prints["cred:1"]
    other_store = Store.open(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        other = Vault.initialize(other_store, PASSPHRASE, kdf=FAST_KDF)
        with other_store.transaction() as conn:
            other.put(conn, "cred:1", PLANTED, username="admin")
            assert other.fingerprints(conn)["cred:1"] != prints["cred:1"]  # keyed per vault
    finally:
        other_store.close()


def test_ciphertext_length_does_not_reveal_password_length(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, "cred:short", "a", username="admin")
        vault.put(conn, "cred:long", "b" * 30, username="admin")
        lengths = {len(row.ciphertext) for row in conn.execute(select(vault_secret.c.ciphertext))}
    assert len(lengths) == 1


def test_secrets_and_the_vault_do_not_print_themselves(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        staged = vault.stage(conn, REF, PLANTED, username="admin-user")
    for text in (
        repr(staged),
        str(staged),
        repr(staged.secret),
        str(staged.secret),
        repr(vault),
        f"{staged}",
    ):
        assert PLANTED not in text
        assert "admin-user" not in text
    with pytest.raises(TypeError):
        vars(vault)  # slots: no __dict__ to dump the master key from


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    username=st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
    ).filter(str.isprintable),
    password=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
)
def test_any_credential_round_trips(
    sqlite_vault: Vault, sqlite_store: Store, username: str, password: str
) -> None:
    with sqlite_store.transaction() as conn:
        stored = sqlite_vault.put(conn, REF, password, username=username)
        assert sqlite_vault.get(conn, REF, stored.version).secret == Secret(username, password)


def test_changes_outside_a_transaction_are_refused(vault: Vault, store: Store) -> None:
    with store.engine.connect() as conn:
        with pytest.raises(VaultError, match="inside a transaction"):
            vault.stage(conn, REF, PLANTED, username="admin")
        with pytest.raises(VaultError, match="inside a transaction"):
            vault.promote(conn, REF, 1)
        with pytest.raises(VaultError, match="inside a transaction"):
            vault.discard(conn, REF, 1)
