from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from pykeepass import PyKeePass
from typer.testing import CliRunner, Result

from camvault.cli import vault as vault_cli
from camvault.cli.main import app
from camvault.fleet.store import Store
from camvault.fleet.vault import AuditAction, Vault, read_audit
from tests.fleet import conftest as fleet_fixtures
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE, PLANTED

# The real-PostgreSQL fixtures live with the fleet tests; borrowed here for the one CLI test on PostgreSQL.
postgres_server = fleet_fixtures.postgres_server
postgres_url = fleet_fixtures.postgres_url

EXPORT_PASSPHRASE = "export passphrase 42"
REF_PATTERN = re.compile(r"cred:[0-9a-f-]{36}")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def env() -> dict[str, str | None]:
    return {
        "CAMVAULT_PASSPHRASE": PASSPHRASE,
        "CAMVAULT_EXPORT_PASSPHRASE": EXPORT_PASSPHRASE,
        "CAMVAULT_NEW_PASSPHRASE": None,
        "CAMVAULT_DB": None,
    }


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store with a vault made through the API with the fast test KDF (CLI commands then run fast)."""
    url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    with Store.open(url) as store:
        Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
    return url


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "cams.csv"
    path.write_bytes(
        b"\xef\xbb\xbfIP;User;Password;Name;Model\r\n"
        + f"192.168.1.64;admin;{PLANTED};Front door;DS-2CD2043G0-I\r\n".encode()
        + b"192.168.1.65;admin;another-password;Yard;DS-2CD2143G0-I\r\n"
    )
    return path


def vault(runner: CliRunner, env: dict[str, str | None], *args: str) -> Result:
    return runner.invoke(app, ["vault", *args], env=env)


def assert_one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def imported_refs(result: Result) -> list[str]:
    return REF_PATTERN.findall(result.stdout)


@pytest.fixture
def imported(runner: CliRunner, env: dict[str, str | None], db: str, csv_file: Path) -> list[str]:
    result = vault(runner, env, "import", str(csv_file), "--db", db, "--no-shred")
    assert result.exit_code == 0, result.output
    return imported_refs(result)


def test_vault_is_registered_on_the_main_app(runner: CliRunner) -> None:
    result = runner.invoke(app, ["vault", "--help"])
    assert result.exit_code == 0
    for command in ("init", "unlock", "status", "reveal", "history", "export", "import", "change-passphrase"):
        assert command in result.stdout


def test_init_with_default_kdf_then_status(
    runner: CliRunner, env: dict[str, str | None], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'new.sqlite'}"
    result = vault(runner, env, "init", "--db", db)
    assert result.exit_code == 0, result.output
    assert "argon2id v19 t=3 m=65536KiB p=4" in result.stdout
    vault_id = re.search(r"created vault ([0-9a-f]{32})", result.stdout)
    assert vault_id is not None
    status = vault(runner, env, "status", "--db", db)
    assert status.exit_code == 0
    assert vault_id.group(1) in status.stdout
    assert "init" in status.stdout
    again = vault(runner, env, "init", "--db", db)
    assert "already holds vault" in assert_one_error_line(again)


def test_init_asks_twice_when_interactive(
    runner: CliRunner, env: dict[str, str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vault_cli, "_interactive_prompt", lambda: vault_cli._prompt)
    db = f"sqlite:///{tmp_path / 'typed.sqlite'}"
    typed = "a typed passphrase here"
    result = runner.invoke(
        app,
        ["vault", "init", "--db", db],
        env={**env, "CAMVAULT_PASSPHRASE": None},
        input=f"{typed}\n{typed}\n",
    )
    assert result.exit_code == 0, result.output
    assert typed not in result.output  # hidden input is not echoed
    with Store.open(db) as store:
        Vault.unlock(store, typed)


def test_init_refuses_a_short_passphrase(
    runner: CliRunner, env: dict[str, str | None], tmp_path: Path
) -> None:
    result = vault(
        runner, {**env, "CAMVAULT_PASSPHRASE": "short"}, "init", "--db", f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert "at least 12 characters" in assert_one_error_line(result)


def test_status_without_a_vault_fails_with_one_line(
    runner: CliRunner, env: dict[str, str | None], tmp_path: Path
) -> None:
    result = vault(runner, env, "status", "--db", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert "vault init" in assert_one_error_line(result)


def test_unlock_reports_status_and_refuses_a_wrong_passphrase(
    runner: CliRunner, env: dict[str, str | None], db: str
) -> None:
    ok = vault(runner, env, "unlock", "--db", db)
    assert ok.exit_code == 0, ok.output
    assert "passphrase OK" in ok.stdout
    assert "argon2id v19 t=1 m=8KiB p=1" in ok.stdout
    wrong = vault(runner, {**env, "CAMVAULT_PASSPHRASE": "a wrong passphrase"}, "unlock", "--db", db)
    line = assert_one_error_line(wrong)
    assert "does not open vault" in line
    assert "a wrong passphrase" not in wrong.output
    after = vault(runner, env, "status", "--db", db)
    assert "failed unlocks  1" in after.stdout


def test_no_passphrase_source_is_one_clear_line(
    runner: CliRunner, env: dict[str, str | None], db: str
) -> None:
    result = vault(runner, {**env, "CAMVAULT_PASSPHRASE": None}, "unlock", "--db", db)
    assert "CAMVAULT_PASSPHRASE" in assert_one_error_line(result)


def test_key_file_must_be_private(
    runner: CliRunner, env: dict[str, str | None], db: str, tmp_path: Path
) -> None:
    key = tmp_path / "vault.key"
    key.write_text(PASSPHRASE + "\n", encoding="utf-8")
    key.chmod(0o644)
    no_env = {**env, "CAMVAULT_PASSPHRASE": None}
    refused = vault(runner, no_env, "unlock", "--db", db, "--key-file", str(key))
    assert f"chmod 600 {key}" in assert_one_error_line(refused)
    key.chmod(0o600)
    accepted = vault(runner, no_env, "unlock", "--db", db, "--key-file", str(key))
    assert accepted.exit_code == 0, accepted.output


def test_csv_import_then_reveal_and_history(
    runner: CliRunner, env: dict[str, str | None], db: str, csv_file: Path
) -> None:
    result = vault(runner, env, "import", str(csv_file), "--db", db)
    assert result.exit_code == 0, result.output
    assert "plaintext" in result.stderr
    assert "--shred" in result.stderr
    assert csv_file.exists()  # not shredded unless asked
    assert PLANTED not in result.output
    refs = imported_refs(result)
    assert len(refs) == 2
    assert f"line 2: admin@192.168.1.64 (Front door) -> {refs[0]}" in result.stdout
    revealed = vault(runner, env, "reveal", refs[0], "--db", db)
    assert revealed.exit_code == 0, revealed.output
    assert revealed.stdout.splitlines() == ["username: admin", f"password: {PLANTED}"]
    history = vault(runner, env, "history", refs[0], "--db", db)
    assert history.exit_code == 0
    assert "current" in history.stdout
    assert PLANTED not in history.output
    with Store.open(db) as store, store.transaction(readonly=True) as conn:
        reveals = read_audit(conn, action=AuditAction.REVEAL)
    assert [entry.ref for entry in reveals] == [refs[0]]


def test_csv_import_can_shred_its_source(
    runner: CliRunner, env: dict[str, str | None], db: str, csv_file: Path
) -> None:
    result = vault(runner, env, "import", str(csv_file), "--db", db, "--shred")
    assert result.exit_code == 0, result.output
    assert not csv_file.exists()
    assert "SSD" in result.stderr  # the limits are shown when shredding


@pytest.mark.parametrize(
    "content",
    [
        f"ip,user,password\n10.0.0.1,admin,{PLANTED}\n=cmd|' /C calc'!A0,admin,pw-123\n".encode(),
        f"ip,user,pwd\n10.0.0.1,admin,{PLANTED}\n10.0.0.2,admin\n".encode(),
        f"ip\tuser\tpassword\n10.0.0.1\tadmin\t{PLANTED}\n".encode(),
        f"ip,user\n10.0.0.1,{PLANTED}\n".encode(),
        f'ip;user;password\n10.0.0.1;admin;{PLANTED}\n10.0.0.2;admin;"unterminated\n'.encode(),
        "ip;user;password\n10.0.0.1;admin;pässwörd\n".encode("latin-1"),
    ],
    ids=["formula", "truncated-row", "wrong-delimiter", "no-password-column", "truncated-quote", "latin-1"],
)
def test_bad_csv_imports_nothing_and_never_echoes_passwords(
    runner: CliRunner, env: dict[str, str | None], db: str, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = vault(runner, env, "import", str(path), "--db", db, "--shred")
    assert_one_error_line(result)
    assert PLANTED not in result.output
    assert "pw-123" not in result.output
    assert path.exists()  # never shredded when the import failed
    with Store.open(db) as store, store.transaction(readonly=True) as conn:
        assert Vault.unlock(store, PASSPHRASE).refs(conn) == []


def test_export_both_formats_and_reimport_the_archive(
    runner: CliRunner, env: dict[str, str | None], db: str, imported: list[str], tmp_path: Path
) -> None:
    kdbx, archive = tmp_path / "fleet.kdbx", tmp_path / "fleet.cva"
    first = vault(runner, env, "export", str(kdbx), "--db", db)
    assert first.exit_code == 0, first.output
    second = vault(runner, env, "export", str(archive), "--format", "archive", "--db", db)
    assert second.exit_code == 0, second.output
    for path in (kdbx, archive):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert PLANTED.encode() not in path.read_bytes()
    database = PyKeePass(str(kdbx), password=EXPORT_PASSPHRASE)
    assert sorted(entry.password for entry in database.entries) == sorted([PLANTED, "another-password"])
    refused = vault(runner, env, "export", str(kdbx), "--db", db)
    assert "already exists" in assert_one_error_line(refused)
    assert vault(runner, env, "export", str(kdbx), "--db", db, "--force").exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with Store.open(other) as store:
        Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
    restored = vault(runner, env, "import", str(archive), "--db", other)
    assert restored.exit_code == 0, restored.output
    assert "2 added" in restored.stdout
    assert archive.exists()  # an archive is encrypted: nothing to shred
    revealed = vault(runner, env, "reveal", imported[0], "--db", other)
    assert f"password: {PLANTED}" in revealed.stdout


def test_archive_import_with_the_wrong_export_passphrase(
    runner: CliRunner, env: dict[str, str | None], db: str, imported: list[str], tmp_path: Path
) -> None:
    archive = tmp_path / "fleet.cva"
    assert vault(runner, env, "export", str(archive), "--format", "archive", "--db", db).exit_code == 0
    result = vault(
        runner,
        {**env, "CAMVAULT_EXPORT_PASSPHRASE": "wrong export phrase"},
        "import",
        str(archive),
        "--db",
        db,
    )
    assert "export passphrase is wrong" in assert_one_error_line(result)


def test_reveal_failures_are_one_line(
    runner: CliRunner, env: dict[str, str | None], db: str, imported: list[str]
) -> None:
    unknown = vault(runner, env, "reveal", "cred:does-not-exist", "--db", db)
    assert "no current secret" in assert_one_error_line(unknown)
    malformed = vault(runner, env, "reveal", "not a ref", "--db", db)
    assert assert_one_error_line(malformed)
    wrong = vault(
        runner, {**env, "CAMVAULT_PASSPHRASE": "a wrong passphrase"}, "reveal", imported[0], "--db", db
    )
    assert_one_error_line(wrong)
    assert PLANTED not in wrong.output


def test_change_passphrase(
    runner: CliRunner, env: dict[str, str | None], db: str, imported: list[str]
) -> None:
    new = "a completely new passphrase"
    changed = vault(runner, {**env, "CAMVAULT_NEW_PASSPHRASE": new}, "change-passphrase", "--db", db)
    assert changed.exit_code == 0, changed.output
    assert_one_error_line(vault(runner, env, "unlock", "--db", db))
    reveal = vault(runner, {**env, "CAMVAULT_PASSPHRASE": new}, "reveal", imported[0], "--db", db)
    assert f"password: {PLANTED}" in reveal.stdout


def test_unparsable_db_url_is_one_line_without_the_password(
    runner: CliRunner, env: dict[str, str | None]
) -> None:
    result = vault(runner, env, "status", "--db", f"postgresql://user:{PLANTED}@host:notaport/db")
    assert_one_error_line(result)
    assert PLANTED not in result.output


@pytest.mark.postgres
def test_the_cli_on_postgres_never_shows_the_database_password(
    runner: CliRunner, env: dict[str, str | None], postgres_url: str, csv_file: Path
) -> None:
    with Store.open(postgres_url) as store:
        Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
        password = str(store.engine.url.password)
    imported = vault(runner, env, "import", str(csv_file), "--db", postgres_url)
    assert imported.exit_code == 0, imported.output
    status = vault(runner, env, "status", "--db", postgres_url)
    assert status.exit_code == 0, status.output
    revealed = vault(runner, env, "reveal", imported_refs(imported)[0], "--db", postgres_url)
    assert f"password: {PLANTED}" in revealed.stdout
    for result in (imported, status, revealed):
        assert password not in result.output
