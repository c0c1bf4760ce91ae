"""The company's holiday list (节日), kept by admins on the server and received read-only by every phone."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CompanyHoliday(SQLModel, table=True):
    """One holiday: on one date (`day`, e.g. a lunar festival's day this year) or every year (`month_day`)."""

    __tablename__ = "company_holidays"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=40)
    day: str | None = Field(default=None, max_length=10)  # YYYY-MM-DD
    month_day: str | None = Field(default=None, max_length=5)  # MM-DD, every year
    note: str | None = Field(default=None, max_length=200)  # e.g. "send greetings to key persons"
    updated_at: str = Field(max_length=40)
