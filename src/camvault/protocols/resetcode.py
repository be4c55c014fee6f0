"""Signed reset requests and one-time reset codes: the vendor-support recovery channel, sans I/O.

This is the honest replacement for the vendor-support methods of the research notes (hikvision.md §14.1:
method 1 "security code", method 2 "encrypted file", method 3 "QR code"), used by both ends:

1. **Manufacture.** The lab gives each device an Ed25519 key and an X.509 certificate issued by the vendor's
   *device CA* (:func:`create_device_ca`, :func:`issue_device_certificate`), plus a :class:`TrustBundle` of
   the vendor's *reset-signing* public keys (current and next). Both survive a factory reset.
2. **Export.** The device builds a :class:`ResetRequest` (model, serial, MAC, firmware, its own clock, a fresh
   128-bit nonce, an expiry) signed by its key with its certificate attached (:func:`build_reset_request`)
   and exports it as a text file (:func:`encode_request_file`). One request is pending at a time; a new
   export or a reboot forgets the previous nonce, as a real NVR forgets its e-mailed code on reboot
   (§12.3, NVR-MAN).
3. **Support.** The service reads the file (:func:`decode_request_file`), checks the certificate chain and the
   signature (:func:`verify_reset_request`), and after checking ownership signs a :class:`ResetCode` with the
   reset-signing key (:func:`issue_reset_code`). The code is handed out as a typed string
   (:func:`encode_typed_code`) and as a file (:func:`encode_code_file`).
4. **Import.** The device checks the code against its own serial and its pending nonce
   (:func:`verify_reset_code`), then lets the owner set a new admin password (and, when the code's
   ``sync_ipc_password`` flag is set, the passwords its cameras use, mirroring SADP's
   ``<SyncIPCPassword>`` of §12.4).

Unlike the legacy serial+date code of §14.2, nothing here can be computed from public device data: the code is
a signature by a key only the vendor holds, over the device's serial and a nonce that only the device and its
owner have seen, and it expires and is single-use.

Why the typed code is 125 characters: the signature alone is 64 bytes (512 bits, 103 base32 symbols). It
cannot be truncated (a truncated Ed25519 signature does not verify), and a short MAC under a secret shared
with the device would let anyone who extracts that secret from one device forge codes for it, or for every
device if the secret is fleet-wide: the very flaw of §14.2. Only what the device cannot know travels: the
device already knows its serial and its pending nonce, so the typed code carries the version and flags
(1 byte), the key id (2), the expiry (4), the code id (4) and the signature (64): 75 bytes. A CRC-24 and one
zero bit make 625 bits, 125 Crockford base32 symbols in 25 groups of 5.

File formats: every file is a PEM-like armor around a JSON object with ``format`` and ``version`` members
(self-describing and versioned); the signed bytes are a canonical re-encoding, so whitespace in the file does
not matter but any change of a value does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import struct
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from camvault.errors import (
    InvalidContent,
    MalformedMessage,
    MessageTooLarge,
    ProtocolError,
    ResetCodeInvalid,
    SignatureError,
)

__all__ = [
    "CODE_FORMAT_VERSION",
    "DEFAULT_REQUEST_VALIDITY",
    "MAC_OID",
    "MAX_CODE_FILE_BYTES",
    "MAX_REQUEST_FILE_BYTES",
    "MAX_TRUST_BUNDLE_BYTES",
    "MODEL_OID",
    "NONCE_BYTES",
    "REQUEST_FORMAT_VERSION",
    "TYPED_CODE_LENGTH",
    "AcceptedCode",
    "DeviceIdentity",
    "ResetCode",
    "ResetRequest",
    "TrustBundle",
    "TrustedKey",
    "VerifiedRequest",
    "build_reset_request",
    "certificate_fingerprint",
    "certificate_from_pem",
    "certificate_to_pem",
    "code_fingerprint",
    "create_device_ca",
    "decode_code_file",
    "decode_request_file",
    "decode_trust_bundle",
    "decode_typed_code",
    "encode_code_file",
    "encode_request_file",
    "encode_trust_bundle",
    "encode_typed_code",
    "format_key_id",
    "is_valid_serial",
    "issue_device_certificate",
    "issue_reset_code",
    "key_id_for",
    "new_nonce",
    "normalize_mac",
    "verify_device_certificate",
    "verify_reset_code",
    "verify_reset_request",
]

REQUEST_FORMAT_VERSION = 1
CODE_FORMAT_VERSION = 1
NONCE_BYTES = 16
MAX_REQUEST_FILE_BYTES = 16 * 1024
MAX_CODE_FILE_BYTES = 4 * 1024
MAX_TRUST_BUNDLE_BYTES = 16 * 1024
# The vendor manuals give 48 h for the e-mailed code (§12.3, NVR-MAN) and 24 h or 48 h for the exported
# request file (§14.1, HIK-RESET-2015 vs DIRLV); we take the longer, documented value.
DEFAULT_REQUEST_VALIDITY = timedelta(hours=48)
_MAX_REQUEST_VALIDITY = timedelta(days=30)

# Object identifiers for the device identity in the certificate subject, under a UUID arc (ITU-T X.667,
# 2.25.<uuid>) so that no registration is needed and nothing collides with a real OID.
_OID_ARC = "2.25.21155307276000064266115533373371971926"
MODEL_OID = x509.ObjectIdentifier(f"{_OID_ARC}.1")
MAC_OID = x509.ObjectIdentifier(f"{_OID_ARC}.2")

_REQUEST_FORMAT = "camvault-reset-request"
_CODE_FORMAT = "camvault-reset-code"
_BUNDLE_FORMAT = "camvault-trust-bundle"
_REQUEST_LABEL = "CAMVAULT RESET REQUEST"
_CODE_LABEL = "CAMVAULT RESET CODE"
_BUNDLE_LABEL = "CAMVAULT TRUST BUNDLE"
_REQUEST_DOMAIN = b"camvault reset request v1\x00"
_CODE_DOMAIN = b"camvault reset code v1\x00"

_SERIAL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TEXT_PATTERN = re.compile(r"[\x20-\x7e]{1,64}")
_MAC_PATTERN = re.compile(r"[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}")
_TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_KEY_ID_PATTERN = re.compile(r"[0-9a-f]{4}")
_MAX_CERTIFICATE_PEM = 4096
_MAX_TRUSTED_KEYS = 8

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------- identity


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who a device certificate says the device is."""

    serial: str
    model: str
    mac: str


