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
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.clock import today
from server.db import read_session, write_session
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id, list_customers
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
from server.domains.teams import sees, team_of
from server.domains.text_search import typed_text
from server.domains.users.models import Actor, User
from server.domains.users.service import list_reps, user_by_username
from server.errors import NotFound, ValidationFailed
from server.web.pages import WebRequest, page, parse_day, supervisors_only
from shared.enums import Role

SUGGESTIONS_PER_PAGE = 50
SEARCH_RESULTS = 20


@dataclass(frozen=True)
class PlannedDay:
    day: dt.date
    stops: list[Customer]


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

    @get("/", sync_to_thread=True)
    def planner(
        self,
        request: WebRequest,
        state: State,
        rep: FromQuery[str | None] = None,
        week: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
        q: FromQuery[str] = "",
        spage: FromQuery[int] = 1,
        saved: FromQuery[str | None] = None,
    ) -> Template:
        """`week`: any day of the week to show (default next week); `day`: a day to open, picks its week."""
        settings = state.settings
        opened = parse_day(day, settings) if day else None
        if opened is not None:
            monday = week_start(opened)
        else:
            monday = week_start(parse_day(week, settings)) if week else next_week(today(settings.tz))
        spage = max(spage, 1)
        with read_session(state.engine) as session:
            reps = list_reps(session, team_of(request.user))
            selected = next((r for r in reps if r.username == rep), reps[0] if reps else None)
            plans = week_plans(session, selected.id, monday) if selected else {}
            territory = selected.territory if selected else None
            suggestions = week_suggestions(session, territory, monday, today(settings.tz)) if territory else []
            planned_ids = {cid for stops in plans.values() for cid in stops}
            customers = customers_by_id(session, planned_ids)
            found: list[Customer] = []
            if territory and typed_text(q):
                found = list_customers(session, search=q, territory=territory, limit=SEARCH_RESULTS)
        days = [
            PlannedDay(d, [customers[cid] for cid in plans.get(d, []) if cid in customers]) for d in week_days(monday)
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
        )

    @post("/stops")
    async def edit_stops(self, request: WebRequest, state: State) -> Redirect:
        """One edit of one day's plan: add a customer at the end, move a stop up or down, remove it."""
        form = await request.form()
        rep_name = str(form.get("rep", ""))
        chosen = parse_day(str(form.get("day", "")), state.settings)
        edit = parse_edit(form)
        actor = request.user

        def save() -> None:
            with write_session(state.engine) as session:
                rep = rep_by_username(session, rep_name, actor)
                edit_day_plan(session, actor, rep.id, chosen, edit)

        await anyio.to_thread.run_sync(save)
        url = plans_url(rep_name, week_start(chosen), saved=chosen.isoformat())
        return Redirect(f"{url}#day-{chosen.isoformat()}", status_code=303)

    @post("/")
    async def save_day(self, request: WebRequest, state: State) -> Redirect:
        """Replace a day's plan: repeated customer_id fields, in the route's order."""
        form = await request.form()
        rep_name, day_text = str(form.get("rep", "")), str(form.get("day", ""))
        customer_ids = [str(value) for value in form.getall("customer_id", [])]
        chosen = parse_day(day_text, state.settings)
        actor = request.user

        def save() -> None:
            with write_session(state.engine) as session:
                rep = rep_by_username(session, rep_name, actor)
                set_route_plan(session, actor, rep.id, chosen, customer_ids)

        await anyio.to_thread.run_sync(save)
        return Redirect(
            "/plans?" + urlencode({"rep": rep_name, "day": chosen.isoformat(), "saved": chosen.isoformat()}),
            status_code=303,
        )
