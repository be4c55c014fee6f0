from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pykeepass import PyKeePass
from pykeepass.exceptions import CredentialsError

from camvault.errors import PasswordRejected, SecretNotFound, WrongPassphrase
from camvault.fleet.store import Store
from camvault.fleet.vault import (
    AuditAction,
    ExportLabel,
    Secret,
    SecretState,
    Vault,
    decode_archive,
    export_archive,
    export_kdbx,
    import_archive,
    import_csv_rows,
    parse_credentials_csv,
    read_audit,
)
from camvault.fleet.vault.kdbx import REF_PROPERTY
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE, PLANTED

EXPORT_PASSPHRASE = "export passphrase 42"
LABELS = {
    "cred:door": ExportLabel(
        title="Front door",
        address="192.168.1.64",
        model="DS-2CD2043G0-I",
        serial="DS-2CD2043G0-I20190101AAWR",
        mac="44:19:b6:01:02:03",
        notes="by the gate",
    ),
}


def _fill(vault: Vault, store: Store) -> None:
    with store.transaction() as conn:
        vault.put(conn, "cred:door", "old-door-password", username="admin")
        vault.put(conn, "cred:door", PLANTED, username="admin")
        vault.put(conn, "cred:nvr", "nvr-password-1", username="operator")
        vault.stage(conn, "cred:staged-only", "never-current", username="admin")


def test_kdbx_export_opens_in_pykeepass_with_every_field(vault: Vault, store: Store, tmp_path: Path) -> None:
    _fill(vault, store)
    path = tmp_path / "fleet.kdbx"
    count = export_kdbx(
        vault, path, passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE, labels=LABELS
    )
    assert count == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    database = PyKeePass(str(path), password=EXPORT_PASSPHRASE)
    assert database.version == (4, 0)
    door = database.find_entries(title="Front door", first=True)
    assert (door.username, door.password, door.url) == ("admin", PLANTED, "http://192.168.1.64/")
    for fact in ("DS-2CD2043G0-I", "DS-2CD2043G0-I20190101AAWR", "44:19:b6:01:02:03", "by the gate"):
        assert fact in door.notes
    assert door.get_custom_property(REF_PROPERTY) == "cred:door"
    nvr = database.find_entries(title="cred:nvr", first=True)  # no label: titled by its reference
    assert (nvr.username, nvr.password, nvr.url) == ("operator", "nvr-password-1", None)
    assert {entry.group.name for entry in database.entries} == {"camvault"}


def test_kdbx_needs_its_passphrase(vault: Vault, store: Store, tmp_path: Path) -> None:
    _fill(vault, store)
    path = tmp_path / "fleet.kdbx"
    export_kdbx(vault, path, passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE)
    with pytest.raises(CredentialsError):
        PyKeePass(str(path), password="not the export passphrase")


def test_exports_check_the_vault_passphrase_again_and_audit_each_ref(
    vault: Vault, store: Store, tmp_path: Path
) -> None:
    _fill(vault, store)
    with pytest.raises(WrongPassphrase):
        export_kdbx(
            vault, tmp_path / "x.kdbx", passphrase="wrong passphrase!", export_passphrase=EXPORT_PASSPHRASE
        )
    assert not (tmp_path / "x.kdbx").exists()
    with pytest.raises(PasswordRejected):
        export_archive(vault, tmp_path / "x.cva", passphrase=PASSPHRASE, export_passphrase="short")
    export_archive(
        vault, tmp_path / "x.cva", passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE, kdf=FAST_KDF
    )
    with store.transaction(readonly=True) as conn:
        exports = read_audit(conn, action=AuditAction.EXPORT)
        failures = read_audit(conn, action=AuditAction.UNLOCK_FAILED)
    assert sorted((entry.ref, entry.detail) for entry in exports) == [
        ("cred:door", "archive to x.cva"),
        ("cred:nvr", "archive to x.cva"),
    ]
    assert len(failures) == 1


