"""考勤 rules at their boundaries (shared/attendance.py): on time, one minute late, the company's midnight, no end."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.attendance import attendance_day, early_minutes, late_minutes, punch_day, punch_problems
from shared.ids import new_id

TZ = ZoneInfo("Asia/Shanghai")
HOURS = (dt.time(8, 0), dt.time(18, 0))
DAY = dt.date(2026, 12, 7)
TODAY = dt.date(2026, 12, 9)


def punch(action: str, at: str, **place: float) -> dict[str, Any]:
    return {"id": new_id(), "action": action, "at": at, **place}


def visit(check_in: str) -> dict[str, Any]:
    return {"id": new_id(), "check_in_at": check_in}


def day_of(punches: list[dict[str, Any]], visits: list[dict[str, Any]] = [], today: dt.date = TODAY) -> Any:  # noqa: B006
    return attendance_day(DAY, punches, visits, TZ, HOURS, today=today)


@pytest.mark.parametrize(
    ("at", "late"),
    [
        ("2026-12-07T07:59:59+08:00", 0),
        ("2026-12-07T08:00:00+08:00", 0),  # exactly on time
        ("2026-12-07T08:00:59+08:00", 0),  # to the minute: still 08:00
        ("2026-12-07T08:01:00+08:00", 1),  # late by one minute
        ("2026-12-07T00:31:00+00:00", 31),  # a phone in another zone: 08:31 in the company's
    ],
)
def test_late_is_counted_to_the_minute_in_the_companys_zone(at: str, late: int) -> None:
    day = day_of([punch("start", at)])
    assert day.late_minutes == late
    assert day.late is (late > 0)


@pytest.mark.parametrize(
    ("at", "early"),
    [
        ("2026-12-07T17:59:00+08:00", 1),  # early by one minute
        ("2026-12-07T17:59:59+08:00", 1),
        ("2026-12-07T18:00:00+08:00", 0),  # exactly on time
        ("2026-12-07T21:00:00+08:00", 0),
    ],
)
def test_early_is_counted_to_the_minute(at: str, early: int) -> None:
    day = day_of([punch("start", "2026-12-07T08:00:00+08:00"), punch("end", at)])
    assert day.early_minutes == early
    assert early_minutes(dt.datetime.fromisoformat(at), dt.time(18, 0)) == early


def test_the_day_ends_at_the_companys_midnight() -> None:
    assert punch_day("2026-12-07T23:59:59+08:00", TZ) == DAY
    assert punch_day("2026-12-08T00:00:00+08:00", TZ) == DAY + dt.timedelta(days=1)
    assert punch_day("2026-12-07T16:00:00+00:00", TZ) == DAY + dt.timedelta(days=1)  # 00:00 in Shanghai
    start = punch("start", "2026-12-07T08:00:00+08:00")
    late_end = punch("end", "2026-12-08T00:00:00+08:00")  # after midnight: the next day's
    day = day_of([start, late_end])
    assert day.ended_at is None and day.no_end
    assert day.punches == 1
    before_midnight = day_of([start, punch("end", "2026-12-07T23:59:59+08:00")])
    assert before_midnight.ended_at is not None and not before_midnight.no_end


def test_no_end_recorded_on_a_past_day_is_said_but_not_early() -> None:
    day = day_of([punch("start", "2026-12-07T08:00:00+08:00")])
    assert day.no_end
    assert not day.early and day.early_minutes == 0
    assert day.worked_minutes is None


def test_today_not_ended_yet_is_no_problem() -> None:
    day = day_of([punch("start", "2026-12-07T08:00:00+08:00")], today=DAY)
    assert not day.no_end


def test_first_start_and_last_end_count_whatever_order_they_arrive() -> None:
    punches = [
        punch("end", "2026-12-07T17:00:00+08:00"),  # ended by mistake, then again later
        punch("start", "2026-12-07T08:20:00+08:00"),  # a second phone's later start
        punch("start", "2026-12-07T08:05:00+08:00", lat=31.2, lng=121.4),
        punch("end", "2026-12-07T18:30:00+08:00"),
        punch("end", "2026-12-07T07:00:00+08:00"),  # before the start: not the day's end
    ]
    day = day_of(punches)
    assert day.started_at == dt.datetime(2026, 12, 7, 8, 5, tzinfo=TZ)
    assert day.ended_at == dt.datetime(2026, 12, 7, 18, 30, tzinfo=TZ)
    assert day.late_minutes == 5 and not day.early
    assert day.start_place == (31.2, 121.4)
    assert day.worked_minutes == 625
    assert day_of(list(reversed(punches))) == day


def test_visits_outside_the_working_day_and_visits_without_attendance() -> None:
    before, inside, after = (
        visit("2026-12-07T07:40:00+08:00"),
        visit("2026-12-07T10:00:00+08:00"),
        visit("2026-12-07T19:00:00+08:00"),
    )
    other_day = visit("2026-12-08T10:00:00+08:00")
    started = [punch("start", "2026-12-07T08:00:00+08:00"), punch("end", "2026-12-07T18:00:00+08:00")]
    day = day_of(started, [after, inside, before, other_day])
    assert day.visits == 3
    assert day.visits_outside == [before["id"], after["id"]]
    assert not day.visits_without_attendance
    only_started = day_of(started[:1], [before, inside, after])
    assert only_started.visits_outside == [before["id"]]  # not ended: nothing after counts as outside
    nobody = day_of([], [inside])
    assert nobody.visits_without_attendance and nobody.visits_outside == []
    assert not day_of([], []).visits_without_attendance


def test_late_minutes_direct() -> None:
    assert late_minutes(dt.datetime(2026, 12, 7, 9, 30, tzinfo=TZ), dt.time(8, 0)) == 90


def test_punch_problems_name_the_field() -> None:
    good = {"action": "start", "at": "2026-12-07T08:00:00+08:00", "lat": 31.2, "lng": 121.4, "accuracy": 12.0}
    assert punch_problems(good) == []
    assert punch_problems({"action": "start", "at": "2026-12-07T08:00:00+08:00"}) == []
    fields = [error.field for error in punch_problems({"action": "lunch", "at": "2026-12-07T08:00:00"})]
    assert fields == ["action", "at"]
    assert [e.field for e in punch_problems({**good, "lng": None})] == ["lng"]
    assert [e.field for e in punch_problems({"action": "end", "at": good["at"], "accuracy": 5.0})] == ["accuracy"]
    assert [e.field for e in punch_problems({**good, "lat": 91})] == ["lat"]
