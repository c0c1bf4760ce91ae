"""development pipeline: opportunities, stage events, stage probabilities

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("customer_id", _text(36), nullable=False),
        sa.Column("expected_value", sa.Float(), nullable=True),
        sa.Column("opened_at", _text(40), nullable=False),
        sa.Column("notes", _text(500), nullable=True),
        sa.Column("owner_rep_id", _text(36), nullable=False),
        sa.Column("territory", _text(60), nullable=False),
        sa.Column("stage", _text(20), nullable=False),
        sa.Column("outcome", _text(10), nullable=False),
        sa.Column("loss_reason", _text(20), nullable=True),
        sa.Column("stage_changed_at", _text(40), nullable=True),
        sa.Column("closed_at", _text(40), nullable=True),
        sa.Column("created_at", _text(40), nullable=False),
        sa.Column("updated_at", _text(40), nullable=False),
        sa.Column("field_clocks", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        for column in ("customer_id", "owner_rep_id", "territory", "stage", "outcome"):
            batch_op.create_index(batch_op.f(f"ix_opportunities_{column}"), [column], unique=False)

    op.create_table(
        "stage_events",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("opportunity_id", _text(36), nullable=False),
        sa.Column("customer_id", _text(36), nullable=False),
        sa.Column("action", _text(10), nullable=False),
        sa.Column("stage", _text(20), nullable=True),
        sa.Column("loss_reason", _text(20), nullable=True),
        sa.Column("note", _text(500), nullable=True),
        sa.Column("at", _text(40), nullable=False),
        sa.Column("clock", _text(120), nullable=False),
        sa.Column("rep_id", _text(36), nullable=False),
        sa.Column("order_id", _text(36), nullable=True),
        sa.Column("territory", _text(60), nullable=False),
        sa.Column("created_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        for column in ("opportunity_id", "customer_id", "territory"):
            batch_op.create_index(batch_op.f(f"ix_stage_events_{column}"), [column], unique=False)

    op.create_table(
        "stage_probabilities",
        sa.Column("stage", _text(20), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("updated_by", _text(36), nullable=False),
        sa.Column("updated_at", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("stage"),
    )


def downgrade() -> None:
    op.drop_table("stage_probabilities")
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        for column in ("territory", "customer_id", "opportunity_id"):
            batch_op.drop_index(batch_op.f(f"ix_stage_events_{column}"))
    op.drop_table("stage_events")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        for column in ("outcome", "stage", "territory", "owner_rep_id", "customer_id"):
            batch_op.drop_index(batch_op.f(f"ix_opportunities_{column}"))
    op.drop_table("opportunities")
