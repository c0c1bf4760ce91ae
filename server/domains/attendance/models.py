from __future__ import annotations

import datetime as dt

from sqlmodel import Field, Index, SQLModel


class AttendancePunch(SQLModel, table=True):
    """考勤打卡: one tap of 上班 or 下班 on a rep's phone; never changed (shared/attendance.py)."""

    __tablename__ = "attendance_punches"
    # The /attendance page and the rep's day read a range of days for a team's reps.
    __table_args__ = (Index("ix_attendance_punches_rep_id_day", "rep_id", "day"),)

    id: str = Field(primary_key=True, max_length=36)
    # Written on the phone (shared.records SCHEMAS[attendance]):
    action: str = Field(max_length=10)  # shared.enums.AttendanceAction
    at: str = Field(max_length=40)  # the phone's clock, with its offset
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None
    # The server's:
    day: dt.date  # the business day of `at` in the company's zone (shared.attendance.punch_day)
    rep_id: str = Field(max_length=36)
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)  # when it reached the server: a punch sent days late shows it
