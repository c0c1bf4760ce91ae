"""visit flag reasons: each flag's figures, and when the server got the visit and the phone saved it

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (
    ("flag_figures", sa.JSON(none_as_null=True)),
    ("received_at", sqlmodel.sql.sqltypes.AutoString(length=40)),
    ("made_at", sqlmodel.sql.sqltypes.AutoString(length=40)),
)


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
