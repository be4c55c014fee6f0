"""Configuration backups: the device's own export, kept in the fleet store, opened only with the vault.

A backup is the file the device exports (``/ISAPI/System/configurationData``), encrypted *by the device*
with a random secret key that only the vault holds (``backup:<id>``). The store keeps the file and which
vault version of the device password was current when it was taken: restoring a Hikvision configuration
brings back the accounts it holds, passwords included, so after a restore the device answers to that
version, and the recovery guide (:mod:`camvault.fleet.recovery.guide`) makes it current before rotating
it away.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from camvault.errors import InventoryError
from camvault.fleet.drivers import Credential
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.session import FleetSession
from camvault.fleet.store.schema import config_backup

__all__ = ["MAX_BACKUP_BYTES", "ConfigBackup", "latest_backup", "list_backups", "open_backup", "take_backup"]

MAX_BACKUP_BYTES = 8 * 1024 * 1024
"""Refuse to store a "configuration" larger than this (real files are tens to hundreds of KiB)."""

_SECRET_KEY_LENGTH = 24
"""Characters of the random secret key the device encrypts the export with (devices accept up to 32)."""

_BACKUP_USER = "config-backup"


@dataclass(frozen=True, slots=True)
class ConfigBackup:
    """One stored backup's metadata (the file itself is read with :func:`open_backup`).

    Attributes:
        id: the backup's id.
        device_id: the inventory device it came from.
        created_at: when it was taken.
        credential_ref: the vault reference of the device password.
        credential_version: the version that was current when it was taken (what a restore brings back).
        secret_ref: the vault reference of the secret key the file is encrypted with.
        model: the device model (devices refuse another model's file).
        firmware: the firmware it was exported from.
        size: the file's size in bytes.
    """

    id: str
    device_id: str
    created_at: datetime
    credential_ref: str
    credential_version: int
    secret_ref: str
    model: str
    firmware: str
    size: int


async def take_backup(session: FleetSession, record: DeviceRecord, credential: Credential) -> ConfigBackup:
    """Export the device's configuration with a fresh secret key and store both (file in the store, key in the vault).

    Raises:
        InventoryError: the device has no credential reference, or the vault is locked.
        DeviceError: the export failed (nothing is stored).
    """
    vault = session.vault
    if vault is None or record.credential_ref is None:
        raise InventoryError(
            f"{record.label}: a backup needs the vault and the device's credential reference"
        )
    secret = secrets.token_urlsafe(_SECRET_KEY_LENGTH)[:_SECRET_KEY_LENGTH]
    data = await session.driver(record).backup_config(credential, secret)
    if len(data) > MAX_BACKUP_BYTES:
        raise InventoryError(
            f"{record.label}: the exported configuration is larger than {MAX_BACKUP_BYTES} bytes"
        )
    backup_id = str(uuid.uuid4())
    secret_ref = f"backup:{backup_id}"
    with session.store.transaction() as conn:
        version = next(
            info.version
            for info in vault.history(conn, record.credential_ref)
            if info.state.value == "current"
        )
        vault.put(
            conn, secret_ref, secret, username=_BACKUP_USER, note=f"configuration backup of {record.label}"
        )
        conn.execute(
            insert(config_backup).values(
                id=backup_id,
                device_id=record.id,
                created_at=session.clock.now(),
                credential_ref=record.credential_ref,
                credential_version=version,
                secret_ref=secret_ref,
                model=(record.model or "")[:64],
                firmware=(record.firmware or "")[:64],
                size=len(data),
                data=data,
            )
        )
        return _backup(conn.execute(select(config_backup).where(config_backup.c.id == backup_id)).one())


def list_backups(conn: Connection, device_id: str) -> list[ConfigBackup]:
    """A device's backups, newest first."""
    rows = conn.execute(
        select(config_backup)
        .where(config_backup.c.device_id == device_id)
        .order_by(config_backup.c.created_at.desc())
    )
    return [_backup(row) for row in rows]


def latest_backup(conn: Connection, device_id: str) -> ConfigBackup | None:
    """A device's newest backup, if any."""
    found = list_backups(conn, device_id)
    return found[0] if found else None


def open_backup(session: FleetSession, backup: ConfigBackup) -> tuple[bytes, str]:
    """The backup's file and its secret key (from the vault).

    Raises:
        InventoryError: the vault is locked, or the backup is gone.
    """
    if session.vault is None:
        raise InventoryError("opening a backup needs the vault unlocked")
    with session.store.transaction(readonly=True) as conn:
        row = conn.execute(select(config_backup.c.data).where(config_backup.c.id == backup.id)).first()
        if row is None:
            raise InventoryError(f"backup {backup.id} is no longer in the store")
        secret = session.vault.current(conn, backup.secret_ref).password
    return bytes(row.data), secret


def _backup(row: Row[Any]) -> ConfigBackup:
    return ConfigBackup(
        id=row.id,
        device_id=row.device_id,
        created_at=row.created_at,
        credential_ref=row.credential_ref,
        credential_version=row.credential_version,
        secret_ref=row.secret_ref,
        model=row.model,
        firmware=row.firmware,
        size=row.size,
    )
