"""The supervisor's 考勤 page: each rep of the team, day by day over a range (this week by default): start, end,
late or early against the company's working hours, visits outside the working day, days with visits but no
attendance; each day links to the rep's day page. Everything shown comes from
server/domains/attendance/service.py."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Template

from server.clock import today
from server.dependencies import AppSettings, CurrentActor, ReadSession, api_dependencies
from server.domains.attendance.service import attendance_territory, team_attendance, week_of
from server.domains.reports.service import territories
from server.domains.teams import team_of
from server.errors import DomainError
from server.web.pages import WebRequest, page, supervisors_only


def _date(value: str | None, default: dt.date, name: str) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{name} must look like 2026-11-27", path=name, key="web.error.bad_day") from None


class AttendancePages(Controller):
    path = "/attendance"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("", sync_to_thread=True)
    def attendance(
        self,
        request: WebRequest,
        settings: AppSettings,
        actor: CurrentActor,
        session: ReadSession,
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
        territory: FromQuery[str | None] = None,
    ) -> Template:
        now = today(settings.tz)
        monday, sunday = week_of(now)
        first = _date(start, monday, "start")
        last = _date(end, first + dt.timedelta(days=6) if start else sunday, "end")
        shown = attendance_territory(actor, territory or None)
        team = team_attendance(
            session, actor, first, last, settings.tz, settings.work_hours, today=now, territory=shown
        )
        names = [] if team_of(actor) else territories(session)
        span = (last - first).days + 1
        return page(
            request,
            "attendance.html",
            team=team,
            territory=shown or "",
            territories=names,
            previous=(first - dt.timedelta(days=span), last - dt.timedelta(days=span)),
            following=(first + dt.timedelta(days=span), last + dt.timedelta(days=span)),
            zone=settings.timezone,
            today=now,
        )
