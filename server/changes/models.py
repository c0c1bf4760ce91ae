"""The change log (pull cursors), what sync keeps instead of dropping (conflict losers, refused ops) and the
tombstone horizon (server/changes/tombstones.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class ChangeLog(SQLModel, table=True):
    """One row per record, at its latest change number `seq`.

    Each change of a record deletes its row and inserts a new one, so a pull returns every record once,
    in its current state. AUTOINCREMENT on SQLite so a number is never reused after the newest row goes.

    `audience` says who may pull the row: the territory name for customers, visits and notes (every rep
    of the territory), and "rep:<user id>" for a route plan (only the rep it plans).
    """

    __tablename__ = "change_log"
    __table_args__ = (
        UniqueConstraint("kind", "record_id", name="uq_change_log_record"),
        Index("ix_change_log_audience_seq", "audience", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    record_id: str = Field(max_length=36)
    audience: str = Field(max_length=80)
    territory: str = Field(max_length=60)
    deleted: bool = False
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    changed_at: str = Field(max_length=40)


class FieldConflict(SQLModel, table=True):
    """Concurrent edits of one field of a record: the value kept and the value that lost, both kept here.

    Devices of the territory receive these (kind "conflict") so the rep sees what happened to their edit;
    supervisors see them in the review queue.
    """

    __tablename__ = "conflicts"

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    record_id: str = Field(max_length=36, index=True)
    field: str = Field(max_length=40)
    kept_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    lost_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    kept_clock: str = Field(max_length=120)
    lost_clock: str | None = Field(default=None, max_length=120)
    lost_by_user_id: str | None = Field(default=None, max_length=36)  # None: the loser was on the server
    op_id: str = Field(max_length=36)
    device_id: str = Field(max_length=64)
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)
    reviewed: bool = False


class SyncHorizon(SQLModel, table=True):
    """The newest change number the change log has forgotten: cursors below it must resync fully."""

    __tablename__ = "sync_horizon"

    name: str = Field(primary_key=True, max_length=40)
    seq: int = 0


class RejectedOp(SQLModel, table=True):
    """An op refused for good (invalid, forbidden, conflicting): the rep keeps it as a draft on the phone,
    and it is kept here, with the reason, for a supervisor to see."""

    __tablename__ = "rejected_ops"

    device_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    op_id: str = Field(max_length=36)
    user_id: str = Field(max_length=36, index=True)
    territory: str | None = Field(default=None, max_length=60)
    op: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    code: str = Field(max_length=40)
    message: str = Field(max_length=500)
    path: str | None = Field(default=None, max_length=200)
    rejected_at: str = Field(max_length=40)
    # A supervisor looked at it (from the queue): it leaves the open queue, the review page keeps it.
    reviewed_at: str | None = Field(default=None, max_length=40)
    reviewed_by: str | None = Field(default=None, max_length=36)
    review_comment: str | None = Field(default=None, max_length=500)
