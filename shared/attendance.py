"""考勤 (attendance): a rep's working day from their punches, against the company's working hours.

A punch (record kind `attendance`) says the rep started (上班打卡) or ended (下班打卡) the working day, on the
phone's clock, where the phone was. Punches are append-only: each tap is a new record, never changed, so two
phones of one rep, or one phone offline for days, never conflict, and nothing a rep did is overwritten.

A rep-day is read from its punches (`attendance_day`), in the company's zone (the business day ends at the
company's midnight: a punch belongs to the local day of its time there):

- its start is the day's first start punch (a second tap later never makes a late rep on time), its end the
  day's last end punch after that start (an end tapped by mistake is corrected by ending again later);
- late: the start after the company's start of work (WORK_HOURS), to the minute (08:00:59 is on time,
  08:01 is one minute late); early: the end before the company's end of work, to the minute;
- no end: a past day started but never ended (a rep who forgot) says so; it is not "early", since nobody
  knows when the rep stopped, and it is never closed for them;
- visits outside the working day: visits checked in before the day's start or after its end;
- visits but no attendance: a day with visits and no start punch.

Pure functions over plain values, shared by the server (the supervisor's /attendance page) and the phone
(Today's 上班 / 下班 row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.enums import AttendanceAction, RecordKind
from shared.records import FieldError, validate_fields


def instant(value: object) -> dt.datetime | None:
    """An ISO 8601 time with its offset; None when absent, unreadable or without offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def punch_problems(fields: Mapping[str, object]) -> list[FieldError]:
    """A new punch's problems: its fields (shared.records), and a place given whole (lat with lng) or not at all."""
    errors = validate_fields(RecordKind.ATTENDANCE, fields, creating=True)
    has_lat, has_lng = fields.get("lat") is not None, fields.get("lng") is not None
    if has_lat != has_lng:
        errors.append(FieldError("lng" if has_lat else "lat", "a place needs both lat and lng"))
    if fields.get("accuracy") is not None and not has_lat:
        errors.append(FieldError("accuracy", "an accuracy needs a place (lat and lng)"))
    return errors


def punch_day(at: str, tz: ZoneInfo) -> dt.date:
    """The business day a punch belongs to: the local date of its time in the company's zone."""
    moment = instant(at)
    if moment is None:
        raise ValueError(f"not a time with an offset: {at!r}")
    return moment.astimezone(tz).date()


def _minute(moment: dt.datetime) -> dt.time:
    return moment.time().replace(second=0, microsecond=0, tzinfo=None)


def _minutes_between(early: dt.time, late: dt.time) -> int:
    return (late.hour * 60 + late.minute) - (early.hour * 60 + early.minute)


def late_minutes(started: dt.datetime, work_start: dt.time) -> int:
    """Minutes late (0: on time); `started` in the company's zone, to the minute."""
    return max(0, _minutes_between(work_start, _minute(started)))


def early_minutes(ended: dt.datetime, work_end: dt.time) -> int:
    """Minutes the day ended before the company's end of work (0: not early); to the minute."""
    return max(0, _minutes_between(_minute(ended), work_end))


@dataclass(frozen=True)
class AttendanceDay:
    """One rep's day as the punches and visits tell it; times in the company's zone."""

    day: dt.date
    work_start: dt.time
    work_end: dt.time
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    start_place: tuple[float, float] | None = None
    end_place: tuple[float, float] | None = None
    punches: int = 0
    visits: int = 0
    visits_outside: list[str] = field(default_factory=list)  # ids of visits outside the started day
    over: bool = True  # the day has passed (False: today, not ended yet is not a problem)

    @property
    def late_minutes(self) -> int:
        return 0 if self.started_at is None else late_minutes(self.started_at, self.work_start)

    @property
    def early_minutes(self) -> int:
        return 0 if self.ended_at is None else early_minutes(self.ended_at, self.work_end)

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def early(self) -> bool:
        return self.early_minutes > 0

    @property
    def no_end(self) -> bool:
        """A past day started and never ended (the rep forgot 下班打卡)."""
        return self.started_at is not None and self.ended_at is None and self.over

    @property
    def visits_without_attendance(self) -> bool:
        """Visits made on a day never started."""
        return self.visits > 0 and self.started_at is None

    @property
    def worked_minutes(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)


def _place(punch: Mapping[str, Any]) -> tuple[float, float] | None:
    lat, lng = punch.get("lat"), punch.get("lng")
    return (float(lat), float(lng)) if lat is not None and lng is not None else None


def attendance_day(
    day: dt.date,
    punches: Iterable[Mapping[str, Any]],
    visits: Iterable[Mapping[str, Any]],
    tz: ZoneInfo,
    work_hours: tuple[dt.time, dt.time],
    *,
    today: dt.date,
) -> AttendanceDay:
    """The rep's `day` from their punches and visits (each a dict of the record's fields; those of other
    days are left out here, by the company's zone); `today` in the company's zone."""
    starts: list[tuple[dt.datetime, Mapping[str, Any]]] = []
    ends: list[tuple[dt.datetime, Mapping[str, Any]]] = []
    count = 0
    for punch in punches:
        moment = instant(punch.get("at"))
        if moment is None or moment.astimezone(tz).date() != day:
            continue
        count += 1
        local = moment.astimezone(tz)
        (starts if punch.get("action") == AttendanceAction.START.value else ends).append((local, punch))
    first = min(starts, key=lambda item: item[0]) if starts else None
    later_ends = [item for item in ends if first is None or item[0] >= first[0]]
    last = max(later_ends, key=lambda item: item[0]) if later_ends else None
    started = first[0] if first else None
    ended = last[0] if last else None
    day_visits: list[tuple[str, dt.datetime]] = []
    for visit in visits:
        check_in = instant(visit.get("check_in_at"))
        if check_in is not None and check_in.astimezone(tz).date() == day:
            day_visits.append((str(visit.get("id")), check_in))
    outside = [
        visit_id
        for visit_id, check_in in sorted(day_visits, key=lambda item: item[1])
        if started is not None and (check_in < started or (ended is not None and check_in > ended))
    ]
    return AttendanceDay(
        day=day,
        work_start=work_hours[0],
        work_end=work_hours[1],
        started_at=started,
        ended_at=ended,
        start_place=_place(first[1]) if first else None,
        end_place=_place(last[1]) if last else None,
        punches=count,
        visits=len(day_visits),
        visits_outside=outside,
        over=day < today,
    )


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
