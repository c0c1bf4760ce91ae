"""日报 / 周报: a rep's work report for a day or a week, and the supervisor's comment on it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel, UniqueConstraint


class WorkReport(SQLModel, table=True):
    __tablename__ = "work_reports"
    __table_args__ = (UniqueConstraint("rep_id", "period", "starts_on", name="uq_work_reports_rep_period_start"),)

    id: str = Field(primary_key=True, max_length=36)
    # Written on the phone (shared.records SCHEMAS[work_report]):
    period: str = Field(max_length=10)  # shared.enums.ReportPeriod
    starts_on: dt.date = Field(index=True)  # the day, or the week's Monday
    summary: str = Field(max_length=2000)
    next_focus: str | None = Field(default=None, max_length=1000)
    submitted_at: str = Field(max_length=40)  # the phone's clock, as shown to people
    # The server's:
    rep_id: str = Field(max_length=36, index=True)
    territory: str = Field(max_length=60, index=True)
    comment: str | None = Field(default=None, max_length=1000)  # the supervisor's (点评)
    commented_by: str | None = Field(default=None, max_length=36)
    commented_by_name: str | None = Field(default=None, max_length=100)
    commented_at: str | None = Field(default=None, max_length=40)
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)
