"""The supervisor's dashboard (a period's figures for a team or a rep) and a rep's day with its map.

The trend charts are drawn with ECharts and the day's map with Leaflet (vendored under assets/web/vendor/,
served from /static: nothing from the internet; map tiles only from MAP_TILE_URL when it is set), from data
the page carries (server/web/chart_data.py). Without JavaScript the page shows the same charts and map as
inline SVG drawn by the server (server/domains/reports/charts.py). Numbers and dates are formatted for the
page's language (`Formats`).
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from server.clock import now_in, today
from server.dependencies import AppSettings, ReadSession, api_dependencies
from server.domains.approvals.service import pending_count
from server.domains.attendance.service import attendance_today, rep_attendance_day
from server.domains.chain.service import visit_signatures
from server.domains.development.service import lifecycle_rules
from server.domains.reports.charts import DayMap, Place, day_map
from server.domains.reports.formats import Formats
from server.domains.reports.period import PeriodKind, period_of
from server.domains.reports.rep_day import RepDay, rep_day
from server.domains.reports.service import dashboard, find_rep, reps_in, resolve_scope, territories, visible_territory
from server.domains.routes.ordering import km_per_rep, planned_against_travelled
from server.domains.users.service import list_reps
from server.domains.visits.service import flagged_per_rep
from server.errors import DomainError, Forbidden, NotFound, ValidationFailed
from server.settings import Settings
from server.web.chart_data import day_map_data, trend_charts
from server.web.i18n import lang_of
from server.web.pages import WebRequest, page, supervisors_only
from shared.i18n import t

MAX_PARAM = 60


# Domain errors of the scope, in the page's language (the message is what the supervisor reads).
ERROR_KEYS = {
    (NotFound, "rep"): "web.reports.error.no_rep",
    (Forbidden, "rep"): "web.reports.error.rep_elsewhere",
    (NotFound, "territory"): "web.reports.error.no_territory",
    (Forbidden, "territory"): "web.reports.error.territory_elsewhere",
}


def _translated(error: DomainError, lang: str) -> DomainError:
    key = ERROR_KEYS.get((type(error), error.path or ""))
    if key:
        error.message = t(key, lang)
    return error


def _text(value: str | None, path: str, lang: str) -> str | None:
    """A picker's value: at most 60 characters, no control characters (PostgreSQL text refuses NUL)."""
    if value is None or value == "":
        return None
    if len(value) > MAX_PARAM or any(ord(ch) < 32 for ch in value):
        raise ValidationFailed(t("web.reports.error.bad_value", lang, name=path), path=path, status_code=400)
    return value


def _day(value: str | None, settings: Settings, lang: str) -> dt.date:
    if not value:
        return today(settings.tz)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(t("web.reports.error.bad_day", lang), path="day", status_code=400) from None


def map_of(day: RepDay) -> DayMap:
    places: list[Place] = []
    seen: set[str] = set()
    for customer in [stop.customer for stop in day.stops] + [v.customer for v in day.visits]:
        if customer and customer.id not in seen and customer.lat is not None and customer.lng is not None:
            seen.add(customer.id)
            places.append(Place(f"c:{customer.id}", customer.lat, customer.lng))
    for row in day.visits:
        v = row.visit
        if v.check_in_lat is not None and v.check_in_lng is not None:
            places.append(Place(f"in:{v.id}", v.check_in_lat, v.check_in_lng))
        if v.check_out_lat is not None and v.check_out_lng is not None:
            places.append(Place(f"out:{v.id}", v.check_out_lat, v.check_out_lng))
    return day_map(places)


