"""Activation crypto of an inactive device, ISAPI (hikvision.md §7.2) and SADP (§13.5, §13.6), both ends.

ISAPI flow (QB60, CNDOC and the web UI agree):

1. The client makes an RSA-1024 key (e = 65537) and posts ``base64(lowercase_hex(modulus))``
   (:meth:`ActivationClientKey.public_key_param`) to ``/ISAPI/Security/challenge``.
2. The device picks a random text ``R`` of 32 hex digits (:func:`new_random_text`) and answers
   ``base64(hex(RSA-PKCS#1-v1.5(R)))`` (:func:`build_challenge`); the client recovers ``R``
   (:meth:`ActivationClientKey.decrypt_challenge`).
3. The client sends ``base64(lowercase_hex(AES-128-ECB(key = hex→bytes(R))(R[0:16] ‖ password)))``,
   zero-padded to a 16-byte boundary (:func:`encrypt_password`); the device decrypts, checks the ``R[0:16]``
   prefix and strips the NUL padding (:func:`decrypt_password`).

SADP flow (one source, JAVASADP; the notes ask for confirmation against a device): the public key travels as
base64 of a DER PKCS#1 ``RSAPublicKey`` (:func:`sadp_exchange_public_key`), the device answers base64 of the
raw RSA ciphertext (:func:`sadp_build_code`), and the password is base64 of the raw AES-128-ECB ciphertext
under the *ASCII* bytes of ``R[0:16]`` (:func:`sadp_encrypt_password`). The SADP ``update`` command proves the
current password with :func:`sadp_password_proof` (§13.6).

ECB and the fixed prefix are what the devices speak; they are not a design recommendation. The password
policy (8-16 characters and strength, §9) is enforced by the device model, not here; the codecs only bound
the size (:data:`MAX_PASSWORD_BYTES`).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Callable

from cryptography.hazmat.primitives import constant_time, hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from camvault.errors import ConfigurationError, CryptoError, InvalidContent, MessageTooLarge
from camvault.protocols.isapi.session_login import irreversible_hash as _irreversible_hash

__all__ = [
    "MAX_MODULUS_BITS",
    "MAX_PASSWORD_BYTES",
    "MIN_MODULUS_BITS",
    "RSA_EXPONENT",
    "ActivationClientKey",
    "RandomBytes",
    "build_challenge",
    "decrypt_password",
    "encrypt_password",
    "new_random_text",
    "sadp_build_code",
    "sadp_decrypt_password",
    "sadp_encrypt_password",
    "sadp_exchange_public_key",
    "sadp_password_proof",
    "sadp_password_proof_from_irreversible_hash",
    "verify_sadp_password_proof",
]

RSA_EXPONENT = 65537
"""The public exponent both ends assume; the ISAPI key parameter carries only the modulus (CNDOC)."""

MIN_MODULUS_BITS = 1024
MAX_MODULUS_BITS = 4096

MAX_PASSWORD_BYTES = 128
"""Largest password in UTF-8 bytes the codecs carry: far above any device policy, yet a bound."""

RandomBytes = Callable[[int], bytes]
"""A source of random bytes, ``rng(n) -> n bytes``; :func:`secrets.token_bytes` unless a test injects one."""

_PREFIX_LENGTH = 16
_BLOCK = 16
_RANDOM_TEXT = re.compile(r"[0-9a-fA-F]{32}")
_SADP_RANDOM_TEXT = re.compile(r"[\x21-\x7e]{16,64}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
# base64 of the hex of a 4096-bit number is 1368 characters; ciphertexts and DER keys are smaller.
_MAX_KEY_FIELD = 1400
_MAX_PASSWORD_FIELD = 4 * (2 * (_PREFIX_LENGTH + MAX_PASSWORD_BYTES + _BLOCK)) // 3 + 4
_SADP_PROOF_ZEROS = 48


# --------------------------------------------------------------------------------------------------------
# Encoding helpers


def _decode_base64(text: str, field: str, limit: int) -> bytes:
    if len(text) > limit:
        raise MessageTooLarge(f"<{field}> is longer than {limit} characters")
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent(f"<{field}> is not valid base64", field=field) from None


def _decode_hex_text(raw: bytes, field: str) -> str:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidContent(f"<{field}> does not hold hex digits", field=field) from None
    if not _HEX.fullmatch(text):
        raise InvalidContent(f"<{field}> does not hold hex digits", field=field)
    return text


def _base64_of_hex(data: bytes) -> str:
    return base64.b64encode(data.hex().encode("ascii")).decode("ascii")


def _hex_field_bytes(text: str, field: str, limit: int) -> bytes:
    hex_text = _decode_hex_text(_decode_base64(text, field, limit), field)
    if len(hex_text) % 2:
        raise InvalidContent(f"<{field}> holds an odd number of hex digits", field=field)
    return bytes.fromhex(hex_text)


# --------------------------------------------------------------------------------------------------------
# AES-ECB with the devices' zero padding


def _ecb(key: bytes) -> Cipher[modes.ECB]:
    # ECB is what the devices speak (§7.2, §13.5); nothing else interoperates.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305


def _zero_padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % _BLOCK)


def _encrypt_prefixed(key: bytes, prefix: bytes, password: str) -> bytes:
    if "\x00" in password:
        raise InvalidContent("a password cannot contain a NUL character", field="password")
    try:
        encoded = password.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidContent("a password must be encodable as UTF-8", field="password") from None
    if not encoded:
        raise InvalidContent("the password is empty", field="password")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise InvalidContent(f"a password is limited to {MAX_PASSWORD_BYTES} bytes", field="password")
    encryptor = _ecb(key).encryptor()
    return encryptor.update(_zero_padded(prefix + encoded)) + encryptor.finalize()


def _decrypt_prefixed(key: bytes, prefix: bytes, ciphertext: bytes) -> str:
    if len(ciphertext) <= _PREFIX_LENGTH or len(ciphertext) % _BLOCK:
        raise CryptoError("the encrypted password is not a whole number of AES blocks after the prefix")
    decryptor = _ecb(key).decryptor()
    plaintext = decryptor.update(ciphertext) + decryptor.finalize()
    if not constant_time.bytes_eq(plaintext[:_PREFIX_LENGTH], prefix):
        raise CryptoError("the encrypted password does not decrypt under this random text")
    body = plaintext[_PREFIX_LENGTH:].rstrip(b"\x00")
    if not body or b"\x00" in body:
        raise CryptoError("the decrypted password is empty or malformed")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise CryptoError("the decrypted password is not UTF-8") from None


# --------------------------------------------------------------------------------------------------------
# RSA


def _public_key(modulus: int, exponent: int, field: str) -> rsa.RSAPublicKey:
    if not MIN_MODULUS_BITS <= modulus.bit_length() <= MAX_MODULUS_BITS:
        raise InvalidContent(
            f"the RSA modulus must have {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits", field=field
        )
    if modulus % 2 == 0 or exponent < 3 or exponent % 2 == 0 or exponent >= modulus:
        raise InvalidContent("the RSA public key is not valid", field=field)
    try:
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError:
        raise InvalidContent("the RSA public key is not valid", field=field) from None


def _encrypt_random_text(key: rsa.RSAPublicKey, random_text: str) -> bytes:
    return key.encrypt(random_text.encode("ascii"), padding.PKCS1v15())


class ActivationClientKey:
    """The client's RSA key pair for one activation (ISAPI or SADP); the private half stays inside.

    Args:
        private_key: an RSA key with e = 65537 and a 1024- to 4096-bit modulus.

    Raises:
        ConfigurationError: the key has another exponent or size.
    """

    __slots__ = ("_private_key",)

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        public = private_key.public_key().public_numbers()
        if public.e != RSA_EXPONENT:
            raise ConfigurationError("activation keys must use the public exponent 65537")
        if not MIN_MODULUS_BITS <= private_key.key_size <= MAX_MODULUS_BITS:
            raise ConfigurationError(
                f"activation keys must have {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits"
            )
        self._private_key = private_key

    @classmethod
    def generate(cls, key_size: int = 1024) -> ActivationClientKey:
        """Make a fresh key; 1024 bits is what the devices and the web UI use (§7.2)."""
        if not MIN_MODULUS_BITS <= key_size <= MAX_MODULUS_BITS:
            raise ConfigurationError(
                f"activation keys must have {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits"
            )
        return cls(rsa.generate_private_key(public_exponent=RSA_EXPONENT, key_size=key_size))

    def __repr__(self) -> str:
        return f"ActivationClientKey(bits={self._private_key.key_size})"

    @property
    def key_size(self) -> int:
        """The modulus size in bits."""
        return self._private_key.key_size

    def public_key_param(self) -> str:
        """Return the ISAPI ``<PublicKey><key>`` value: base64 of the modulus in lowercase hex."""
        modulus = self._private_key.public_key().public_numbers().n
        return base64.b64encode(f"{modulus:x}".encode("ascii")).decode("ascii")

    def sadp_public_key_der(self) -> bytes:
        """Return the public key as DER PKCS#1 ``RSAPublicKey`` (the SADP ``exchangecode`` form, §13.5)."""
        return self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )

    def _decrypt(self, ciphertext: bytes) -> str:
        if len(ciphertext) != (self.key_size + 7) // 8:
            raise CryptoError("the encrypted random text does not match this key's size")
        try:
            clear = self._private_key.decrypt(ciphertext, padding.PKCS1v15())
            return clear.decode("ascii")
        except (ValueError, UnicodeDecodeError):
            raise CryptoError("the encrypted random text does not decrypt under this key") from None

    def decrypt_challenge(self, key_field: str) -> str:
        """Recover ``R`` from the ``<key>`` of the ``/ISAPI/Security/challenge`` answer.

        OpenSSL answers a bad PKCS#1 v1.5 ciphertext with random bytes rather than an error (implicit
        rejection), so the result is checked for the 32-hex shape of ``R``.

        Raises:
            MessageTooLarge: the field is too long.
            InvalidContent: the field is not base64 of hex.
            CryptoError: it does not decrypt to 32 hex digits under this key.
        """
        random_text = self._decrypt(_hex_field_bytes(key_field, "key", _MAX_KEY_FIELD))
        if not _RANDOM_TEXT.fullmatch(random_text):
            raise CryptoError("the challenge did not decrypt to 32 hex digits")
        return random_text

    def decrypt_sadp_code(self, code: str) -> str:
        """Recover ``R`` from the ``<Code>`` of a SADP ``exchangecode`` reply (base64 of raw ciphertext).

        Raises:
            MessageTooLarge: the field is too long.
            InvalidContent: the field is not base64.
            CryptoError: it does not decrypt to 16-64 printable ASCII characters under this key.
        """
        random_text = self._decrypt(_decode_base64(code, "Code", _MAX_KEY_FIELD))
        if not _SADP_RANDOM_TEXT.fullmatch(random_text):
            raise CryptoError("the SADP code did not decrypt to a usable random text")
        return random_text


