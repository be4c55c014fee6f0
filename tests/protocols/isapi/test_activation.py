from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import CamvaultError, ConfigurationError, CryptoError, InvalidContent, MessageTooLarge
from camvault.protocols.isapi import activation
from camvault.protocols.isapi.activation import ActivationClientKey

PLANTED = "Pl4nted-S3cret!"
R = "0123456789abcdef" + "fedcba9876543210"
SALT = "d8eebc414effc857bed4c3cc203c8b4413f60b00a9f4acc410084358d5fd3f91"  # ProbeMatch <Salt>, §13.3


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def client_key(private_key: rsa.RSAPrivateKey) -> ActivationClientKey:
    return ActivationClientKey(private_key)


def ecb_blocks(key: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    """Encrypt or decrypt block by block, as the web UI does with its two 16-byte halves (§7.2)."""
    out = b""
    for start in range(0, len(data), 16):
        cipher = Cipher(algorithms.AES(key), modes.ECB())
        worker = cipher.decryptor() if decrypt else cipher.encryptor()
        out += worker.update(data[start : start + 16]) + worker.finalize()
    return out


# ---------------------------------------------------------------------------------------------- ISAPI §7.2


def test_public_key_param_is_base64_of_lowercase_hex_modulus(
    client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey
) -> None:
    text = base64.b64decode(client_key.public_key_param()).decode()
    assert len(text) == 256
    assert text == text.lower()
    assert int(text, 16) == private_key.public_key().public_numbers().n
    assert client_key.key_size == 1024


def test_full_isapi_round_trip(client_key: ActivationClientKey) -> None:
    random_text = activation.new_random_text()
    challenge = activation.build_challenge(client_key.public_key_param(), random_text)
    recovered = client_key.decrypt_challenge(challenge)
    assert recovered == random_text
    field = activation.encrypt_password(recovered, PLANTED)
    assert activation.decrypt_password(random_text, field) == PLANTED


def test_device_challenge_decrypts_with_raw_primitives(
    client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey
) -> None:
    challenge = activation.build_challenge(client_key.public_key_param(), R)
    ciphertext = bytes.fromhex(base64.b64decode(challenge).decode())
    assert len(ciphertext) == 128
    assert base64.b64decode(challenge).decode() == ciphertext.hex()  # lowercase hex
    assert private_key.decrypt(ciphertext, padding.PKCS1v15()) == R.encode()


def test_client_reads_a_challenge_made_with_raw_primitives(
    client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey
) -> None:
    # The device side of CNDOC: modulus from the base64-hex parameter, exponent 010001, PKCS#1 v1.5.
    modulus = int(base64.b64decode(client_key.public_key_param()), 16)
    device_key = rsa.RSAPublicNumbers(0x010001, modulus).public_key()
    ciphertext = device_key.encrypt(R.encode(), padding.PKCS1v15())
    key_field = base64.b64encode(ciphertext.hex().upper().encode()).decode()
    assert client_key.decrypt_challenge(key_field) == R


def test_password_field_matches_steps_4_and_5_recomputed() -> None:
    field = activation.encrypt_password(R, PLANTED)
    plaintext = R[:16].encode() + PLANTED.encode()
    plaintext += b"\0" * (-len(plaintext) % 16)
    expected_ct = ecb_blocks(bytes.fromhex(R), plaintext)
    assert field == base64.b64encode(expected_ct.hex().encode()).decode()
    assert len(expected_ct) == 32  # a password of at most 16 characters gives two blocks


def test_device_reads_a_field_made_with_raw_primitives() -> None:
    plaintext = R[:16].encode() + "\u00e9t\u00e9-2024!".encode() + b"\0" * 4
    field = base64.b64encode(ecb_blocks(bytes.fromhex(R), plaintext.ljust(32, b"\0")).hex().encode()).decode()
    assert activation.decrypt_password(R, field) == "\u00e9t\u00e9-2024!"


def test_sixteen_byte_password_needs_no_padding_block() -> None:
    password = "Abcdefgh1234567!"
    ct = bytes.fromhex(base64.b64decode(activation.encrypt_password(R, password)).decode())
    assert len(ct) == 32
    assert ecb_blocks(bytes.fromhex(R), ct, decrypt=True) == R[:16].encode() + password.encode()


def test_new_random_text_shape() -> None:
    assert activation.new_random_text(lambda n: b"\xab" * n) == "ab" * 16
    text = activation.new_random_text()
    assert len(text) == 32
    assert text == text.lower()
    int(text, 16)
    assert activation.new_random_text() != text


def test_decrypt_password_refuses_what_is_not_ours() -> None:
    field = activation.encrypt_password(R, PLANTED)
    other_r = "f" * 32
    with pytest.raises(CryptoError) as info:
        activation.decrypt_password(other_r, field)
    assert PLANTED not in str(info.value)
    assert R not in str(info.value)
    # Right key, wrong prefix: a client that sent R[16:32] instead of R[0:16].
    forged = R[16:].encode() + PLANTED.encode()
    forged_field = base64.b64encode(ecb_blocks(bytes.fromhex(R), forged.ljust(32, b"\0")).hex().encode())
    with pytest.raises(CryptoError):
        activation.decrypt_password(R, forged_field.decode())


def encrypt_raw(plaintext: bytes) -> str:
    return base64.b64encode(ecb_blocks(bytes.fromhex(R), plaintext).hex().encode()).decode()


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("not base64!", InvalidContent),
        (base64.b64encode(b"xyz").decode(), InvalidContent),
        (base64.b64encode(b"abc").decode(), InvalidContent),
        (base64.b64encode("\u00e9".encode()).decode(), InvalidContent),
        ("", InvalidContent),
        (base64.b64encode(b"00" * 16).decode(), CryptoError),
        (base64.b64encode(b"00" * 40).decode(), CryptoError),
        ("QUFB" * 200, MessageTooLarge),
        (encrypt_raw(R[:16].encode() + b"\0" * 16), CryptoError),
        (encrypt_raw(R[:16].encode() + b"ab\0cd".ljust(16, b"\0")), CryptoError),
        (encrypt_raw(R[:16].encode() + b"\xff\xfe".ljust(16, b"\0")), CryptoError),
    ],
)
def test_malformed_password_fields(field: str, error: type[CamvaultError]) -> None:
    with pytest.raises(error):
        activation.decrypt_password(R, field)


