"""What the factory burns into a device for vendor-support resets: its own key, its certificate, the trust.

At manufacture (lab creation) every Hikvision device of the lab gets (:func:`manufacture`):

* its own Ed25519 **device key**, which signs the reset requests it exports;
* an X.509 **certificate** for that key from the vendor's *device CA*, naming its serial, model and MAC
  (:func:`camvault.protocols.resetcode.issue_device_certificate`);
* the **trust bundle**: the vendor's reset-signing public keys, current and next, the only keys whose codes
  it will accept (:class:`~camvault.protocols.resetcode.TrustBundle`).

These are identity, not settings: a factory reset keeps them, as it keeps the serial number. The lab stores
the private key sealed with the device state (:meth:`VendorTrust.private_record`) and the public parts
beside the identity (:meth:`VendorTrust.public_record`); :func:`restore_vendor_trust` joins them again.

The certificate is valid for as long as the device CA is: the device never checks its own certificate, and
the support service judges validity with its own clock because device clocks are often wrong (a device
without NTP boots in 1970, research notes §13.3).

Where the vendor material comes from (:class:`FactoryMaterial`):

* a directory written by ``camvault support keys export-factory`` (``device-ca.key``, ``device-ca.crt``,
  ``trust-bundle.txt``), read by :func:`load_factory_material`; an encrypted CA key needs its passphrase;
* or, when the lab is given none, a **throwaway vendor** that :func:`open_throwaway_vendor` makes under the
  lab's state directory. It writes the layout of ``camvault support keys init --insecure-no-passphrase``
  (``keyring.json``, ``device-ca.key``, ``device-ca.crt``, ``reset-<id>.key``) plus ``trust-bundle.txt``,
  directory 0700 and files 0600, so that ``camvault support --keys <that directory> ...`` issues codes the
  lab's devices accept. The device package may not import ``camvault.support`` (DESIGN.md boundaries), so
  the layout is written here; a test opens it with the support service's own loader, so a change on either
  side fails the suite rather than a user. After a key rotation in that directory, refresh its trust bundle
  with ``camvault support keys export-trust --out <dir>/trust-bundle.txt`` before manufacturing again.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from camvault.device.model.identity import Identity
from camvault.errors import ConfigurationError, CryptoError, ProtocolError
from camvault.protocols import resetcode

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "TRUST_BUNDLE_FILE",
    "FactoryMaterial",
    "VendorTrust",
    "load_factory_material",
    "manufacture",
    "open_throwaway_vendor",
    "restore_vendor_trust",
]

CA_KEY_FILE = "device-ca.key"
CA_CERT_FILE = "device-ca.crt"
TRUST_BUNDLE_FILE = "trust-bundle.txt"
_KEYRING_FILE = "keyring.json"
_KEYRING_FORMAT = "camvault-support-keyring"
_THROWAWAY_CA_NAME = "camvault lab throwaway device CA"
_THROWAWAY_CA_YEARS = 25
_MAX_MATERIAL_FILE = 64 * 1024
_KEY_BYTES = 32

RandomBytes = Callable[[int], bytes]


# ------------------------------------------------------------------------------------------ device side


@dataclass(frozen=True, slots=True)
class VendorTrust:
    """One device's vendor-support identity: its key, its certificate, and the reset keys it trusts.

    Attributes:
        device_key: the device's private key (signs its reset requests; never leaves the device).
        certificate: the device CA's certificate for ``device_key``.
        trust: the vendor's reset-signing public keys (current and next).
    """

    device_key: Ed25519PrivateKey = field(repr=False)
    certificate: x509.Certificate
    trust: resetcode.TrustBundle

    def trusted_reset_keys(self) -> dict[int, Ed25519PublicKey]:
        """Return the reset-signing keys by key id, the shape ``verify_reset_code`` takes."""
        return self.trust.as_mapping()

    def public_record(self) -> dict[str, str]:
        """Return the public parts, JSON-ready: the certificate and the trust bundle, as PEM/armored text."""
        bundle = resetcode.encode_trust_bundle(key.public_key for key in self.trust.keys)
        return {
            "certificate": resetcode.certificate_to_pem(self.certificate),
            "trust_bundle": bundle.decode("ascii"),
        }

    def private_record(self) -> dict[str, str]:
        """Return the private key, JSON-ready (base64 of the raw 32 bytes); seal it before it touches a disk."""
        raw = self.device_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return {"device_key": base64.b64encode(raw).decode("ascii")}


def restore_vendor_trust(
    public: Mapping[str, Any] | None, private: Mapping[str, Any] | None, *, serial: str
) -> VendorTrust | None:
    """Join the records :meth:`VendorTrust.public_record` and :meth:`VendorTrust.private_record` wrote.

    Args:
        public: the public record kept beside the identity, or ``None`` for a device made before this feature.
        private: a mapping with the private record's ``device_key`` (the sealed state's vendor-support
            snapshot is one); ``None``, or a ``None`` key, when the device has none.
        serial: the device's serial number, for messages.

    Returns:
        The device's vendor trust, or ``None`` when the device has none (both records absent).

    Raises:
        ConfigurationError: one record without the other, a damaged record, or a key that is not the one its
            certificate certifies.
    """
    key_text = None if private is None else private.get("device_key")
    if public is None and key_text is None:
        return None
    if public is None or key_text is None:
        raise ConfigurationError(f"the stored vendor identity of {serial} is incomplete")
    try:
        raw = base64.b64decode(str(key_text).encode("ascii"), validate=True)
        device_key = Ed25519PrivateKey.from_private_bytes(raw)
        certificate = resetcode.certificate_from_pem(str(public["certificate"]))
        trust = resetcode.decode_trust_bundle(str(public["trust_bundle"]))
    except (KeyError, ValueError, binascii.Error, ProtocolError):
        raise ConfigurationError(f"the stored vendor identity of {serial} is damaged") from None
    if _raw_public(device_key.public_key()) != _raw_public(_certificate_key(certificate)):
        raise ConfigurationError(f"the stored device key of {serial} is not the one its certificate names")
    return VendorTrust(device_key=device_key, certificate=certificate, trust=trust)


# ---------------------------------------------------------------------------------------------- factory


@dataclass(frozen=True, slots=True)
class FactoryMaterial:
    """What the lab's factory needs to manufacture devices: the device CA and the trust bundle.

    Attributes:
        ca_key: the device CA's private key.
        ca_certificate: the device CA's certificate.
        trust: the reset-signing public keys every new device will trust.
        directory: where the material was read from.
        throwaway: made by the lab itself (:func:`open_throwaway_vendor`), not given by a vendor.
    """

    ca_key: Ed25519PrivateKey = field(repr=False)
    ca_certificate: x509.Certificate
    trust: resetcode.TrustBundle
    directory: Path
    throwaway: bool = False


def manufacture(
    material: FactoryMaterial, identity: Identity, *, random_bytes: RandomBytes = secrets.token_bytes
) -> VendorTrust:
    """Give a new device its key, its certificate and the trust bundle.

    Args:
        material: the factory's device CA and trust bundle.
        identity: the device's identity (serial, model and MAC go into the certificate).
        random_bytes: the source of the device key (the system's CSPRNG unless a test injects one).

    Returns:
        The device's vendor trust.

    Raises:
        ConfigurationError: the identity cannot be certified (a serial or model the certificate format
            refuses).
    """
    device_key = Ed25519PrivateKey.from_private_bytes(random_bytes(_KEY_BYTES))
    ca = material.ca_certificate
    try:
        certificate = resetcode.issue_device_certificate(
            material.ca_key,
            ca,
            device_key.public_key(),
            serial=identity.serial,
            model=identity.model,
            mac=identity.mac,
            not_before=ca.not_valid_before_utc,
            not_after=ca.not_valid_after_utc,
        )
    except ProtocolError as exc:
        raise ConfigurationError(f"cannot certify device {identity.serial}: {exc}") from None
    return VendorTrust(device_key=device_key, certificate=certificate, trust=material.trust)


def load_factory_material(directory: Path, *, passphrase: str | None) -> FactoryMaterial:
    """Read the output of ``camvault support keys export-factory`` (or a throwaway vendor's directory).

    Args:
        directory: holds ``device-ca.key``, ``device-ca.crt`` and ``trust-bundle.txt``.
        passphrase: opens an encrypted CA key (the ``CAMVAULT_FACTORY_PASSPHRASE`` of the export).

    Raises:
        ConfigurationError: a file is missing, unreadable, too large, malformed, or the CA key is readable
            by group or others; the certificate is not a CA or does not hold the key.
        CryptoError: the CA key is encrypted and the passphrase is missing or wrong.
    """
    key_path = directory / CA_KEY_FILE
    _require_owner_only(key_path)
    ca_key = _load_private_key(key_path, passphrase)
    try:
        certificate = resetcode.certificate_from_pem(_read_bounded(directory / CA_CERT_FILE))
        trust = resetcode.decode_trust_bundle(_read_bounded(directory / TRUST_BUNDLE_FILE))
    except ProtocolError as exc:
        raise ConfigurationError(f"the vendor material in {directory} is not valid: {exc}") from None
    if not _is_ca(certificate):
        raise ConfigurationError(f"{directory / CA_CERT_FILE} is not a CA certificate")
    if _raw_public(ca_key.public_key()) != _raw_public(_certificate_key(certificate)):
        raise ConfigurationError(f"{key_path} is not the key of {directory / CA_CERT_FILE}")
    return FactoryMaterial(ca_key=ca_key, ca_certificate=certificate, trust=trust, directory=directory)


def open_throwaway_vendor(
    directory: Path, *, now: datetime, random_bytes: RandomBytes = secrets.token_bytes
) -> FactoryMaterial:
    """Open the lab's own throwaway vendor, making it on first use (see the module docstring).

    Args:
        directory: the vendor directory under the lab's state directory.
        now: creation time (start of the throwaway CA's validity).
        random_bytes: the source of the keys.

    Raises:
        ConfigurationError: the directory exists but is not a usable vendor, or cannot be written.
    """
    if not (directory / CA_KEY_FILE).exists():
        _make_throwaway_vendor(directory, now, random_bytes)
    material = load_factory_material(directory, passphrase=None)
    return FactoryMaterial(
        ca_key=material.ca_key,
        ca_certificate=material.ca_certificate,
        trust=material.trust,
        directory=directory,
        throwaway=True,
    )


def _make_throwaway_vendor(directory: Path, now: datetime, random_bytes: RandomBytes) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the throwaway vendor in {directory}: {exc.strerror}"
        ) from None
    ca_key = Ed25519PrivateKey.from_private_bytes(random_bytes(_KEY_BYTES))
    not_after = now.replace(year=now.year + _THROWAWAY_CA_YEARS, month=1, day=1)
    ca = resetcode.create_device_ca(ca_key, not_before=now, not_after=not_after, name=_THROWAWAY_CA_NAME)
    current = Ed25519PrivateKey.from_private_bytes(random_bytes(_KEY_BYTES))
    following = Ed25519PrivateKey.from_private_bytes(random_bytes(_KEY_BYTES))
    while _key_id(following) == _key_id(current):  # 16-bit ids: a collision is rare and never repeats
        following = Ed25519PrivateKey.from_private_bytes(random_bytes(_KEY_BYTES))
    for key in (current, following):
        _write_owner_only(directory / f"reset-{resetcode.format_key_id(_key_id(key))}.key", _pem(key))
    _write_owner_only(directory / CA_CERT_FILE, resetcode.certificate_to_pem(ca).encode("ascii"))
    _write_owner_only(
        directory / TRUST_BUNDLE_FILE,
        resetcode.encode_trust_bundle([current.public_key(), following.public_key()]),
    )
    _write_owner_only(directory / _KEYRING_FILE, _keyring(current, following, now))
    # The CA key last: its presence is what marks the directory as complete.
    _write_owner_only(directory / CA_KEY_FILE, _pem(ca_key))


def _keyring(current: Ed25519PrivateKey, following: Ed25519PrivateKey, now: datetime) -> bytes:
    """The ``keyring.json`` of ``camvault.support.keys`` (version 1), unencrypted keys."""
    document = {
        "format": _KEYRING_FORMAT,
        "version": 1,
        "encrypted": False,
        "device_ca_certificate": CA_CERT_FILE,
        "reset_keys": [
            {
                "key_id": resetcode.format_key_id(_key_id(key)),
                "role": role,
                "public_key": base64.b64encode(_raw_public(key.public_key())).decode("ascii"),
                "created": now.astimezone(UTC).isoformat(),
            }
            for key, role in ((current, "current"), (following, "next"))
        ],
    }
    return json.dumps(document, indent=2).encode("ascii") + b"\n"


# ---------------------------------------------------------------------------------------------- helpers


def _write_owner_only(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.unlink(missing_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        temporary.replace(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror}") from None


def _require_owner_only(path: Path) -> None:
    try:
        status = path.stat()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise ConfigurationError(f"{path} is not a regular file")
    if status.st_mode & 0o077:
        raise ConfigurationError(
            f"{path} has mode {stat.S_IMODE(status.st_mode):04o}; a CA key must be readable by its owner "
            "only (chmod 600)"
        )


def _read_bounded(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_MATERIAL_FILE + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > _MAX_MATERIAL_FILE:
        raise ConfigurationError(f"{path} is larger than {_MAX_MATERIAL_FILE} bytes")
    return data


def _load_private_key(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    data = _read_bounded(path)
    secret = passphrase.encode("utf-8") if passphrase else None
    try:
        try:
            key = serialization.load_pem_private_key(data, secret)
        except TypeError:
            if secret is None:
                raise CryptoError(
                    f"{path.name} is encrypted: give its passphrase (CAMVAULT_FACTORY_PASSPHRASE)"
                ) from None
            key = serialization.load_pem_private_key(data, None)  # a passphrase for an unencrypted key
    except ValueError:
        raise CryptoError(f"cannot open {path.name}: wrong passphrase, or not a private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} does not hold an Ed25519 key")
    return key


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _certificate_key(certificate: x509.Certificate) -> Ed25519PublicKey:
    key = certificate.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("the certificate's key is not Ed25519")
    return key


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key_id(key: Ed25519PrivateKey) -> int:
    return resetcode.key_id_for(key.public_key())
