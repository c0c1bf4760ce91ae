"""company holidays

The company's holiday list (server/domains/holidays): empty until an admin first changes it (phones then
use the built-in list), so nothing is inserted here.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "company_holidays",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("name", _text(40), nullable=False),
        sa.Column("day", _text(10), nullable=True),
        sa.Column("month_day", _text(5), nullable=True),
        sa.Column("note", _text(200), nullable=True),
        sa.Column("updated_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("company_holidays")
