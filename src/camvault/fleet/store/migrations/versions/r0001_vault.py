"""The credential vault: vault, vault_secret, vault_audit.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the vault tables."""
    op.create_table(
        "vault",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("kdf_algorithm", sa.String(32), nullable=False),
        sa.Column("kdf_version", sa.Integer(), nullable=False),
        sa.Column("kdf_time_cost", sa.Integer(), nullable=False),
        sa.Column("kdf_memory_kib", sa.Integer(), nullable=False),
        sa.Column("kdf_parallelism", sa.Integer(), nullable=False),
        sa.Column("kdf_salt", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_master_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passphrase_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vault"),
    )
    op.create_table(
        "vault_secret",
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref", "version", name="pk_vault_secret"),
        sa.CheckConstraint(
            "state IN ('staged', 'current', 'retired', 'discarded')", name="ck_vault_secret_state"
        ),
        sa.CheckConstraint("version >= 1", name="ck_vault_secret_version"),
    )
    op.create_index(
        "ix_vault_secret_one_current",
        "vault_secret",
        ["ref"],
        unique=True,
        sqlite_where=sa.text("state = 'current'"),
        postgresql_where=sa.text("state = 'current'"),
    )
    op.create_index("ix_vault_secret_state", "vault_secret", ["state"])
    op.create_table(
        "vault_audit",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(200), nullable=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vault_audit"),
    )
    op.create_index("ix_vault_audit_at", "vault_audit", ["at"])


def downgrade() -> None:
    """Drop the vault tables (and every secret in them)."""
    op.drop_index("ix_vault_audit_at", table_name="vault_audit")
    op.drop_table("vault_audit")
    op.drop_index("ix_vault_secret_state", table_name="vault_secret")
    op.drop_index("ix_vault_secret_one_current", table_name="vault_secret")
    op.drop_table("vault_secret")
    op.drop_table("vault")
