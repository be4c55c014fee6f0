"""The encrypted credential vault of the fleet side.

Envelope encryption (Argon2id key-encryption key, random master key, one AES-256-GCM data key per secret
version, AAD binding each ciphertext to vault, reference and version), versioned secrets
(staged -> current -> retired, or discarded), an audit log, exports to KeePass and to an encrypted archive,
and import from the CSV spreadsheets owners keep.

Public API:

* :class:`Vault`: ``initialize`` / ``unlock`` a store's vault; ``stage``, ``promote``, ``discard``,
  ``current``, ``get``, ``staged``, ``history``, ``put``, ``refs``, ``fingerprints`` in the caller's
  transaction; ``reveal``, ``verify_passphrase``, ``change_passphrase`` with their own.
* :func:`vault_status`: what can be said without the passphrase.
* :class:`Secret`, :class:`SecretVersion`, :class:`SecretVersionInfo`, :class:`SecretState`,
  :class:`AuditEntry`, :class:`AuditAction`, :class:`VaultStatus`, :class:`ExportLabel`,
  :class:`LabelledSecret`: the values it hands out.
* :class:`KdfParams`, :data:`RFC9106_LOW_MEMORY`: Argon2id parameters.
* :func:`read_passphrase`, :func:`read_key_file`: passphrase sources (key file, environment, prompt).
* :func:`export_kdbx`, :func:`export_archive`, :func:`import_archive`, :func:`import_csv_rows`,
  :func:`decode_archive`, :func:`parse_credentials_csv`: transfers.
* :func:`shred_file`, :data:`SHRED_LIMITS`: removing a plaintext source, honestly described.
"""

from __future__ import annotations

from camvault.fleet.vault.archive import ArchiveContents, decode_archive, encode_archive, is_archive
from camvault.fleet.vault.audit import read_entries as read_audit
from camvault.fleet.vault.csv_import import CsvCredential, CsvParseResult, RowProblem, parse_credentials_csv
from camvault.fleet.vault.files import SHRED_LIMITS, read_bounded, shred_file, write_private_file
from camvault.fleet.vault.kdf import RFC9106_LOW_MEMORY, KdfParams
from camvault.fleet.vault.models import (
    AuditAction,
    AuditEntry,
    ExportLabel,
    LabelledSecret,
    Secret,
    SecretState,
    SecretVersion,
    SecretVersionInfo,
    VaultStatus,
)
from camvault.fleet.vault.passphrase import (
    EXPORT_PASSPHRASE_ENV,
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    read_key_file,
    read_passphrase,
)
from camvault.fleet.vault.transfer import (
    ArchiveImport,
    ImportedCredential,
    export_archive,
    export_kdbx,
    import_archive,
    import_csv_rows,
)
from camvault.fleet.vault.vault import MIN_PASSPHRASE_LENGTH, Vault, check_ref, new_ref, vault_status

__all__ = [
    "EXPORT_PASSPHRASE_ENV",
    "MIN_PASSPHRASE_LENGTH",
    "NEW_PASSPHRASE_ENV",
    "PASSPHRASE_ENV",
    "RFC9106_LOW_MEMORY",
    "SHRED_LIMITS",
    "ArchiveContents",
    "ArchiveImport",
    "AuditAction",
    "AuditEntry",
    "CsvCredential",
    "CsvParseResult",
    "ExportLabel",
    "ImportedCredential",
    "KdfParams",
    "LabelledSecret",
    "RowProblem",
    "Secret",
    "SecretState",
    "SecretVersion",
    "SecretVersionInfo",
    "Vault",
    "VaultStatus",
    "check_ref",
    "decode_archive",
    "encode_archive",
    "export_archive",
    "export_kdbx",
    "import_archive",
    "import_csv_rows",
    "is_archive",
    "new_ref",
    "parse_credentials_csv",
    "read_audit",
    "read_bounded",
    "read_key_file",
    "read_passphrase",
    "shred_file",
    "vault_status",
    "write_private_file",
]