# --------------------------------------------------------------------------------------------------------
# ISAPI §7.2


def new_random_text(rng: RandomBytes = secrets.token_bytes) -> str:
    """Return a device random text ``R``: 16 random bytes as 32 lowercase hex digits (§7.2 step 2)."""
    return rng(16).hex()


def _check_random_text(random_text: str) -> None:
    if not _RANDOM_TEXT.fullmatch(random_text):
        raise InvalidContent("the random text must be 32 hex digits", field="random_text")


def _modulus_from_param(public_key_param: str) -> int:
    hex_text = _decode_hex_text(_decode_base64(public_key_param, "key", _MAX_KEY_FIELD), "key")
    return int(hex_text, 16)


def build_challenge(public_key_param: str, random_text: str) -> str:
    """Encrypt ``R`` for the client, as the device answers ``POST /ISAPI/Security/challenge``.

    Args:
        public_key_param: the client's ``<key>``: base64 of the modulus in hex (either case, any length
            parity); the exponent is 65537 (CNDOC).
        random_text: ``R`` from :func:`new_random_text`.

    Returns:
        The answer's ``<key>``: base64 of the lowercase hex of the PKCS#1 v1.5 ciphertext.

    Raises:
        MessageTooLarge: the key field is too long.
        InvalidContent: the key field is not base64 of hex, or not a 1024- to 4096-bit odd modulus.
    """
    _check_random_text(random_text)
    key = _public_key(_modulus_from_param(public_key_param), RSA_EXPONENT, "key")
    return _base64_of_hex(_encrypt_random_text(key, random_text))


