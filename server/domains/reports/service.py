"""The supervisor's dashboard: a period's figures for a team or a rep, from SQL aggregates.

Definitions (../shared/domain.md, shared/rates.py):
- 拜访完成率 / 拜访成功率 over a period: the seeds' daily tallies (shared.rates.tally_day, per rep and day)
  summed: planned customer-days visited on the route / planned customer-days, and those who ordered / those
  visited on the route. Off-route visits count in neither.
- New customers developed: customers whose first order ever falls in the period (prospect -> new).
- Churn rate (客户流失率): customers new or active at the start of the period (the day before it) who are
  dormant or lost at its end, over those active at the start. Statuses are those the lifecycle rules
  (development/rules.py) give from the order days, so any past period can be computed.
- Complaint response and resolution times: from received to the first step past "received" (responded_at)
  and to "resolved" (resolved_at), for the complaints received in the period.

A scope is a rep (by rep id, customers they own), a territory (its reps, its customers) or the company.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, false, func, or_, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import local_day
from server.domains.complaints.models import Complaint
from server.domains.complaints.service import timer
from server.domains.customers.models import Customer
from server.domains.development.rules import LifecycleRules
from server.domains.orders.models import Order, counted_order
from server.domains.reports.hooks import FunnelStage, TargetRow, pipeline_funnel, target_achievement
from server.domains.reports.period import Period, Scope
from server.domains.routes.models import RoutePlan
from server.domains.teams import team_of
from server.domains.users.models import User
from server.domains.visits.models import Visit
from server.errors import Forbidden, NotFound
from shared.enums import Role
from shared.rates import DayTally, VisitOutcome, tally_day

EMPTY_TALLY = DayTally(0, 0, 0, 0, 0)


def sum_tallies(tallies: Iterable[DayTally]) -> DayTally:
    total = EMPTY_TALLY
    for tally in tallies:
        total = DayTally(
            planned=total.planned + tally.planned,
            visited_on_route=total.visited_on_route + tally.visited_on_route,
            visited_off_route=total.visited_off_route + tally.visited_off_route,
            ordered_on_route=total.ordered_on_route + tally.ordered_on_route,
            ordered_off_route=total.ordered_off_route + tally.ordered_off_route,
        )
    return total


# --- who may see what -------------------------------------------------------------------------------------


def visible_territory(actor: Actor) -> str | None:
    """The one territory this person may see; None: every territory (admins, company-wide supervisors)."""
    return team_of(actor) if actor.role == Role.SUPERVISOR else None  # server/domains/teams.py


def territories(session: Session) -> list[str]:
    """Every territory that has reps or customers, for the scope picker."""
    of_reps = session.exec(select(User.territory).where(User.role == Role.REP.value).distinct()).all()
    of_customers = session.exec(select(Customer.territory).distinct()).all()
    return sorted({name for name in [*of_reps, *of_customers] if name})


def reps_in(session: Session, territory: str | None) -> list[User]:
    query = select(User).where(User.role == Role.REP.value)
    if territory:
        query = query.where(User.territory == territory)
    return list(session.exec(query.order_by(col(User.username))).all())


def find_rep(session: Session, actor: Actor, username: str) -> User:
    """The rep with this username, if the actor may see them (a supervisor: only the reps of their team)."""
    rep = session.exec(select(User).where(User.username == username, User.role == Role.REP.value)).first()
    fixed = visible_territory(actor)
    if rep is None or (fixed and rep.territory != fixed):  # another team's rep is unknown here, not refused
        raise NotFound("no such rep", path="rep")
    return rep


def resolve_scope(session: Session, actor: Actor, territory: str | None, rep_username: str | None) -> Scope:
    """The scope asked for, within what the actor may see; a supervisor's own team by default."""
    fixed = visible_territory(actor)
    if fixed and territory and territory != fixed:
        raise Forbidden(f"you see your own territory ({fixed}) only", path="territory")
    if rep_username:
        rep = find_rep(session, actor, rep_username)
        return Scope(territory=rep.territory, rep_id=rep.id, rep_ids=frozenset({rep.id}))
    territory = fixed or territory or None
    if territory is None:
        return Scope()
    if territory != fixed and territory not in territories(session):  # a new team may have no one yet
        raise NotFound("no such territory", path="territory")
    return Scope(territory=territory, rep_ids=frozenset(rep.id for rep in reps_in(session, territory)))


