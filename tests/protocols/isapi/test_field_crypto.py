from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import CamvaultError, CryptoError, InvalidContent, MessageTooLarge
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.field_crypto import (
    DEFAULT_IV,
    decrypt_field,
    derive_key,
    derive_key_from_irreversible_hash,
    encrypt_field,
)

PLANTED = "Pl4nted-S3cret!"
USER = "admin"
SALT = "d8eebc414effc857bed4c3cc203c8b4413f60b00a9f4acc410084358d5fd3f91"  # the ProbeMatch <Salt> of §13.3
IV = "00112233445566778899aabbccddeeff"


def independent_key(seed: str, iterations: int) -> bytes:
    """§6.3 from scratch: hex strings hashed as text, 32 hex digits kept."""
    text = seed + "AaBbCcDd1234!@#$"
    for _ in range(iterations):
        text = hashlib.sha256(text.encode()).hexdigest()
    return bytes.fromhex(text[:32])


def independent_encrypt(key: bytes, value: str, iv_hex: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    plaintext = base64.b64encode(escaped.encode())
    pad = 16 - len(plaintext) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes.fromhex(iv_hex))).encryptor()
    return (encryptor.update(plaintext + bytes([pad]) * pad) + encryptor.finalize()).hex()


def test_irreversible_key_matches_an_independent_derivation() -> None:
    key = derive_key(USER, PLANTED, salt=SALT, iterations=100)
    irr = hashlib.sha256(f"{USER}{SALT}{PLANTED}".encode()).hexdigest()
    assert key == independent_key(irr, 100)
    assert len(key) == 16
    assert derive_key_from_irreversible_hash(irr, 100) == key
    assert derive_key_from_irreversible_hash(irr.upper(), 100) == key
    assert derive_key(USER, PLANTED, salt=SALT, iterations=99) != key


def test_reversible_key_uses_the_password_cut_to_64_characters() -> None:
    assert derive_key(USER, PLANTED, salt=SALT, iterations=100, irreversible=False) == independent_key(
        PLANTED, 100
    )
    long_password = "p" * 70
    assert derive_key(USER, long_password, salt=SALT, iterations=3, irreversible=False) == independent_key(
        "p" * 64, 3
    )


def test_encrypt_matches_an_independent_implementation_and_decrypts_it() -> None:
    key = derive_key(USER, PLANTED, salt=SALT, iterations=100)
    value = 'New<Pass>&"word"'
    ciphertext = encrypt_field(key, value, IV)
    assert ciphertext == independent_encrypt(key, value, IV)
    assert ciphertext == ciphertext.lower()
    assert decrypt_field(key, independent_encrypt(key, value, IV), IV) == value
    assert decrypt_field(key, ciphertext.upper(), IV) == value


def test_plaintext_is_base64_of_the_xml_escaped_value() -> None:
    key = bytes(range(16))
    ciphertext = encrypt_field(key, "a<b&c>", DEFAULT_IV)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes.fromhex(DEFAULT_IV))).decryptor()
    padded = decryptor.update(bytes.fromhex(ciphertext)) + decryptor.finalize()
    plaintext = padded[: -padded[-1]]
    assert base64.b64decode(plaintext) == b"a&lt;b&amp;c&gt;"


def test_decrypt_tolerates_quote_entities() -> None:
    key = bytes(range(16))
    plaintext = base64.b64encode(b"&quot;x&apos; &amp;lt;")
    pad = 16 - len(plaintext) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes.fromhex(IV))).encryptor()
    ciphertext = (encryptor.update(plaintext + bytes([pad]) * pad) + encryptor.finalize()).hex()
    assert decrypt_field(key, ciphertext, IV) == "\"x' &lt;"


def test_default_iv_is_the_web_ui_one_and_is_used_when_none_is_given() -> None:
    assert DEFAULT_IV == "6cd9616beb39d4034fdebe107df9a399"
    key = bytes(16)
    assert encrypt_field(key, "x") == encrypt_field(key, "x", DEFAULT_IV)
    assert decrypt_field(key, encrypt_field(key, "x")) == "x"


def test_new_iv() -> None:
    assert field_crypto.new_iv(lambda n: b"\x01" * n) == "01" * 16
    assert field_crypto.new_iv() != field_crypto.new_iv()


def test_wrong_key_or_iv_is_a_crypto_error_without_secrets() -> None:
    key = derive_key(USER, PLANTED, salt=SALT, iterations=100)
    ciphertext = encrypt_field(key, PLANTED, IV)
    wrong = derive_key(USER, "other", salt=SALT, iterations=100)
    with pytest.raises(CryptoError) as info:
        decrypt_field(wrong, ciphertext, IV)
    assert PLANTED not in str(info.value)
    assert ciphertext not in str(info.value)
    # With a wrong IV only the first block changes: the base64 no longer decodes.
    with pytest.raises(CryptoError):
        decrypt_field(key, ciphertext, "ff" * 16)


@pytest.mark.parametrize(
    ("hex_text", "error"),
    [
        ("zz", InvalidContent),
        ("abc", InvalidContent),
        ("", CryptoError),
        ("00" * 15, CryptoError),
        ("00" * 17, CryptoError),
        ("0" * (field_crypto.MAX_CIPHERTEXT_HEX + 2), MessageTooLarge),
    ],
)
def test_malformed_ciphertext(hex_text: str, error: type[CamvaultError]) -> None:
    with pytest.raises(error):
        decrypt_field(bytes(16), hex_text, IV)


def test_bad_keys_ivs_and_sizes() -> None:
    for iv in ("", "00" * 15, "zz" * 16, DEFAULT_IV + "00"):
        with pytest.raises(InvalidContent) as info:
            encrypt_field(bytes(16), "x", iv)
        assert info.value.field == "iv"
    for key in (b"", bytes(15), bytes(32)):
        with pytest.raises(CryptoError):
            encrypt_field(key, "x", IV)
        with pytest.raises(CryptoError):
            decrypt_field(key, "00" * 16, IV)
    with pytest.raises(MessageTooLarge):
        encrypt_field(bytes(16), "x" * field_crypto.MAX_CIPHERTEXT_HEX, IV)
    with pytest.raises(InvalidContent) as info:
        encrypt_field(bytes(16), "lone \ud800 surrogate", IV)
    assert info.value.field == "value"
    for iterations in (0, field_crypto.MAX_KEY_ITERATIONS + 1):
        with pytest.raises(InvalidContent):
            derive_key(USER, PLANTED, salt=SALT, iterations=iterations)
    for stored in ("", "g" * 64, "a" * 63):
        with pytest.raises(InvalidContent):
            derive_key_from_irreversible_hash(stored, 100)


@settings(max_examples=80, deadline=None)
@given(
    value=st.text(max_size=200),
    iv=st.binary(min_size=16, max_size=16),
    key=st.binary(min_size=16, max_size=16),
)
def test_round_trip(value: str, iv: bytes, key: bytes) -> None:
    ciphertext = encrypt_field(key, value, iv.hex())
    assert ciphertext == independent_encrypt(key, value, iv.hex())
    assert decrypt_field(key, ciphertext, iv.hex()) == value


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.text(max_size=120), st.binary(max_size=96).map(bytes.hex)))
def test_decrypt_raises_only_camvault_errors(text: str) -> None:
    with contextlib.suppress(CamvaultError):
        decrypt_field(bytes(16), text, IV)
