"""visit type fields: each visit type's own fields on the visits table (docs/visits.md)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (
    ("needs", sqlmodel.sql.sqltypes.AutoString(length=500)),
    ("key_persons_met", sqlmodel.sql.sqltypes.AutoString(length=200)),
    ("competitors_in_use", sqlmodel.sql.sqltypes.AutoString(length=200)),
    ("monthly_volume", sa.Float()),
    ("next_visit_agreed", sa.Boolean()),
    ("appointment_booked", sa.Boolean()),
    ("products_presented", sqlmodel.sql.sqltypes.AutoString(length=300)),
    ("objections", sqlmodel.sql.sqltypes.AutoString(length=500)),
    ("deal_outcome", sqlmodel.sql.sqltypes.AutoString(length=20)),
    ("materials_delivered", sa.Boolean()),
    ("prescription_reminded", sa.Boolean()),
    ("promises", sqlmodel.sql.sqltypes.AutoString(length=500)),
    ("follows_visit_id", sqlmodel.sql.sqltypes.AutoString(length=36)),
    ("carried_through", sqlmodel.sql.sqltypes.AutoString(length=500)),
    ("satisfied", sa.Boolean()),
    ("call_minutes", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_index(batch_op.f("ix_visits_follows_visit_id"), ["follows_visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_follows_visit_id"))
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