def normalize_mac(mac: str) -> str:
    """Return a MAC address in the canonical form of our files: lowercase, colon-separated.

    Real devices show ``58-50-ed-1f-e3-85`` (SADP, §13.3); both dashes and colons are accepted.

    Raises:
        InvalidContent: it is not six hexadecimal octets.
    """
    if not isinstance(mac, str) or not _MAC_PATTERN.fullmatch(mac):
        raise InvalidContent("MAC address must be six hexadecimal octets", field="mac")
    return mac.replace("-", ":").lower()


def is_valid_serial(serial: object) -> bool:
    """Tell whether ``serial`` is acceptable as a device serial number (1-64 of ``A-Z a-z 0-9 . _ -``)."""
    return isinstance(serial, str) and _SERIAL_PATTERN.fullmatch(serial) is not None


def _check_serial(serial: object) -> str:
    if not isinstance(serial, str) or not _SERIAL_PATTERN.fullmatch(serial):
        raise InvalidContent("serial must be 1-64 letters, digits, '.', '_' or '-'", field="serial")
    return serial


def _check_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not _TEXT_PATTERN.fullmatch(value):
        raise InvalidContent(f"{name} must be 1-64 printable ASCII characters", field=name)
    return value


def _require_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


# ----------------------------------------------------------------------------------------- certificates


def create_device_ca(
    ca_key: Ed25519PrivateKey,
    *,
    not_before: datetime,
    not_after: datetime,
    name: str = "camvault device CA",
) -> x509.Certificate:
    """Create the vendor's self-signed device CA certificate.

    Args:
        ca_key: the CA's private key.
        not_before: start of validity.
        not_after: end of validity.
        name: the CA's common name.

    Returns:
        A CA certificate (``BasicConstraints(ca=True, path_length=0)``) that only signs device certificates.
    """
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _check_text(name, "name"))])
    public_key = ca_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_require_aware(not_before, "not_before"))
        .not_valid_after(_require_aware(not_after, "not_after"))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    return builder.sign(ca_key, None)


def issue_device_certificate(
    ca_key: Ed25519PrivateKey,
    ca_cert: x509.Certificate,
    device_public_key: Ed25519PublicKey,
    *,
    serial: str,
    model: str,
    mac: str,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """Issue a device's certificate at manufacture.

    The subject is ``CN=<serial>, serialNumber=<serial>`` plus the model and MAC as attributes under
    :data:`MODEL_OID` and :data:`MAC_OID` (the way IEEE 802.1AR device identities name a device by its
    serial number).

    Args:
        ca_key: the device CA's private key.
        ca_cert: the device CA's certificate.
        device_public_key: the device's own Ed25519 public key.
        serial: the device serial number (e.g. ``DS-2CD2385G1-I20200414AAWRE33842150``).
        model: the model name.
        mac: the MAC address, dashes or colons.
        not_before: start of validity.
        not_after: end of validity (devices live for years; pick accordingly).

    Returns:
        The end-entity certificate.

    Raises:
        InvalidContent: serial, model or MAC are not acceptable.
    """
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _check_serial(serial)),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
            x509.NameAttribute(MODEL_OID, _check_text(model, "model")),
            x509.NameAttribute(MAC_OID, normalize_mac(mac)),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(device_public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_require_aware(not_before, "not_before"))
        .not_valid_after(_require_aware(not_after, "not_after"))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_device_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(device_public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_ed25519_public_key(ca_cert)), critical=False
        )
    )
    return builder.sign(ca_key, None)


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _device_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def certificate_to_pem(certificate: x509.Certificate) -> str:
    """Return a certificate as PEM text."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_from_pem(pem: str | bytes) -> x509.Certificate:
    """Load one PEM certificate.

    Raises:
        InvalidContent: the text is not a PEM certificate.
    """
    raw = pem.encode("utf-8") if isinstance(pem, str) else pem
    try:
        certificate = x509.load_pem_x509_certificate(raw)
        # cryptography parses some fields lazily; touch them all so a damaged one fails here, not later.
        _ = (certificate.subject, certificate.issuer, certificate.extensions, certificate.signature)
        _ = (certificate.not_valid_before_utc, certificate.not_valid_after_utc, certificate.public_key())
    except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
        raise InvalidContent("not a valid PEM certificate", field="certificate") from None
    return certificate


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """Return the SHA-256 fingerprint of a certificate as lowercase hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def verify_device_certificate(
    certificate: x509.Certificate, trusted_ca_certs: Iterable[x509.Certificate], now: datetime
) -> DeviceIdentity:
    """Check a device certificate against the trusted device CAs and read the identity it certifies.

    Args:
        certificate: the device's certificate.
        trusted_ca_certs: the device CA certificates the caller trusts.
        now: the verifier's time, for the validity periods.

    Returns:
        The serial, model and MAC the certificate binds to the device key.

    Raises:
        SignatureError: no trusted CA issued it, a validity period excludes ``now``, it is a CA itself,
            its key is not Ed25519, or it lacks the identity attributes.
    """
    moment = _require_aware(now, "now")
    issuer = _find_issuer(certificate, trusted_ca_certs)
    _check_validity(issuer, moment, "device CA certificate")
    _check_validity(certificate, moment, "device certificate")
    if _is_ca(certificate):
        raise SignatureError("a CA certificate cannot be a device certificate")
    _ed25519_public_key(certificate)
    return _identity_of(certificate)