def _rep_filter(column: Any, scope: Scope) -> ColumnElement[bool]:
    if scope.rep_ids is None:
        return true()
    return col(column).in_(sorted(scope.rep_ids)) if scope.rep_ids else false()


def _customer_filter(scope: Scope) -> ColumnElement[bool]:
    """Customer-based measures: the rep's own customers, or the territory's."""
    if scope.rep_id:
        return col(Customer.owner_rep_id) == scope.rep_id
    if scope.territory:
        return col(Customer.territory) == scope.territory
    return true()


# --- the seeds' rates, per rep and day ---------------------------------------------------------------------


def day_tallies(session: Session, scope: Scope, start: dt.date, end: dt.date) -> dict[tuple[str, dt.date], DayTally]:
    """shared.rates.tally_day for every (rep, day) with a plan or a visit: plans read as they are (small
    rows), visits aggregated to one row per rep, day and customer with "did they order"."""
    planned: dict[tuple[str, dt.date], list[str]] = {}
    plan_query = select(col(RoutePlan.rep_id), col(RoutePlan.day), col(RoutePlan.customer_ids)).where(
        col(RoutePlan.day) >= start, col(RoutePlan.day) <= end, _rep_filter(RoutePlan.rep_id, scope)
    )
    for rep_id, day, customer_ids in session.exec(plan_query).all():
        planned[(rep_id, day)] = list(customer_ids)
    # shared.rates.visit_ordered: an order recorded on the visit, or "ordered" ticked.
    # An order held for approval (pending or rejected) does not make its visit ordered, the phone's tick aside.
    held_order = aliased(Order)  # not the outer join's orders: its own rows
    held = exists().where(
        col(held_order.visit_id) == col(Visit.id),
        col(held_order.approval_status).is_not(None),
        col(held_order.approval_status) != "approved",
    )
    ticked = and_(col(Visit.ordered).is_(True), ~held)
    ordered = func.max(case((or_(ticked, col(Order.id).is_not(None)), 1), else_=0))
    visit_query = (
        select(col(Visit.rep_id), col(Visit.visit_day), col(Visit.customer_id), ordered)
        .select_from(Visit)
        .outerjoin(Order, (col(Order.visit_id) == col(Visit.id)) & counted_order())
        .where(col(Visit.visit_day) >= start, col(Visit.visit_day) <= end, _rep_filter(Visit.rep_id, scope))
        .group_by(col(Visit.rep_id), col(Visit.visit_day), col(Visit.customer_id))
    )
    outcomes: dict[tuple[str, dt.date], list[VisitOutcome]] = defaultdict(list)
    for rep_id, day, customer_id, did_order in session.exec(visit_query).all():
        outcomes[(rep_id, day)].append(VisitOutcome(customer_id, bool(did_order)))
    return {key: tally_day(planned.get(key, []), outcomes.get(key, [])) for key in planned.keys() | outcomes.keys()}


def visits_per_rep_day(session: Session, scope: Scope, start: dt.date, end: dt.date) -> dict[tuple[str, dt.date], int]:
    query = (
        select(col(Visit.rep_id), col(Visit.visit_day), func.count(col(Visit.id)))
        .where(col(Visit.visit_day) >= start, col(Visit.visit_day) <= end, _rep_filter(Visit.rep_id, scope))
        .group_by(col(Visit.rep_id), col(Visit.visit_day))
    )
    return {(rep_id, day): int(count) for rep_id, day, count in session.exec(query).all()}


def orders_per_rep_day(
    session: Session, scope: Scope, start: dt.date, end: dt.date
) -> dict[tuple[str, dt.date], tuple[int, float]]:
    """(orders, amount) per rep and order day."""
    query = (
        select(col(Order.rep_id), col(Order.order_day), func.count(col(Order.id)), func.sum(col(Order.amount)))
        .where(
            col(Order.order_day) >= start,
            col(Order.order_day) <= end,
            _rep_filter(Order.rep_id, scope),
            counted_order(),
        )
        .group_by(col(Order.rep_id), col(Order.order_day))
    )
    return {(rep_id, day): (int(n), float(amount or 0)) for rep_id, day, n, amount in session.exec(query).all()}


