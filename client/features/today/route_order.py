"""The rest of today's route on the phone, offline (shared/route_order.py): when each stop not yet visited is
expected, which reception windows will be missed, and the best order for them from where the rep is now.

The order the rep chooses stays on this phone (store meta `route_orders`, by day) until the rep goes back to
the supervisor's: the plan itself is the supervisor's and is never changed here. Where the rep stands: the
last position recorded today (check-out, else check-in); before any, the day starts at the first stop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from shared.door_hours import hours_for
from shared.route_order import Arrival, DayPlan, Point, RouteRules, Stop, best_order, schedule

ROUTE_ORDERS = "route_orders"  # store meta: {"2026-12-07": [customer ids in the rep's order]}


def route_stop(customer: Mapping[str, Any], day: dt.date, rules: RouteRules | None = None) -> Stop:
    """A customer as a stop: its position, the time planned for its kind, its door hours that day (its own,
    else its kind's default; unreadable ones, never stored by a check that passed, count as all day)."""
    rules = rules or RouteRules()
    lat, lng = customer.get("lat"), customer.get("lng")
    located = isinstance(lat, int | float) and isinstance(lng, int | float)
    hours = hours_for(customer.get("door_hours"), customer.get("kind"), rules.door_hours_by_kind)
    return Stop(
        id=str(customer.get("id")),
        at=(float(lat), float(lng)) if located else None,  # type: ignore[arg-type]
        minutes=rules.minutes_at(customer.get("kind")),
        windows=hours.windows_on(day),
    )


def position_now(visits_today: Sequence[Mapping[str, Any]]) -> Point | None:
    """Where the rep was last seen today: the newest visit's check-out, else its check-in."""
    for visit in reversed(visits_today):
        for side in ("check_out", "check_in"):
            lat, lng = visit.get(f"{side}_lat"), visit.get(f"{side}_lng")
            if isinstance(lat, int | float) and isinstance(lng, int | float):
                return float(lat), float(lng)
    return None


def minute_of(moment: dt.datetime | dt.time) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def rest_of_day(
    customers: Sequence[Mapping[str, Any]],
    day: dt.date,
    here: Point | None,
    now: dt.datetime,
    day_end: dt.time,
    rules: RouteRules | None = None,
    *,
    best: bool,
) -> DayPlan:
    """The stops still to visit, from here and now: in the order given, or (`best`) the best order found,
    with the server's minutes, default door hours and travel (`rules`)."""
    rules = rules or RouteRules()
    stops = [route_stop(customer, day, rules) for customer in customers]
    start = here or next((stop.at for stop in stops if stop.at is not None), None)
    if start is None:  # no position known anywhere: times only
        return schedule(stops, (0.0, 0.0), minute_of(now), rules.travel, day_end=minute_of(day_end))
    arrange = best_order if best else schedule
    return arrange(stops, start, minute_of(now), rules.travel, day_end=minute_of(day_end))


def expected_by_stop(plan: DayPlan) -> dict[str, Arrival]:
    return {arrival.stop.id: arrival for arrival in plan.arrivals}


def in_chosen_order(chosen: Mapping[str, Any] | None, day: dt.date, planned_ids: Sequence[str]) -> list[str]:
    """The plan's customers in the order the rep chose for `day`; any the choice does not name (added to the
    plan since) keep their place after it. Without a choice: the plan's order."""
    order = (chosen or {}).get(day.isoformat())
    if not isinstance(order, list):
        return list(planned_ids)
    named = [customer_id for customer_id in order if customer_id in planned_ids]
    return named + [customer_id for customer_id in planned_ids if customer_id not in named]


def with_choice(chosen: Mapping[str, Any] | None, day: dt.date, order: Sequence[str] | None) -> dict[str, Any]:
    """The meta value with `day`'s order set (None: back to the plan's order); older days are dropped."""
    kept = {key: value for key, value in (chosen or {}).items() if key >= day.isoformat() and key != day.isoformat()}
    if order is not None:
        kept[day.isoformat()] = list(order)
    return kept