def _find_issuer(certificate: x509.Certificate, trusted: Iterable[x509.Certificate]) -> x509.Certificate:
    for candidate in trusted:
        if candidate.subject != certificate.issuer or not _is_ca(candidate):
            continue
        try:
            certificate.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return candidate
    raise SignatureError("device certificate was not issued by a trusted device CA")


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca


def _check_validity(certificate: x509.Certificate, now: datetime, what: str) -> None:
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SignatureError(
            f"{what} is valid from {certificate.not_valid_before_utc:%Y-%m-%d} "
            f"to {certificate.not_valid_after_utc:%Y-%m-%d}, not at {now:%Y-%m-%d %H:%M}"
        )


def _ed25519_public_key(certificate: x509.Certificate) -> Ed25519PublicKey:
    key = certificate.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError("certificate key is not Ed25519")
    return key


def _identity_of(certificate: x509.Certificate) -> DeviceIdentity:
    serial = _single_attribute(certificate, NameOID.COMMON_NAME, "serial")
    if _single_attribute(certificate, NameOID.SERIAL_NUMBER, "serialNumber") != serial:
        raise SignatureError("device certificate names two different serial numbers")
    return DeviceIdentity(
        serial=serial,
        model=_single_attribute(certificate, MODEL_OID, "model"),
        mac=_single_attribute(certificate, MAC_OID, "MAC"),
    )


def _single_attribute(certificate: x509.Certificate, oid: x509.ObjectIdentifier, what: str) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str):
        raise SignatureError(f"device certificate does not name exactly one {what}")
    return values[0].value


# ---------------------------------------------------------------------------------------- reset request


