"""indexes for the dashboard, the rep's day, the planner and the overdue filter

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 07:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_customer_id_order_day", "orders", ["customer_id", "order_day"])
    op.create_index("ix_visits_visit_day_rep_id", "visits", ["visit_day", "rep_id"])
    op.create_index("ix_visits_customer_id_visit_day", "visits", ["customer_id", "visit_day"])


def downgrade() -> None:
    op.drop_index("ix_visits_customer_id_visit_day", table_name="visits")
    op.drop_index("ix_visits_visit_day_rep_id", table_name="visits")
    op.drop_index("ix_orders_customer_id_order_day", table_name="orders")
