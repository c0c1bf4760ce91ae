"""考勤 (attendance): reps' punches as phones push them, and each rep's days read from them against the
company's working hours (WORK_HOURS, in TIMEZONE) for the supervisor's /attendance page, the rep's day page
and the dashboard's count. The rules are shared/attendance.py's; docs/attendance.md says why punches are
append-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data, rep_audience
from server.clock import now_iso, utc_now
from server.domains.access import refuse_problems, remember
from server.domains.append_only import AppendOnly
from server.domains.attendance.models import AttendancePunch
from server.domains.teams import team_of
from server.domains.users.models import User
from server.domains.users.service import list_reps
from server.domains.visits.models import Visit
from server.errors import Forbidden, ValidationFailed
from shared.attendance import AttendanceDay, attendance_day, days_between, instant, punch_day, punch_problems
from shared.enums import RecordKind

# A punch dated further ahead than this of the server's clock is refused: the phone's clock is wrong, and a
# start "tomorrow" would make a day nobody worked. Behind is kept (a phone offline for days sends late).
MAX_AHEAD = dt.timedelta(hours=1)
# The longest range /attendance reads at once.
MAX_RANGE_DAYS = 62

PUNCHES = AppendOnly(
    RecordKind.ATTENDANCE,
    AttendancePunch,
    message="a punch never changes once made: punch again instead (the day's first start and last end count)",
    reason="punch_is_final",
)


def put_punch(
    session: Session,
    actor: Actor,
    punch_id: str,
    fields: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    path: str = "attendance",
) -> AttendancePunch:
    """A rep's 上班 / 下班 punch as the phone pushed it; the same punch sent again changes nothing.

    Refused, nothing stored: a writer who is not a rep, or another rep's punch id (403); bad fields, a place
    without lat or lng, or a time more than an hour ahead of the server's clock (422 naming the field); the
    same id with other values (409 `punch_is_final`)."""
    if not actor.is_rep:
        raise Forbidden("only reps punch in and out", path=path)
    existing = PUNCHES.existing(session, punch_id, fields, path=path)
    if existing is not None:
        if existing.rep_id != actor.id:
            raise Forbidden("this punch is another rep's", path=path)
        return existing
    refuse_problems(punch_problems(fields), f"{path}.fields")
    at = str(fields["at"])
    moment = instant(at)
    if moment is not None and moment - utc_now() > MAX_AHEAD:
        raise ValidationFailed(
            "at is ahead of the server's clock: check the phone's time",
            path=f"{path}.fields.at",
            details={"reason": "punch_in_future"},
        )
    punch = AttendancePunch(
        id=punch_id,
        action=str(fields["action"]),
        at=at,
        lat=fields.get("lat"),
        lng=fields.get("lng"),
        accuracy=fields.get("accuracy"),
        day=punch_day(at, tz),
        rep_id=actor.id,
        territory=actor.territory or "",
        created_at=now_iso(),
    )
    session.add(punch)
    remember(session, punch)
    # Back to the rep's own phones only (a second phone shows the day started on the first).
    record_change(
        session,
        RecordKind.ATTENDANCE,
        punch.id,
        audience=rep_audience(punch.rep_id),
        territory=punch.territory,
        data=record_data(punch),
    )
    return punch


# ---- reading ------------------------------------------------------------------------------------------


def attendance_territory(actor: Actor, territory: str | None) -> str | None:
    """The territory whose attendance the actor reads: a team's supervisor that team (another is refused),
    others the one asked for, or every territory (None)."""
    if actor.is_rep:
        raise Forbidden("reps see their attendance on the phone", path="territory")
    team = team_of(actor)
    if team is not None and territory and territory != team:
        raise Forbidden(f"you see your own territory ({team}) only", path="territory")
    return team or territory or None


def check_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed("the range ends before it starts", path="end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(f"at most {MAX_RANGE_DAYS} days at once", path="end")


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday-to-Sunday week containing `day`: the page's default range."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _punches(session: Session, rep_ids: Sequence[str], start: dt.date, end: dt.date) -> list[AttendancePunch]:
    if not rep_ids:
        return []
    # A day before and after: a punch's stored day is the zone's when it came; rules re-read it by `at`.
    query = select(AttendancePunch).where(
        col(AttendancePunch.rep_id).in_(rep_ids),
        col(AttendancePunch.day) >= start - dt.timedelta(days=1),
        col(AttendancePunch.day) <= end + dt.timedelta(days=1),
    )
    return list(session.exec(query).all())


def _visits(session: Session, rep_ids: Sequence[str], start: dt.date, end: dt.date) -> list[tuple[str, str, str]]:
    """(rep id, visit id, check-in) of the reps' visits of the range's days."""
    if not rep_ids:
        return []
    query = select(Visit.rep_id, Visit.id, Visit.check_in_at).where(
        col(Visit.rep_id).in_(rep_ids),
        col(Visit.visit_day) >= start,
        col(Visit.visit_day) <= end,
    )
    return [(str(rep), str(visit), str(check_in)) for rep, visit, check_in in session.exec(query).all()]


def _days_of_reps(
    session: Session,
    rep_ids: Sequence[str],
    days: Sequence[dt.date],
    tz: ZoneInfo,
    work_hours: tuple[dt.time, dt.time],
    today: dt.date,
) -> dict[str, list[AttendanceDay]]:
    if not days:
        return {rep_id: [] for rep_id in rep_ids}
    punches: dict[str, list[dict[str, Any]]] = {rep_id: [] for rep_id in rep_ids}
    for punch in _punches(session, rep_ids, days[0], days[-1]):
        punches[punch.rep_id].append({"action": punch.action, "at": punch.at, "lat": punch.lat, "lng": punch.lng})
    visits: dict[str, list[dict[str, Any]]] = {rep_id: [] for rep_id in rep_ids}
    for rep_id, visit_id, check_in in _visits(session, rep_ids, days[0], days[-1]):
        visits[rep_id].append({"id": visit_id, "check_in_at": check_in})
    return {
        rep_id: [attendance_day(day, punches[rep_id], visits[rep_id], tz, work_hours, today=today) for day in days]
        for rep_id in rep_ids
    }


@dataclass(frozen=True)
class RepAttendance:
    """One rep's days of the range, and their counts."""

    rep: User
    days: list[AttendanceDay]

    @property
    def started(self) -> int:
        return sum(1 for day in self.days if day.started_at is not None)

    @property
    def late(self) -> int:
        return sum(1 for day in self.days if day.late)

    @property
    def early(self) -> int:
        return sum(1 for day in self.days if day.early)

    @property
    def no_end(self) -> int:
        return sum(1 for day in self.days if day.no_end)

    @property
    def visits_outside(self) -> int:
        return sum(len(day.visits_outside) for day in self.days)

    @property
    def without_attendance(self) -> int:
        return sum(1 for day in self.days if day.visits_without_attendance)


