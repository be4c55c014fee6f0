"""``camvault vault``: the credential vault from the command line (parse, call the vault, render).

There is no daemon: every command opens the store (``--db URL``, default the SQLite file in the user's data
directory) and, when it needs the vault, takes the passphrase from ``--key-file``, ``CAMVAULT_PASSPHRASE``
or an interactive prompt, in that order. Expected failures print one ``error:`` line and exit with 1.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from camvault.errors import CamvaultError
from camvault.fleet.store import Store
from camvault.fleet.vault import (
    EXPORT_PASSPHRASE_ENV,
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    SHRED_LIMITS,
    CsvParseResult,
    Vault,
    VaultStatus,
    decode_archive,
    export_archive,
    export_kdbx,
    import_archive,
    import_csv_rows,
    is_archive,
    parse_credentials_csv,
    read_bounded,
    read_passphrase,
    shred_file,
    vault_status,
)
from camvault.fleet.vault.passphrase import Prompt

__all__ = ["vault_app"]

vault_app = typer.Typer(
    name="vault",
    help="The encrypted credential vault: init, unlock, status, reveal, history, export, import.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CAMVAULT_DB",
        help="Database URL (sqlite:///path or postgresql+psycopg://...); default: fleet.sqlite in the "
        "user data directory.",
        show_default=False,
    ),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help=f"Read the vault passphrase from this file (must be mode 0600). Otherwise ${PASSPHRASE_ENV}, "
        "otherwise a prompt.",
        show_default=False,
    ),
]
ExportKeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--export-key-file",
        help=f"Read the export file's passphrase from this file (mode 0600). Otherwise "
        f"${EXPORT_PASSPHRASE_ENV}, otherwise a prompt.",
        show_default=False,
    ),
]


_IMPORT_HELP = "\n\n".join(
    [
        "Import credentials from a CSV spreadsheet or a camvault archive.",
        "The CSV needs a header naming its columns (ip/address/host, user/username/login, "
        "password/pass/pwd, name/label, model, serial, mac, notes), in UTF-8, separated by ';' or ','. "
        "Any bad row stops the import and is reported by line number; nothing is stored.",
        "A CSV of passwords is plaintext: --shred overwrites it with random bytes, flushes it and deletes "
        "it after a successful import. " + SHRED_LIMITS,
    ]
)


class ExportFormat(enum.StrEnum):
    """Export file formats."""

    KDBX = "kdbx"
    ARCHIVE = "archive"


class ImportFormat(enum.StrEnum):
    """Import file formats."""

    AUTO = "auto"
    CSV = "csv"
    ARCHIVE = "archive"


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def _expected_failures() -> Iterator[None]:
    """Turn camvault's own errors into one ``error:`` line and exit code 1."""
    try:
        yield
    except CamvaultError as exc:
        _err().print(Text(f"error: {exc}"))
        raise typer.Exit(code=1) from None


def _prompt(text: str, confirm: bool) -> str:
    return str(typer.prompt(text, hide_input=True, confirmation_prompt=confirm))


def _interactive_prompt() -> Prompt | None:
    return _prompt if sys.stdin.isatty() else None


def _vault_passphrase(key_file: Path | None, *, confirm: bool = False) -> str:
    return read_passphrase(key_file=key_file, prompt=_interactive_prompt(), confirm=confirm)


def _export_passphrase(key_file: Path | None, *, confirm: bool) -> str:
    return read_passphrase(
        key_file=key_file,
        env_var=EXPORT_PASSPHRASE_ENV,
        prompt=_interactive_prompt(),
        prompt_text="Export passphrase",
        confirm=confirm,
    )


def _status_table(status: VaultStatus) -> Table:
    table = Table(show_header=False, box=None)
    table.add_row("vault", status.vault_id)
    table.add_row("created", status.created_at.isoformat(timespec="seconds"))
    table.add_row("passphrase set", status.passphrase_changed_at.isoformat(timespec="seconds"))
    table.add_row("key derivation", status.kdf)
    table.add_row("references", str(status.refs))
    table.add_row("versions", ", ".join(f"{state.value} {count}" for state, count in status.versions.items()))
    last = status.last_failed_unlock.isoformat(timespec="seconds") if status.last_failed_unlock else "never"
    table.add_row("failed unlocks", f"{status.failed_unlocks} (last: {last})")
    for entry in status.recent:
        what = Text(f"{entry.at.isoformat(timespec='seconds')} {entry.actor} {entry.action.value} ")
        what.append(f"{entry.ref or ''} {entry.detail}".strip())
        table.add_row("audit", what)
    return table