def _isapi_key_and_prefix(random_text: str) -> tuple[bytes, bytes]:
    _check_random_text(random_text)
    return bytes.fromhex(random_text), random_text[:_PREFIX_LENGTH].encode("ascii")


def encrypt_password(random_text: str, password: str) -> str:
    """Encrypt the new admin password for ``PUT /ISAPI/System/activate`` (§7.2 steps 3-5), client side.

    Returns:
        The ``<password>`` value: base64 of the lowercase hex of the AES-128-ECB ciphertext.

    Raises:
        InvalidContent: ``R`` is not 32 hex digits, or the password is empty, too long or contains NUL.
    """
    key, prefix = _isapi_key_and_prefix(random_text)
    return _base64_of_hex(_encrypt_prefixed(key, prefix, password))


def decrypt_password(random_text: str, password_field: str) -> str:
    """Recover the new admin password from an activation request, device side.

    Args:
        random_text: the ``R`` this device sent to the client.
        password_field: the ``<password>`` of ``<ActivateInfo>``.

    Raises:
        MessageTooLarge: the field is too long.
        InvalidContent: ``R`` is malformed, or the field is not base64 of hex.
        CryptoError: the field does not decrypt under ``R``, the prefix does not match, or the padding or
            UTF-8 is wrong.
    """
    key, prefix = _isapi_key_and_prefix(random_text)
    ciphertext = _hex_field_bytes(password_field, "password", _MAX_PASSWORD_FIELD)
    return _decrypt_prefixed(key, prefix, ciphertext)


