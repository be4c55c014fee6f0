"""A device's self-signed HTTPS certificate, as real cameras ship one (HTTPS on 443, research notes §1).

Real devices serve their web UI and ISAPI over HTTPS with a self-signed certificate made on the device;
clients either pin it or turn verification off for that device (DESIGN.md: verification stays on unless
the user turns it off per device). Here each device gets its own:

* key: ECDSA P-256 (our choice: real firmware commonly uses RSA-2048, but a lab of thousands of devices
  should not spend a minute on RSA key generation; clients see an ordinary self-signed server certificate);
* subject: the device address as common name, the vendor as organisation, the model as unit, and the
  serial number in ``serialNumber``; subject alternative name: the device's IP address;
* valid from a day before ``now`` for ten years; TLS 1.2 or later.

Certificates are cached in memory per device and address, and, when a cache directory is given (the lab's
state directory), on disk as one PEM file per device (key and certificate, mode 0600), so that a device
keeps its certificate across lab restarts and clients that pinned it keep working.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from camvault.device.model.identity import Identity

__all__ = ["CERTIFICATE_DAYS", "device_certificate", "device_tls_context"]

CERTIFICATE_DAYS = 3650
_RENEW_BEFORE = timedelta(days=30)
_MEMORY: dict[tuple[str, str], bytes] = {}


def device_certificate(identity: Identity, address: str, now: datetime) -> bytes:
    """Make a self-signed certificate and its key for a device, as one PEM blob (key first).

    Args:
        identity: the device.
        address: the IP address it serves on (the common name and the subject alternative name).
        now: the current time (timezone-aware), from the lab's clock.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, address),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.vendor),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity.model),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, identity.serial),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem + certificate.public_bytes(serialization.Encoding.PEM)


def _usable(pem: bytes, address: str, now: datetime) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        addresses = {str(value) for value in names.get_values_for_type(x509.IPAddress)}
    except (ValueError, x509.ExtensionNotFound):
        return False
    return address in addresses and certificate.not_valid_after_utc - _RENEW_BEFORE > now


def _cached_pem(identity: Identity, address: str, now: datetime, cache_dir: Path | None) -> bytes:
    """The device's certificate: from its lab's disk cache first, then from memory, else a new one."""
    key = (identity.serial, address)
    path = cache_dir / f"{identity.serial}.pem" if cache_dir is not None else None
    stored = path.read_bytes() if path is not None and path.is_file() else None
    if stored is not None and _usable(stored, address, now):
        _MEMORY[key] = stored
        return stored
    pem = _MEMORY.get(key)
    if pem is None or not _usable(pem, address, now):
        pem = device_certificate(identity, address, now)
        _MEMORY[key] = pem
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    return pem


def device_tls_context(
    identity: Identity, address: str, now: datetime, *, cache_dir: Path | None = None
) -> ssl.SSLContext:
    """A server-side TLS context presenting the device's self-signed certificate.

    Args:
        identity: the device.
        address: the IP address it serves on.
        now: the current time (timezone-aware).
        cache_dir: where certificates persist across restarts (the lab's state directory), or ``None``.
    """
    pem = _cached_pem(identity, address, now, cache_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # ssl loads key material from files only: a private temporary file, removed at once.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "device.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        context.load_cert_chain(path)
    return context
