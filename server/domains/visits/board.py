"""The supervisor's day board: per rep the seeds' two rates (shared.rates.tally_day), and the day's visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from server.clock import local_day, local_time
from server.domains.customers.models import Customer
from server.domains.customers.service import customers_by_id
from server.domains.orders.service import held_visit_ids, order_amounts_by_visit
from server.domains.routes.service import plans_of_day
from server.domains.users.models import User
from server.domains.users.service import list_reps
from server.domains.visits.models import Visit
from server.domains.visits.service import visits_of_day
from shared.enums import CustomerStatus
from shared.rates import (
    DayTally,
    VisitOutcome,
    format_rate,
    tally_day,
    visit_completion_rate,
    visit_ordered,
    visit_success_rate,
)


@dataclass(frozen=True)
class RepDay:
    rep: User
    planned_ids: list[str]
    tally: DayTally

    @property
    def completion(self) -> str:
        return format_rate(self.tally.completion_rate)

    @property
    def success(self) -> str:
        return format_rate(self.tally.success_rate)


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    rep: User | None
    customer: Customer | None
    on_route: bool
    check_in: dt.datetime | None
    check_out: dt.datetime | None
    ordered: bool = False  # shared.rates.visit_ordered: an order recorded, or "ordered" ticked
    amount: float | None = None  # the visit's orders' total, else the amount the rep typed

    @property
    def duration_minutes(self) -> int | None:
        if self.check_in is None or self.check_out is None:
            return None
        return max(0, round((self.check_out - self.check_in).total_seconds() / 60))


@dataclass(frozen=True)
class DayBoard:
    day: dt.date
    reps: list[RepDay]
    visits: list[VisitRow]
    prospects: list[Customer]

    @property
    def totals(self) -> DayTally:
        return DayTally(
            planned=sum(row.tally.planned for row in self.reps),
            visited_on_route=sum(row.tally.visited_on_route for row in self.reps),
            visited_off_route=sum(row.tally.visited_off_route for row in self.reps),
            ordered_on_route=sum(row.tally.ordered_on_route for row in self.reps),
            ordered_off_route=sum(row.tally.ordered_off_route for row in self.reps),
        )

    @property
    def total_completion(self) -> str:
        totals = self.totals
        return format_rate(visit_completion_rate(totals.visited_on_route, totals.planned))

    @property
    def total_success(self) -> str:
        totals = self.totals
        return format_rate(visit_success_rate(totals.ordered_on_route, totals.visited_on_route))


def day_board(session: Session, day: dt.date, tz: ZoneInfo, territory: str | None = None) -> DayBoard:
    """The day of every rep, or of one territory's reps and customers (a supervisor's team)."""
    reps = list_reps(session, territory)
    reps_by_id = {rep.id: rep for rep in reps}
    plans = plans_of_day(session, day)
    visits = [v for v in visits_of_day(session, day) if territory is None or v.territory == territory]
    order_totals = order_amounts_by_visit(session, {v.id for v in visits})
    held = held_visit_ids(session, {v.id for v in visits})  # an order waiting for approval: not ordered yet

    def ordered(v: Visit) -> bool:
        return visit_ordered(v.ordered and v.id not in held, 1 if v.id in order_totals else 0)

    rows: list[RepDay] = []
    for rep in reps:
        plan = plans.get(rep.id)
        planned_ids = list(plan.customer_ids) if plan else []
        outcomes = [VisitOutcome(v.customer_id, ordered(v)) for v in visits if v.rep_id == rep.id]
        rows.append(RepDay(rep=rep, planned_ids=planned_ids, tally=tally_day(planned_ids, outcomes)))
    customers = customers_by_id(session, {v.customer_id for v in visits})
    visit_rows = [
        VisitRow(
            visit=v,
            rep=reps_by_id.get(v.rep_id) or session.get(User, v.rep_id),
            customer=customers.get(v.customer_id),
            on_route=v.customer_id in (plans[v.rep_id].customer_ids if v.rep_id in plans else []),
            check_in=local_time(v.check_in_at, tz),
            check_out=local_time(v.check_out_at, tz),
            ordered=ordered(v),
            amount=order_totals.get(v.id, None if v.id in held else v.order_amount),
        )
        for v in visits
    ]
    visit_rows.sort(
        key=lambda row: (row.rep.username if row.rep else "", row.check_in.timestamp() if row.check_in else 0)
    )
    return DayBoard(day=day, reps=rows, visits=visit_rows, prospects=prospects_created_on(session, day, tz, territory))


def prospects_created_on(session: Session, day: dt.date, tz: ZoneInfo, territory: str | None = None) -> list[Customer]:
    query = select(Customer).where(
        Customer.status == CustomerStatus.PROSPECT.value,
        Customer.deleted == False,  # noqa: E712
    )
    if territory is not None:
        query = query.where(Customer.territory == territory)
    return [
        customer
        for customer in session.exec(query).all()
        if customer.created_at and local_day(customer.created_at, tz) == day
    ]
