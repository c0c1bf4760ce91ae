"""health_heartbeat: the row a health check writes, so /health proves the database takes a write

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "health_heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beat_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("beat_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "beat_at": "", "beat_by": None}])


def downgrade() -> None:
    op.drop_table("health_heartbeat")
