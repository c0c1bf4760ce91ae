"""field clocks, conflicts and rejected ops (sync keeps what it does not apply)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:26:36.922235
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conflicts",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kept_value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("lost_value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("kept_clock", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lost_clock", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("lost_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("op_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflicts_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflicts_territory"), ["territory"], unique=False)

    op.create_table(
        "rejected_ops",
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("op", sa.JSON(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("rejected_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq"),
    )
    with op.batch_alter_table("rejected_ops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_ops_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("customers", schema=None) as batch_op:
        # Customers stored before field clocks have none: '{}' (no field has a clock yet).
        batch_op.add_column(sa.Column("field_clocks", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("field_clocks")

    with op.batch_alter_table("rejected_ops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_ops_user_id"))

    op.drop_table("rejected_ops")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_territory"))
        batch_op.drop_index(batch_op.f("ix_conflicts_record_id"))

    op.drop_table("conflicts")
