"""each phone's clock as it last measured it against the server's (issue #17): shown on /devices

Revision ID: 0031
Revises: 0028
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0031"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Phones known before this revision have said nothing yet: /devices shows "not measured yet" until they sync.
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_offset_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("clock_offset_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("clock_offset_at")
        batch_op.drop_column("clock_offset_s")
