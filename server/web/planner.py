"""The route planner (路线计划): a rep's week, day by day, with the customers due by tier cadence to add.

Works with plain forms (no script): every add, move and remove is one POST that edits one day's plan as
stored now and saves it through the route plan service, so it enters the change log and reaches the rep's
phone with the next sync. `POST /plans` still replaces a whole day (the older one-day form, and scripts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Controller, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.actor import Actor
from server.clock import today
from server.db import write_session
from server.dependencies import AppSettings, DatabaseEngine, ReadSession, api_dependencies
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id, list_customers
from server.domains.routes.ordering import best_day, order_day_plan, planned_day
from server.domains.routes.planning import (
    StopAction,
    StopEdit,
    edit_day_plan,
    next_week,
    week_days,
    week_plans,
    week_start,
    week_suggestions,
)
from server.domains.routes.service import set_route_plan
from server.domains.routes.week import suggest_week, take_week_suggestion
from server.domains.teams import sees, team_of
from server.domains.text_search import typed_text
from server.domains.users.models import User
from server.domains.users.service import list_reps, user_by_username
from server.errors import NotFound, ValidationFailed
from server.settings import Settings
from server.web.pages import WebRequest, page, parse_day, supervisors_only
from shared.door_hours import appointment_on, window_text
from shared.enums import Role
from shared.route_order import Arrival, DayPlan, Missed

SUGGESTIONS_PER_PAGE = 50
SEARCH_RESULTS = 20


@dataclass(frozen=True)
class PlannedDay:
    """A day of the week as planned, scheduled (arrivals, km, misses) and against the best order found."""

    day: dt.date
    stops: list[Customer]
    route: DayPlan | None = None
    best: DayPlan | None = None

    @property
    def km_saved(self) -> float:
        """What the best order found saves, in km (0 when it keeps the order planned)."""
        if self.route is None or self.best is None or self.best.order == self.route.order:
            return 0.0
        return max(0.0, self.route.km - self.best.km)

    @property
    def misses_saved(self) -> int:
        """How many more stops the best order found serves inside their hours."""
        if self.route is None or self.best is None:
            return 0
        return len(self.route.missed) - len(self.best.missed)

    @property
    def better_order(self) -> bool:
        """The best order found serves more stops in their hours, or as many and saves at least a km."""
        return self.misses_saved > 0 or (self.misses_saved == 0 and self.km_saved >= 1)

    def arrival(self, customer_id: str) -> Arrival | None:
        arrivals = self.route.arrivals if self.route else []
        return next((arrival for arrival in arrivals if arrival.stop.id == customer_id), None)

    def eta(self, customer_id: str) -> str:
        """When the stop is expected, "10:40" ("" without a schedule or a position)."""
        arrival = self.arrival(customer_id)
        if arrival is None or arrival.missed is Missed.NO_POSITION:
            return ""
        minute = round(arrival.start)
        return f"{minute // 60 % 24:02d}:{minute % 60:02d}"

    def missed(self, customer_id: str) -> str | None:
        arrival = self.arrival(customer_id)
        return arrival.missed.value if arrival is not None and arrival.missed is not None else None

    def appointment(self, customer: Customer) -> str:
        """The customer's appointment that day, "15:00-15:30" ("" without one)."""
        window = appointment_on(customer.door_hours, self.day)
        return window_text(window) if window is not None else ""


def scheduled_day(
    session: Session, settings: Settings, rep: User | None, day: dt.date, stops: list[Customer]
) -> PlannedDay:
    """The day's stops with their schedule in the planned order, and the best order found (days with stops)."""
    if rep is None or not stops:
        return PlannedDay(day, stops)
    planned = planned_day(session, settings, rep.id, day).plan
    best = best_day(session, settings, rep.id, day).plan if len(stops) > 1 else planned
    return PlannedDay(day, stops, planned, best)


def rep_by_username(session: Session, username: str, actor: Actor) -> User:
    """The rep, if one of the actor's team (another team's rep is unknown here: 404)."""
    rep = user_by_username(session, username)
    if rep is None or rep.role != Role.REP.value or not sees(actor, rep.territory):
        raise NotFound("no such rep", path="rep", key="web.error.no_rep")
    return rep


def plans_url(rep: str, week: dt.date, **extra: str) -> str:
    return "/plans?" + urlencode({"rep": rep, "week": week.isoformat(), **extra})


def parse_edit(form: Any) -> StopEdit:
    """`edit=up:<customer id>` (the buttons of a day's stops) or `action` + `customer_id` (the add forms)."""
    edit = str(form.get("edit", ""))
    action, _, customer_id = edit.partition(":") if edit else (str(form.get("action") or "add"), "", "")
    customer_id = customer_id or str(form.get("customer_id", ""))
    try:
        stop_action = StopAction(action)
    except ValueError:
        raise ValidationFailed("unknown plan edit", path="action") from None
    if not customer_id:
        raise ValidationFailed("choose a customer", path="customer_id")
    return StopEdit(stop_action, customer_id)


