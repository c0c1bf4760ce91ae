"""Route plans, written by supervisors (web form, CLI, demo) and pulled by the rep they plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlmodel import Session, select

from server.actor import Actor
from server.changes.log import record_change, record_data, rep_audience
from server.clock import now_iso
from server.domains.access import RECORD_CACHE
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id
from server.domains.routes.models import RoutePlan
from server.domains.teams import sees
from server.domains.users.models import User
from server.errors import Forbidden, NotFound, ValidationFailed
from shared.enums import RecordKind, Role
from shared.ids import new_id


def route_plan_data(plan: RoutePlan) -> dict[str, Any]:
    return record_data(plan)


def set_route_plan(session: Session, actor: Actor, rep_id: str, day: dt.date, customer_ids: Sequence[str]) -> RoutePlan:
    """Create or replace the rep's plan for the day; the order of `customer_ids` is the route's order."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors plan routes", path="route_plan")
    rep = session.get(User, rep_id)
    if rep is None or rep.role != Role.REP.value or not rep.territory:
        raise NotFound("no such rep", path="rep_id")
    ordered = list(dict.fromkeys(customer_ids))  # drop repeats, keep the route's order
    customers = customers_by_id(session, set(ordered))
    for index, customer_id in enumerate(ordered):
        customer = customers.get(customer_id)
        # Another team's customer is answered as an unknown one: the answer must not tell that it exists.
        if customer is None or customer.deleted or not sees(actor, customer.territory):
            raise ValidationFailed("no such customer", path=f"customer_ids[{index}]")
        if customer.territory != rep.territory:
            raise ValidationFailed(
                f"customer {customer.name} is outside the rep's territory ({rep.territory})",
                path=f"customer_ids[{index}]",
            )
    plan = get_route_plan(session, rep_id, day)
    if plan is None:
        plan = RoutePlan(
            id=new_id(), rep_id=rep_id, day=day, customer_ids=ordered, territory=rep.territory, updated_at=now_iso()
        )
    cache: dict[tuple[type, str], Any] | None = session.info.get(RECORD_CACHE)
    if cache is not None:
        cache[(RoutePlan, f"{rep_id}/{day.isoformat()}")] = plan
    plan.customer_ids = ordered  # a new list, so the JSON column is seen as changed
    plan.territory = rep.territory
    plan.updated_at = now_iso()
    session.add(plan)
    session.flush()
    record_change(
        session,
        RecordKind.ROUTE_PLAN,
        plan.id,
        audience=rep_audience(rep_id),
        territory=rep.territory,
        data=route_plan_data(plan),
    )
    return plan


def get_route_plan(session: Session, rep_id: str, day: dt.date) -> RoutePlan | None:
    cache: dict[tuple[type, str], Any] | None = session.info.get(RECORD_CACHE)
    key = (RoutePlan, f"{rep_id}/{day.isoformat()}")
    if cache is not None and key in cache:  # a push of many visits asks for the same plan again and again
        return cast("RoutePlan | None", cache[key])
    plan = session.exec(select(RoutePlan).where(RoutePlan.rep_id == rep_id, RoutePlan.day == day)).first()
    if cache is not None:
        cache[key] = plan
    return plan


def plans_of_day(session: Session, day: dt.date) -> dict[str, RoutePlan]:
    """Every rep's plan for the day, by rep id."""
    return {plan.rep_id: plan for plan in session.exec(select(RoutePlan).where(RoutePlan.day == day)).all()}


def add_follow_up(session: Session, rep_id: str, day: dt.date, customer_id: str) -> RoutePlan | None:
    """Put a customer at the end of the rep's plan for `day` (a follow-up visit the system schedules, e.g.
    after a complaint is resolved). None if the rep cannot visit this customer."""
    rep = session.get(User, rep_id)
    customer = session.get(Customer, customer_id)
    if rep is None or rep.role != Role.REP.value or customer is None or customer.territory != rep.territory:
        return None
    plan = get_route_plan(session, rep_id, day)
    planned = list(plan.customer_ids) if plan else []
    if customer_id in planned:
        return plan
    system = Actor(id="system", username="system", display_name="system", role=Role.SUPERVISOR, territory=None)
    return set_route_plan(session, system, rep_id, day, [*planned, customer_id])