@pytest.mark.parametrize(
    ("password", "field"),
    [("", "password"), ("a\0b", "password"), ("x" * 129, "password"), ("\ud800", "password")],
)
def test_encrypt_password_refuses_unusable_passwords(password: str, field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        activation.encrypt_password(R, password)
    assert info.value.field == field


@pytest.mark.parametrize("random_text", ["", "0" * 31, "0" * 33, "g" * 32, "\u00e9" * 32])
def test_random_text_is_validated(random_text: str) -> None:
    with pytest.raises(InvalidContent) as info:
        activation.encrypt_password(random_text, PLANTED)
    assert info.value.field == "random_text"
    with pytest.raises(InvalidContent):
        activation.decrypt_password(random_text, "AAAA")


def modulus_param(modulus: int) -> str:
    return base64.b64encode(f"{modulus:x}".encode()).decode()


@pytest.mark.parametrize(
    ("param", "error"),
    [
        ("%%%", InvalidContent),
        (base64.b64encode(b"not hex").decode(), InvalidContent),
        (base64.b64encode(b"").decode(), InvalidContent),
        (modulus_param(2**511 + 1), InvalidContent),
        (modulus_param(2**1023), InvalidContent),  # even
        (modulus_param(2**5000 + 1), MessageTooLarge),
        (modulus_param(2**4100 + 1), InvalidContent),
    ],
)
def test_build_challenge_refuses_bad_keys(param: str, error: type[CamvaultError]) -> None:
    with pytest.raises(error):
        activation.build_challenge(param, R)


def test_decrypt_challenge_refuses_garbage(
    client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidContent):
        client_key.decrypt_challenge("@@@")
    with pytest.raises(CryptoError):
        client_key.decrypt_challenge(base64.b64encode(b"00" * 127).decode())
    with pytest.raises(CryptoError):  # implicit rejection yields random bytes, which are not 32 hex digits
        client_key.decrypt_challenge(base64.b64encode(b"01" * 128).decode())
    not_hex = private_key.public_key().encrypt(b"Z" * 32, padding.PKCS1v15())
    with pytest.raises(CryptoError):
        client_key.decrypt_challenge(base64.b64encode(not_hex.hex().encode()).decode())


def test_client_key_validation_and_repr(private_key: rsa.RSAPrivateKey) -> None:
    key = ActivationClientKey(private_key)
    text = repr(key)
    assert text == "ActivationClientKey(bits=1024)"
    private = private_key.private_numbers()
    for secret in (private.d, private.p, private.q):
        assert f"{secret:x}" not in text
        assert str(secret) not in text
    with pytest.raises(ConfigurationError):
        ActivationClientKey(rsa.generate_private_key(public_exponent=3, key_size=1024))
    with pytest.raises(ConfigurationError):
        ActivationClientKey.generate(512)
    assert ActivationClientKey.generate(2048).key_size == 2048


@settings(max_examples=40, deadline=None)
@given(
    password=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=32)
)
def test_isapi_password_round_trip(password: str) -> None:
    field = activation.encrypt_password(R, password)
    assert activation.decrypt_password(R, field) == password


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=120).map(lambda b: base64.b64encode(b).decode())))
def test_decoders_raise_only_camvault_errors(text: str) -> None:
    for decode in (activation.decrypt_password, activation.sadp_decrypt_password):
        with contextlib.suppress(CamvaultError):
            decode(R, text)
    with contextlib.suppress(CamvaultError):
        activation.build_challenge(text, R)
    with contextlib.suppress(CamvaultError):
        activation.sadp_build_code(text, R)


