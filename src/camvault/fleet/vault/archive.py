r"""The encrypted export archive: camvault's own portable backup of current credentials.

Layout (format 1)::

    magic        b"\x89CAMVAULT\r\n\x1a\n"   13 bytes (PNG-style: detects text-mode mangling)
    header_len   4 bytes, big-endian
    header       UTF-8 JSON: {"format": 1, "cipher": "AES-256-GCM",
                              "kdf": {"algorithm": "argon2id", "version": 19, "time_cost": 3,
                                      "memory_kib": 65536, "parallelism": 4, "salt": "<base64>"}}
    sealed       nonce (12) || AES-256-GCM ciphertext || tag (16)

The key is Argon2id(export passphrase, salt) with the header's parameters; the AAD is everything before
``sealed`` (magic, length and header), so the header cannot be altered without detection. The plaintext is
UTF-8 JSON: ``{"format": 1, "vault_id": ..., "created_at": ISO 8601, "entries": [{"ref", "username",
"password", "title", "address", "url", "model", "serial", "mac", "notes"}, ...]}``.

Reading is bounded (file size, header size, entry count, KDF costs) and strict about types, so a hostile
file gets a clear camvault error before any large allocation.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from camvault.errors import CryptoError, InvalidContent, MalformedMessage, MessageTooLarge, VaultError
from camvault.fleet.vault._envelope import RandomSource, Unauthentic, seal, unseal
from camvault.fleet.vault.kdf import RFC9106_LOW_MEMORY, SALT_BYTES, KdfParams, derive_key
from camvault.fleet.vault.models import ExportLabel, LabelledSecret, Secret
from camvault.fleet.vault.vault import check_ref

__all__ = [
    "ARCHIVE_FORMAT",
    "MAGIC",
    "MAX_ARCHIVE_BYTES",
    "ArchiveContents",
    "decode_archive",
    "encode_archive",
    "is_archive",
]

MAGIC: Final = b"\x89CAMVAULT\r\n\x1a\n"
ARCHIVE_FORMAT: Final = 1
MAX_ARCHIVE_BYTES: Final = 64 * 1024 * 1024
MAX_ENTRIES: Final = 100_000
_MAX_HEADER: Final = 4096
_LENGTH: Final = struct.Struct(">I")
_LABEL_FIELDS: Final = ("title", "address", "url", "model", "serial", "mac", "notes")


@dataclass(frozen=True, slots=True)
class ArchiveContents:
    """What an archive holds.

    Attributes:
        vault_id: the id of the vault it was exported from.
        created_at: when it was written.
        entries: the credentials with their labels.
    """

    vault_id: str
    created_at: datetime
    entries: list[LabelledSecret]


def is_archive(data: bytes) -> bool:
    """Return whether ``data`` starts with the archive magic."""
    return data.startswith(MAGIC)


def encode_archive(
    contents: ArchiveContents,
    passphrase: str,
    *,
    kdf: KdfParams = RFC9106_LOW_MEMORY,
    random_bytes: RandomSource = os.urandom,
) -> bytes:
    """Serialise and encrypt an archive.

    Args:
        contents: what to write.
        passphrase: the export passphrase.
        kdf: Argon2id parameters (stored in the header).
        random_bytes: the randomness source (salt and nonce).

    Returns:
        The archive bytes.
    """
    kdf.check()
    salt = random_bytes(SALT_BYTES)
    header = json.dumps(
        {
            "format": ARCHIVE_FORMAT,
            "cipher": "AES-256-GCM",
            "kdf": {
                "algorithm": kdf.algorithm,
                "version": kdf.version,
                "time_cost": kdf.time_cost,
                "memory_kib": kdf.memory_kib,
                "parallelism": kdf.parallelism,
                "salt": base64.b64encode(salt).decode("ascii"),
            },
        },
        separators=(",", ":"),
    ).encode("utf-8")
    prefix = MAGIC + _LENGTH.pack(len(header)) + header
    payload = json.dumps(
        {
            "format": ARCHIVE_FORMAT,
            "vault_id": contents.vault_id,
            "created_at": contents.created_at.isoformat(),
            "entries": [_entry_json(entry) for entry in contents.entries],
        },
        separators=(",", ":"),
    ).encode("utf-8")
    return prefix + seal(derive_key(passphrase, salt, kdf), payload, prefix, random_bytes)


def decode_archive(data: bytes, passphrase: str, *, max_bytes: int = MAX_ARCHIVE_BYTES) -> ArchiveContents:
    """Decrypt and parse an archive.

    Args:
        data: the archive bytes.
        passphrase: the export passphrase.
        max_bytes: refuse larger files.

    Raises:
        MessageTooLarge: the file, its header or its entry list is over the bounds.
        MalformedMessage: not an archive, truncated, or not JSON where JSON belongs.
        InvalidContent: a field is missing, mistyped or out of range (format, KDF costs, entries).
        CryptoError: the passphrase is wrong or the archive was altered.
    """
    if len(data) > max_bytes:
        raise MessageTooLarge(f"the archive is larger than {max_bytes} bytes")
    if not is_archive(data):
        raise MalformedMessage("not a camvault archive (bad magic)")
    offset = len(MAGIC)
    if len(data) < offset + _LENGTH.size:
        raise MalformedMessage("the archive is truncated (no header)")
    (header_length,) = _LENGTH.unpack_from(data, offset)
    if header_length > _MAX_HEADER:
        raise MessageTooLarge(f"the archive header is larger than {_MAX_HEADER} bytes")
    offset += _LENGTH.size
    if len(data) < offset + header_length:
        raise MalformedMessage("the archive is truncated (in its header)")
    header = _json_object(data[offset : offset + header_length], "header")
    offset += header_length
    kdf, salt = _header_kdf(header)
    try:
        payload = unseal(derive_key(passphrase, salt, kdf), data[offset:], data[:offset])
    except Unauthentic:
        raise CryptoError("the export passphrase is wrong, or the archive was altered or truncated") from None
    return _contents(_json_object(payload, "payload"))


def _entry_json(entry: LabelledSecret) -> dict[str, str]:
    label = entry.label
    return {
        "ref": entry.ref,
        "username": entry.secret.username,
        "password": entry.secret.password,
        **{name: getattr(label, name) for name in _LABEL_FIELDS},
    }


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        decoded = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedMessage(f"the archive {what} is not UTF-8 JSON") from None
    if not isinstance(decoded, dict):
        raise InvalidContent(f"the archive {what} is not a JSON object", field=what)
    return decoded


def _field(obj: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidContent(f"archive {where}: {name!r} is missing or not a {kind.__name__}", field=name)
    return value


def _header_kdf(header: dict[str, Any]) -> tuple[KdfParams, bytes]:
    version = _field(header, "format", int, "header")
    if version != ARCHIVE_FORMAT:
        raise InvalidContent(
            f"archive format {version} is not supported (this camvault reads 1)", field="format"
        )
    if header.get("cipher") != "AES-256-GCM":
        raise InvalidContent("archive cipher is not AES-256-GCM", field="cipher")
    kdf = _field(header, "kdf", dict, "header")
    params = KdfParams(
        time_cost=_field(kdf, "time_cost", int, "kdf"),
        memory_kib=_field(kdf, "memory_kib", int, "kdf"),
        parallelism=_field(kdf, "parallelism", int, "kdf"),
        algorithm=_field(kdf, "algorithm", str, "kdf"),
        version=_field(kdf, "version", int, "kdf"),
    )
    params.check()
    try:
        salt = base64.b64decode(_field(kdf, "salt", str, "kdf"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent("archive salt is not base64", field="salt") from None
    return params, salt


def _contents(payload: dict[str, Any]) -> ArchiveContents:
    if _field(payload, "format", int, "payload") != ARCHIVE_FORMAT:
        raise InvalidContent("archive payload format is not supported", field="format")
    try:
        created_at = datetime.fromisoformat(_field(payload, "created_at", str, "payload"))
    except ValueError:
        raise InvalidContent("archive created_at is not an ISO 8601 time", field="created_at") from None
    entries = _field(payload, "entries", list, "payload")
    if len(entries) > MAX_ENTRIES:
        raise MessageTooLarge(f"the archive holds more than {MAX_ENTRIES} entries")
    return ArchiveContents(
        vault_id=_field(payload, "vault_id", str, "payload"),
        created_at=created_at,
        entries=[_entry(entry, index) for index, entry in enumerate(entries)],
    )


def _entry(raw: object, index: int) -> LabelledSecret:
    where = f"entry {index}"
    if not isinstance(raw, dict):
        raise InvalidContent(f"archive {where} is not an object", field="entries")
    ref = _field(raw, "ref", str, where)
    try:
        check_ref(ref)
    except VaultError:
        raise InvalidContent(f"archive {where}: malformed reference", field="ref") from None
    secret = Secret(_field(raw, "username", str, where), _field(raw, "password", str, where))
    if not secret.username or not secret.password:
        raise InvalidContent(f"archive {where}: empty username or password", field="password")
    label = ExportLabel(**{name: _optional_text(raw, name, where) for name in _LABEL_FIELDS})
    return LabelledSecret(ref, secret, label)


def _optional_text(raw: dict[str, Any], name: str, where: str) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise InvalidContent(f"archive {where}: {name!r} is not a string", field=name)
    return value