@vault_app.command()
def init(db: DbOption = None, key_file: KeyFileOption = None) -> None:
    """Create the vault: a random master key protected by your passphrase (asked twice)."""
    with _expected_failures(), Store.open(db) as store:
        passphrase = _vault_passphrase(key_file, confirm=True)
        vault = Vault.initialize(store, passphrase)
        with store.transaction(readonly=True) as conn:
            status = vault_status(conn)
        _out().print(Text(f"created vault {vault.vault_id} in {store.url}"))
        if status is not None:
            _out().print(Text(f"key derivation: {status.kdf}"))
        _err().print(Text("There is no way to recover the vault without its passphrase: keep it safe."))


@vault_app.command()
def unlock(db: DbOption = None, key_file: KeyFileOption = None) -> None:
    """Check the passphrase opens the vault and show its status (nothing stays unlocked)."""
    with _expected_failures(), Store.open(db) as store:
        Vault.unlock(store, _vault_passphrase(key_file))
        with store.transaction(readonly=True) as conn:
            status = vault_status(conn)
        _out().print(Text("passphrase OK"))
        if status is not None:
            _out().print(_status_table(status))


@vault_app.command()
def status(db: DbOption = None) -> None:
    """Show the vault's metadata and recent audit entries (no passphrase needed, nothing decrypted)."""
    with _expected_failures(), Store.open(db) as store:
        with store.transaction(readonly=True) as conn:
            found = vault_status(conn)
        if found is None:
            _err().print(Text(f"error: no vault in {store.url}; run `camvault vault init`"))
            raise typer.Exit(code=1)
        _out().print(_status_table(found))


