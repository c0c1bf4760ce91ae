"""duplicates queue (查重): pairs of customers likely the same, for a supervisor to dismiss or merge; a merged
customer's survivor (customers.merged_into)

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-07 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0026"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "duplicate_pairs",
        sa.Column("id", text(36), nullable=False),
        sa.Column("customer_id", text(36), nullable=False),
        sa.Column("other_id", text(36), nullable=False),
        sa.Column("territory", text(60), nullable=False),
        sa.Column("other_territory", text(60), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", text(12), nullable=False),
        sa.Column("created_at", text(40), nullable=False),
        sa.Column("decided_by", text(36), nullable=True),
        sa.Column("decided_at", text(40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "other_id", name="uq_duplicate_pairs_customer_other"),
    )
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_other_id"), ["other_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_other_territory"), ["other_territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_status"), ["status"], unique=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", text(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("merged_into")
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_status"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_other_territory"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_territory"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_other_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_customer_id"))
    op.drop_table("duplicate_pairs")