# ---------------------------------------------------------------------------------------------- SADP §13.5


def test_sadp_public_key_is_der_pkcs1(
    client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey
) -> None:
    der = base64.b64decode(activation.sadp_exchange_public_key(client_key))
    expected = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    assert der == expected
    loaded = serialization.load_der_public_key(der)
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.public_numbers() == private_key.public_key().public_numbers()


def test_sadp_round_trip(client_key: ActivationClientKey) -> None:
    random_text = activation.new_random_text()
    code = activation.sadp_build_code(activation.sadp_exchange_public_key(client_key), random_text)
    recovered = client_key.decrypt_sadp_code(code)
    assert recovered == random_text
    field = activation.sadp_encrypt_password(recovered, PLANTED)
    assert activation.sadp_decrypt_password(random_text, field) == PLANTED


def test_sadp_code_is_raw_ciphertext(client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey) -> None:
    code = activation.sadp_build_code(activation.sadp_exchange_public_key(client_key), R)
    assert private_key.decrypt(base64.b64decode(code), padding.PKCS1v15()) == R.encode()
    raw = private_key.public_key().encrypt(R.encode(), padding.PKCS1v15())
    assert client_key.decrypt_sadp_code(base64.b64encode(raw).decode()) == R


def test_sadp_accepts_a_java_style_spki_key(private_key: rsa.RSAPrivateKey) -> None:
    spki = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    code = activation.sadp_build_code(base64.b64encode(spki).decode(), R)
    assert private_key.decrypt(base64.b64decode(code), padding.PKCS1v15()) == R.encode()


