"""Guided recovery: the journal's ``recovery`` kind, and configuration backups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_KIND_0003 = "ck_rotation_ck_rotation_kind"
"""The name 0003 gave the kind check (the naming convention prefixed a name that was already prefixed)."""


def upgrade() -> None:
    """Allow ``recovery`` rotations and create ``config_backup``."""
    with op.batch_alter_table("rotation") as batch:
        batch.drop_constraint(op.f(_KIND_0003), type_="check")
        batch.create_check_constraint(
            op.f("ck_rotation_kind"), "kind IN ('password', 'activation', 'recovery')"
        )
    op.create_table(
        "config_backup",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credential_ref", sa.String(200), nullable=False),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("secret_ref", sa.String(200), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("firmware", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_config_backup"),
        sa.CheckConstraint("size >= 0", name="ck_config_backup_size"),
    )
    op.create_index("ix_config_backup_device_id", "config_backup", ["device_id"])


def downgrade() -> None:
    """Drop ``config_backup`` and the ``recovery`` kind (recovery rows go with it)."""
    op.drop_index("ix_config_backup_device_id", table_name="config_backup")
    op.drop_table("config_backup")
    op.execute("DELETE FROM rotation WHERE kind = 'recovery'")
    with op.batch_alter_table("rotation") as batch:
        batch.drop_constraint(op.f("ck_rotation_kind"), type_="check")
        batch.create_check_constraint(op.f(_KIND_0003), "kind IN ('password', 'activation')")