# --------------------------------------------------------------------------------------------------------
# SADP §13.5 and §13.6


def sadp_exchange_public_key(client_key: ActivationClientKey) -> str:
    """Return the ``<Code>`` of a SADP ``exchangecode`` request: base64 of DER PKCS#1 ``RSAPublicKey``."""
    return base64.b64encode(client_key.sadp_public_key_der()).decode("ascii")


def _sadp_public_key(code: str) -> rsa.RSAPublicKey:
    der = _decode_base64(code, "Code", _MAX_KEY_FIELD)
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise InvalidContent("<Code> is not a DER RSA public key", field="Code") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidContent("<Code> is not an RSA public key", field="Code")
    numbers = key.public_numbers()
    return _public_key(numbers.n, numbers.e, "Code")


def sadp_build_code(public_key_code: str, random_text: str) -> str:
    """Encrypt ``R`` for a SADP ``exchangecode`` reply, device side.

    The notes describe a PKCS#1 ``RSAPublicKey``; a Java client's ``getEncoded()`` gives an X.509
    ``SubjectPublicKeyInfo`` instead, so both DER forms are accepted.

    Args:
        public_key_code: the request's ``<Code>``.
        random_text: ``R`` from :func:`new_random_text`.

    Returns:
        The reply's ``<Code>``: base64 of the raw PKCS#1 v1.5 ciphertext.

    Raises:
        MessageTooLarge: the code is too long.
        InvalidContent: the code is not base64 DER of a 1024- to 4096-bit RSA key, or ``R`` is malformed.
    """
    _check_random_text(random_text)
    key = _sadp_public_key(public_key_code)
    return base64.b64encode(_encrypt_random_text(key, random_text)).decode("ascii")


