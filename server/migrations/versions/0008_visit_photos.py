"""visit photos: the metadata record, the chunks of uploads in progress, the complete photos with thumbnails

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_photos",
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("rep_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_photos_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_photos_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_photos_territory"), ["territory"], unique=False)
    op.create_table(
        "visit_photo_chunks",
        sa.Column("photo_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("photo_id", "start"),
    )
    op.create_table(
        "visit_photo_contents",
        sa.Column("photo_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("photo_id"),
    )


def downgrade() -> None:
    op.drop_table("visit_photo_contents")
    op.drop_table("visit_photo_chunks")
    with op.batch_alter_table("visit_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_photos_territory"))
        batch_op.drop_index(batch_op.f("ix_visit_photos_visit_id"))
        batch_op.drop_index(batch_op.f("ix_visit_photos_customer_id"))
    op.drop_table("visit_photos")