class DashboardPages(Controller):
    path = "/"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/dashboard", sync_to_thread=True)
    def dashboard_page(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        period: FromQuery[str] = PeriodKind.LAST_7_DAYS.value,
        day: FromQuery[str | None] = None,
        territory: FromQuery[str | None] = None,
        rep: FromQuery[str | None] = None,
    ) -> Template:
        lang = lang_of(request)
        if period not in {kind.value for kind in PeriodKind}:
            raise ValidationFailed(t("web.reports.error.bad_period", lang), path="period", status_code=400)
        chosen = period_of(PeriodKind(period), _day(day, settings, lang))
        territory, rep = _text(territory, "territory", lang), _text(rep, "rep", lang)
        actor = request.user
        try:
            scope = resolve_scope(session, actor, territory, rep)
        except DomainError as error:
            raise _translated(error, lang) from None
        board = dashboard(session, scope, chosen, rules=lifecycle_rules(settings), now=now_in(settings.tz))
        rep_ids = [row.rep.id for row in board.reps]
        flagged = flagged_per_rep(session, chosen.start, chosen.end, rep_ids)
        # Planned against travelled km up to today (a plan for a day still ahead has no travel to compare)
        km = km_per_rep(session, settings, rep_ids, chosen.start, min(chosen.end, today(settings.tz)))
        fixed = visible_territory(actor)
        choices = [fixed] if fixed else territories(session)
        rep_choices = reps_in(session, scope.territory)
        attendance = attendance_today(
            session, list_reps(session, scope.territory), settings.tz, settings.work_hours, today=today(settings.tz)
        )
        approvals_waiting = pending_count(session, actor)
        last_day = min(chosen.end, today(settings.tz))
        fmt = Formats(lang)
        rep_names = {r.id: r.display_name for r in rep_choices}
        return page(
            request,
            "dashboard.html",
            board=board,
            period=chosen,
            kinds=[kind.value for kind in PeriodKind],
            territory=scope.territory,
            rep=rep,
            territory_choices=choices,
            territory_fixed=fixed is not None,
            rep_choices=rep_choices,
            rep_names=rep_names,
            charts=trend_charts(board, fmt, rep_names),
            day_link=last_day if last_day >= chosen.start else chosen.start,
            month_period=period_of(PeriodKind.MONTH, chosen.anchor),
            fmt=fmt,
            flagged=flagged,
            km=km,
            attendance=attendance,
            approvals_waiting=approvals_waiting,
        )

    @get("/reps/{rep:str}/day", sync_to_thread=True)
    def rep_day_page(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        rep: FromPath[str],
        day: FromQuery[str | None] = None,
    ) -> Template:
        lang = lang_of(request)
        chosen = _day(day, settings, lang)
        username = _text(rep, "rep", lang) or ""
        try:
            found = find_rep(session, request.user, username)
        except DomainError as error:
            raise _translated(error, lang) from None
        the_day = rep_day(session, found, chosen, settings.tz)
        check_ins = [
            (row.visit.check_in_lat, row.visit.check_in_lng)
            for row in the_day.visits
            if row.visit.check_in_lat is not None and row.visit.check_in_lng is not None
        ]
        km = planned_against_travelled(session, settings, found.id, chosen, check_ins)
        chains = visit_signatures(session, [row.visit.id for row in the_day.visits])
        attendance = rep_attendance_day(
            session, found, chosen, settings.tz, settings.work_hours, today=today(settings.tz)
        )
        one_day = dt.timedelta(days=1)
        planned = {stop.customer_id: stop.position for stop in the_day.stops}
        marks = [  # each customer once: its place on the plan as its label, "·" when off the route
            (f"c:{customer.id}", str(planned.get(customer.id, "·")), customer.name, customer.id in planned)
            for customer in {
                c.id: c for c in [s.customer for s in the_day.stops] + [v.customer for v in the_day.visits] if c
            }.values()
        ]
        day_places = map_of(the_day)
        fmt = Formats(lang)
        map_data = day_map_data(the_day, fmt, settings.map_tile_url)
        return page(
            request,
            "rep_day.html",
            d=the_day,
            km=km,
            day=chosen,
            previous_day=chosen - one_day,
            next_day=chosen + one_day,
            map=day_places,
            planned_keys=[f"c:{stop.customer_id}" for stop in the_day.stops],
            actual_keys=[f"in:{row.visit.id}" for row in the_day.visits],
            customer_marks=[mark for mark in marks if mark[0] in day_places.points],
            map_data=map_data,
            map_marks=map_data["marks"],
            fmt=fmt,
            chains=chains,
            attendance=attendance,
        )