def test_export_of_selected_refs_and_unknown_refs(vault: Vault, store: Store, tmp_path: Path) -> None:
    _fill(vault, store)
    path = tmp_path / "one.cva"
    count = export_archive(
        vault,
        path,
        passphrase=PASSPHRASE,
        export_passphrase=EXPORT_PASSPHRASE,
        refs=["cred:nvr"],
        kdf=FAST_KDF,
    )
    assert count == 1
    assert [entry.ref for entry in decode_archive(path.read_bytes(), EXPORT_PASSPHRASE).entries] == [
        "cred:nvr"
    ]
    with pytest.raises(SecretNotFound):
        export_archive(
            vault,
            tmp_path / "two.cva",
            passphrase=PASSPHRASE,
            export_passphrase=EXPORT_PASSPHRASE,
            refs=["cred:staged-only"],
            kdf=FAST_KDF,
        )


def test_archive_round_trip_into_a_new_vault_and_back(
    vault: Vault, store: Store, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _fill(vault, store)
    path = tmp_path / "backup.cva"
    export_archive(
        vault, path, passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE, labels=LABELS, kdf=FAST_KDF
    )
    contents = decode_archive(path.read_bytes(), EXPORT_PASSPHRASE)
    assert contents.vault_id == vault.vault_id
    other_store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('restore') / 'r.sqlite'}")
    try:
        restored = Vault.initialize(other_store, "another long passphrase", kdf=FAST_KDF)
        with other_store.transaction() as conn:
            result = import_archive(restored, conn, contents, source="backup.cva")
        assert sorted(result.added) == ["cred:door", "cred:nvr"]
        assert result.labels["cred:door"] == LABELS["cred:door"]
        with other_store.transaction(readonly=True) as conn:
            assert restored.current(conn, "cred:door") == Secret("admin", PLANTED)
            assert restored.current(conn, "cred:nvr") == Secret("operator", "nvr-password-1")
            imports = read_audit(conn, action=AuditAction.IMPORT)
        assert {entry.ref for entry in imports} == {"cred:door", "cred:nvr"}
    finally:
        other_store.close()


def test_archive_import_never_silently_replaces_a_newer_password(
    vault: Vault, store: Store, tmp_path: Path
) -> None:
    _fill(vault, store)
    path = tmp_path / "backup.cva"
    export_archive(vault, path, passphrase=PASSPHRASE, export_passphrase=EXPORT_PASSPHRASE, kdf=FAST_KDF)
    with store.transaction() as conn:
        vault.put(conn, "cred:nvr", "rotated-since-backup", username="operator")
        result = import_archive(vault, conn, decode_archive(path.read_bytes(), EXPORT_PASSPHRASE), source="b")
        assert (result.added, result.unchanged, result.staged) == ([], ["cred:door"], ["cred:nvr"])
        assert vault.current(conn, "cred:nvr").password == "rotated-since-backup"
        assert [item.secret.password for item in vault.staged(conn, "cred:nvr")] == ["nvr-password-1"]


def test_csv_rows_become_current_secrets_with_new_refs(vault: Vault, store: Store) -> None:
    parsed = parse_credentials_csv(
        f"ip;user;password;name\n192.168.1.64;admin;{PLANTED};Door\n192.168.1.65;admin;other-pw;Yard\n".encode()
    )
    refs = iter(["cred:a", "cred:b"])
    with store.transaction() as conn:
        imported = import_csv_rows(vault, conn, parsed.rows, source="cams.csv", make_ref=lambda: next(refs))
    assert [(item.ref, item.row.address, item.row.name) for item in imported] == [
        ("cred:a", "192.168.1.64", "Door"),
        ("cred:b", "192.168.1.65", "Yard"),
    ]
    with store.transaction(readonly=True) as conn:
        assert vault.current(conn, "cred:a") == Secret("admin", PLANTED)
        assert vault.history(conn, "cred:a")[0].note == "imported from cams.csv line 2"
        assert vault.history(conn, "cred:a")[0].state is SecretState.CURRENT
        assert [entry.detail for entry in read_audit(conn, action=AuditAction.IMPORT)] == [
            "csv cams.csv line 3",
            "csv cams.csv line 2",
        ]
