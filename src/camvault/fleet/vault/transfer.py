"""Moving credentials in and out of the vault: KeePass and archive exports, archive and CSV imports.

Exports check the vault passphrase again and are audit-logged (one entry per exported reference) *before*
the file is written: if writing fails, the log over-reports rather than missing an export. Export files are
written owner-only and atomically. Imports run in the caller's transaction and audit-log each reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from camvault.errors import SecretNotFound
from camvault.fleet.vault.archive import ArchiveContents, encode_archive
from camvault.fleet.vault.csv_import import CsvCredential
from camvault.fleet.vault.files import write_private_file
from camvault.fleet.vault.kdbx import build_kdbx
from camvault.fleet.vault.kdf import RFC9106_LOW_MEMORY, KdfParams
from camvault.fleet.vault.models import AuditAction, ExportLabel, LabelledSecret
from camvault.fleet.vault.vault import Vault, check_new_passphrase, new_ref

__all__ = [
    "ArchiveImport",
    "ImportedCredential",
    "export_archive",
    "export_kdbx",
    "import_archive",
    "import_csv_rows",
]


@dataclass(frozen=True, slots=True)
class ImportedCredential:
    """A CSV row stored in the vault: the reference to attach to the device in the inventory."""

    ref: str
    row: CsvCredential


@dataclass(frozen=True, slots=True)
class ArchiveImport:
    """What an archive import did, by reference.

    Attributes:
        added: new references, stored as current.
        unchanged: the vault already had this credential as current.
        staged: the vault had a *different* current credential; the archive's was staged beside it for
            someone to verify against the device (promote or discard), never silently made current.
        labels: each entry's labels, for the inventory.
    """

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)
    labels: dict[str, ExportLabel] = field(default_factory=dict)


def _collect_for_export(
    vault: Vault,
    *,
    passphrase: str,
    export_passphrase: str,
    labels: Mapping[str, ExportLabel] | None,
    refs: Iterable[str] | None,
    destination: Path,
    kind: str,
) -> list[LabelledSecret]:
    check_new_passphrase(export_passphrase, what="an export passphrase")
    vault.verify_passphrase(passphrase)
    labels = labels or {}
    with vault.store.transaction() as conn:
        current = vault.current_secrets(conn, refs)
        for ref in current:
            vault.audit(conn, AuditAction.EXPORT, ref=ref, detail=f"{kind} to {destination.name}")
    return [LabelledSecret(ref, secret, labels.get(ref, ExportLabel())) for ref, secret in current.items()]


def export_kdbx(
    vault: Vault,
    path: Path,
    *,
    passphrase: str,
    export_passphrase: str,
    labels: Mapping[str, ExportLabel] | None = None,
    refs: Iterable[str] | None = None,
    overwrite: bool = False,
) -> int:
    """Export current credentials to a new KeePass (KDBX 4) database.

    Args:
        vault: the unlocked vault.
        path: the file to create (mode 0600).
        passphrase: the vault passphrase, checked again.
        export_passphrase: the KeePass database's passphrase (at least 12 characters).
        labels: device facts per reference (title, address, model, serial, ...), from the inventory.
        refs: only these references (all with a current version by default).
        overwrite: replace an existing file.

    Returns:
        How many entries were written.

    Raises:
        WrongPassphrase: the vault passphrase is wrong.
        PasswordRejected: the export passphrase is too short.
        SecretNotFound: a requested reference has no current version.
        ConfigurationError: the file exists or cannot be written.
    """
    entries = _collect_for_export(
        vault,
        passphrase=passphrase,
        export_passphrase=export_passphrase,
        labels=labels,
        refs=refs,
        destination=path,
        kind="kdbx",
    )
    write_private_file(path, build_kdbx(entries, export_passphrase), overwrite=overwrite)
    return len(entries)


def export_archive(
    vault: Vault,
    path: Path,
    *,
    passphrase: str,
    export_passphrase: str,
    labels: Mapping[str, ExportLabel] | None = None,
    refs: Iterable[str] | None = None,
    overwrite: bool = False,
    kdf: KdfParams = RFC9106_LOW_MEMORY,
) -> int:
    """Export current credentials to an encrypted camvault archive (see :mod:`.archive`).

    Arguments and errors as :func:`export_kdbx`; ``kdf`` sets the archive's Argon2id parameters.

    Returns:
        How many entries were written.
    """
    entries = _collect_for_export(
        vault,
        passphrase=passphrase,
        export_passphrase=export_passphrase,
        labels=labels,
        refs=refs,
        destination=path,
        kind="archive",
    )
    contents = ArchiveContents(vault_id=vault.vault_id, created_at=vault.clock.now(), entries=entries)
    write_private_file(path, encode_archive(contents, export_passphrase, kdf=kdf), overwrite=overwrite)
    return len(entries)


def import_archive(
    vault: Vault, conn: Connection, contents: ArchiveContents, *, source: str
) -> ArchiveImport:
    """Store a decoded archive's credentials, in the caller's transaction.

    A new reference is stored as current. A reference whose current credential equals the archive's is left
    alone. A reference with a different current credential gets the archive's staged beside it (an older
    backup must not silently replace a newer password).

    Args:
        vault: the unlocked vault.
        conn: a connection inside the caller's transaction.
        contents: from :func:`~camvault.fleet.vault.archive.decode_archive`.
        source: how to name the archive in notes and the audit log (e.g. its file name).
    """
    result = ArchiveImport()
    note = f"imported from archive {source}"[:500]
    for entry in contents.entries:
        result.labels[entry.ref] = entry.label
        try:
            existing = vault.current(conn, entry.ref)
        except SecretNotFound:
            existing = None
        if existing is None and not _has_versions(vault, conn, entry.ref):
            vault.put(conn, entry.ref, entry.secret.password, username=entry.secret.username, note=note)
            result.added.append(entry.ref)
            outcome = "added"
        elif existing == entry.secret:
            result.unchanged.append(entry.ref)
            outcome = "unchanged"
        else:
            vault.stage(conn, entry.ref, entry.secret.password, username=entry.secret.username, note=note)
            result.staged.append(entry.ref)
            outcome = "staged beside the current version"
        vault.audit(conn, AuditAction.IMPORT, ref=entry.ref, detail=f"archive {source}: {outcome}")
    return result


def import_csv_rows(
    vault: Vault,
    conn: Connection,
    rows: Sequence[CsvCredential],
    *,
    source: str,
    make_ref: Callable[[], str] = new_ref,
) -> list[ImportedCredential]:
    """Store spreadsheet rows as new current credentials, in the caller's transaction.

    Each row gets a new reference; the inventory attaches it to the device by address. Pass only rows from
    a :class:`~camvault.fleet.vault.csv_import.CsvParseResult` without problems.

    Args:
        vault: the unlocked vault.
        conn: a connection inside the caller's transaction.
        rows: the parsed rows.
        source: how to name the file in notes and the audit log.
        make_ref: the reference factory.

    Returns:
        One stored credential per row, in order.
    """
    stored: list[ImportedCredential] = []
    for row in rows:
        ref = make_ref()
        vault.put(
            conn, ref, row.password, username=row.username, note=f"imported from {source} line {row.line}"
        )
        vault.audit(conn, AuditAction.IMPORT, ref=ref, detail=f"csv {source} line {row.line}")
        stored.append(ImportedCredential(ref, row))
    return stored


def _has_versions(vault: Vault, conn: Connection, ref: str) -> bool:
    try:
        vault.history(conn, ref)
    except SecretNotFound:
        return False
    return True
