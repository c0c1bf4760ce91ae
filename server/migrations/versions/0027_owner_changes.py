"""owner changes: each customer's history of owners (公海 claims and releases, assignments, handovers, returns)

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0027"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "owner_changes",
        sa.Column("id", text(36), nullable=False),
        sa.Column("customer_id", text(36), nullable=False),
        sa.Column("territory", text(60), nullable=False),
        sa.Column("action", text(10), nullable=True),
        sa.Column("how", text(10), nullable=False),
        sa.Column("from_rep_id", text(36), nullable=True),
        sa.Column("from_name", text(60), nullable=True),
        sa.Column("to_rep_id", text(36), nullable=True),
        sa.Column("to_name", text(60), nullable=True),
        sa.Column("by_id", text(36), nullable=True),
        sa.Column("by_name", text(60), nullable=True),
        sa.Column("reason", text(200), nullable=True),
        sa.Column("at", text(40), nullable=False),
        sa.Column("recorded_at", text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("owner_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_changes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_changes_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_changes_to_rep_id"), ["to_rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_changes_recorded_at"), ["recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("owner_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_changes_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_owner_changes_to_rep_id"))
        batch_op.drop_index(batch_op.f("ix_owner_changes_territory"))
        batch_op.drop_index(batch_op.f("ix_owner_changes_customer_id"))
    op.drop_table("owner_changes")
