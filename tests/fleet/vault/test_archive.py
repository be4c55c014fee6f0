from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import CamvaultError, CryptoError, InvalidContent, MalformedMessage, MessageTooLarge
from camvault.fleet.vault import (
    ArchiveContents,
    ExportLabel,
    LabelledSecret,
    Secret,
    decode_archive,
    encode_archive,
)
from camvault.fleet.vault._envelope import seal
from camvault.fleet.vault.archive import MAGIC
from camvault.fleet.vault.kdf import derive_key
from tests.fleet.vault.conftest import FAST_KDF, PLANTED

EXPORT_PASSPHRASE = "export passphrase 42"
WHEN = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CONTENTS = ArchiveContents(
    vault_id="v" * 32,
    created_at=WHEN,
    entries=[
        LabelledSecret(
            "cred:1",
            Secret("admin", PLANTED),
            ExportLabel(title="Front door", address="192.168.1.64", model="DS-2CD2043G0-I", serial="SN1"),
        ),
        LabelledSecret("cred:2", Secret("operator", "pässwörd ✓")),
    ],
)


def _archive() -> bytes:
    return encode_archive(CONTENTS, EXPORT_PASSPHRASE, kdf=FAST_KDF)


def _custom(header: dict[str, Any], payload: bytes, passphrase: str = EXPORT_PASSPHRASE) -> bytes:
    """A hand-made header and payload, correctly encrypted: reaches the parser behind the crypto."""
    raw = json.dumps(header).encode()
    prefix = MAGIC + struct.pack(">I", len(raw)) + raw
    key = derive_key(passphrase, bytes(16), FAST_KDF)
    return prefix + seal(key, payload, prefix, lambda n: b"\x01" * n)


def _header(**overrides: object) -> dict[str, Any]:
    header: dict[str, Any] = {
        "format": 1,
        "cipher": "AES-256-GCM",
        "kdf": {
            "algorithm": "argon2id",
            "version": 19,
            "time_cost": 1,
            "memory_kib": 8,
            "parallelism": 1,
            "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
        },
    }
    header.update(overrides)
    return header


def test_round_trip() -> None:
    data = _archive()
    assert data.startswith(MAGIC)
    assert decode_archive(data, EXPORT_PASSPHRASE) == CONTENTS


def test_nothing_readable_in_the_archive() -> None:
    data = _archive()
    for needle in (PLANTED, "admin", "Front door", "cred:1"):
        assert needle.encode() not in data


def test_two_exports_of_the_same_data_differ() -> None:
    assert _archive() != _archive()  # fresh salt and nonce each time


def test_wrong_passphrase_is_a_crypto_error() -> None:
    with pytest.raises(CryptoError, match="passphrase is wrong"):
        decode_archive(_archive(), "not the export passphrase")


@pytest.mark.parametrize("position", ["header", "ciphertext", "tag"])
def test_any_altered_byte_is_detected(position: str) -> None:
    data = bytearray(_archive())
    header_end = len(MAGIC) + 4 + struct.unpack_from(">I", data, len(MAGIC))[0]
    index = {"header": header_end - 3, "ciphertext": header_end + 20, "tag": len(data) - 1}[position]
    data[index] ^= 0x20
    with pytest.raises((CryptoError, MalformedMessage, InvalidContent)):
        decode_archive(bytes(data), EXPORT_PASSPHRASE)


@pytest.mark.parametrize("cut", [0, 5, len(MAGIC) + 2, len(MAGIC) + 10, -1, -17])
def test_truncated_archives_are_refused(cut: int) -> None:
    with pytest.raises((MalformedMessage, CryptoError)):
        decode_archive(_archive()[:cut], EXPORT_PASSPHRASE)


def test_bad_magic_and_oversize_are_refused() -> None:
    with pytest.raises(MalformedMessage, match="magic"):
        decode_archive(b"PK\x03\x04" + _archive()[4:], EXPORT_PASSPHRASE)
    with pytest.raises(MessageTooLarge):
        decode_archive(_archive(), EXPORT_PASSPHRASE, max_bytes=100)
    with pytest.raises(MessageTooLarge, match="header"):
        decode_archive(MAGIC + struct.pack(">I", 10**6) + b"{}", EXPORT_PASSPHRASE)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        (_header(format=2), "format"),
        (_header(format="1"), "format"),
        (_header(format=True), "format"),
        (_header(cipher="AES-128-CBC"), "cipher"),
        (_header(kdf="argon2id"), "kdf"),
        (_header(kdf={**_header()["kdf"], "memory_kib": 2**31}), "kdf"),
        (_header(kdf={**_header()["kdf"], "algorithm": "pbkdf2"}), "kdf"),
        (_header(kdf={**_header()["kdf"], "salt": "not base64!"}), "salt"),
    ],
)
def test_hostile_or_unknown_headers_are_refused_before_deriving(
    header: dict[str, object], field: str
) -> None:
    raw = json.dumps(header).encode()
    data = MAGIC + struct.pack(">I", len(raw)) + raw + b"\x00" * 40
    with pytest.raises(InvalidContent) as caught:
        decode_archive(data, EXPORT_PASSPHRASE)
    assert caught.value.field == field


def test_header_that_is_not_json_is_malformed() -> None:
    raw = b"<xml/>"
    with pytest.raises(MalformedMessage):
        decode_archive(MAGIC + struct.pack(">I", len(raw)) + raw, EXPORT_PASSPHRASE)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        json.dumps({"format": 1, "vault_id": "v", "created_at": "yesterday", "entries": []}).encode(),
        json.dumps({"format": 1, "vault_id": "v", "created_at": WHEN.isoformat(), "entries": {}}).encode(),
        json.dumps({"format": 1, "vault_id": "v", "created_at": WHEN.isoformat(), "entries": [1]}).encode(),
        json.dumps(
            {
                "format": 1,
                "vault_id": "v",
                "created_at": WHEN.isoformat(),
                "entries": [{"ref": "bad ref", "username": "a", "password": "b"}],
            }
        ).encode(),
        json.dumps(
            {
                "format": 1,
                "vault_id": "v",
                "created_at": WHEN.isoformat(),
                "entries": [{"ref": "cred:1", "username": "a", "password": 5}],
            }
        ).encode(),
        json.dumps(
            {
                "format": 1,
                "vault_id": "v",
                "created_at": WHEN.isoformat(),
                "entries": [{"ref": "cred:1", "username": "a", "password": "b", "title": ["x"]}],
            }
        ).encode(),
    ],
)
def test_bad_payloads_behind_valid_encryption_are_refused(payload: bytes) -> None:
    with pytest.raises((MalformedMessage, InvalidContent)):
        decode_archive(_custom(_header(), payload), EXPORT_PASSPHRASE)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, 10_000), value=st.integers(1, 255))
def test_random_corruption_only_ever_raises_camvault_errors(position: int, value: int) -> None:
    data = bytearray(_archive())
    data[position % len(data)] ^= value
    with pytest.raises(CamvaultError):
        decode_archive(bytes(data), EXPORT_PASSPHRASE)