def test_sadp_refuses_non_rsa_and_small_keys() -> None:
    ec_der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    small = rsa.RSAPublicNumbers(65537, 2**511 + 111).public_key()  # never generated: built from numbers
    small_der = small.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    for der in (ec_der, small_der, b"\x30\x03\x02\x01\x05"):
        with pytest.raises(InvalidContent) as info:
            activation.sadp_build_code(base64.b64encode(der).decode(), R)
        assert info.value.field == "Code"


def test_sadp_password_matches_an_independent_computation() -> None:
    field = activation.sadp_encrypt_password(R, PLANTED)
    key = R[:16].encode()  # ASCII, not hex-decoded
    plaintext = (key + PLANTED.encode()).ljust(32, b"\0")
    assert field == base64.b64encode(ecb_blocks(key, plaintext)).decode()
    assert (
        activation.sadp_decrypt_password(R, base64.b64encode(ecb_blocks(key, plaintext)).decode()) == PLANTED
    )
    assert field != base64.b64encode(
        bytes.fromhex(base64.b64decode(activation.encrypt_password(R, PLANTED)).decode())
    )


def test_sadp_decrypt_refuses_wrong_random_text() -> None:
    field = activation.sadp_encrypt_password(R, PLANTED)
    with pytest.raises(CryptoError) as info:
        activation.sadp_decrypt_password("X" * 16, field)
    assert PLANTED not in str(info.value)
    with pytest.raises(InvalidContent):
        activation.sadp_decrypt_password("short", field)
    with pytest.raises(InvalidContent):
        activation.sadp_decrypt_password(R, "*not base64*")


def test_sadp_decrypt_code_refuses_garbage(
    client_key: ActivationClientKey, private_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(CryptoError):
        client_key.decrypt_sadp_code(base64.b64encode(b"\x01" * 128).decode())
    unprintable = private_key.public_key().encrypt(b"\x01" * 20, padding.PKCS1v15())
    with pytest.raises(CryptoError):
        client_key.decrypt_sadp_code(base64.b64encode(unprintable).decode())
    with pytest.raises(InvalidContent):
        client_key.decrypt_sadp_code("!!")


@settings(max_examples=40, deadline=None)
@given(
    password=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=32)
)
def test_sadp_password_round_trip(password: str) -> None:
    assert activation.sadp_decrypt_password(R, activation.sadp_encrypt_password(R, password)) == password


# ---------------------------------------------------------------------------------------------- SADP §13.6


def independent_sadp_proof(user: str, salt: str, password: str) -> str:
    k = hashlib.md5(hashlib.sha256((user + salt + password).encode()).hexdigest().encode()).digest()
    return base64.b64encode(ecb_blocks(k, k + bytes(48))).decode()


def test_sadp_update_proof_matches_an_independent_computation() -> None:
    proof = activation.sadp_password_proof("admin", SALT, PLANTED)
    assert proof == independent_sadp_proof("admin", SALT, PLANTED)
    assert len(base64.b64decode(proof)) == 64
    assert PLANTED not in proof


def test_sadp_update_proof_verification_from_the_stored_hash() -> None:
    stored = hashlib.sha256(f"admin{SALT}{PLANTED}".encode()).hexdigest()
    proof = activation.sadp_password_proof("admin", SALT, PLANTED)
    assert activation.sadp_password_proof_from_irreversible_hash(stored) == proof
    assert activation.verify_sadp_password_proof(proof, irreversible_hash=stored)
    assert activation.verify_sadp_password_proof(f" {proof}\n", irreversible_hash=stored)
    wrong = activation.sadp_password_proof("admin", SALT, "wrong")
    for candidate in (wrong, "", proof[:-4], proof + "AAAA", "\u00e9" * len(proof)):
        assert not activation.verify_sadp_password_proof(candidate, irreversible_hash=stored)
    with pytest.raises(InvalidContent):
        activation.verify_sadp_password_proof(proof, irreversible_hash="nope")
