"""products, orders, competitor reports, credit rating history, visit check-in flags

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 03:30:30.155049
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Customers' lifecycle status and tier already have columns; credit rating and check-in flags are new.
    op.create_table(
        "competitor_reports",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("promotion", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("observed_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reported_by", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("competitor_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competitor_reports_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_competitor_reports_territory"), ["territory"], unique=False)

    op.create_table(
        "credit_rating_changes",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("previous", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_rating_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_rating_changes_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("ordered_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("rep_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("order_day", sa.Date(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_order_day"), ["order_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "products",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("spec", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_name"), ["name"], unique=False)

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_rating", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_in_mocked", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("flags", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_visits_flagged"), ["flagged"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_flagged"))
        batch_op.drop_column("flagged")
        batch_op.drop_column("flags")
        batch_op.drop_column("check_in_mocked")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("credit_rating")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_name"))

    op.drop_table("products")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_visit_id"))
        batch_op.drop_index(batch_op.f("ix_orders_territory"))
        batch_op.drop_index(batch_op.f("ix_orders_rep_id"))
        batch_op.drop_index(batch_op.f("ix_orders_order_day"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("credit_rating_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_rating_changes_customer_id"))

    op.drop_table("credit_rating_changes")
    with op.batch_alter_table("competitor_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competitor_reports_territory"))
        batch_op.drop_index(batch_op.f("ix_competitor_reports_customer_id"))

    op.drop_table("competitor_reports")