# --- customers: developed and churned ------------------------------------------------------------------------


def new_customers(session: Session, scope: Scope, period: Period) -> int:
    """Customers whose first order ever falls in the period."""
    first = (
        select(col(Order.customer_id).label("customer_id"), func.min(col(Order.order_day)).label("first_day"))
        .where(counted_order())
        .group_by(col(Order.customer_id))
        .subquery()
    )
    query = (
        select(func.count())
        .select_from(first)
        .join(Customer, col(Customer.id) == first.c.customer_id)
        .where(
            first.c.first_day >= period.start,
            first.c.first_day <= period.end,
            col(Customer.deleted).is_(False),
            _customer_filter(scope),
        )
    )
    return int(session.exec(query).one())


@dataclass(frozen=True)
class Churn:
    active_at_start: int
    churned: int

    @property
    def rate(self) -> float | None:
        return None if self.active_at_start == 0 else 100.0 * self.churned / self.active_at_start


def churn(session: Session, scope: Scope, period: Period, rules: LifecycleRules) -> Churn:
    """By the lifecycle rules a customer who ever ordered is new or active while their last order is at
    most `dormant_days` old, dormant or lost after: so "active at the start" and "dormant or lost at the
    end" are two comparisons of last order days, counted in one query."""
    eve = period.start - dt.timedelta(days=1)
    # Only customers with an order in the dormant window before the eve count, and for them the latest orders
    # lie in that window or after it: older orders change nothing (a range of the order_day index, not all).
    window_start = eve - dt.timedelta(days=rules.dormant_days)
    last = (
        select(
            col(Order.customer_id).label("customer_id"),
            func.max(case((col(Order.order_day) <= eve, col(Order.order_day)))).label("before"),
            func.max(col(Order.order_day)).label("last_day"),
        )
        .where(col(Order.order_day) >= window_start, col(Order.order_day) <= period.end, counted_order())
        .group_by(col(Order.customer_id))
        .subquery()
    )
    gone = last.c.last_day < period.end - dt.timedelta(days=rules.dormant_days)
    query = (
        select(func.count(), func.sum(case((gone, 1), else_=0)))
        .select_from(last)
        .join(Customer, col(Customer.id) == last.c.customer_id)
        .where(
            last.c.before >= window_start,
            col(Customer.deleted).is_(False),
            _customer_filter(scope),
        )
    )
    active, churned = session.exec(query).one()
    return Churn(int(active or 0), int(churned or 0))


# --- complaints ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintTimes:
    received: int
    responded: int
    resolved: int
    late_responses: int  # answered after the severity's deadline, or not yet and already past it
    response_hours: float | None  # mean, of those responded
    resolution_hours: float | None  # mean, of those resolved


