"""Envelope encryption of the vault: pure functions over bytes.

Layers (all AES-256-GCM, 96-bit random nonces, blobs stored as ``nonce || ciphertext || tag``):

1. key-encryption key (Argon2id of the passphrase) wraps the vault *master key* (256 random bits); the AAD
   names the vault and its KDF parameters.
2. the master key wraps each version's *data key* (256 random bits, one per version); the AAD names the
   vault, the reference and the version.
3. the data key encrypts the version's payload (username and password); same AAD with another purpose.

Because the AAD binds (vault id, reference, version), a row copied onto another reference or version, or
into another vault, fails authentication instead of decrypting to the wrong device's password. Changing the
passphrase re-wraps only layer 1.

Payloads are padded to a multiple of :data:`PAD_BLOCK` bytes so ciphertext lengths do not reveal password
lengths to someone holding the database file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from camvault.fleet.vault.kdf import KEY_BYTES, KdfParams

RandomSource = Callable[[int], bytes]
"""Where random bytes come from (``os.urandom``; injectable for deterministic tests)."""

NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
PAD_BLOCK: Final = 64
_MAX_PAYLOAD: Final = 16 * 1024


class Unauthentic(Exception):
    """AES-GCM authentication failed: wrong key, or the blob or its context was altered.

    Internal: callers translate it into ``WrongPassphrase`` or ``VaultIntegrityError``.
    """


def seal(key: bytes, plaintext: bytes, aad: bytes, random_bytes: RandomSource) -> bytes:
    """Encrypt and authenticate ``plaintext`` bound to ``aad``; returns ``nonce || ciphertext || tag``."""
    nonce = random_bytes(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("the random source returned the wrong number of bytes")
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Reverse :func:`seal`.

    Raises:
        Unauthentic: the blob is too short, or authentication failed.
    """
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise Unauthentic
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise Unauthentic from None


def new_key(random_bytes: RandomSource) -> bytes:
    """Return a fresh 256-bit key."""
    key = random_bytes(KEY_BYTES)
    if len(key) != KEY_BYTES:
        raise ValueError("the random source returned the wrong number of bytes")
    return key


def _aad(*parts: str | int) -> bytes:
    # A JSON array is unambiguous whatever characters a reference contains.
    return json.dumps(["camvault-vault-v1", *parts], separators=(",", ":")).encode("utf-8")


def master_key_aad(vault_id: str, kdf: KdfParams) -> bytes:
    """AAD of the wrapped master key: the vault and the KDF parameters that protect it."""
    return _aad("master-key", vault_id, kdf.describe())


def data_key_aad(vault_id: str, ref: str, version: int) -> bytes:
    """AAD of a version's wrapped data key."""
    return _aad("data-key", vault_id, ref, version)


def payload_aad(vault_id: str, ref: str, version: int) -> bytes:
    """AAD of a version's encrypted payload."""
    return _aad("payload", vault_id, ref, version)


def encode_payload(username: str, password: str) -> bytes:
    """Serialise a credential and pad it to a multiple of :data:`PAD_BLOCK` bytes.

    JSON escapes NUL, so NUL padding is unambiguous.
    """
    raw = json.dumps({"u": username, "p": password}, separators=(",", ":")).encode("utf-8")
    padded_length = -(-(len(raw) + 1) // PAD_BLOCK) * PAD_BLOCK
    return raw + b"\x00" * (padded_length - len(raw))


def decode_payload(data: bytes) -> tuple[str, str]:
    """Reverse :func:`encode_payload`.

    Raises:
        ValueError: the payload is not what :func:`encode_payload` writes.
    """
    if len(data) > _MAX_PAYLOAD:
        raise ValueError("payload too large")
    decoded = json.loads(data.rstrip(b"\x00").decode("utf-8"))
    if not isinstance(decoded, dict):
        raise ValueError("payload is not an object")
    username, password = decoded.get("u"), decoded.get("p")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ValueError("payload fields missing")
    return username, password


def fingerprint_key(master_key: bytes, vault_id: str) -> bytes:
    """Derive the HMAC key used to compare passwords without revealing them (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"camvault-vault-v1 password fingerprint " + vault_id.encode("utf-8"),
    ).derive(master_key)


def fingerprint(key: bytes, password: str) -> str:
    """Return HMAC-SHA256(key, password) in hex: equal passwords give equal fingerprints in one vault."""
    return hmac.new(key, password.encode("utf-8"), hashlib.sha256).hexdigest()
