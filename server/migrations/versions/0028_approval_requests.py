"""approval requests (审批), an order's and a new customer's approval status, a customer's credit limit

Revision ID: 0028
Revises: 0030
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0028"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", text(36), nullable=False),
        sa.Column("kind", text(20), nullable=False),
        sa.Column("record_id", text(36), nullable=False),
        sa.Column("customer_id", text(36), nullable=False),
        sa.Column("customer_name", text(100), nullable=True),
        sa.Column("territory", text(60), nullable=False),
        sa.Column("rep_id", text(36), nullable=True),
        sa.Column("rep_name", text(60), nullable=True),
        sa.Column("reason", text(100), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", text(10), nullable=False),
        sa.Column("requested_at", text(40), nullable=False),
        sa.Column("decided_by_id", text(36), nullable=True),
        sa.Column("decided_by_name", text(60), nullable=True),
        sa.Column("decided_at", text(40), nullable=True),
        sa.Column("comment", text(500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "record_id", name="uq_approval_requests_kind_record"),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_requests_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_requests_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_requests_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_requests_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_requests_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_requests_requested_at"), ["requested_at"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_status", text(10), nullable=True))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_limit", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("approval_status", text(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("approval_status")
        batch_op.drop_column("credit_limit")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("approval_status")
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_requests_requested_at"))
        batch_op.drop_index(batch_op.f("ix_approval_requests_status"))
        batch_op.drop_index(batch_op.f("ix_approval_requests_rep_id"))
        batch_op.drop_index(batch_op.f("ix_approval_requests_territory"))
        batch_op.drop_index(batch_op.f("ix_approval_requests_customer_id"))
        batch_op.drop_index(batch_op.f("ix_approval_requests_kind"))
    op.drop_table("approval_requests")