@dataclass(frozen=True)
class TeamAttendance:
    start: dt.date
    end: dt.date
    days: list[dt.date]  # the range's days up to today (later ones have nothing to say yet)
    rows: list[RepAttendance]
    work_hours: tuple[dt.time, dt.time]


def team_attendance(
    session: Session,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    work_hours: tuple[dt.time, dt.time],
    *,
    today: dt.date,
    territory: str | None = None,
) -> TeamAttendance:
    """Each active rep of the actor's team (or the territory asked for), day by day over start..end."""
    check_range(start, end)
    reps = list_reps(session, attendance_territory(actor, territory))
    days = [day for day in days_between(start, end) if day <= today]
    by_rep = _days_of_reps(session, [rep.id for rep in reps], days, tz, work_hours, today)
    rows = [RepAttendance(rep, by_rep[rep.id]) for rep in reps]
    return TeamAttendance(start=start, end=end, days=days, rows=rows, work_hours=work_hours)


def attendance_of_reps(
    session: Session,
    rep_ids: Sequence[str],
    day: dt.date,
    tz: ZoneInfo,
    work_hours: tuple[dt.time, dt.time],
    *,
    today: dt.date,
) -> dict[str, AttendanceDay]:
    """Each rep's `day` (the 日报 page's line per rep); the caller has scoped the reps."""
    return {rep_id: days[0] for rep_id, days in _days_of_reps(session, rep_ids, [day], tz, work_hours, today).items()}


def rep_attendance_day(
    session: Session, rep: User, day: dt.date, tz: ZoneInfo, work_hours: tuple[dt.time, dt.time], *, today: dt.date
) -> AttendanceDay:
    """One rep's day (the rep's day page); the caller has checked the actor sees the rep."""
    return _days_of_reps(session, [rep.id], [day], tz, work_hours, today)[rep.id][0]


@dataclass(frozen=True)
class AttendanceToday:
    """The dashboard's count: of the reps in scope, how many started today and how many of them late."""

    reps: int
    started: int
    late: int


def attendance_today(
    session: Session, reps: Iterable[User], tz: ZoneInfo, work_hours: tuple[dt.time, dt.time], *, today: dt.date
) -> AttendanceToday:
    ids = [rep.id for rep in reps]
    days = _days_of_reps(session, ids, [today], tz, work_hours, today)
    started = [one[0] for one in days.values() if one[0].started_at is not None]
    return AttendanceToday(reps=len(ids), started=len(started), late=sum(1 for day in started if day.late))