def _sadp_key(random_text: str) -> bytes:
    if not _SADP_RANDOM_TEXT.fullmatch(random_text):
        raise InvalidContent(
            "the SADP random text must be 16-64 printable ASCII characters", field="random_text"
        )
    return random_text[:_PREFIX_LENGTH].encode("ascii")


def sadp_encrypt_password(random_text: str, password: str) -> str:
    """Encrypt the new password for a SADP ``activate`` command (§13.5 step 3), client side.

    Returns:
        The ``<Password>`` value: base64 of the raw AES-128-ECB ciphertext under ASCII ``R[0:16]``.

    Raises:
        InvalidContent: ``R`` is malformed, or the password is empty, too long or contains NUL.
    """
    key = _sadp_key(random_text)
    return base64.b64encode(_encrypt_prefixed(key, key, password)).decode("ascii")


def sadp_decrypt_password(random_text: str, password_field: str) -> str:
    """Recover the new password from a SADP ``activate`` command, device side.

    Raises:
        MessageTooLarge: the field is too long.
        InvalidContent: ``R`` is malformed or the field is not base64.
        CryptoError: the field does not decrypt under ``R`` (prefix, padding or UTF-8 wrong).
    """
    key = _sadp_key(random_text)
    ciphertext = _decode_base64(password_field, "Password", _MAX_PASSWORD_FIELD)
    return _decrypt_prefixed(key, key, ciphertext)


def sadp_password_proof_from_irreversible_hash(irreversible_hash: str) -> str:
    """Compute the SADP ``update`` proof from the stored ``SHA256hex(user + Salt + pwd)`` (§13.6).

    ``k = MD5(SHA256hex(user + Salt + pwd))`` as 16 raw bytes, the MD5 taken over the 64 hex characters
    (the only reading in which a hex string is hashed again, as everywhere else in these protocols), and the
    proof is ``base64(AES-128-ECB(k)(k ‖ 48 zero bytes))``.

    Raises:
        InvalidContent: the hash is not 64 hex digits.
    """
    if not _HEX64.fullmatch(irreversible_hash):
        raise InvalidContent("an irreversible hash must be 64 hex digits", field="irreversible_hash")
    digest = hashes.Hash(hashes.MD5())  # noqa: S303 - the SADP wire format fixes MD5 (§13.6)
    digest.update(irreversible_hash.lower().encode("ascii"))
    key = digest.finalize()
    encryptor = _ecb(key).encryptor()
    ciphertext = encryptor.update(key + b"\x00" * _SADP_PROOF_ZEROS) + encryptor.finalize()
    return base64.b64encode(ciphertext).decode("ascii")


def sadp_password_proof(user: str, salt: str, password: str) -> str:
    """Compute the ``<Password bSalt="true">`` of a SADP ``update`` command (§13.6), client side.

    Args:
        user: the account name (``admin``).
        salt: the ``<Salt>`` of the device's ProbeMatch.
        password: the current password.

    Raises:
        InvalidContent: the salt is implausibly long.
    """
    return sadp_password_proof_from_irreversible_hash(_irreversible_hash(user, salt, password))


def verify_sadp_password_proof(proof: str, *, irreversible_hash: str) -> bool:
    """Check a SADP ``update`` proof against the stored irreversible hash, in constant time.

    Raises:
        InvalidContent: the stored hash is malformed (never for a bad ``proof``).
    """
    expected = sadp_password_proof_from_irreversible_hash(irreversible_hash)
    if len(proof.strip()) != len(expected):
        return False
    return constant_time.bytes_eq(expected.encode("ascii"), proof.strip().encode("utf-8", "surrogatepass"))
