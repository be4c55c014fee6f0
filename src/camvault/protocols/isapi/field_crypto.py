"""ISAPI ``security=1`` field encryption (research notes hikvision.md §6.3), for both ends.

With ``?security=1&iv=<32 hex>`` on users, security questions, GUID export and channel activation, secret
fields travel AES-encrypted under a key derived from the *logged-in* user's password:

* key (three independent implementations agree, §6.3): ``k = irr + "AaBbCcDd1234!@#$"``, then
  ``k = SHA256hex(k)`` ``keyIterateNum`` times (SecurityCap; 100 in practice), and the AES-128 key is the
  first 32 hex digits of ``k``. ``irr`` is ``SHA256hex(user + salt + pwd)`` when ``isIrreversible`` is true,
  which is exactly what the device stores, so it never needs the plaintext password
  (:func:`derive_key_from_irreversible_hash`).
* for ``isIrreversible=false`` the sources disagree (plain password in C#, ``SHA256hex(pwd)`` in an Arduino
  port). We follow the C# one: it comes with Hikvision's SDK sample comments, and it cuts the password to 64
  characters first, which we copy.
* cipher: AES-128-CBC with PKCS#7 padding over ``base64(xmlEscape(value))``; the ciphertext travels as
  lowercase hex. ``xmlEscape`` replaces ``&``, ``<`` and ``>`` as the web UI's ``encodeString`` does; reading
  also undoes ``&quot;`` and ``&apos;`` for tolerance.
* IV: chosen by the client per request and sent as ``iv``; the web UI's default is :data:`DEFAULT_IV`.

``security=2`` (AES-256 per the SDK guide) has no known derivation and is not implemented.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Callable
from xml.sax.saxutils import escape, unescape

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from camvault.errors import CryptoError, InvalidContent, MessageTooLarge
from camvault.protocols.isapi.session_login import irreversible_hash

__all__ = [
    "DEFAULT_IV",
    "KEY_SUFFIX",
    "MAX_CIPHERTEXT_HEX",
    "MAX_KEY_ITERATIONS",
    "RandomBytes",
    "decrypt_field",
    "derive_key",
    "derive_key_from_irreversible_hash",
    "encrypt_field",
    "new_iv",
]

DEFAULT_IV = "6cd9616beb39d4034fdebe107df9a399"
"""The IV the Hikvision web UI uses when the caller gives none (§6.3, WEBUTIL ``encodeAES``)."""

KEY_SUFFIX = "AaBbCcDd1234!@#$"
"""The constant appended to the irreversible hash before iterating (§6.3)."""

MAX_KEY_ITERATIONS = 100_000
"""Most SHA-256 rounds of key derivation (devices advertise 100); the ISAPI document parser's bound."""

MAX_CIPHERTEXT_HEX = 64 * 1024
"""Longest encrypted field accepted or produced, in hex digits (32 KiB of ciphertext)."""

RandomBytes = Callable[[int], bytes]
"""A source of random bytes, ``rng(n) -> n bytes``; :func:`secrets.token_bytes` unless a test injects one."""

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_REVERSIBLE_PASSWORD_LIMIT = 64
_KEY_BYTES = 16
_UNESCAPE_EXTRA = {"&quot;": '"', "&apos;": "'"}


def _sha256_hex(text: str) -> str:
    digest = hashes.Hash(hashes.SHA256())
    # surrogatepass: a stray surrogate from a lenient decoder must give a non-matching key, not a crash.
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.finalize().hex()


def derive_key_from_irreversible_hash(irreversible_hash: str, iterations: int) -> bytes:
    """Derive the 16-byte field key from the stored ``SHA256hex(user + salt + pwd)``: the device's way.

    Args:
        irreversible_hash: 64 hex digits.
        iterations: ``keyIterateNum`` from SecurityCap, 1 to :data:`MAX_KEY_ITERATIONS`.

    Raises:
        InvalidContent: the hash is not 64 hex digits or ``iterations`` is out of range.
    """
    if not _HEX64.fullmatch(irreversible_hash):
        raise InvalidContent("an irreversible hash must be 64 hex digits", field="irreversible_hash")
    return _derive(irreversible_hash.lower(), iterations)


