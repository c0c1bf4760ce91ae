"""A rep's day: the planned route in its order against the visits as they happened, with times, durations,
check-in places and flags, and the day's two rates (shared.rates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.clock import local_time
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id
from server.domains.orders.models import Order
from server.domains.routes.service import get_route_plan
from server.domains.users.models import User
from server.domains.visits.models import Visit
from server.domains.visits.service import distance_m
from shared.rates import DayTally, VisitOutcome, tally_day, visit_ordered


@dataclass(frozen=True)
class DayVisit:
    sequence: int  # 1 for the day's first check-in
    visit: Visit
    customer: Customer | None
    planned_position: int | None  # the customer's place on the plan; None: off the route
    check_in: dt.datetime
    check_out: dt.datetime | None
    ordered: bool
    amount: float | None
    distance_m: float | None  # from the check-in to the customer's recorded location
    approval: str | None = None  # an order of the visit waiting for approval or rejected: not counted (审批)

    @property
    def duration_minutes(self) -> int | None:
        if self.check_out is None:
            return None
        return max(0, round((self.check_out - self.check_in).total_seconds() / 60))

    @property
    def flagged(self) -> bool:
        return bool(self.visit.flags)


@dataclass(frozen=True)
class PlannedStop:
    position: int  # 1-based, the plan's order
    customer_id: str
    customer: Customer | None
    visits: list[DayVisit]  # this customer's visits of the day, in order

    @property
    def visited(self) -> bool:
        return bool(self.visits)


@dataclass(frozen=True)
class RepDay:
    rep: User
    day: dt.date
    stops: list[PlannedStop]
    visits: list[DayVisit]
    tally: DayTally

    @property
    def minutes_at_customers(self) -> int:
        return sum(v.duration_minutes or 0 for v in self.visits)

    @property
    def in_plan_order(self) -> bool:
        """Were the planned customers visited in the plan's order (skipped ones aside)?"""
        positions = [v.planned_position for v in self.visits if v.planned_position is not None]
        firsts = list(dict.fromkeys(positions))
        return firsts == sorted(firsts)


def rep_day(session: Session, rep: User, day: dt.date, tz: ZoneInfo) -> RepDay:
    plan = get_route_plan(session, rep.id, day)
    planned_ids = list(plan.customer_ids) if plan else []
    position = {customer_id: index + 1 for index, customer_id in enumerate(planned_ids)}
    visits = session.exec(select(Visit).where(Visit.rep_id == rep.id, Visit.visit_day == day)).all()
    amounts: dict[str, float] = {}
    held: dict[str, str] = {}  # visits with an order waiting for approval or rejected (shown, not counted)
    if visits:
        query = select(Order.visit_id, Order.amount, Order.approval_status).where(
            col(Order.visit_id).in_([v.id for v in visits])
        )
        for visit_id, amount, approval in session.exec(query).all():
            if approval in (None, "approved"):
                amounts[visit_id] = round(amounts.get(visit_id, 0.0) + amount, 2)
            else:
                held[visit_id] = approval
    customers = customers_by_id(session, set(planned_ids) | {v.customer_id for v in visits})
    ordered_visits = sorted(visits, key=lambda v: dt.datetime.fromisoformat(v.check_in_at))
    rows: list[DayVisit] = []
    for sequence, visit in enumerate(ordered_visits, start=1):
        customer = customers.get(visit.customer_id)
        located = visit.check_in_lat is not None and visit.check_in_lng is not None
        known = customer is not None and customer.lat is not None and customer.lng is not None
        distance = None
        if located and known:
            assert customer is not None and customer.lat is not None and customer.lng is not None
            assert visit.check_in_lat is not None and visit.check_in_lng is not None
            distance = distance_m(visit.check_in_lat, visit.check_in_lng, customer.lat, customer.lng)
        check_in = local_time(visit.check_in_at, tz)
        assert check_in is not None
        rows.append(
            DayVisit(
                sequence=sequence,
                visit=visit,
                customer=customer,
                planned_position=position.get(visit.customer_id),
                check_in=check_in,
                check_out=local_time(visit.check_out_at, tz),
                # the phone ticks 已进货 with an order: an order held for approval does not make it ordered yet
                ordered=visit_ordered(visit.ordered and visit.id not in held, 1 if visit.id in amounts else 0),
                amount=amounts.get(visit.id, None if visit.id in held else visit.order_amount),
                approval=held.get(visit.id),
                distance_m=distance,
            )
        )
    stops = [
        PlannedStop(
            position=index + 1,
            customer_id=customer_id,
            customer=customers.get(customer_id),
            visits=[row for row in rows if row.visit.customer_id == customer_id],
        )
        for index, customer_id in enumerate(planned_ids)
    ]
    tally = tally_day(planned_ids, [VisitOutcome(row.visit.customer_id, row.ordered) for row in rows])
    return RepDay(rep=rep, day=day, stops=stops, visits=rows, tally=tally)
