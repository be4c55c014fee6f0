"""The fleet store's tables, defined once with SQLAlchemy Core.

This module is the truth about the schema *as code expects it*; the Alembic migrations in
``camvault/fleet/store/migrations/versions/`` are the truth about how a database *gets there*. A test asserts
that the two agree on SQLite and PostgreSQL, so adding a table (inventory, rotation journal, audit) means:
define it here, and add a migration that creates it.

Constraint and index names follow :data:`NAMING_CONVENTION`, so both engines and every migration name them
the same way (SQLite's batch migrations need names to drop or alter constraints).

Vault tables (see :mod:`camvault.fleet.vault`):

* ``vault``: the one vault of this database: its id, the Argon2id parameters and salt, and the master key
  wrapped by the passphrase-derived key.
* ``vault_secret``: one row per secret version; the data key wrapped by the master key and the
  username/password ciphertext. At most one ``current`` version per reference (a partial unique index).
* ``vault_audit``: append-only record of reveals, exports, imports, passphrase changes and failed unlocks.

Inventory tables (see :mod:`camvault.fleet.inventory`):

* ``device``: one row per managed device, keyed by a stable id and unique by label, serial and MAC, so an
  address change updates a row instead of creating a duplicate. It holds a *reference* to the device's
  credential in the vault (``credential_ref``) and the user name it is for, never a password.

Rotation tables (see :mod:`camvault.fleet.rotation`):

* ``rotation_run``: one row per ``camvault fleet rotate`` run (options, start, end, how it ended).
* ``rotation``: the write-ahead journal, one row per (device, account) being rotated, whose ``state`` moves
  through the machine of :mod:`camvault.fleet.rotation.journal` in the same transaction as the vault change
  it describes. At most one unfinished rotation per device account (a partial unique index).
* ``rotation_dependent``: what depends on a rotated password (NVR channels, secrets files) and its state.
* ``rotation_policy``: the maximum password age of each group, for ``rotate --due``.
* ``nvr_channel``: which NVR channel records which camera, as last read from the NVR, so that a camera's
  dependents are known even while its NVR cannot be asked.

Recovery tables (see :mod:`camvault.fleet.recovery`):

* ``config_backup``: configuration files exported from devices, as the device encrypted them with a secret
  kept in the vault (``secret_ref``), with the vault version of the device password current at export
  time (restoring the file brings that password back on Hikvision devices).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "DEVICE_SOURCES",
    "NAMING_CONVENTION",
    "SECRET_STATES",
    "UtcDateTime",
    "config_backup",
    "device",
    "metadata",
    "vault",
    "vault_audit",
    "vault_secret",
]

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SECRET_STATES: Final = ("staged", "current", "retired", "discarded")
"""The life cycle of a secret version: staged -> current -> retired, or staged -> discarded."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine.

    SQLite has no time zones and returns naive datetimes; this type stores UTC and always hands back an aware
    UTC datetime. Naive datetimes are refused on the way in (they are a bug: whose local time?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC for storage; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps stored in the fleet store must be timezone-aware")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return the stored timestamp as an aware UTC datetime."""
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_STATE_LIST = ", ".join(f"'{state}'" for state in SECRET_STATES)

vault = Table(
    "vault",
    metadata,
    Column("id", String(64), nullable=False),
    Column("format", Integer, nullable=False),
    Column("kdf_algorithm", String(32), nullable=False),
    Column("kdf_version", Integer, nullable=False),
    Column("kdf_time_cost", Integer, nullable=False),
    Column("kdf_memory_kib", Integer, nullable=False),
    Column("kdf_parallelism", Integer, nullable=False),
    Column("kdf_salt", LargeBinary, nullable=False),
    Column("wrapped_master_key", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("passphrase_changed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
)

vault_secret = Table(
    "vault_secret",
    metadata,
    Column("ref", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("note", String(500), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("state_changed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("ref", "version"),
    CheckConstraint(f"state IN ({_STATE_LIST})", name="state"),
    CheckConstraint("version >= 1", name="version"),
    Index(
        "ix_vault_secret_one_current",
        "ref",
        unique=True,
        sqlite_where=text("state = 'current'"),
        postgresql_where=text("state = 'current'"),
    ),
    Index("ix_vault_secret_state", "state"),
)

vault_audit = Table(
    "vault_audit",
    metadata,
    Column("id", Integer, nullable=False, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("ref", String(200), nullable=True),
    Column("detail", String(500), nullable=False),
    PrimaryKeyConstraint("id"),
    Index("ix_vault_audit_at", "at"),
)


DEVICE_SOURCES: Final = ("manual", "csv", "dhcp", "sadp", "wsd", "scan")
"""How a device entered the inventory."""

_SOURCE_LIST = ", ".join(f"'{source}'" for source in DEVICE_SOURCES)

device = Table(
    "device",
    metadata,
    Column("id", String(36), nullable=False),
    Column("label", String(128), nullable=False),
    Column("vendor", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("model", String(64), nullable=True),
    Column("serial", String(96), nullable=True),
    Column("mac", String(17), nullable=True),
    Column("firmware", String(64), nullable=True),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("scheme", String(8), nullable=False),
    Column("verify_tls", Boolean, nullable=False),
    Column("username", String(64), nullable=True),
    Column("credential_ref", String(200), nullable=True),
    Column("group_name", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("notes", String(500), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("id"),
    CheckConstraint(f"source IN ({_SOURCE_LIST})", name="source"),
    CheckConstraint("port BETWEEN 1 AND 65535", name="port"),
    CheckConstraint("scheme IN ('http', 'https')", name="scheme"),
    Index("ix_device_label", "label", unique=True),
    Index("ix_device_serial", "serial", unique=True),
    Index("ix_device_mac", "mac", unique=True),
    Index("ix_device_host_port", "host", "port"),
)


ROTATION_STATES: Final = (
    "staged",
    "applying",
    "changed",
    "promoted",
    "done",
    "rolled_back",
    "failed",
    "needs_recovery",
)
"""The rotation journal's states; see :mod:`camvault.fleet.rotation.journal` for the machine."""

UNFINISHED_ROTATION_STATES: Final = ("staged", "applying", "changed", "promoted")

_ROTATION_STATE_LIST = ", ".join(f"'{state}'" for state in ROTATION_STATES)
_UNFINISHED_LIST = ", ".join(f"'{state}'" for state in UNFINISHED_ROTATION_STATES)

rotation_run = Table(
    "rotation_run",
    metadata,
    Column("id", String(36), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("options", String(2000), nullable=False),
    Column("outcome", String(500), nullable=True),
    Column("failed_devices", Text, nullable=True),
    PrimaryKeyConstraint("id"),
)

rotation = Table(
    "rotation",
    metadata,
    Column("id", String(36), nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("username", String(64), nullable=False),
    Column("credential_ref", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    CheckConstraint(f"state IN ({_ROTATION_STATE_LIST})", name="state"),
    CheckConstraint("kind IN ('password', 'activation', 'recovery')", name="kind"),
    Index("ix_rotation_run_id", "run_id"),
    Index("ix_rotation_device_id", "device_id"),
    Index(
        "ix_rotation_one_unfinished",
        "device_id",
        "username",
        unique=True,
        sqlite_where=text(f"state IN ({_UNFINISHED_LIST})"),
        postgresql_where=text(f"state IN ({_UNFINISHED_LIST})"),
    ),
)

rotation_dependent = Table(
    "rotation_dependent",
    metadata,
    Column("rotation_id", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("target", String(200), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("rotation_id", "kind", "target"),
    CheckConstraint("state IN ('pending', 'updated', 'verified', 'failed')", name="state"),
)

rotation_policy = Table(
    "rotation_policy",
    metadata,
    Column("group_name", String(64), nullable=False),
    Column("max_age_days", Integer, nullable=False),
    PrimaryKeyConstraint("group_name"),
    CheckConstraint("max_age_days >= 1", name="max_age_days"),
)

nvr_channel = Table(
    "nvr_channel",
    metadata,
    Column("nvr_id", String(36), nullable=False),
    Column("channel_id", Integer, nullable=False),
    Column("camera_id", String(36), nullable=False),
    Column("observed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("nvr_id", "channel_id"),
    Index("ix_nvr_channel_camera_id", "camera_id"),
)

config_backup = Table(
    "config_backup",
    metadata,
    Column("id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("credential_ref", String(200), nullable=False),
    Column("credential_version", Integer, nullable=False),
    Column("secret_ref", String(200), nullable=False),
    Column("model", String(64), nullable=False),
    Column("firmware", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("id"),
    CheckConstraint("size >= 0", name="size"),
    Index("ix_config_backup_device_id", "device_id"),
)