def _hours(start: str, end: str | None) -> float | None:
    if not end:
        return None
    seconds = (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    return max(0.0, seconds / 3600)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def complaint_times(session: Session, scope: Scope, period: Period, now: dt.datetime) -> ComplaintTimes:
    """Complaints received in the period. `received_at` keeps the device's offset, so the text range is
    widened by a day each side in SQL and the exact local day checked here (complaints are few)."""
    tz = now.tzinfo
    query = select(Complaint).join(Customer, col(Customer.id) == col(Complaint.customer_id))
    if scope.rep_id:
        query = query.where(col(Customer.owner_rep_id) == scope.rep_id)
    elif scope.territory:
        query = query.where(col(Complaint.territory) == scope.territory)
    query = query.where(
        col(Complaint.received_at) >= (period.start - dt.timedelta(days=1)).isoformat(),
        col(Complaint.received_at) < (period.end + dt.timedelta(days=2)).isoformat(),
    )
    rows = [
        row
        for row in session.exec(query).all()
        if tz is not None and period.start <= local_day(row.received_at, tz) <= period.end  # type: ignore[arg-type]
    ]
    responses = [h for row in rows if (h := _hours(row.received_at, row.responded_at)) is not None]
    resolutions = [h for row in rows if (h := _hours(row.received_at, row.resolved_at)) is not None]
    return ComplaintTimes(
        received=len(rows),
        responded=len(responses),
        resolved=len(resolutions),
        late_responses=sum(1 for row in rows if timer(row).overdue(now)),
        response_hours=_mean(responses),
        resolution_hours=_mean(resolutions),
    )


# --- the dashboard -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepFigures:
    rep: User
    tally: DayTally
    visits: int
    orders: int
    amount: float


@dataclass(frozen=True)
class Trend:
    """One measure per rep and day: values[rep_id][i] belongs to days[i]; None where it is undefined."""

    measure: str  # "completion", "visits", "amount"
    days: list[dt.date]
    values: dict[str, list[float | None]]


@dataclass(frozen=True)
class Dashboard:
    period: Period
    scope: Scope
    tally: DayTally
    visits: int
    orders: int
    amount: float
    new_customers: int
    churn: Churn
    complaints: ComplaintTimes
    reps: list[RepFigures]
    trends: list[Trend]
    targets: list[TargetRow] | None = None  # None: the targets module is not there yet
    funnel: list[FunnelStage] | None = None  # None: the pipeline module is not there yet


def dashboard(session: Session, scope: Scope, period: Period, *, rules: LifecycleRules, now: dt.datetime) -> Dashboard:
    """The period's figures up to today (`now`'s day): days still to come have plans but no visits yet,
    and are not yet missed, so they count in no rate; the trend lines stop at today."""
    shown = period
    period = Period(period.kind, period.start, min(period.end, now.date()))
    trend = shown.trend()
    first = min(trend.start, period.start)
    tallies = day_tallies(session, scope, first, period.end)
    visits = visits_per_rep_day(session, scope, first, period.end)
    orders = orders_per_rep_day(session, scope, first, period.end)

    def in_period(key: tuple[str, dt.date]) -> bool:
        return period.start <= key[1] <= period.end

    rep_ids = {key[0] for key in (*tallies, *visits, *orders)}
    reps = {rep.id: rep for rep in reps_in(session, scope.territory) if rep.active or rep.id in rep_ids}
    if scope.rep_id:
        reps = {rep_id: rep for rep_id, rep in reps.items() if rep_id == scope.rep_id}

    def per_rep(values: dict[tuple[str, dt.date], Any]) -> dict[str, list[Any]]:
        """The period's values by rep in one pass (a pass per rep was 40 reps × every rep-day of the trend)."""
        found: dict[str, list[Any]] = defaultdict(list)
        for key, value in values.items():
            if in_period(key):
                found[key[0]].append(value)
        return found

    tallies_of, visits_of, orders_of = per_rep(tallies), per_rep(visits), per_rep(orders)
    figures = [
        RepFigures(
            rep=rep,
            tally=sum_tallies(tallies_of[rep.id]),
            visits=sum(visits_of[rep.id]),
            orders=sum(o[0] for o in orders_of[rep.id]),
            amount=round(sum(o[1] for o in orders_of[rep.id]), 2),
        )
        for rep in reps.values()
    ]

    def series(values: dict[tuple[str, dt.date], Any], pick: Any) -> dict[str, list[float | None]]:
        return {
            rep_id: [pick(values.get((rep_id, day))) if day <= period.end else None for day in trend.days]
            for rep_id in reps
        }

    trends = [
        Trend("completion", trend.days, series(tallies, lambda t: t.completion_rate if t else None)),
        Trend("visits", trend.days, series(visits, lambda n: float(n or 0))),
        Trend("amount", trend.days, series(orders, lambda o: o[1] if o else 0.0)),
    ]
    return Dashboard(
        period=shown,
        scope=scope,
        tally=sum_tallies(t for key, t in tallies.items() if in_period(key)),
        visits=sum(n for key, n in visits.items() if in_period(key)),
        orders=sum(o[0] for key, o in orders.items() if in_period(key)),
        amount=round(sum(o[1] for key, o in orders.items() if in_period(key)), 2),
        new_customers=new_customers(session, scope, period),
        churn=churn(session, scope, period, rules),
        complaints=complaint_times(session, scope, period, now),
        reps=figures,
        trends=trends,
        targets=target_achievement(session, scope, period),
        funnel=pipeline_funnel(session, scope, period),
    )
