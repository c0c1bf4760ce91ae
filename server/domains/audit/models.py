"""The audit log: who did what, when, from where. Written in the same transaction as what it records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(max_length=40, index=True)
    action: str = Field(max_length=40, index=True)  # e.g. sign_in, sign_in_failed, sign_in_locked
    actor_id: str | None = Field(default=None, max_length=36)
    actor_name: str | None = Field(default=None, max_length=60)  # as typed, for failed sign-ins
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