@dataclass(frozen=True, slots=True)
class ResetRequest:
    """A device's signed request for a reset code, as exported and as read back.

    Attributes:
        version: format version (:data:`REQUEST_FORMAT_VERSION`).
        model: the device model.
        serial: the device serial number.
        mac: the MAC address, canonical form (see :func:`normalize_mac`).
        firmware: the firmware version string, e.g. ``V5.6.2build 190701``.
        device_time: the device's clock when it exported the request (UTC, whole seconds).
        nonce: 16 random bytes the device keeps as its pending request.
        expiry: when the device stops accepting a code for this request, on the device's clock.
        certificate_pem: the device's certificate.
        signature: Ed25519 signature by the device key over :meth:`signed_bytes`.
    """

    version: int
    model: str
    serial: str
    mac: str
    firmware: str
    device_time: datetime
    nonce: bytes
    expiry: datetime
    certificate_pem: str = field(repr=False)
    signature: bytes = field(repr=False)

    def signed_bytes(self) -> bytes:
        """Return the canonical bytes the device signs: a domain tag and sorted, compact JSON."""
        return _REQUEST_DOMAIN + _canonical_json(self._unsigned_fields())

    def _unsigned_fields(self) -> dict[str, Any]:
        return {
            "format": _REQUEST_FORMAT,
            "version": self.version,
            "model": self.model,
            "serial": self.serial,
            "mac": self.mac,
            "firmware": self.firmware,
            "device_time": _format_time(self.device_time),
            "nonce": _b64(self.nonce),
            "expiry": _format_time(self.expiry),
            "certificate": self.certificate_pem,
        }


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A reset request whose certificate chain, signature and identity have been checked.

    Attributes:
        request: the request.
        identity: the identity its certificate binds (equal to the request's serial, model and MAC).
        certificate_fingerprint: SHA-256 of the device certificate, hex.
        issuer: the device CA that issued the certificate (RFC 4514 name).
    """

    request: ResetRequest
    identity: DeviceIdentity
    certificate_fingerprint: str
    issuer: str


def new_nonce(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    """Return a fresh 128-bit request nonce."""
    nonce = random_bytes(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("random source returned the wrong number of bytes")
    return nonce


def build_reset_request(
    device_key: Ed25519PrivateKey,
    certificate: x509.Certificate,
    *,
    model: str,
    serial: str,
    mac: str,
    firmware: str,
    now: datetime,
    validity: timedelta = DEFAULT_REQUEST_VALIDITY,
    nonce: bytes | None = None,
) -> ResetRequest:
    """Build and sign a device's reset request.

    The caller (the device) must keep ``request.nonce`` as its one pending request, forget any earlier one,
    and forget this one on reboot.

    Args:
        device_key: the device's private key.
        certificate: the device's certificate (its key must be ``device_key``'s public half).
        model: the device model.
        serial: the device serial number.
        mac: the MAC address, dashes or colons.
        firmware: the firmware version string.
        now: the device's clock.
        validity: how long the request (and so any code for it) stays usable, on the device's clock.
        nonce: the 16-byte nonce; a fresh random one when omitted.

    Returns:
        The signed request.

    Raises:
        InvalidContent: a field is not acceptable.
        SignatureError: the certificate does not hold ``device_key``'s public key.
    """
    if not timedelta(minutes=1) <= validity <= _MAX_REQUEST_VALIDITY:
        raise InvalidContent("request validity must be between one minute and 30 days", field="expiry")
    device_time = _require_aware(now, "now").replace(microsecond=0)
    nonce = new_nonce() if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise InvalidContent(f"nonce must be {NONCE_BYTES} bytes", field="nonce")
    if _raw_public(_ed25519_public_key(certificate)) != _raw_public(device_key.public_key()):
        raise SignatureError("the certificate does not hold this device key")
    unsigned = ResetRequest(
        version=REQUEST_FORMAT_VERSION,
        model=_check_text(model, "model"),
        serial=_check_serial(serial),
        mac=normalize_mac(mac),
        firmware=_check_text(firmware, "firmware"),
        device_time=device_time,
        nonce=nonce,
        expiry=device_time + validity,
        certificate_pem=certificate_to_pem(certificate),
        signature=b"",
    )
    return _replace_signature(unsigned, device_key.sign(unsigned.signed_bytes()))


def _replace_signature(request: ResetRequest, signature: bytes) -> ResetRequest:
    return ResetRequest(
        version=request.version,
        model=request.model,
        serial=request.serial,
        mac=request.mac,
        firmware=request.firmware,
        device_time=request.device_time,
        nonce=request.nonce,
        expiry=request.expiry,
        certificate_pem=request.certificate_pem,
        signature=signature,
    )


def encode_request_file(request: ResetRequest) -> bytes:
    """Write a request as its armored, human-readable file."""
    document = request._unsigned_fields()
    document["signature"] = _b64(request.signature)
    return _armor(_REQUEST_LABEL, document)


_REQUEST_FIELDS = frozenset(
    {
        "format",
        "version",
        "model",
        "serial",
        "mac",
        "firmware",
        "device_time",
        "nonce",
        "expiry",
        "certificate",
        "signature",
    }
)


def decode_request_file(data: bytes | str) -> ResetRequest:
    """Read a request file, strictly.

    Args:
        data: the file's content.

    Returns:
        The request; nothing is verified yet (see :func:`verify_reset_request`).

    Raises:
        MessageTooLarge: over :data:`MAX_REQUEST_FILE_BYTES`.
        MalformedMessage: no armor, not JSON, not UTF-8.
        InvalidContent: wrong format or version, a field missing, unknown, of the wrong type or invalid.
    """
    document = _unarmor(data, _REQUEST_LABEL, MAX_REQUEST_FILE_BYTES)
    _expect_fields(document, _REQUEST_FIELDS, _REQUEST_FORMAT, REQUEST_FORMAT_VERSION)
    certificate_pem = _field(document, "certificate", str)
    if len(certificate_pem) > _MAX_CERTIFICATE_PEM:
        raise InvalidContent("certificate is too long", field="certificate")
    certificate_from_pem(certificate_pem)
    device_time = _time_field(document, "device_time")
    expiry = _time_field(document, "expiry")
    if expiry <= device_time:
        raise InvalidContent("request expires before it was made", field="expiry")
    mac = _field(document, "mac", str)
    if normalize_mac(mac) != mac:
        raise InvalidContent("MAC address is not in canonical form", field="mac")
    return ResetRequest(
        version=REQUEST_FORMAT_VERSION,
        model=_check_text(document["model"], "model"),
        serial=_check_serial(document["serial"]),
        mac=mac,
        firmware=_check_text(document["firmware"], "firmware"),
        device_time=device_time,
        nonce=_bytes_field(document, "nonce", NONCE_BYTES),
        expiry=expiry,
        certificate_pem=certificate_pem,
        signature=_bytes_field(document, "signature", 64),
    )


def verify_reset_request(
    request: ResetRequest, trusted_ca_certs: Sequence[x509.Certificate], now: datetime
) -> VerifiedRequest:
    """Check a request's certificate chain, its signature, and that the certificate names this device.

    Timeliness (expiry, age, clock skew) is policy, left to the caller; ``now`` only bounds the certificates'
    validity periods.

    Args:
        request: a decoded request.
        trusted_ca_certs: the device CA certificates.
        now: the verifier's time.

    Returns:
        The verified request.

    Raises:
        SignatureError: the chain, the signature or the identity does not match.
    """
    certificate = certificate_from_pem(request.certificate_pem)
    identity = verify_device_certificate(certificate, trusted_ca_certs, now)
    try:
        _ed25519_public_key(certificate).verify(request.signature, request.signed_bytes())
    except InvalidSignature:
        raise SignatureError("reset request signature does not verify") from None
    for name, certified, claimed in (
        ("serial", identity.serial, request.serial),
        ("model", identity.model, request.model),
        ("MAC", identity.mac, request.mac),
    ):
        if certified != claimed:
            raise SignatureError(f"request {name} {claimed!r} differs from its certificate's {certified!r}")
    return VerifiedRequest(
        request=request,
        identity=identity,
        certificate_fingerprint=certificate_fingerprint(certificate),
        issuer=certificate.issuer.rfc4514_string(),
    )


# ------------------------------------------------------------------------------------------- reset code


_FLAG_SYNC_IPC_PASSWORD = 0x1
_KNOWN_FLAGS = _FLAG_SYNC_IPC_PASSWORD
_HEADER = struct.Struct(">BHII")  # version<<4 | flags, key id, expiry (minutes since epoch), code id
_SIGNATURE_BYTES = 64
_PAYLOAD_BYTES = _HEADER.size + _SIGNATURE_BYTES
_CRC_BYTES = 3
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_SYMBOL_VALUES = {symbol: value for value, symbol in enumerate(_ALPHABET)}
_FOLDING = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_BITS = (_PAYLOAD_BYTES + _CRC_BYTES) * 8 + 1  # one zero bit rounds 624 bits up to 125 symbols
TYPED_CODE_LENGTH = _CODE_BITS // 5
_GROUP = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# uint32 minutes would reach the year 10136; datetime (and our files) stop at 9999.
_MAX_MINUTES = int((datetime(9999, 12, 31, 23, 59, tzinfo=UTC) - _EPOCH).total_seconds()) // 60


@dataclass(frozen=True, slots=True)
class _TypedParts:
    """The transmitted fields of a code: everything but the serial and nonce the device already knows."""

    version: int
    flags: int
    key_id: int
    expiry_minutes: int
    code_id: int
    signature: bytes = field(repr=False)

    def header(self) -> bytes:
        """Return the 11 header bytes: version and flags, key id, expiry minutes, code id."""
        return _HEADER.pack((self.version << 4) | self.flags, self.key_id, self.expiry_minutes, self.code_id)


@dataclass(frozen=True, slots=True)
class ResetCode:
    """A reset code: the vendor's signature allowing one device to reset its password for one request.

    Attributes:
        key_id: the reset-signing key that signed it (see :func:`key_id_for`).
        serial: the device it is for.
        nonce: the request it answers.
        expiry: when it stops being accepted, on the device's clock (whole minutes).
        code_id: a 32-bit identifier, unique per issued code, that devices remember to refuse replays.
        sync_ipc_password: also reset the passwords an NVR uses for its cameras.
        signature: Ed25519 signature over :meth:`signed_bytes`; this is the secret part.
        version: format version (:data:`CODE_FORMAT_VERSION`).
    """

    key_id: int
    serial: str
    nonce: bytes
    expiry: datetime
    code_id: int
    sync_ipc_password: bool
    signature: bytes = field(repr=False)
    version: int = CODE_FORMAT_VERSION

    def signed_bytes(self) -> bytes:
        """Return the bytes the vendor signs (and a device rebuilds from its own serial and nonce)."""
        return _code_signed_bytes(self._parts(), self.serial, self.nonce)

    def _parts(self) -> _TypedParts:
        return _TypedParts(
            version=self.version,
            flags=_FLAG_SYNC_IPC_PASSWORD if self.sync_ipc_password else 0,
            key_id=self.key_id,
            expiry_minutes=_minutes(self.expiry),
            code_id=self.code_id,
            signature=self.signature,
        )


@dataclass(frozen=True, slots=True)
class AcceptedCode:
    """What a device learns from a code that passed every check.

    The device must add ``code_id`` to its used codes, forget its pending nonce, and then set the new password
    (and its cameras' passwords when ``sync_ipc_password`` is set).
    """

    code_id: int
    key_id: int
    expiry: datetime
    sync_ipc_password: bool


def _code_signed_bytes(parts: _TypedParts, serial: str, nonce: bytes) -> bytes:
    serial_bytes = serial.encode("ascii")
    return b"".join((_CODE_DOMAIN, parts.header(), nonce, bytes([len(serial_bytes)]), serial_bytes))


def _minutes(moment: datetime) -> int:
    minutes = int((_require_aware(moment, "expiry") - _EPOCH).total_seconds()) // 60
    if not 0 <= minutes <= _MAX_MINUTES:
        raise InvalidContent("expiry is out of range", field="expiry")
    return minutes


def _from_minutes(minutes: int) -> datetime:
    return _EPOCH + timedelta(minutes=minutes)


def key_id_for(public_key: Ed25519PublicKey) -> int:
    """Return the 16-bit id of a reset-signing key: the first two bytes of SHA-256 of its raw public key."""
    return int.from_bytes(hashlib.sha256(_raw_public(public_key)).digest()[:2], "big")


def format_key_id(key_id: int) -> str:
    """Return a key id as the four hex digits used in files and messages."""
    return f"{key_id:04x}"


def issue_reset_code(
    signing_key: Ed25519PrivateKey,
    *,
    serial: str,
    nonce: bytes,
    expiry: datetime,
    code_id: int,
    sync_ipc_password: bool = False,
) -> ResetCode:
    """Sign a reset code for one device and one pending request.

    Args:
        signing_key: the vendor's current reset-signing key.
        serial: the device serial from the verified request.
        nonce: the nonce from the verified request.
        expiry: until when the device may accept it, on the device's clock; rounded down to the minute.
        code_id: a 32-bit id never issued before for this device.
        sync_ipc_password: also reset the cameras' passwords on an NVR.

    Returns:
        The signed code.

    Raises:
        InvalidContent: a field is out of range.
    """
    if len(nonce) != NONCE_BYTES:
        raise InvalidContent(f"nonce must be {NONCE_BYTES} bytes", field="nonce")
    if not 0 <= code_id <= 0xFFFFFFFF:
        raise InvalidContent("code id must fit in 32 bits", field="code_id")
    unsigned = ResetCode(
        key_id=key_id_for(signing_key.public_key()),
        serial=_check_serial(serial),
        nonce=nonce,
        expiry=_from_minutes(_minutes(expiry)),
        code_id=code_id,
        sync_ipc_password=sync_ipc_password,
        signature=b"",
    )
    signature = signing_key.sign(unsigned.signed_bytes())
    return ResetCode(
        key_id=unsigned.key_id,
        serial=unsigned.serial,
        nonce=unsigned.nonce,
        expiry=unsigned.expiry,
        code_id=unsigned.code_id,
        sync_ipc_password=unsigned.sync_ipc_password,
        signature=signature,
    )


def code_fingerprint(code: ResetCode) -> str:
    """Return a short, non-secret fingerprint of a code (for audit logs): 16 hex digits of SHA-256."""
    return hashlib.sha256(b"camvault reset code fingerprint\x00" + code.signature).hexdigest()[:16]


# Typed form --------------------------------------------------------------------------------------------


def encode_typed_code(code: ResetCode) -> str:
    """Return the human-typable form: 125 Crockford base32 symbols in groups of 5 joined by ``-``."""
    parts = code._parts()
    payload = parts.header() + parts.signature
    value = int.from_bytes(payload + _crc24(payload).to_bytes(_CRC_BYTES, "big"), "big") << 1
    symbols = [_ALPHABET[(value >> (5 * i)) & 0x1F] for i in reversed(range(TYPED_CODE_LENGTH))]
    return "-".join("".join(symbols[i : i + _GROUP]) for i in range(0, TYPED_CODE_LENGTH, _GROUP))


def _parse_typed(text: str) -> _TypedParts:
    if not isinstance(text, str) or len(text) > 4 * TYPED_CODE_LENGTH:
        raise ResetCodeInvalid("malformed", "a reset code is 125 characters in groups of 5")
    compact = "".join(text.split()).replace("-", "").upper().translate(_FOLDING)
    if len(compact) != TYPED_CODE_LENGTH:
        raise ResetCodeInvalid(
            "malformed", f"a reset code has {TYPED_CODE_LENGTH} characters; this one has {len(compact)}"
        )
    value = 0
    for position, symbol in enumerate(compact, start=1):
        if symbol not in _SYMBOL_VALUES:
            raise ResetCodeInvalid("malformed", f"character {position} of the reset code is not allowed")
        value = (value << 5) | _SYMBOL_VALUES[symbol]
    if value & 1:
        raise ResetCodeInvalid("checksum", "the reset code has a typo: its check characters do not match")
    raw = (value >> 1).to_bytes(_PAYLOAD_BYTES + _CRC_BYTES, "big")
    payload, check = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if _crc24(payload) != int.from_bytes(check, "big"):
        raise ResetCodeInvalid("checksum", "the reset code has a typo: its check characters do not match")
    first, key_id, expiry_minutes, code_id = _HEADER.unpack(payload[: _HEADER.size])
    version, flags = first >> 4, first & 0x0F
    if version != CODE_FORMAT_VERSION:
        raise ResetCodeInvalid("malformed", f"reset code format version {version} is not supported")
    if flags & ~_KNOWN_FLAGS:
        raise ResetCodeInvalid("malformed", "reset code sets unknown flags")
    if expiry_minutes > _MAX_MINUTES:
        raise ResetCodeInvalid("malformed", "reset code expiry is out of range")
    return _TypedParts(version, flags, key_id, expiry_minutes, code_id, payload[_HEADER.size :])


def decode_typed_code(text: str, *, serial: str, nonce: bytes) -> ResetCode:
    """Read a typed code, completing it with the serial and nonce only the device (and support) know.

    Input is forgiving the way Crockford base32 intends: case-insensitive, ``-`` and spaces ignored,
    ``O`` read as ``0`` and ``I``/``L`` as ``1``.

    Raises:
        ResetCodeInvalid: ``malformed`` (wrong length, a character outside the alphabet, unknown version or
            flags) or ``checksum`` (a typo).
    """
    parts = _parse_typed(text)
    return ResetCode(
        key_id=parts.key_id,
        serial=serial,
        nonce=nonce,
        expiry=_from_minutes(parts.expiry_minutes),
        code_id=parts.code_id,
        sync_ipc_password=bool(parts.flags & _FLAG_SYNC_IPC_PASSWORD),
        signature=parts.signature,
        version=parts.version,
    )


def _crc24(data: bytes) -> int:
    """Return the CRC-24/OPENPGP of ``data`` (RFC 4880 §6.1).

    It is computed most-significant bit first, the order the symbols carry the bits, so it detects every
    error burst of up to 24 bits: every one-symbol typo (5 bits) and every swap of two neighbours (10 bits).
    """
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


# File form ---------------------------------------------------------------------------------------------

_CODE_FIELDS = frozenset(
    {"format", "version", "key_id", "serial", "nonce", "expiry", "code_id", "sync_ipc_password", "signature"}
)


def encode_code_file(code: ResetCode) -> bytes:
    """Write a code as its armored file (the same fields as the typed form, plus the serial and nonce)."""
    return _armor(
        _CODE_LABEL,
        {
            "format": _CODE_FORMAT,
            "version": code.version,
            "key_id": format_key_id(code.key_id),
            "serial": code.serial,
            "nonce": _b64(code.nonce),
            "expiry": _format_time(code.expiry),
            "code_id": code.code_id,
            "sync_ipc_password": code.sync_ipc_password,
            "signature": _b64(code.signature),
        },
    )


def decode_code_file(data: bytes | str) -> ResetCode:
    """Read a code file, strictly.

    Raises:
        MessageTooLarge: over :data:`MAX_CODE_FILE_BYTES`.
        MalformedMessage: no armor, not JSON.
        InvalidContent: wrong format or version, a field missing, unknown, of the wrong type or invalid.
    """
    document = _unarmor(data, _CODE_LABEL, MAX_CODE_FILE_BYTES)
    _expect_fields(document, _CODE_FIELDS, _CODE_FORMAT, CODE_FORMAT_VERSION)
    expiry = _time_field(document, "expiry")
    if expiry.second:
        raise InvalidContent("code expiry must be a whole minute", field="expiry")
    return ResetCode(
        key_id=_key_id_field(document["key_id"]),
        serial=_check_serial(document["serial"]),
        nonce=_bytes_field(document, "nonce", NONCE_BYTES),
        expiry=expiry,
        code_id=_int_field(document, "code_id", 0, 0xFFFFFFFF),
        sync_ipc_password=_field(document, "sync_ipc_password", bool),
        signature=_bytes_field(document, "signature", _SIGNATURE_BYTES),
    )


# Device-side check -------------------------------------------------------------------------------------


def verify_reset_code(
    code: str | bytes,
    *,
    trusted_reset_keys: Mapping[int, Ed25519PublicKey],
    serial: str,
    pending_nonce: bytes | None,
    used_code_ids: Collection[int],
    now: datetime,
) -> AcceptedCode:
    """Check a reset code on the device, as the device would.

    The signature is checked over the device's *own* serial and pending nonce, never over values read from
    the code, so a code for another device or for an earlier request fails as ``bad_signature``.

    Args:
        code: the typed code (``str``) or the content of a code file (``bytes``).
        trusted_reset_keys: the reset-signing public keys the device trusts, by key id (current and next).
        serial: the device's serial number.
        pending_nonce: the nonce of the device's pending request; ``None`` if there is none (never exported,
            or forgotten by a reboot or a newer export).
        used_code_ids: ids of codes this device has already accepted.
        now: the device's clock.

    Returns:
        What the device needs to complete the reset.

    Raises:
        ResetCodeInvalid: with ``reason`` one of ``malformed``, ``checksum``, ``no_pending_request``,
            ``unknown_key``, ``bad_signature``, ``replayed``, ``expired``.
    """
    parts, claimed_serial = _parse_any(code)
    _check_serial(serial)
    if pending_nonce is None:
        raise ResetCodeInvalid("no_pending_request", "there is no pending reset request; export a new one")
    public_key = trusted_reset_keys.get(parts.key_id)
    if public_key is None:
        raise ResetCodeInvalid(
            "unknown_key", f"reset code is signed by key {format_key_id(parts.key_id)}, which is not trusted"
        )
    try:
        public_key.verify(parts.signature, _code_signed_bytes(parts, serial, pending_nonce))
    except InvalidSignature:
        detail = (
            f"it is for device {claimed_serial}"
            if claimed_serial is not None and claimed_serial != serial
            else "it is forged, for another device, or for an earlier request"
        )
        raise ResetCodeInvalid("bad_signature", f"reset code does not verify: {detail}") from None
    if parts.code_id in used_code_ids:
        raise ResetCodeInvalid("replayed", "this reset code has already been used")
    expiry = _from_minutes(parts.expiry_minutes)
    if _require_aware(now, "now") >= expiry:
        raise ResetCodeInvalid("expired", f"reset code expired at {_format_time(expiry)}")
    return AcceptedCode(
        code_id=parts.code_id,
        key_id=parts.key_id,
        expiry=expiry,
        sync_ipc_password=bool(parts.flags & _FLAG_SYNC_IPC_PASSWORD),
    )


def _parse_any(code: str | bytes) -> tuple[_TypedParts, str | None]:
    if isinstance(code, str):
        return _parse_typed(code), None
    try:
        decoded = decode_code_file(code)
    except ProtocolError as exc:
        raise ResetCodeInvalid("malformed", f"reset code file is unreadable: {exc}") from None
    return decoded._parts(), decoded.serial


# ------------------------------------------------------------------------------------------ trust bundle


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One reset-signing public key a device trusts."""

    key_id: int
    public_key: Ed25519PublicKey


