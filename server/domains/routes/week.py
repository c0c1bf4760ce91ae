"""The planner's week suggestion (shared/week_plan.py on the server): the rep's customers due by their tier's
cadence this week, put on the rep's working days that are still ahead, inside their door hours and the
working day, from the rep's base. Nothing is saved until the supervisor takes the suggestion; taking it
saves each changed day through `set_route_plan`, so the rep's phone gets it at its next sync."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from server.actor import Actor
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id
from server.domains.routes.models import RoutePlan
from server.domains.routes.ordering import base_of, door_windows, minute_of, stop_of, travel_model
from server.domains.routes.planning import week_days, week_plans, week_suggestions
from server.domains.routes.service import set_route_plan
from server.domains.users.models import User
from server.settings import Settings
from shared.route_order import Missed
from shared.week_plan import Candidate, WeekFill, WorkDay, fill_week


@dataclass(frozen=True)
class WeekSuggestion:
    days: list[dt.date]  # the days it fills: the rep's working days of the week after today
    fill: WeekFill
    customers: dict[str, Customer]  # every customer named in `fill`

    @property
    def added_count(self) -> int:
        return sum(len(ids) for ids in self.fill.added.values())

    def left_out(self) -> list[tuple[Customer, Missed]]:
        return [(self.customers[cid], reason) for cid, reason in self.fill.left_out if cid in self.customers]


def open_days(settings: Settings, monday: dt.date, today: dt.date) -> list[dt.date]:
    """The week's working days (WORK_DAYS) still ahead: today's route is already on the rep's phone."""
    return [day for day in week_days(monday) if day > today and day.isoweekday() in settings.work_days]


def suggest_week(session: Session, settings: Settings, rep: User, monday: dt.date, today: dt.date) -> WeekSuggestion:
    """The rep's customers due this week (theirs, or no one's yet, in the rep's territory) that are not planned
    yet, placed on the open days after the stops already planned (shared/week_plan.py)."""
    days = open_days(settings, monday, today)
    plans = week_plans(session, rep.id, monday)
    planned = {cid for ids in plans.values() for cid in ids}
    due = [
        suggestion
        for suggestion in (week_suggestions(session, rep.territory, monday, today) if rep.territory else [])
        if suggestion.customer_id not in planned
    ]
    customers = customers_by_id(session, planned | {suggestion.customer_id for suggestion in due})
    mine = [s for s in due if s.customer_id in customers and customers[s.customer_id].owner_rep_id in {rep.id, None}]
    candidates = []
    for suggestion in mine:
        customer = customers[suggestion.customer_id]
        hours = door_windows(customer, settings)
        stop = stop_of(customer, days[0], settings) if days else None
        candidates.append(
            Candidate(
                id=customer.id,
                at=stop.at if stop else None,
                minutes=stop.minutes if stop else 20,
                windows={day: hours.windows_on(day) for day in days},
                due=suggestion.due if suggestion.due and not suggestion.overdue else None,
            )
        )
    work_days = [
        WorkDay(day, [stop_of(customers[cid], day, settings) for cid in plans.get(day, []) if cid in customers])
        for day in days
    ]
    base = base_of(rep)
    start, end = (minute_of(moment) for moment in settings.work_hours)
    fill = fill_week(work_days, candidates, base, start, end, travel_model(session, settings, rep.territory))
    return WeekSuggestion(days, fill, customers)


def take_week_suggestion(
    session: Session, actor: Actor, settings: Settings, rep: User, monday: dt.date, today: dt.date
) -> list[RoutePlan]:
    """Save the suggestion as it is now (computed again, so it matches the stored plans): each day that gets
    customers is saved with them in their suggested places."""
    suggestion = suggest_week(session, settings, rep, monday, today)
    return [
        set_route_plan(session, actor, rep.id, day, suggestion.fill.orders[day])
        for day in suggestion.days
        if suggestion.fill.added[day]
    ]
