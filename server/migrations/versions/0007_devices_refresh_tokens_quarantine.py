"""devices, sign-in sessions with rotating refresh tokens, quarantined ops of revoked phones

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Tokens issued before this migration name no session: they stop working, and phones sign in again
    # (their unsent work is kept on the phone).
    op.create_table(
        "auth_sessions",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("user_id", _text(36), nullable=False),
        sa.Column("device_id", _text(64), nullable=True),
        sa.Column("kind", _text(10), nullable=False),
        sa.Column("created_at", _text(40), nullable=False),
        sa.Column("expires_at", _text(40), nullable=False),
        sa.Column("revoked_at", _text(40), nullable=True),
        sa.Column("revoked_reason", _text(40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", _text(64), nullable=False),
        sa.Column("session_id", _text(36), nullable=False),
        sa.Column("issued_at", _text(40), nullable=False),
        sa.Column("used_at", _text(40), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_tokens_session_id"), ["session_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", _text(64), nullable=False),
        sa.Column("user_id", _text(36), nullable=False),
        sa.Column("name", _text(100), nullable=True),
        sa.Column("platform", _text(40), nullable=True),
        sa.Column("registered_at", _text(40), nullable=False),
        sa.Column("last_seen_at", _text(40), nullable=False),
        sa.Column("revoked_at", _text(40), nullable=True),
        sa.Column("revoked_by", _text(36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "quarantined_ops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", _text(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op_id", _text(36), nullable=False),
        sa.Column("user_id", _text(36), nullable=False),
        sa.Column("op", sa.JSON(), nullable=False),
        sa.Column("received_at", _text(40), nullable=False),
        sa.Column("status", _text(10), nullable=False),
        sa.Column("decided_at", _text(40), nullable=True),
        sa.Column("decided_by", _text(36), nullable=True),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "seq", name="uq_quarantined_ops_device_seq"),
    )
    with op.batch_alter_table("quarantined_ops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantined_ops_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_quarantined_ops_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("quarantined_ops", ["ix_quarantined_ops_user_id", "ix_quarantined_ops_status"]),
        ("devices", ["ix_devices_user_id"]),
        ("refresh_tokens", ["ix_refresh_tokens_session_id"]),
        ("auth_sessions", ["ix_auth_sessions_user_id", "ix_auth_sessions_device_id"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
