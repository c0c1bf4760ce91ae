"""One row every server process writes when asked whether it is healthy: proof that the database takes a write."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class HealthHeartbeat(SQLModel, table=True):
    """`id` is always 1; `beat_at` is when a health check last wrote it (and which process did)."""

    __tablename__ = "health_heartbeat"

    id: int = Field(primary_key=True)
    beat_at: str = Field(max_length=40)
    beat_by: str | None = Field(default=None, max_length=120)