@dataclass(frozen=True, slots=True)
class TrustBundle:
    """The reset-signing public keys the lab installs in a device at manufacture (current and next).

    When the vendor rotates (next becomes current, a new next is made) devices already in the field keep
    accepting codes, because they already trust the new current key. A device that misses two rotations
    needs a new bundle (a firmware update); see docs/threat-model.md.
    """

    keys: tuple[TrustedKey, ...]

    def as_mapping(self) -> dict[int, Ed25519PublicKey]:
        """Return the keys by id, the shape :func:`verify_reset_code` takes."""
        return {key.key_id: key.public_key for key in self.keys}


def encode_trust_bundle(public_keys: Iterable[Ed25519PublicKey]) -> bytes:
    """Write a trust bundle for the given reset-signing public keys (current first, then next)."""
    keys = [TrustedKey(key_id_for(key), key) for key in public_keys]
    _check_bundle(keys)
    return _armor(
        _BUNDLE_LABEL,
        {
            "format": _BUNDLE_FORMAT,
            "version": 1,
            "reset_keys": [
                {"key_id": format_key_id(key.key_id), "public_key": _b64(_raw_public(key.public_key))}
                for key in keys
            ],
        },
    )


def decode_trust_bundle(data: bytes | str) -> TrustBundle:
    """Read a trust bundle, strictly; each key id must match its key.

    Raises:
        MessageTooLarge: over :data:`MAX_TRUST_BUNDLE_BYTES`.
        MalformedMessage: no armor, not JSON.
        InvalidContent: wrong format, no keys, too many, duplicates, or an id that does not match its key.
    """
    document = _unarmor(data, _BUNDLE_LABEL, MAX_TRUST_BUNDLE_BYTES)
    _expect_fields(document, frozenset({"format", "version", "reset_keys"}), _BUNDLE_FORMAT, 1)
    entries = _field(document, "reset_keys", list)
    keys: list[TrustedKey] = []
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"key_id", "public_key"}:
            raise InvalidContent("each reset key needs exactly key_id and public_key", field="reset_keys")
        try:
            public_key = Ed25519PublicKey.from_public_bytes(_bytes_field(entry, "public_key", 32))
        except ValueError:
            raise InvalidContent("public_key is not an Ed25519 key", field="public_key") from None
        key_id = _key_id_field(entry["key_id"])
        if key_id != key_id_for(public_key):
            raise InvalidContent(f"key id {format_key_id(key_id)} does not match its key", field="key_id")
        keys.append(TrustedKey(key_id, public_key))
    _check_bundle(keys)
    return TrustBundle(tuple(keys))


