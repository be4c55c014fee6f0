"""The device inventory: device.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the device table."""
    op.create_table(
        "device",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("vendor", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.String(64), nullable=True),
        sa.Column("serial", sa.String(96), nullable=True),
        sa.Column("mac", sa.String(17), nullable=True),
        sa.Column("firmware", sa.String(64), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(8), nullable=False),
        sa.Column("verify_tls", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("credential_ref", sa.String(200), nullable=True),
        sa.Column("group_name", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("notes", sa.String(500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_device"),
        sa.CheckConstraint(
            "source IN ('manual', 'csv', 'dhcp', 'sadp', 'wsd', 'scan')", name="ck_device_source"
        ),
        sa.CheckConstraint("port BETWEEN 1 AND 65535", name="ck_device_port"),
        sa.CheckConstraint("scheme IN ('http', 'https')", name="ck_device_scheme"),
    )
    op.create_index("ix_device_label", "device", ["label"], unique=True)
    op.create_index("ix_device_serial", "device", ["serial"], unique=True)
    op.create_index("ix_device_mac", "device", ["mac"], unique=True)
    op.create_index("ix_device_host_port", "device", ["host", "port"])


def downgrade() -> None:
    """Drop the device table."""
    op.drop_index("ix_device_host_port", table_name="device")
    op.drop_index("ix_device_mac", table_name="device")
    op.drop_index("ix_device_serial", table_name="device")
    op.drop_index("ix_device_label", table_name="device")
    op.drop_table("device")
