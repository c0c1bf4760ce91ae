"""Phones known to the server, and the ops a revoked phone pushed (held in quarantine for an admin)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class Device(SQLModel, table=True):
    """One install of the app: its id is the `device_id` the phone made for itself (LocalStore meta) and
    sends when signing in. `user_id` is the rep who signed in on it last."""

    __tablename__ = "devices"

    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=36, index=True)
    name: str | None = Field(default=None, max_length=100)
    platform: str | None = Field(default=None, max_length=40)
    registered_at: str = Field(max_length=40)
    last_seen_at: str = Field(max_length=40)  # the last sign-in or token refresh (not every request)
    revoked_at: str | None = Field(default=None, max_length=40)
    revoked_by: str | None = Field(default=None, max_length=36)
    # The phone's signing key (sync/chain.py), registered once, at its sign-in or first push, and never replaced:
    # its ops from `signed_from_seq` on must be signed with it.
    public_key: str | None = Field(default=None, max_length=64)
    signed_from_seq: int | None = None
    key_registered_at: str | None = Field(default=None, max_length=40)
    # How far the phone's clock is from the server's, as the phone last measured it (seconds, the server's time
    # minus the phone's; 0: right within 30 s) and when the server last heard it (a sync request's header,
    # sync/protocol.py CLOCK_OFFSET_HEADER). None: the phone never said (an app from before, or not yet measured).
    clock_offset_s: int | None = None
    clock_offset_at: str | None = Field(default=None, max_length=40)


class QuarantinedOp(SQLModel, table=True):
    """An op pushed by a revoked phone: received and kept, never applied until an admin accepts it.

    `status`: "pending", then "accepted" (applied through the normal push path, as its user and device,
    exactly once) or "dropped". One row per (device_id, seq), so a re-sent push is not kept twice."""

    __tablename__ = "quarantined_ops"
    __table_args__ = (UniqueConstraint("device_id", "seq", name="uq_quarantined_ops_device_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(max_length=64)
    seq: int
    op_id: str = Field(max_length=36)
    user_id: str = Field(max_length=36, index=True)
    op: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: str = Field(max_length=40)
    status: str = Field(default="pending", max_length=10, index=True)
    decided_at: str | None = Field(default=None, max_length=40)
    decided_by: str | None = Field(default=None, max_length=36)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
