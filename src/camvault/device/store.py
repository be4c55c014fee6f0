"""Persistence of every lab device's state: one SQLite file under the lab's state directory.

Each device is a row: its identity (public facts, readable JSON) and its state snapshot, *sealed*:
AES-256-GCM under the lab's key (``lab.key``, mode 0600, made on first use), with the serial number as
associated data so rows cannot be swapped between devices. A real device keeps its passwords encrypted in
flash; the lab does the same, so nothing in the state directory shows a password.

A factory reset rewrites the state; the identity (and the keys a later issue adds) survive, as on a real
device.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from camvault.errors import ConfigurationError, StoreError
from camvault.localdb import Migration, open_database

__all__ = ["LabStore", "StoredDevice", "load_or_create_key"]

KEY_FILE = "lab.key"
DATABASE_FILE = "lab.sqlite"
_NONCE_BYTES = 12

MIGRATIONS = [
    Migration(
        1,
        "devices",
        """
        CREATE TABLE device (
            label TEXT PRIMARY KEY,
            serial TEXT NOT NULL UNIQUE,
            position INTEGER NOT NULL,
            identity TEXT NOT NULL,
            spec TEXT NOT NULL,
            state BLOB NOT NULL,
            saved_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        """,
    ),
]


@dataclass(frozen=True, slots=True)
class StoredDevice:
    """One device row, unsealed.

    Attributes:
        label: the device's lab label.
        identity: the identity as :func:`~camvault.device.model.identity.identity_to_dict` wrote it.
        spec: lab-level facts that are not device state (addressing, what the installer recorded, links).
        state: the device's state snapshot.
    """

    label: str
    identity: dict[str, Any]
    spec: dict[str, Any]
    state: dict[str, Any]


def load_or_create_key(state_dir: Path) -> bytes:
    """Read the lab key, creating it (mode 0600) on first use.

    Raises:
        ConfigurationError: the key file is readable by others or has the wrong size.
    """
    path = state_dir / KEY_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"{path} must not be readable by other users (chmod 600 it)")
    key = path.read_bytes()
    if len(key) != 32:
        raise ConfigurationError(f"{path} is not a lab key (expected 32 bytes)")
    return key


class LabStore:
    """The sealed device table of one lab."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._aead = AESGCM(load_or_create_key(state_dir))
        self._db = open_database(state_dir / DATABASE_FILE, MIGRATIONS)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def is_empty(self) -> bool:
        """Whether no device has been stored yet."""
        count: int = self._db.execute("SELECT count(*) FROM device").fetchone()[0]
        return count == 0

    def save(self, devices: Iterable[StoredDevice]) -> None:
        """Insert or replace device rows, all in one transaction."""
        rows = [
            (
                device.label,
                str(device.identity["serial"]),
                index,
                json.dumps(device.identity, sort_keys=True),
                json.dumps(device.spec, sort_keys=True),
                self._seal(str(device.identity["serial"]), device.state),
            )
            for index, device in enumerate(devices)
        ]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for label, serial, _, identity, spec, state in rows:
                updated = self._db.execute(
                    "UPDATE device SET state = ?, spec = ?, saved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                    "WHERE label = ? AND serial = ?",
                    (state, spec, label, serial),
                ).rowcount
                if not updated:
                    position = self._db.execute(
                        "SELECT coalesce(max(position), -1) + 1 FROM device"
                    ).fetchone()[0]
                    self._db.execute(
                        "INSERT INTO device(label, serial, position, identity, spec, state) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (label, serial, position, identity, spec, state),
                    )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise StoreError(f"cannot save lab state: {exc}") from None

    def load(self) -> list[StoredDevice]:
        """Every stored device, in creation order.

        Raises:
            StoreError: a row does not unseal (another lab's key, or tampering).
        """
        devices = []
        for label, identity, spec, state in self._db.execute(
            "SELECT label, identity, spec, state FROM device ORDER BY position"
        ):
            identity_data = json.loads(identity)
            devices.append(
                StoredDevice(
                    label, identity_data, json.loads(spec), self._unseal(identity_data["serial"], state)
                )
            )
        return devices

    def _seal(self, serial: str, state: dict[str, Any]) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, json.dumps(state).encode("utf-8"), serial.encode("utf-8"))

    def _unseal(self, serial: str, blob: bytes) -> dict[str, Any]:
        try:
            plain = self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], serial.encode("utf-8"))
        except InvalidTag:
            raise StoreError(
                f"the stored state of {serial} does not unseal (wrong lab key or tampered)"
            ) from None
        result: dict[str, Any] = json.loads(plain)
        return result
