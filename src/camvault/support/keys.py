"""The vendor's keys: the device CA and the reset-signing keys, on disk with owner-only permissions.

Layout of a key directory (mode 0700, every file 0600, owned by the user running the service)::

    keyring.json          which key is current, next, retired; public keys; no secret
    device-ca.key         the device CA private key (PKCS#8 PEM, encrypted when a passphrase is given)
    device-ca.crt         the device CA certificate
    reset-<id>.key        one file per reset-signing private key still in service (current and next)

Rotation (:func:`rotate_keys`) promotes *next* to *current*, makes a new *next*, and retires the old
current: its private key file is deleted and only its public key stays in the keyring, to verify audit
entries it signed. Devices trust ``{current, next}`` (their
:class:`~camvault.protocols.resetcode.TrustBundle`), so they keep accepting codes across one rotation.

Loading refuses files or a directory that group or others can read, and files owned by someone else.
Nothing in this module logs, prints or puts into an exception a key or a passphrase.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from camvault.errors import ConfigurationError, CryptoError, InvalidContent
from camvault.protocols import resetcode

__all__ = [
    "KEYRING_FILE",
    "KeyRole",
    "PublicKeyring",
    "ResetKeyInfo",
    "VendorKeys",
    "check_private_file",
    "export_factory_material",
    "export_trust_bundle",
    "init_keys",
    "load_device_ca_key",
    "load_public_keyring",
    "load_vendor_keys",
    "rotate_keys",
    "write_private_file",
]

logger = logging.getLogger(__name__)

KEYRING_FILE = "keyring.json"
_CA_KEY_FILE = "device-ca.key"
_CA_CERT_FILE = "device-ca.crt"
_TRUST_BUNDLE_FILE = "trust-bundle.txt"
_KEYRING_FORMAT = "camvault-support-keyring"
_DEFAULT_CA_VALIDITY = timedelta(days=25 * 365)
_MAX_KEY_ATTEMPTS = 16

KeyRole = Literal["current", "next", "retired"]


@dataclass(frozen=True, slots=True)
class ResetKeyInfo:
    """One reset-signing key as the keyring lists it (public half only)."""

    key_id: int
    role: KeyRole
    public_key: Ed25519PublicKey
    created: datetime


@dataclass(frozen=True, slots=True)
class PublicKeyring:
    """Everything public about the vendor's keys: the device CA certificate and the reset keys by role."""

    device_ca: x509.Certificate
    reset_keys: tuple[ResetKeyInfo, ...]
    encrypted: bool

    def by_role(self, role: KeyRole) -> ResetKeyInfo:
        """Return the key in ``role`` (``current`` or ``next``)."""
        for info in self.reset_keys:
            if info.role == role:
                return info
        raise ConfigurationError(f"the keyring has no {role} reset key")

    def device_trust(self) -> list[Ed25519PublicKey]:
        """Return the keys devices must trust, current first: what goes into a trust bundle."""
        return [self.by_role("current").public_key, self.by_role("next").public_key]

    def all_public_keys(self) -> dict[int, Ed25519PublicKey]:
        """Return every reset key ever used, retired included, by id (to verify audit signatures)."""
        return {info.key_id: info.public_key for info in self.reset_keys}


@dataclass(frozen=True, slots=True)
class VendorKeys:
    """The keys the support service works with: the public keyring and the current signing key."""

    keyring: PublicKeyring
    signing_key: Ed25519PrivateKey = field(repr=False)

    @property
    def signing_key_id(self) -> int:
        """Return the id of the current reset-signing key."""
        return resetcode.key_id_for(self.signing_key.public_key())


