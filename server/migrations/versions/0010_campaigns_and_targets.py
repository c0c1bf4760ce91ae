"""campaigns, campaign results (participation recorded on visits), monthly sales targets

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("campaign_type", _text(20), nullable=False),
        sa.Column("name", _text(100), nullable=False),
        sa.Column("territory", _text(60), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("customer_ids", sa.JSON(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("notes", _text(2000), nullable=True),
        sa.Column("created_by", _text(36), nullable=False),
        sa.Column("created_at", _text(40), nullable=False),
        sa.Column("updated_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_starts_on"), ["starts_on"], unique=False)

    op.create_table(
        "campaign_results",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("campaign_id", _text(36), nullable=False),
        sa.Column("customer_id", _text(36), nullable=False),
        sa.Column("visit_id", _text(36), nullable=False),
        sa.Column("participated", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("order_id", _text(36), nullable=True),
        sa.Column("feedback", _text(500), nullable=True),
        sa.Column("recorded_at", _text(40), nullable=False),
        sa.Column("rep_id", _text(36), nullable=False),
        sa.Column("territory", _text(60), nullable=False),
        sa.Column("created_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_results_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_results_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_results_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_results_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_results_territory"), ["territory"], unique=False)

    op.create_table(
        "sales_targets",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("rep_id", _text(36), nullable=False),
        sa.Column("month", _text(7), nullable=False),
        sa.Column("sales_amount", sa.Float(), nullable=False),
        sa.Column("new_customers", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("set_by", _text(36), nullable=False),
        sa.Column("updated_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "month", name="uq_sales_targets_rep_month"),
    )
    with op.batch_alter_table("sales_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_targets_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_targets_month"), ["month"], unique=False)


def downgrade() -> None:
    op.drop_table("sales_targets")
    op.drop_table("campaign_results")
    op.drop_table("campaigns")
