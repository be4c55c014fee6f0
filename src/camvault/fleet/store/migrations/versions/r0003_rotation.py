"""The rotation journal: rotation_run, rotation, rotation_dependent, rotation_policy, nvr_channel.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_STATES = "'staged', 'applying', 'changed', 'promoted', 'done', 'rolled_back', 'failed', 'needs_recovery'"
_UNFINISHED = "state IN ('staged', 'applying', 'changed', 'promoted')"


def upgrade() -> None:
    """Create the rotation tables."""
    op.create_table(
        "rotation_run",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("options", sa.String(2000), nullable=False),
        sa.Column("outcome", sa.String(500), nullable=True),
        sa.Column("failed_devices", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rotation_run"),
    )
    op.create_table(
        "rotation",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("credential_ref", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rotation"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_rotation_state"),
        sa.CheckConstraint("kind IN ('password', 'activation')", name="ck_rotation_kind"),
    )
    op.create_index("ix_rotation_run_id", "rotation", ["run_id"])
    op.create_index("ix_rotation_device_id", "rotation", ["device_id"])
    op.create_index(
        "ix_rotation_one_unfinished",
        "rotation",
        ["device_id", "username"],
        unique=True,
        sqlite_where=sa.text(_UNFINISHED),
        postgresql_where=sa.text(_UNFINISHED),
    )
    op.create_table(
        "rotation_dependent",
        sa.Column("rotation_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rotation_id", "kind", "target", name="pk_rotation_dependent"),
        sa.CheckConstraint(
            "state IN ('pending', 'updated', 'verified', 'failed')", name="ck_rotation_dependent_state"
        ),
    )
    op.create_table(
        "rotation_policy",
        sa.Column("group_name", sa.String(64), nullable=False),
        sa.Column("max_age_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_name", name="pk_rotation_policy"),
        sa.CheckConstraint("max_age_days >= 1", name="ck_rotation_policy_max_age_days"),
    )

    op.create_table(
        "nvr_channel",
        sa.Column("nvr_id", sa.String(36), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(36), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nvr_id", "channel_id", name="pk_nvr_channel"),
    )
    op.create_index("ix_nvr_channel_camera_id", "nvr_channel", ["camera_id"])


def downgrade() -> None:
    """Drop the rotation tables."""
    op.drop_index("ix_nvr_channel_camera_id", table_name="nvr_channel")
    op.drop_table("nvr_channel")
    op.drop_table("rotation_policy")
    op.drop_table("rotation_dependent")
    op.drop_index("ix_rotation_one_unfinished", table_name="rotation")
    op.drop_index("ix_rotation_device_id", table_name="rotation")
    op.drop_index("ix_rotation_run_id", table_name="rotation")
    op.drop_table("rotation")
    op.drop_table("rotation_run")
