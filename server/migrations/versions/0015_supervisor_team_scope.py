"""supervisor team scope: a refused op is marked reviewed from the queue, with a comment

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rejected_ops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column("review_comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rejected_ops", schema=None) as batch_op:
        batch_op.drop_column("review_comment")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_at")