def derive_key(
    username: str, password: str, *, salt: str, iterations: int, irreversible: bool = True
) -> bytes:
    """Derive the 16-byte field key from the login credentials: the client's way.

    Args:
        username: the logged-in account.
        password: its password.
        salt: the user's salt (SecurityCap or sessionLogin capabilities).
        iterations: ``keyIterateNum``, 1 to :data:`MAX_KEY_ITERATIONS`.
        irreversible: the advertised ``isIrreversible``; ``False`` uses the password itself (see the module
            docstring for why).

    Raises:
        InvalidContent: ``iterations`` is out of range or the salt is implausibly long.
    """
    if irreversible:
        return _derive(irreversible_hash(username, salt, password), iterations)
    return _derive(password[:_REVERSIBLE_PASSWORD_LIMIT], iterations)


def _derive(seed: str, iterations: int) -> bytes:
    if not 1 <= iterations <= MAX_KEY_ITERATIONS:
        raise InvalidContent(f"iterations must be between 1 and {MAX_KEY_ITERATIONS}", field="iterations")
    value = seed + KEY_SUFFIX
    for _ in range(iterations):
        value = _sha256_hex(value)
    return bytes.fromhex(value[: 2 * _KEY_BYTES])


def new_iv(rng: RandomBytes = secrets.token_bytes) -> str:
    """Return a fresh IV for the ``iv`` query parameter: 16 random bytes as 32 lowercase hex digits.

    The web UI uses ``MD5(ms-timestamp)``; random bytes have the same shape and are not predictable.
    """
    return rng(16).hex()


def _cipher(key: bytes, iv_hex: str) -> Cipher[modes.CBC]:
    if len(key) != _KEY_BYTES:
        raise CryptoError("a security=1 field key must be 16 bytes")
    if not _HEX32.fullmatch(iv_hex):
        raise InvalidContent("iv must be 32 hex digits", field="iv")
    return Cipher(algorithms.AES(key), modes.CBC(bytes.fromhex(iv_hex)))


def encrypt_field(key: bytes, value: str, iv_hex: str = DEFAULT_IV) -> str:
    """Encrypt one field value for a ``security=1`` document.

    Args:
        key: the 16-byte key from :func:`derive_key` or :func:`derive_key_from_irreversible_hash`.
        value: the plaintext field (a password, an answer, a user name, ...).
        iv_hex: the IV sent as the ``iv`` parameter, 32 hex digits.

    Returns:
        The ciphertext as lowercase hex.

    Raises:
        CryptoError: the key is not 16 bytes.
        InvalidContent: the IV is not 32 hex digits.
        MessageTooLarge: the result would exceed :data:`MAX_CIPHERTEXT_HEX`.
    """
    cipher = _cipher(key, iv_hex)
    try:
        plaintext = base64.b64encode(escape(value).encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidContent("a field value must be encodable as UTF-8", field="value") from None
    if 2 * (len(plaintext) + 16) > MAX_CIPHERTEXT_HEX:
        raise MessageTooLarge(f"an encrypted field may hold at most {MAX_CIPHERTEXT_HEX} hex digits")
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = cipher.encryptor()
    return (encryptor.update(padded) + encryptor.finalize()).hex()


def decrypt_field(key: bytes, hex_text: str, iv_hex: str = DEFAULT_IV) -> str:
    """Decrypt one field value of a ``security=1`` document.

    Args:
        key: the 16-byte key.
        hex_text: the field's text, hex (surrounding whitespace is ignored).
        iv_hex: the ``iv`` parameter of the request, 32 hex digits.

    Returns:
        The plaintext value.

    Raises:
        MessageTooLarge: the field is longer than :data:`MAX_CIPHERTEXT_HEX`.
        InvalidContent: the field or the IV is not hex.
        CryptoError: the key is not 16 bytes, or the field does not decrypt to a valid value under it
            (wrong key, wrong IV, truncated or tampered data).
    """
    text = hex_text.strip()
    if len(text) > MAX_CIPHERTEXT_HEX:
        raise MessageTooLarge(f"an encrypted field may hold at most {MAX_CIPHERTEXT_HEX} hex digits")
    if not _HEX.fullmatch(text):
        raise InvalidContent("an encrypted field must be hex", field="value")
    cipher = _cipher(key, iv_hex)
    ciphertext = bytes.fromhex(text)
    if not ciphertext or len(ciphertext) % 16:
        raise CryptoError("an encrypted field must be a non-empty whole number of AES blocks")
    decryptor = cipher.decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plaintext = unpadder.update(padded) + unpadder.finalize()
        escaped = base64.b64decode(plaintext, validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        raise CryptoError("the encrypted field does not decrypt under this key and IV") from None
    return unescape(escaped, _UNESCAPE_EXTRA)
