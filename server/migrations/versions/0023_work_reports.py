"""work reports (日报 / 周报): a rep's summary and next focus for a day or week, and the supervisor's comment

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "work_reports",
        sa.Column("id", text(36), nullable=False),
        sa.Column("period", text(10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("summary", text(2000), nullable=False),
        sa.Column("next_focus", text(1000), nullable=True),
        sa.Column("submitted_at", text(40), nullable=False),
        sa.Column("rep_id", text(36), nullable=False),
        sa.Column("territory", text(60), nullable=False),
        sa.Column("comment", text(1000), nullable=True),
        sa.Column("commented_by", text(36), nullable=True),
        sa.Column("commented_by_name", text(100), nullable=True),
        sa.Column("commented_at", text(40), nullable=True),
        sa.Column("created_at", text(40), nullable=False),
        sa.Column("updated_at", text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "period", "starts_on", name="uq_work_reports_rep_period_start"),
    )
    with op.batch_alter_table("work_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_reports_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_reports_starts_on"), ["starts_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_reports_territory"), ["territory"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_reports_territory"))
        batch_op.drop_index(batch_op.f("ix_work_reports_starts_on"))
        batch_op.drop_index(batch_op.f("ix_work_reports_rep_id"))
    op.drop_table("work_reports")
