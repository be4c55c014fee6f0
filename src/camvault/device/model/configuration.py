r"""Configuration export and import (``/ISAPI/System/configurationData``, research notes §10).

Real devices export an opaque binary file; old firmware encrypted it with a static key shared by every
device (the configuration-file disclosure in §14.4). This device encrypts it with the secret key the user
supplies, so the file is useless to whoever finds it:

* file = ``CAMVAULT-CFG\\x00\\x01`` ‖ header length (4 bytes) ‖ header JSON ‖ AES-256-GCM ciphertext;
* header = model, format version, scrypt parameters and salt (public; bound to the ciphertext as AAD);
* key = scrypt(secret key, salt, n=2**14, r=8, p=1); plaintext = the device's settings, accounts (with
  their passwords) and channels as JSON.

An import must come from the same model (``badDevType`` otherwise) and decrypt with the given key
(``importErrorData`` otherwise: the device cannot tell a wrong key from a damaged file). It restores
accounts, settings and channels and keeps identity, firmware and recordings; the device then reboots.
"""

from __future__ import annotations

import json
import secrets
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from camvault.device.model.device import DeviceModel
from camvault.errors import DeviceRefusal

__all__ = ["MAX_FILE_BYTES", "export_configuration", "import_configuration"]

MAGIC = b"CAMVAULT-CFG\x00\x01"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_SECRET_KEY = 32
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CONFIG_KEYS = ("activated", "settings", "accounts", "channels")


def _key(secret: str, salt: bytes, params: dict[str, int]) -> bytes:
    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
        secret.encode("utf-8")
    )


def _check_secret(secret: str) -> None:
    if not 1 <= len(secret) <= MAX_SECRET_KEY:
        raise DeviceRefusal("badParameters", f"the secret key must be 1-{MAX_SECRET_KEY} characters")


def export_configuration(model: DeviceModel, secret: str) -> bytes:
    """Encrypt the device's configuration with ``secret``.

    Raises:
        DeviceRefusal: ``badParameters`` for an empty or over-long secret key.
    """
    _check_secret(secret)
    snapshot = model.to_snapshot()
    payload = json.dumps({key: snapshot[key] for key in _CONFIG_KEYS}).encode("utf-8")
    salt = secrets.token_bytes(16)
    header = json.dumps(
        {"format": 1, "model": model.identity.model, "kdf": "scrypt", "salt": salt.hex(), **_SCRYPT},
        sort_keys=True,
    ).encode("utf-8")
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(secret, salt, _SCRYPT)).encrypt(nonce, payload, MAGIC + header)
    return MAGIC + struct.pack(">I", len(header)) + header + nonce + sealed


def import_configuration(model: DeviceModel, data: bytes, secret: str) -> None:
    """Decrypt and apply a configuration file; nothing changes unless every check passes.

    Raises:
        DeviceRefusal: ``badParameters`` (secret key), ``fileFormatError`` (not a configuration file),
            ``badDevType`` (another model), ``importErrorData`` (wrong key or damaged content).
    """
    _check_secret(secret)
    header = _header(data)
    if header.get("model") != model.identity.model:
        raise DeviceRefusal("badDevType", "the file was exported from another model")
    offset = len(MAGIC) + 4 + struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    header_bytes = data[len(MAGIC) + 4 : offset]
    params = {name: header[name] for name in _SCRYPT}
    if params != _SCRYPT:
        raise DeviceRefusal("fileFormatError", "unsupported key-derivation parameters")
    try:
        salt = bytes.fromhex(header["salt"])
        plain = AESGCM(_key(secret, salt, params)).decrypt(
            data[offset : offset + 12], data[offset + 12 :], MAGIC + header_bytes
        )
        payload = json.loads(plain)
    except (InvalidTag, ValueError, TypeError):
        raise DeviceRefusal("importErrorData", "the file does not decrypt with this secret key") from None
    if not isinstance(payload, dict) or set(payload) != set(_CONFIG_KEYS):
        raise DeviceRefusal("importErrorData", "the file's content is not a configuration")
    apply_configuration(model, payload)


def _header(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_FILE_BYTES:
        raise DeviceRefusal("fileFormatError", "the file is too large to be a configuration file")
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise DeviceRefusal("fileFormatError", "not a configuration file of this device family")
    (length,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    if length > 4096 or len(data) < len(MAGIC) + 4 + length + 12 + 16:
        raise DeviceRefusal("fileFormatError", "the configuration file is truncated")
    try:
        header = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + length])
    except (ValueError, UnicodeDecodeError):
        raise DeviceRefusal("fileFormatError", "the configuration file header is damaged") from None
    if not isinstance(header, dict) or header.get("format") != 1 or not isinstance(header.get("salt"), str):
        raise DeviceRefusal("fileFormatError", "unsupported configuration file version")
    if not all(isinstance(header.get(name), int) for name in _SCRYPT):
        raise DeviceRefusal("fileFormatError", "the configuration file header is damaged")
    return header


def apply_configuration(model: DeviceModel, payload: dict[str, Any]) -> None:
    """Replace the device's accounts, settings and channels with ``payload`` (identity and recordings stay).

    Raises:
        DeviceRefusal: ``importErrorData`` if the content does not load.
    """
    current = model.to_snapshot()
    candidate = {**current, **payload}
    probe = DeviceModel(model.identity, clock=model.rtc, rng=model.rng)
    try:
        probe.restore_snapshot(candidate)
    except (KeyError, TypeError, ValueError):
        raise DeviceRefusal("importErrorData", "the configuration content is damaged") from None
    model.restore_snapshot(candidate)
    model.sessions.clear()
    model.revision += 1
