"""The table of scheduled jobs (server/jobs.py): one row per job, with the time it is next due."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ScheduledJob(SQLModel, table=True):
    __tablename__ = "scheduled_jobs"

    name: str = Field(primary_key=True, max_length=60)
    next_run_at: str = Field(max_length=40)
    last_run_at: str | None = Field(default=None, max_length=40)
    last_runner: str | None = Field(default=None, max_length=120)
