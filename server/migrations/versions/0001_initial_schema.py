"""initial schema: the tables create_all made before there were migrations

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:23:58.238005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_ops",
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq"),
    )
    op.create_table(
        "change_log",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("kind", "record_id", name="uq_change_log_record"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index("ix_change_log_audience_seq", ["audience", "seq"], unique=False)

    op.create_table(
        "customers",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("importance", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("contact_person", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("owner_rep_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_owner_rep_id"), ["owner_rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_territory"), ["territory"], unique=False)

    op.create_table(
        "notes",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_territory"), ["territory"], unique=False)

    op.create_table(
        "route_plans",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("rep_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("customer_ids", sa.JSON(), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "day", name="uq_route_plans_rep_day"),
    )
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_plans_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_plans_rep_id"), ["rep_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_username"), ["username"], unique=True)

    op.create_table(
        "visits",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("visit_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("check_in_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("check_in_lat", sa.Float(), nullable=True),
        sa.Column("check_in_lng", sa.Float(), nullable=True),
        sa.Column("check_in_accuracy", sa.Float(), nullable=True),
        sa.Column("check_out_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("check_out_lat", sa.Float(), nullable=True),
        sa.Column("check_out_lng", sa.Float(), nullable=True),
        sa.Column("person_met", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("attitude", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("progress", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.Column("order_amount", sa.Float(), nullable=True),
        sa.Column("next_visit_date", sa.Date(), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("rep_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("visit_day", sa.Date(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_territory"), ["territory"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_visit_day"), ["visit_day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_visit_day"))
        batch_op.drop_index(batch_op.f("ix_visits_territory"))
        batch_op.drop_index(batch_op.f("ix_visits_rep_id"))
        batch_op.drop_index(batch_op.f("ix_visits_customer_id"))

    op.drop_table("visits")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username"))

    op.drop_table("users")
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_plans_rep_id"))
        batch_op.drop_index(batch_op.f("ix_route_plans_day"))

    op.drop_table("route_plans")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_territory"))
        batch_op.drop_index(batch_op.f("ix_notes_customer_id"))

    op.drop_table("notes")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_territory"))
        batch_op.drop_index(batch_op.f("ix_customers_owner_rep_id"))
        batch_op.drop_index(batch_op.f("ix_customers_name"))

    op.drop_table("customers")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index("ix_change_log_audience_seq")

    op.drop_table("change_log")
    op.drop_table("applied_ops")