def _check_bundle(keys: Sequence[TrustedKey]) -> None:
    if not 1 <= len(keys) <= _MAX_TRUSTED_KEYS:
        raise InvalidContent(f"a trust bundle holds 1 to {_MAX_TRUSTED_KEYS} keys", field="reset_keys")
    if len({key.key_id for key in keys}) != len(keys):
        raise InvalidContent("a trust bundle cannot hold two keys with one id", field="reset_keys")


# ------------------------------------------------------------------------------------- shared encodings


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _canonical_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _format_time(moment: datetime) -> str:
    return _require_aware(moment, "time").strftime("%Y-%m-%dT%H:%M:%SZ")


def _armor(label: str, document: Mapping[str, Any]) -> bytes:
    body = json.dumps(document, indent=2, ensure_ascii=True)
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode("ascii")


def _unarmor(data: bytes | str, label: str, max_bytes: int) -> dict[str, Any]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise MessageTooLarge(f"{label.lower()} of {len(raw)} bytes exceeds the limit of {max_bytes}")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise MalformedMessage(f"{label.lower()} is not UTF-8 text") from None
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    if not text.startswith(begin):
        raise MalformedMessage(f"not a {label.lower()}: the first line must be {begin}")
    if not text.endswith(end):
        raise MalformedMessage(f"{label.lower()} is truncated: the last line must be {end}")
    try:
        document = json.loads(
            text[len(begin) : -len(end)], object_pairs_hook=_unique_pairs, parse_constant=_no_constants
        )
    except (ValueError, RecursionError) as exc:
        raise MalformedMessage(f"{label.lower()} body is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(document, dict):
        raise MalformedMessage(f"{label.lower()} body is not a JSON object")
    return document


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise InvalidContent(f"field {key!r} appears twice", field=key)
        document[key] = value
    return document


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def _expect_fields(document: Mapping[str, Any], expected: frozenset[str], form: str, version: int) -> None:
    if document.get("format") != form:
        raise InvalidContent(f"format must be {form!r}", field="format")
    found = _field(document, "version", int)
    if found != version:
        raise InvalidContent(f"version {found} is not supported (expected {version})", field="version")
    missing = sorted(expected - document.keys())
    if missing:
        raise InvalidContent(f"missing field {missing[0]!r}", field=missing[0])
    unknown = sorted(document.keys() - expected)
    if unknown:
        raise InvalidContent(f"unknown field {unknown[0]!r}", field=unknown[0])


def _field(document: Mapping[str, Any], name: str, kind: type[_T]) -> _T:
    if name not in document:
        raise InvalidContent(f"missing field {name!r}", field=name)
    value = document[name]
    # bool is a subclass of int in Python; JSON true is not a number.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidContent(f"field {name!r} must be a {kind.__name__}", field=name)
    return value


def _int_field(document: Mapping[str, Any], name: str, minimum: int, maximum: int) -> int:
    value = _field(document, name, int)
    if not minimum <= value <= maximum:
        raise InvalidContent(f"field {name!r} is out of range", field=name)
    return value


def _bytes_field(document: Mapping[str, Any], name: str, length: int) -> bytes:
    text = _field(document, name, str)
    try:
        value = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidContent(f"field {name!r} is not valid base64", field=name) from None
    if len(value) != length or _b64(value) != text:
        raise InvalidContent(f"field {name!r} must be {length} bytes in canonical base64", field=name)
    return value


def _time_field(document: Mapping[str, Any], name: str) -> datetime:
    text = _field(document, name, str)
    if not _TIME_PATTERN.fullmatch(text):
        raise InvalidContent(f"field {name!r} must be a UTC time like 2026-01-31T12:00:00Z", field=name)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidContent(f"field {name!r} is not a valid date and time", field=name) from None


def _key_id_field(value: object) -> int:
    if not isinstance(value, str) or not _KEY_ID_PATTERN.fullmatch(value):
        raise InvalidContent("key_id must be four lowercase hex digits", field="key_id")
    return int(value, 16)