def init_keys(
    directory: Path,
    *,
    passphrase: str | None,
    now: datetime,
    ca_name: str = "camvault device CA",
    ca_validity: timedelta = _DEFAULT_CA_VALIDITY,
) -> PublicKeyring:
    """Create a key directory: a device CA and two reset-signing keys (current and next).

    Args:
        directory: where to create the keys; created with mode 0700; must not already hold a keyring.
        passphrase: encrypts every private key file when given (strongly recommended).
        now: creation time, also the CA's start of validity.
        ca_name: the device CA's common name.
        ca_validity: how long the device CA certificate is valid.

    Returns:
        The new public keyring.

    Raises:
        ConfigurationError: the directory already holds keys, or is accessible by others.
    """
    _prepare_directory(directory)
    if (directory / KEYRING_FILE).exists():
        raise ConfigurationError(f"{directory} already holds a keyring; use rotate instead")
    ca_key = Ed25519PrivateKey.generate()
    ca_cert = resetcode.create_device_ca(ca_key, not_before=now, not_after=now + ca_validity, name=ca_name)
    write_private_file(directory / _CA_KEY_FILE, _private_pem(ca_key, passphrase))
    write_private_file(directory / _CA_CERT_FILE, resetcode.certificate_to_pem(ca_cert).encode("ascii"))
    current = _new_reset_key(directory, passphrase, taken=set())
    following = _new_reset_key(directory, passphrase, taken={_key_id(current)})
    infos = (
        ResetKeyInfo(_key_id(current), "current", current.public_key(), now),
        ResetKeyInfo(_key_id(following), "next", following.public_key(), now),
    )
    keyring = PublicKeyring(device_ca=ca_cert, reset_keys=infos, encrypted=passphrase is not None)
    _write_keyring(directory, keyring)
    logger.info(
        "created support keys in %s: device CA, reset keys %s (current) and %s (next)%s",
        directory,
        resetcode.format_key_id(infos[0].key_id),
        resetcode.format_key_id(infos[1].key_id),
        "" if passphrase is not None else "; private keys are NOT encrypted",
    )
    return keyring


