"""each op's phone clock at upload (issue #17): the RouteCRM-Clock-Offset its push carried, on its op_chain row

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Ops received before this revision were never told with a clock: they stay None (shown as 未报告).
    with op.batch_alter_table("op_chain", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_offset_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("op_chain", schema=None) as batch_op:
        batch_op.drop_column("clock_offset_s")
