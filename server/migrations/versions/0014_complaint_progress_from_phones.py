"""complaint progress from phones: complaint steps (append-only)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("complaint_id", "customer_id", "territory")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "complaint_steps",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("complaint_id", _text(36), nullable=False),
        sa.Column("customer_id", _text(36), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("note", _text(2000), nullable=True),
        sa.Column("at", _text(40), nullable=False),
        sa.Column("clock", _text(120), nullable=False),
        sa.Column("author_id", _text(36), nullable=False),
        sa.Column("territory", _text(60), nullable=False),
        sa.Column("created_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint_steps", schema=None) as batch_op:
        for column in INDEXED:
            batch_op.create_index(batch_op.f(f"ix_complaint_steps_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaint_steps", schema=None) as batch_op:
        for column in reversed(INDEXED):
            batch_op.drop_index(batch_op.f(f"ix_complaint_steps_{column}"))
    op.drop_table("complaint_steps")
