"""photo evidence: a visit photo's source (live camera or gallery) and where the phone was when it was added

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (
    ("source", sqlmodel.sql.sqltypes.AutoString(length=10)),
    ("lat", sa.Float()),
    ("lng", sa.Float()),
    ("accuracy", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("visit_photos", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit_photos", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