@vault_app.command()
def reveal(
    ref: Annotated[str, typer.Argument(help="The secret reference, e.g. cred:...")],
    *,
    version: Annotated[int | None, typer.Option(help="A specific version (default: current).")] = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Print a stored username and password (passphrase checked again; recorded in the audit log)."""
    with _expected_failures(), Store.open(db) as store:
        passphrase = _vault_passphrase(key_file)
        vault = Vault.unlock(store, passphrase)
        revealed = vault.reveal(ref, passphrase=passphrase, version=version)
        typer.echo(f"username: {revealed.secret.username}")
        typer.echo(f"password: {revealed.secret.password}")
        _err().print(Text(f"{ref} version {revealed.version} ({revealed.state.value}); reveal recorded"))


@vault_app.command()
def history(
    ref: Annotated[str, typer.Argument(help="The secret reference.")],
    *,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """List every version of a secret (states and dates only; nothing is decrypted)."""
    with _expected_failures(), Store.open(db) as store:
        vault = Vault.unlock(store, _vault_passphrase(key_file))
        with store.transaction(readonly=True) as conn:
            versions = vault.history(conn, ref)
        table = Table("version", "state", "created", "by", "state since", "note")
        for info in versions:
            table.add_row(
                str(info.version),
                info.state.value,
                info.created_at.isoformat(timespec="seconds"),
                Text(info.created_by),
                info.state_changed_at.isoformat(timespec="seconds"),
                Text(info.note),
            )
        _out().print(table)


@vault_app.command()
def export(
    path: Annotated[Path, typer.Argument(help="The file to create.")],
    *,
    file_format: Annotated[
        ExportFormat, typer.Option("--format", help="kdbx (KeePass 4) or archive (camvault, encrypted).")
    ] = ExportFormat.KDBX,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    export_key_file: ExportKeyFileOption = None,
) -> None:
    """Export current credentials to KeePass or an encrypted archive (passphrase checked again; audited)."""
    with _expected_failures(), Store.open(db) as store:
        passphrase = _vault_passphrase(key_file)
        vault = Vault.unlock(store, passphrase)
        export_passphrase = _export_passphrase(export_key_file, confirm=True)
        run = export_kdbx if file_format is ExportFormat.KDBX else export_archive
        count = run(vault, path, passphrase=passphrase, export_passphrase=export_passphrase, overwrite=force)
        kind = "KeePass KDBX 4 database" if file_format is ExportFormat.KDBX else "encrypted camvault archive"
        _out().print(Text(f"exported {count} credential(s) to {path} ({kind})"))


@vault_app.command("import", help=_IMPORT_HELP)
def import_(
    path: Annotated[Path, typer.Argument(help="The CSV file or archive to read.")],
    *,
    file_format: Annotated[
        ImportFormat, typer.Option("--format", help="auto (by content), csv or archive.")
    ] = ImportFormat.AUTO,
    shred: Annotated[
        bool | None,
        typer.Option("--shred/--no-shred", help="Shred the CSV after importing (asked when interactive)."),
    ] = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    export_key_file: ExportKeyFileOption = None,
) -> None:
    """Import credentials from a CSV spreadsheet or a camvault archive."""
    with _expected_failures():
        data = read_bounded(path)
        as_archive = file_format is ImportFormat.ARCHIVE or (
            file_format is ImportFormat.AUTO and is_archive(data)
        )
        if as_archive:
            _import_archive(path, data, db=db, key_file=key_file, export_key_file=export_key_file)
        else:
            _import_csv(path, data, db=db, key_file=key_file, shred=shred)


def _import_archive(
    path: Path, data: bytes, *, db: str | None, key_file: Path | None, export_key_file: Path | None
) -> None:
    with Store.open(db) as store:
        vault = Vault.unlock(store, _vault_passphrase(key_file))
        contents = decode_archive(data, _export_passphrase(export_key_file, confirm=False))
        with store.transaction() as conn:
            result = import_archive(vault, conn, contents, source=path.name)
    _out().print(
        Text(
            f"imported {path}: {len(result.added)} added, {len(result.unchanged)} unchanged, "
            f"{len(result.staged)} staged beside a different current credential"
        )
    )
    for ref in result.staged:
        _err().print(Text(f"staged, verify against the device then promote or discard: {ref}"))


def _import_csv(
    path: Path, data: bytes, *, db: str | None, key_file: Path | None, shred: bool | None
) -> None:
    _err().print(Text(f"warning: {path} holds passwords in plaintext; remove it once imported."))
    parsed = parse_credentials_csv(data)
    _report_csv(parsed)
    if parsed.problems:
        _err().print(Text(f"error: {len(parsed.problems)} bad row(s) in {path}; nothing imported"))
        raise typer.Exit(code=1)
    if not parsed.rows:
        _err().print(Text(f"error: {path} holds no credential rows"))
        raise typer.Exit(code=1)
    with Store.open(db) as store:
        vault = Vault.unlock(store, _vault_passphrase(key_file))
        with store.transaction() as conn:
            imported = import_csv_rows(vault, conn, parsed.rows, source=path.name)
    for item in imported:
        row = item.row
        label = f" ({row.name})" if row.name else ""
        _out().print(Text(f"line {row.line}: {row.username}@{row.address}{label} -> {item.ref}"))
    _out().print(Text(f"imported {len(imported)} credential(s) from {path}"))
    _offer_shred(path, shred)


def _report_csv(parsed: CsvParseResult) -> None:
    if parsed.ignored_columns:
        _err().print(Text(f"ignored columns: {', '.join(parsed.ignored_columns)}"))
    if parsed.username_defaulted:
        _err().print(Text("no username column: every row uses the username 'admin'"))
    for problem in parsed.problems:
        _err().print(Text(f"bad row: {problem.describe()}"))


def _offer_shred(path: Path, shred: bool | None) -> None:
    if shred is None and sys.stdin.isatty():
        shred = typer.confirm(f"Shred {path} now (overwrite with random bytes, then delete)?", default=False)
    if shred:
        shred_file(path)
        _out().print(Text(f"shredded {path}"))
        _err().print(Text(SHRED_LIMITS))
    else:
        _err().print(Text(f"{path} is still on disk in plaintext; `--shred` overwrites and deletes it."))


@vault_app.command("change-passphrase")
def change_passphrase(
    db: DbOption = None,
    key_file: KeyFileOption = None,
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            help=f"Read the new passphrase from this file (mode 0600). Otherwise ${NEW_PASSPHRASE_ENV}, "
            "otherwise a prompt (asked twice).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Change the vault passphrase (only the master key is re-wrapped; audited)."""
    with _expected_failures(), Store.open(db) as store:
        old = _vault_passphrase(key_file)
        vault = Vault.unlock(store, old)
        new = read_passphrase(
            key_file=new_key_file,
            env_var=NEW_PASSPHRASE_ENV,
            prompt=_interactive_prompt(),
            prompt_text="New vault passphrase",
            confirm=True,
        )
        vault.change_passphrase(old, new)
        _out().print(Text(f"passphrase of vault {vault.vault_id} changed"))
