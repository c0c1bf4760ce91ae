"""Complaint / feedback (客户反馈与投诉): received on a visit or by the office, answered fast, followed up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class ComplaintBase(SQLModel):
    customer_id: str = Field(max_length=36, index=True)
    visit_id: str | None = Field(default=None, max_length=36)
    category: str = Field(max_length=20)  # shared.enums.ComplaintCategory
    severity: str = Field(max_length=10)  # shared.enums.Severity
    description: str = Field(max_length=2000)
    status: str = Field(default="received", max_length=20, index=True)  # shared.enums.ComplaintStatus
    solution: str | None = Field(default=None, max_length=2000)
    received_at: str = Field(max_length=40)  # ISO 8601 with offset, as the device recorded it


class Complaint(ComplaintBase, table=True):
    __tablename__ = "complaints"

    id: str = Field(primary_key=True, max_length=36)
    territory: str = Field(max_length=60, index=True)
    reported_by: str = Field(max_length=36)
    # When the status first reached each step (server time): the response and resolution timers.
    responded_at: str | None = Field(default=None, max_length=40)
    resolved_at: str | None = Field(default=None, max_length=40)
    confirmed_at: str | None = Field(default=None, max_length=40)
    updated_at: str = Field(max_length=40)
    field_clocks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))


class ComplaintStep(SQLModel, table=True):
    """A complaint moved to a step, with its note and time: never changed, never deleted (shared/complaints.py)."""

    __tablename__ = "complaint_steps"

    id: str = Field(primary_key=True, max_length=36)
    complaint_id: str = Field(max_length=36, index=True)
    customer_id: str = Field(max_length=36, index=True)
    status: str = Field(max_length=20)  # shared.enums.ComplaintStatus, past received
    note: str | None = Field(default=None, max_length=2000)
    at: str = Field(max_length=40)  # the device's time, shown to people
    clock: str = Field(max_length=120)  # the edit's hybrid logical clock: orders the history
    author_id: str = Field(max_length=36)  # who recorded it (a rep, or a supervisor)
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)
