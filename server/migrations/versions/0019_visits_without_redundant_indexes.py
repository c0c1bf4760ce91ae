"""visits: drop the indexes on customer_id and on visit_day alone; (customer_id, visit_day) and
(visit_day, rep_id) serve those queries by their first column, and every index costs each pushed visit

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_visits_customer_id", table_name="visits")
    op.drop_index("ix_visits_visit_day", table_name="visits")


def downgrade() -> None:
    op.create_index("ix_visits_visit_day", "visits", ["visit_day"])
    op.create_index("ix_visits_customer_id", "visits", ["customer_id"])
