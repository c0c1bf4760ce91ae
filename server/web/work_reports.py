"""The supervisor's 日报 / 周报 pages: the team's reports of a day or week with the server's figures (never the
phone's), a comment on each (reaching the rep's phone at its next sync), who has not submitted on which day of
the week, and the leaderboards (排行榜) per period and territory."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from server.clock import today
from server.db import write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.attendance.service import attendance_of_reps
from server.domains.reports.period import PeriodKind
from server.domains.reports.service import territories
from server.domains.teams import team_of
from server.domains.work_reports.service import (
    LEADERBOARD_MEASURES,
    LEADERBOARD_PERIODS,
    comment_on_report,
    leaderboard,
    team_reports,
    team_territory,
)
from server.errors import ValidationFailed
from server.web.pages import WebRequest, page, parse_day, supervisors_only
from shared.enums import ReportPeriod
from shared.rates import format_rate


def report_period(value: str | None) -> ReportPeriod:
    try:
        return ReportPeriod(value or ReportPeriod.DAY.value)
    except ValueError:
        raise ValidationFailed("period must be day or week", path="period") from None


def board_period(value: str | None) -> PeriodKind:
    try:
        kind = PeriodKind(value or PeriodKind.WEEK.value)
    except ValueError:
        kind = PeriodKind.LAST_7_DAYS
    if kind not in LEADERBOARD_PERIODS:
        raise ValidationFailed("period must be day, week or month", path="period")
    return kind


def step(period: ReportPeriod, day: dt.date, direction: int) -> dt.date:
    return day + dt.timedelta(days=direction * (7 if period is ReportPeriod.WEEK else 1))


class WorkReportPages(Controller):
    path = "/reports"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("", sync_to_thread=True)
    def reports(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        period: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
        territory: FromQuery[str | None] = None,
        saved: FromQuery[bool] = False,
    ) -> Template:
        kind, chosen = report_period(period), parse_day(day, settings)
        tz, now = settings.tz, today(settings.tz)
        team = team_reports(session, request.user, kind, chosen, tz, today=now, territory=territory)
        attendance = (  # a day report: the rep's 考勤 of that day beside it
            attendance_of_reps(session, [row.rep.id for row in team.rows], chosen, tz, settings.work_hours, today=now)
            if kind is ReportPeriod.DAY
            else {}
        )
        names = {} if team_of(request.user) else {"territories": territories(session)}
        return page(
            request,
            "work_reports.html",
            team=team,
            period=kind.value,
            day=chosen,
            previous=step(kind, chosen, -1),
            following=step(kind, chosen, 1),
            territory=team_territory(request.user, territory) or "",
            territories=names.get("territories", []),
            rate=format_rate,
            saved=saved,
            today=now,
            attendance=attendance,
        )

    @post("/{report_id:str}/comment", sync_to_thread=True)
    def comment(
        self,
        request: WebRequest,
        engine: DatabaseEngine,
        report_id: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        with write_session(engine) as session:
            report = comment_on_report(session, request.user, report_id, str(data.get("comment") or ""))
            period, day = report.period, report.starts_on.isoformat()
        query = {"period": period, "day": day, "saved": "1"}
        if data.get("territory"):
            query["territory"] = str(data["territory"])
        return Redirect(f"/reports?{urlencode(query)}#report-{report_id}", status_code=303)

    @get("/leaderboard", sync_to_thread=True)
    def leaderboard(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        period: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
        territory: FromQuery[str | None] = None,
    ) -> Template:
        kind, chosen = board_period(period), parse_day(day, settings)
        tz, now = settings.tz, today(settings.tz)
        shown = team_territory(request.user, territory)
        board = leaderboard(session, shown, kind, chosen, tz, today=now)
        names = [] if team_of(request.user) else territories(session)
        return page(
            request,
            "leaderboard.html",
            board=board,
            measures=LEADERBOARD_MEASURES,
            periods=[kind_.value for kind_ in LEADERBOARD_PERIODS],
            period=kind.value,
            day=chosen,
            previous=board.period.previous().start,
            following=board.period.next().start,
            territory=shown or "",
            territories=names,
            rate=format_rate,
        )
