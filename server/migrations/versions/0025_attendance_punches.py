"""attendance (考勤): reps' start and end of the working day, one append-only row per punch

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-07 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "attendance_punches",
        sa.Column("id", text(36), nullable=False),
        sa.Column("action", text(10), nullable=False),
        sa.Column("at", text(40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rep_id", text(36), nullable=False),
        sa.Column("territory", text(60), nullable=False),
        sa.Column("created_at", text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attendance_punches", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_punches_rep_id_day", ["rep_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_punches_territory"), ["territory"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attendance_punches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_punches_territory"))
        batch_op.drop_index("ix_attendance_punches_rep_id_day")
    op.drop_table("attendance_punches")