class PlannerPages(Controller):
    path = "/plans"
    guards = (supervisors_only,)
    include_in_schema = False
    dependencies = api_dependencies()

    @get("/", sync_to_thread=True)
    def planner(
        self,
        request: WebRequest,
        settings: AppSettings,
        session: ReadSession,
        rep: FromQuery[str | None] = None,
        week: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
        q: FromQuery[str] = "",
        spage: FromQuery[int] = 1,
        saved: FromQuery[str | None] = None,
        saved_week: FromQuery[int | None] = None,
        fill: FromQuery[bool] = False,
    ) -> Template:
        """`week`: any day of the week to show (default next week); `day`: a day to open, picks its week;
        `fill`: show the week suggestion (which due customers on which day)."""
        opened = parse_day(day, settings) if day else None
        if opened is not None:
            monday = week_start(opened)
        else:
            monday = week_start(parse_day(week, settings)) if week else next_week(today(settings.tz))
        spage = max(spage, 1)
        reps = list_reps(session, team_of(request.user))
        selected = next((r for r in reps if r.username == rep), reps[0] if reps else None)
        plans = week_plans(session, selected.id, monday) if selected else {}
        territory = selected.territory if selected else None
        suggestions = week_suggestions(session, territory, monday, today(settings.tz)) if territory else []
        week_fill = suggest_week(session, settings, selected, monday, today(settings.tz)) if fill and selected else None
        planned_ids = {cid for stops in plans.values() for cid in stops}
        customers = customers_by_id(session, planned_ids)
        found: list[Customer] = []
        if territory and typed_text(q):
            found = list_customers(session, search=q, territory=territory, limit=SEARCH_RESULTS)
        days = [
            scheduled_day(
                session, settings, selected, d, [customers[cid] for cid in plans.get(d, []) if cid in customers]
            )
            for d in week_days(monday)
        ]
        planned_on: dict[str, list[dt.date]] = {}
        for planned in days:
            for customer in planned.stops:
                planned_on.setdefault(customer.id, []).append(planned.day)
        pages = max(1, -(-len(suggestions) // SUGGESTIONS_PER_PAGE))
        spage = min(spage, pages)
        shown = suggestions[(spage - 1) * SUGGESTIONS_PER_PAGE : spage * SUGGESTIONS_PER_PAGE]
        return page(
            request,
            "planner.html",
            reps=reps,
            selected=selected,
            monday=monday,
            days=days,
            opened=opened,
            previous_week=monday - dt.timedelta(days=7),
            following_week=monday + dt.timedelta(days=7),
            suggestions=shown,
            suggestion_count=len(suggestions),
            spage=spage,
            spages=pages,
            planned_on=planned_on,
            q=q,
            found=found,
            saved=saved,
            today=today(settings.tz),
            week_fill=week_fill,
            saved_week=saved_week,
        )

    @post("/order")
    async def order_day(self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine) -> Redirect:
        """Save the day's stops in the best order found (from the rep's base, inside the door hours)."""
        form = await request.form()
        rep_name = str(form.get("rep", ""))
        chosen = parse_day(str(form.get("day", "")), settings)
        actor = request.user

        def save() -> None:
            with write_session(engine) as session:
                rep = rep_by_username(session, rep_name, actor)
                order_day_plan(session, actor, settings, rep.id, chosen)

        await anyio.to_thread.run_sync(save)
        url = plans_url(rep_name, week_start(chosen), saved=chosen.isoformat())
        return Redirect(f"{url}#day-{chosen.isoformat()}", status_code=303)

    @post("/week")
    async def take_week(self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine) -> Redirect:
        """Save the week suggestion: each open day that gets customers, with them in their places."""
        form = await request.form()
        rep_name = str(form.get("rep", ""))
        monday = week_start(parse_day(str(form.get("week", "")), settings))
        actor = request.user

        def save() -> int:
            with write_session(engine) as session:
                rep = rep_by_username(session, rep_name, actor)
                return len(take_week_suggestion(session, actor, settings, rep, monday, today(settings.tz)))

        days = await anyio.to_thread.run_sync(save)
        return Redirect(plans_url(rep_name, monday, saved_week=str(days)), status_code=303)

    @post("/stops")
    async def edit_stops(self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine) -> Redirect:
        """One edit of one day's plan: add a customer at the end, move a stop up or down, remove it."""
        form = await request.form()
        rep_name = str(form.get("rep", ""))
        chosen = parse_day(str(form.get("day", "")), settings)
        edit = parse_edit(form)
        actor = request.user

        def save() -> None:
            with write_session(engine) as session:
                rep = rep_by_username(session, rep_name, actor)
                edit_day_plan(session, actor, rep.id, chosen, edit)

        await anyio.to_thread.run_sync(save)
        url = plans_url(rep_name, week_start(chosen), saved=chosen.isoformat())
        return Redirect(f"{url}#day-{chosen.isoformat()}", status_code=303)

    @post("/")
    async def save_day(self, request: WebRequest, settings: AppSettings, engine: DatabaseEngine) -> Redirect:
        """Replace a day's plan: repeated customer_id fields, in the route's order."""
        form = await request.form()
        rep_name, day_text = str(form.get("rep", "")), str(form.get("day", ""))
        customer_ids = [str(value) for value in form.getall("customer_id", [])]
        chosen = parse_day(day_text, settings)
        actor = request.user

        def save() -> None:
            with write_session(engine) as session:
                rep = rep_by_username(session, rep_name, actor)
                set_route_plan(session, actor, rep.id, chosen, customer_ids)

        await anyio.to_thread.run_sync(save)
        return Redirect(
            "/plans?" + urlencode({"rep": rep_name, "day": chosen.isoformat(), "saved": chosen.isoformat()}),
            status_code=303,
        )
