"""each phone's ops as a tamper-evident chain (issue #17): the phones' signing keys and the ops the server received

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0029"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Ops applied before this revision have no row: their visits show "no signed record".
    op.create_table(
        "op_chain",
        sa.Column("device_id", text(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op_id", text(36), nullable=False),
        sa.Column("user_id", text(36), nullable=False),
        sa.Column("kind", text(20), nullable=False),
        sa.Column("record_id", text(36), nullable=False),
        sa.Column("op", sa.JSON(), nullable=False),
        sa.Column("prev_hash", text(64), nullable=True),
        sa.Column("hash", text(64), nullable=True),
        sa.Column("signature", text(128), nullable=True),
        sa.Column("link", text(10), nullable=False),
        sa.Column("outcome", text(10), nullable=False),
        sa.Column("received_at", text(40), nullable=False),
        sa.Column("erased_at", text(40), nullable=True),
        sa.PrimaryKeyConstraint("device_id", "seq"),
    )
    with op.batch_alter_table("op_chain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_op_chain_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_op_chain_received_at"), ["received_at"], unique=False)
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", text(64), nullable=True))
        batch_op.add_column(sa.Column("signed_from_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_registered_at", text(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("key_registered_at")
        batch_op.drop_column("signed_from_seq")
        batch_op.drop_column("public_key")
    with op.batch_alter_table("op_chain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_op_chain_received_at"))
        batch_op.drop_index(batch_op.f("ix_op_chain_record_id"))
    op.drop_table("op_chain")
