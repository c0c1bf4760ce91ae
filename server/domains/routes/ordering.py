"""Ordering a rep's day on the server (shared/route_order.py): from the rep's base at the start of the working
day, inside each customer's door hours, back to the base at the end; with each stop's expected arrival, the
km and time, and the stops that cannot fit and why. Saving the order goes through `set_route_plan`, so it
reaches the rep's phone at its next sync."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from server.actor import Actor
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id
from server.domains.routes.models import RoutePlan
from server.domains.routes.service import get_route_plan, set_route_plan
from server.domains.territories.models import Territory
from server.domains.users.models import User
from server.domains.visits.models import Visit
from server.errors import NotFound
from server.settings import Settings
from shared.door_hours import DoorHours, hours_for
from shared.route_order import DayPlan, Point, RouteRules, Stop, TravelModel, best_order, schedule


@dataclass(frozen=True)
class OrderedDay:
    """A day's plan as scheduled: `plan` in the order stored (or proposed), the customers by id, and where
    the day starts (the rep's base; None: not set, the day starts at its first stop)."""

    day: dt.date
    plan: DayPlan
    customers: dict[str, Customer]
    base: Point | None


def travel_model(session: Session, settings: Settings, territory: str | None) -> TravelModel:
    """The company's road factor at the territory's own speed, if it has one."""
    own = session.get(Territory, territory) if territory else None
    speed = own.travel_speed_kmh if own is not None and own.travel_speed_kmh else settings.route_speed_kmh
    return TravelModel(road_factor=settings.route_road_factor, speed_kmh=speed)


def route_rules(session: Session, settings: Settings, user_id: str, territory: str | None) -> RouteRules:
    """What a rep's phone orders its day with (sent at sign-in and with every pull): the same minutes, default
    door hours, road factor and speed as the planner uses for the rep's territory, and the rep's base."""
    travel = travel_model(session, settings, territory)
    return RouteRules(
        plan_minutes=dict(settings.visit_plan_minutes),
        door_hours_by_kind=dict(settings.door_hours_by_kind),
        road_factor=travel.road_factor,
        speed_kmh=travel.speed_kmh,
        base=base_of(session.get(User, user_id)),
    )


def base_of(rep: User | None) -> Point | None:
    """Where the rep's day starts and ends, when an admin set it."""
    if rep is None or rep.base_lat is None or rep.base_lng is None:
        return None
    return rep.base_lat, rep.base_lng


def door_windows(customer: Customer, settings: Settings) -> DoorHours:
    """The customer's door hours, else its kind's default (DOOR_HOURS_BY_KIND); unreadable stored ones (an
    older import) count as none set."""
    return hours_for(customer.door_hours, customer.kind, settings.door_hours_by_kind)


def stop_of(customer: Customer, day: dt.date, settings: Settings) -> Stop:
    located = customer.lat is not None and customer.lng is not None
    return Stop(
        id=customer.id,
        at=(customer.lat, customer.lng) if located else None,  # type: ignore[arg-type]
        minutes=settings.visit_plan_minutes.get(customer.kind, 20),
        windows=door_windows(customer, settings).windows_on(day),
    )


def minute_of(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def _ordered_day(
    session: Session, settings: Settings, rep: User, day: dt.date, customer_ids: Sequence[str], *, search: bool
) -> OrderedDay:
    customers = customers_by_id(session, set(customer_ids))
    stops = [stop_of(customers[customer_id], day, settings) for customer_id in customer_ids if customer_id in customers]
    base = base_of(rep)
    start_at = base or next((stop.at for stop in stops if stop.at is not None), None)
    work_start, work_end = (minute_of(moment) for moment in settings.work_hours)
    travel = travel_model(session, settings, rep.territory)
    if start_at is None:  # no stop has a position: nothing to measure
        plan = schedule(stops, (0.0, 0.0), work_start, travel, day_end=work_end)
    else:
        arrange = best_order if search else schedule
        plan = arrange(stops, start_at, work_start, travel, end_at=base, day_end=work_end)
    return OrderedDay(day, plan, customers, base)


def _rep(session: Session, rep_id: str) -> User:
    rep = session.get(User, rep_id)
    if rep is None:
        raise NotFound("no such rep", path="rep_id")
    return rep


def _stored_day(session: Session, settings: Settings, rep_id: str, day: dt.date, *, search: bool) -> OrderedDay:
    plan = get_route_plan(session, rep_id, day)
    return _ordered_day(session, settings, _rep(session, rep_id), day, plan.customer_ids if plan else [], search=search)


def planned_day(session: Session, settings: Settings, rep_id: str, day: dt.date) -> OrderedDay:
    """The rep's plan for `day` in its stored order, scheduled: arrivals, waits, km and misses."""
    return _stored_day(session, settings, rep_id, day, search=False)


def best_day(session: Session, settings: Settings, rep_id: str, day: dt.date) -> OrderedDay:
    """The rep's plan for `day` in the best order found (not saved)."""
    return _stored_day(session, settings, rep_id, day, search=True)


@dataclass(frozen=True)
class DayKm:
    """A day's road km between stops (road factor applied, the base legs left out on both sides): `planned` in
    the plan's order, `travelled` between the day's check-ins in their order (None: fewer than two known)."""

    planned: float | None
    travelled: float | None


def planned_against_travelled(
    session: Session, settings: Settings, rep_id: str, day: dt.date, check_ins: Sequence[Point]
) -> DayKm:
    """What a supervisor compares on a rep's day: the km the plan asked for against the km the check-ins show."""
    located = [arrival for arrival in planned_day(session, settings, rep_id, day).plan.arrivals if arrival.stop.at]
    planned = sum(arrival.km for arrival in located[1:]) if len(located) > 1 else None
    travel = travel_model(session, settings, _rep(session, rep_id).territory)
    legs = [travel.km(a, b) for a, b in itertools.pairwise(check_ins)]
    return DayKm(planned, sum(legs) if legs else None)


def km_per_rep(
    session: Session, settings: Settings, rep_ids: Sequence[str], first: dt.date, last: dt.date
) -> dict[str, DayKm]:
    """Each rep's km from `first` to `last`, summed over the days (the dashboard's column): `planned` between
    the located stops of each day's plan in its order, `travelled` between each day's check-ins in time order
    (road factor applied, base legs left out, as on the rep's day page). A few queries whatever the period."""
    if not rep_ids:
        return {}
    travel = TravelModel(road_factor=settings.route_road_factor)  # km only: the speed does not matter
    plans = session.exec(
        select(col(RoutePlan.rep_id), col(RoutePlan.customer_ids)).where(
            col(RoutePlan.rep_id).in_(rep_ids), col(RoutePlan.day) >= first, col(RoutePlan.day) <= last
        )
    ).all()
    wanted = sorted({customer_id for _, customer_ids in plans for customer_id in customer_ids})
    where: dict[str, Point] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        query = select(col(Customer.id), col(Customer.lat), col(Customer.lng)).where(col(Customer.id).in_(chunk))
        where |= {cid: (lat, lng) for cid, lat, lng in session.exec(query).all() if lat is not None and lng is not None}
    planned: dict[str, float] = {}
    for rep_id, customer_ids in plans:
        located = [where[customer_id] for customer_id in customer_ids if customer_id in where]
        if len(located) > 1:
            planned[rep_id] = planned.get(rep_id, 0.0) + sum(travel.km(a, b) for a, b in itertools.pairwise(located))
    rows = session.exec(
        select(col(Visit.rep_id), col(Visit.check_in_at), col(Visit.check_in_lat), col(Visit.check_in_lng))
        .where(col(Visit.rep_id).in_(rep_ids), col(Visit.visit_day) >= first, col(Visit.visit_day) <= last)
        .where(col(Visit.check_in_lat).is_not(None), col(Visit.check_in_lng).is_not(None))
    ).all()
    # Check-in times keep the phone's UTC offset: compared as instants, grouped by the company's day
    check_ins = sorted(
        (rep_id, dt.datetime.fromisoformat(at).astimezone(settings.tz), lat, lng) for rep_id, at, lat, lng in rows
    )
    travelled: dict[str, float] = {}
    for (rep_id, _), day_rows in itertools.groupby(check_ins, key=lambda row: (row[0], row[1].date())):
        points: list[Point] = [(lat, lng) for _, _, lat, lng in day_rows if lat is not None and lng is not None]
        if len(points) > 1:
            travelled[rep_id] = travelled.get(rep_id, 0.0) + sum(travel.km(a, b) for a, b in itertools.pairwise(points))
    return {rep_id: DayKm(planned.get(rep_id), travelled.get(rep_id)) for rep_id in rep_ids}


def order_day_plan(
    session: Session, actor: Actor, settings: Settings, rep_id: str, day: dt.date
) -> tuple[RoutePlan, OrderedDay]:
    """Save the best order found for the rep's day (the phone gets it at its next sync)."""
    ordered = best_day(session, settings, rep_id, day)
    plan = set_route_plan(session, actor, rep_id, day, ordered.plan.order)
    return plan, ordered
