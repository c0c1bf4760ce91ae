"""door hours of customers, the base a rep's day starts from, and each territory's average travel speed

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (
    ("customers", "door_hours", sa.JSON(none_as_null=True)),
    ("users", "base_lat", sa.Float()),
    ("users", "base_lng", sa.Float()),
    ("territories", "travel_speed_kmh", sa.Float()),
)


def upgrade() -> None:
    for table, name, type_ in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for table, name, _ in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(name)
