"""Week planning for the supervisor's route planner: a rep's plans for seven days, the customers to suggest
by tier cadence (shared/cadence.py, the same rule the phone's care reminders use), and the small edits the
planner makes to one day's plan. Every edit is saved through `set_route_plan`, so it enters the change log
and reaches the rep's phone with the next sync."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.actor import Actor
from server.domains.customers.models import Customer
from server.domains.routes.models import RoutePlan
from server.domains.routes.service import get_route_plan, set_route_plan
from server.domains.visits.models import Visit
from server.errors import ValidationFailed
from shared.cadence import CadenceCustomer, VisitSuggestion, suggested_visits, tier_or_none

WEEK_DAYS = 7


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def next_week(today: dt.date) -> dt.date:
    return week_start(today) + dt.timedelta(days=WEEK_DAYS)


def week_days(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=offset) for offset in range(WEEK_DAYS)]


def week_plans(session: Session, rep_id: str, monday: dt.date) -> dict[dt.date, list[str]]:
    """The rep's planned customer ids for each day of the week (an empty list for a day without a plan)."""
    days = week_days(monday)
    plans = session.exec(
        select(RoutePlan).where(RoutePlan.rep_id == rep_id, col(RoutePlan.day).between(days[0], days[-1]))
    ).all()
    found = {plan.day: list(plan.customer_ids) for plan in plans}
    return {day: found.get(day, []) for day in days}


def last_visit_days(session: Session, territory: str) -> list[CadenceCustomer]:
    """Each tiered customer of the territory with the day of its latest visit (one aggregate query)."""
    query = (
        select(Customer.id, Customer.name, Customer.tier, func.max(Visit.visit_day))
        .join(Visit, col(Visit.customer_id) == Customer.id, isouter=True)
        .where(Customer.territory == territory, Customer.deleted == False, col(Customer.tier).is_not(None))  # noqa: E712
        .group_by(col(Customer.id), col(Customer.name), col(Customer.tier))
    )
    return [
        CadenceCustomer(customer_id, name, tier_or_none(tier), last)
        for customer_id, name, tier, last in session.exec(query).all()
    ]


def week_suggestions(session: Session, territory: str, monday: dt.date, today: dt.date) -> list[VisitSuggestion]:
    """Customers due by their tier's cadence on or before the week's last day, overdue ones (as of `today`,
    the company's today) included."""
    days = week_days(monday)
    return suggested_visits(last_visit_days(session, territory), days[0], days[-1], today=today)


class StopAction(StrEnum):
    ADD = "add"
    UP = "up"
    DOWN = "down"
    REMOVE = "remove"


@dataclass(frozen=True)
class StopEdit:
    action: StopAction
    customer_id: str


def edited_stops(stops: list[str], edit: StopEdit) -> list[str]:
    """The day's stops after one edit; moving the first stop up or the last one down changes nothing."""
    stops = list(stops)
    if edit.action == StopAction.ADD:
        return stops if edit.customer_id in stops else [*stops, edit.customer_id]
    if edit.customer_id not in stops:
        raise ValidationFailed("this customer is not on the day's plan", path="customer_id")
    index = stops.index(edit.customer_id)
    if edit.action == StopAction.REMOVE:
        del stops[index]
    elif edit.action == StopAction.UP and index > 0:
        stops[index - 1], stops[index] = stops[index], stops[index - 1]
    elif edit.action == StopAction.DOWN and index < len(stops) - 1:
        stops[index + 1], stops[index] = stops[index], stops[index + 1]
    return stops


def edit_day_plan(session: Session, actor: Actor, rep_id: str, day: dt.date, edit: StopEdit) -> RoutePlan:
    """Apply one edit to the plan as stored now (not as the page showed it, which may be stale) and save."""
    plan = get_route_plan(session, rep_id, day)
    return set_route_plan(session, actor, rep_id, day, edited_stops(list(plan.customer_ids) if plan else [], edit))
