"""The applied-op register (idempotent pushes): the sync domain's table. Each phone's chain of ops is the
chain domain's (server/domains/chain/models.py); the change log, kept conflicts and refused ops, and the
tombstone horizon are the layer below the domains (server/changes/models.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class AppliedOp(SQLModel, table=True):
    """Every op applied, by (device_id, seq), with the exact result answered, so a re-sent push gets it again."""

    __tablename__ = "applied_ops"

    device_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    op_id: str = Field(max_length=36)
    user_id: str = Field(max_length=36)
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    applied_at: str = Field(max_length=40)