def load_public_keyring(directory: Path) -> PublicKeyring:
    """Read the keyring and the device CA certificate (no passphrase needed).

    Every file in the directory must be a regular file readable by its owner only: one key file with loose
    permissions is reason enough to stop.

    Raises:
        ConfigurationError: missing, unreadable or inconsistent files, or permissions that are too open.
    """
    _check_directory(directory)
    for entry in directory.iterdir():
        check_private_file(entry)
    path = directory / KEYRING_FILE
    document = _read_json(path)
    try:
        infos = tuple(_key_info(entry) for entry in document["reset_keys"])
        encrypted = bool(document["encrypted"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a valid keyring ({type(exc).__name__})") from None
    if document.get("format") != _KEYRING_FORMAT or document.get("version") != 1:
        raise ConfigurationError(f"{path} is not a version 1 camvault keyring")
    try:
        certificate = resetcode.certificate_from_pem(_read_private(directory / _CA_CERT_FILE))
    except InvalidContent:
        raise ConfigurationError(f"{directory / _CA_CERT_FILE} is not a valid certificate") from None
    roles = [info.role for info in infos]
    if roles.count("current") != 1 or roles.count("next") != 1:
        raise ConfigurationError(f"{path} must list exactly one current and one next reset key")
    return PublicKeyring(device_ca=certificate, reset_keys=infos, encrypted=encrypted)


def load_vendor_keys(directory: Path, passphrase: str | None) -> VendorKeys:
    """Load the keyring and the current reset-signing key.

    Raises:
        ConfigurationError: files missing or with permissions that are too open.
        CryptoError: a key does not decrypt with this passphrase, or does not match the keyring.
    """
    keyring = load_public_keyring(directory)
    current = keyring.by_role("current")
    signing_key = _load_private(directory / _reset_key_file(current.key_id), passphrase)
    if _key_id(signing_key) != current.key_id:
        raise CryptoError(f"reset key file for {resetcode.format_key_id(current.key_id)} holds another key")
    return VendorKeys(keyring=keyring, signing_key=signing_key)


def load_device_ca_key(directory: Path, passphrase: str | None) -> Ed25519PrivateKey:
    """Load the device CA private key (for the lab's manufacturing).

    Raises:
        ConfigurationError: the file is missing or its permissions are too open.
        CryptoError: it does not decrypt with this passphrase, or does not match the CA certificate.
    """
    keyring = load_public_keyring(directory)
    key = _load_private(directory / _CA_KEY_FILE, passphrase)
    if _raw(key.public_key()) != _raw(_certificate_key(keyring.device_ca)):
        raise CryptoError("device CA key does not match the device CA certificate")
    return key


def rotate_keys(directory: Path, *, passphrase: str | None, now: datetime) -> PublicKeyring:
    """Rotate the reset-signing keys: next becomes current, a new next is made, the old current retires.

    The retired private key file is deleted; its public key stays in the keyring.

    Raises:
        ConfigurationError: the directory is not a valid key directory.
        CryptoError: the passphrase does not open the keys.
    """
    keyring = load_public_keyring(directory)
    old_current, old_next = keyring.by_role("current"), keyring.by_role("next")
    _load_private(directory / _reset_key_file(old_next.key_id), passphrase)  # proves the passphrase first
    following = _new_reset_key(directory, passphrase, taken=set(keyring.all_public_keys()))
    infos = [
        ResetKeyInfo(info.key_id, "retired", info.public_key, info.created)
        for info in keyring.reset_keys
        if info.role == "retired"
    ]
    infos += [
        ResetKeyInfo(old_current.key_id, "retired", old_current.public_key, old_current.created),
        ResetKeyInfo(old_next.key_id, "current", old_next.public_key, old_next.created),
        ResetKeyInfo(_key_id(following), "next", following.public_key(), now),
    ]
    rotated = PublicKeyring(device_ca=keyring.device_ca, reset_keys=tuple(infos), encrypted=keyring.encrypted)
    _write_keyring(directory, rotated)
    _remove_unlisted_private_keys(directory, {old_next.key_id, _key_id(following)})
    logger.info(
        "rotated reset keys in %s: %s is current, %s is next, %s retired",
        directory,
        resetcode.format_key_id(old_next.key_id),
        resetcode.format_key_id(_key_id(following)),
        resetcode.format_key_id(old_current.key_id),
    )
    return rotated


def export_trust_bundle(keyring: PublicKeyring) -> bytes:
    """Return the trust bundle devices get at manufacture: the current and next reset public keys."""
    return resetcode.encode_trust_bundle(keyring.device_trust())


def export_factory_material(
    directory: Path, out_dir: Path, *, passphrase: str | None, export_passphrase: str | None
) -> list[Path]:
    """Write what the lab needs to manufacture devices: the device CA key and certificate, the trust bundle.

    Args:
        directory: the key directory.
        out_dir: a new or empty directory (created 0700); files are written 0600 and never overwritten.
        passphrase: opens the device CA key.
        export_passphrase: encrypts the exported CA key (recommended; ``None`` writes it in clear).

    Returns:
        The files written.

    Raises:
        ConfigurationError: ``out_dir`` is not empty, or the key directory is invalid.
        CryptoError: the passphrase does not open the CA key.
    """
    keyring = load_public_keyring(directory)
    ca_key = load_device_ca_key(directory, passphrase)
    _prepare_directory(out_dir)
    if any(out_dir.iterdir()):
        raise ConfigurationError(f"{out_dir} is not empty; factory material is never written over files")
    written = [out_dir / _CA_KEY_FILE, out_dir / _CA_CERT_FILE, out_dir / _TRUST_BUNDLE_FILE]
    write_private_file(written[0], _private_pem(ca_key, export_passphrase))
    write_private_file(written[1], resetcode.certificate_to_pem(keyring.device_ca).encode("ascii"))
    write_private_file(written[2], export_trust_bundle(keyring))
    logger.info("exported factory material to %s", out_dir)
    return written


# ---------------------------------------------------------------------------------------- file handling


def write_private_file(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write a file readable by its owner only (0600), atomically (temporary file, fsync, rename).

    Raises:
        ConfigurationError: ``overwrite`` is false and the file exists, or it cannot be written.
    """
    if not overwrite and path.exists():
        raise ConfigurationError(f"{path} already exists")
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror}") from None


def check_private_file(path: Path) -> None:
    """Refuse a secret-holding file that is missing, not ours, or accessible by group or others.

    Raises:
        ConfigurationError: with the path and the mode, never the content.
    """
    try:
        status = path.stat()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise ConfigurationError(f"{path} is not a regular file")
    _check_owner_only(path, status)


def _check_owner_only(path: Path, status: os.stat_result) -> None:
    if status.st_uid != os.getuid():
        raise ConfigurationError(f"{path} belongs to another user")
    if status.st_mode & 0o077:
        raise ConfigurationError(
            f"{path} has mode {stat.S_IMODE(status.st_mode):04o}; group and others must have no access "
            "(chmod go-rwx)"
        )


def _prepare_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create {directory}: {exc.strerror}") from None
    _check_directory(directory)


def _check_directory(directory: Path) -> None:
    try:
        status = directory.stat()
    except OSError as exc:
        raise ConfigurationError(f"cannot use key directory {directory}: {exc.strerror}") from None
    if not stat.S_ISDIR(status.st_mode):
        raise ConfigurationError(f"{directory} is not a directory")
    _check_owner_only(directory, status)


def _read_private(path: Path) -> bytes:
    check_private_file(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        document = json.loads(_read_private(path))
    except ValueError:
        raise ConfigurationError(f"{path} is not valid JSON") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"{path} is not a JSON object")
    return document


def _private_pem(key: Ed25519PrivateKey, passphrase: str | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _load_private(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    data = _read_private(path)
    try:
        key = serialization.load_pem_private_key(data, passphrase.encode("utf-8") if passphrase else None)
    except (TypeError, ValueError):
        raise CryptoError(f"cannot open {path.name}: wrong or missing passphrase, or not a key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CryptoError(f"{path.name} does not hold an Ed25519 key")
    return key


def _new_reset_key(directory: Path, passphrase: str | None, *, taken: set[int]) -> Ed25519PrivateKey:
    for _ in range(_MAX_KEY_ATTEMPTS):
        key = Ed25519PrivateKey.generate()
        if _key_id(key) not in taken:
            write_private_file(directory / _reset_key_file(_key_id(key)), _private_pem(key, passphrase))
            return key
    raise CryptoError("could not make a reset key with an unused id")  # 16 collisions of 16 bits: never


def _remove_unlisted_private_keys(directory: Path, keep: set[int]) -> None:
    for path in directory.glob("reset-*.key"):
        if path.name not in {_reset_key_file(key_id) for key_id in keep}:
            path.unlink()


def _write_keyring(directory: Path, keyring: PublicKeyring) -> None:
    document = {
        "format": _KEYRING_FORMAT,
        "version": 1,
        "encrypted": keyring.encrypted,
        "device_ca_certificate": _CA_CERT_FILE,
        "reset_keys": [
            {
                "key_id": resetcode.format_key_id(info.key_id),
                "role": info.role,
                "public_key": base64.b64encode(_raw(info.public_key)).decode("ascii"),
                "created": info.created.astimezone(UTC).isoformat(),
            }
            for info in keyring.reset_keys
        ],
    }
    write_private_file(directory / KEYRING_FILE, json.dumps(document, indent=2).encode("ascii") + b"\n")


def _key_info(entry: Mapping[str, Any]) -> ResetKeyInfo:
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"], validate=True))
    key_id = int(entry["key_id"], 16)
    if key_id != resetcode.key_id_for(public_key):
        raise ValueError("key id does not match its key")
    role = entry["role"]
    if role not in ("current", "next", "retired"):
        raise ValueError("unknown role")
    return ResetKeyInfo(key_id, role, public_key, datetime.fromisoformat(entry["created"]))


def _reset_key_file(key_id: int) -> str:
    return f"reset-{resetcode.format_key_id(key_id)}.key"


def _key_id(key: Ed25519PrivateKey) -> int:
    return resetcode.key_id_for(key.public_key())


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _certificate_key(certificate: x509.Certificate) -> Ed25519PublicKey:
    key = certificate.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise CryptoError("device CA certificate key is not Ed25519")
    return key
