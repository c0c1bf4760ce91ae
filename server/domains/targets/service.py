"""Monthly sales targets (销售目标) per rep, and their achievement (完成率) computed from the records.

A month is a calendar month of the server's time zone (settings.TIMEZONE): orders count by their
`order_day` and visits by their `visit_day`, both already the local day in that zone, so an order at
23:30 on the last day of the month belongs to that month whatever the phone's offset was.

- sales amount (销售额): the sum of the rep's orders (server/domains/orders) in the month;
- new customers (新客户): customers whose first order ever falls in the month, credited to the rep who took
  that first order (the lifecycle's "first order" in server/domains/development: 潜在客户 → 新客户);
- visits (拜访次数): the rep's visits checked in during the month (on the route or not, phone visits too);
- achievement (完成率) = actual / target; none when no target is set or the target is zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.actor import Actor
from server.changes.log import record_change, record_data, rep_audience
from server.clock import now_iso
from server.domains.access import check_fields
from server.domains.orders.models import Order, counted_order
from server.domains.targets.models import SalesTarget
from server.domains.users.models import User
from server.domains.visits.models import Visit
from server.errors import Forbidden, NotFound, ValidationFailed
from shared.enums import RecordKind, Role
from shared.ids import new_id
from shared.records import month as month_problem


def parse_month(month: str, *, path: str = "month") -> tuple[dt.date, dt.date]:
    """The first and last day of a YYYY-MM month."""
    problem = month_problem(month)
    if problem:
        raise ValidationFailed(f"month {problem}", path=path)
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def achievement_rate(actual: float, target: float | None) -> float | None:
    """完成率: actual / target (1.0 is 100%); None without a target or with a target of zero."""
    if target is None or target <= 0:
        return None
    return round(actual / target, 4)


def target_data(target: SalesTarget) -> dict[str, Any]:
    return record_data(target)


def team_reps(session: Session, actor: Actor) -> list[User]:
    """The reps whose targets the actor sets: an admin (or a supervisor without territory) all of them, a
    supervisor the reps of their territory; by name."""
    if actor.is_rep:
        raise Forbidden("only supervisors set targets", path="rep_id")
    query = select(User).where(User.role == Role.REP.value, col(User.active).is_(True))
    if actor.role != Role.ADMIN and actor.territory is not None:
        query = query.where(User.territory == actor.territory)
    return list(session.exec(query.order_by(col(User.display_name))).all())


def set_target(
    session: Session,
    actor: Actor,
    rep_id: str,
    month: str,
    *,
    sales_amount: float,
    new_customers: int,
    visits: int,
    path: str = "target",
) -> SalesTarget:
    """Set (or change) a rep's targets for a month; the rep's phone receives them with its next pull."""
    fields: dict[str, object] = {
        "rep_id": rep_id,
        "month": month,
        "sales_amount": sales_amount,
        "new_customers": new_customers,
        "visits": visits,
    }
    check_fields(RecordKind.SALES_TARGET, fields, creating=True, path=path)
    rep = session.get(User, rep_id)
    if rep is None or rep.role != Role.REP.value:
        raise NotFound("no such rep", path=f"{path}.rep_id")
    if rep.id not in {user.id for user in team_reps(session, actor)}:
        raise Forbidden(f"{rep.display_name} is not in your team", path=f"{path}.rep_id")
    target = session.exec(select(SalesTarget).where(SalesTarget.rep_id == rep_id, SalesTarget.month == month)).first()
    if target is None:
        target = SalesTarget(
            id=new_id(),
            rep_id=rep_id,
            month=month,
            sales_amount=sales_amount,
            new_customers=new_customers,
            visits=visits,
            set_by=actor.id,
            updated_at=now_iso(),
        )
    else:
        target.sales_amount, target.new_customers, target.visits = sales_amount, new_customers, visits
        target.set_by, target.updated_at = actor.id, now_iso()
    session.add(target)
    record_change(
        session,
        RecordKind.SALES_TARGET,
        target.id,
        audience=rep_audience(rep_id),
        territory=rep.territory or "",
        data=target_data(target),
    )
    return target


def targets_of_month(session: Session, rep_ids: Iterable[str], month: str) -> dict[str, SalesTarget]:
    ids = sorted(set(rep_ids))
    if not ids:
        return {}
    query = select(SalesTarget).where(SalesTarget.month == month, col(SalesTarget.rep_id).in_(ids))
    return {target.rep_id: target for target in session.exec(query).all()}


@dataclass(frozen=True)
class Measure:
    target: float | None
    actual: float

    @property
    def rate(self) -> float | None:
        return achievement_rate(self.actual, self.target)

    def as_dict(self) -> dict[str, float | None]:
        return {"target": self.target, "actual": self.actual, "rate": self.rate}


@dataclass(frozen=True)
class Achievement:
    """One rep's month: target and actual of sales amount, new customers and visits."""

    rep_id: str
    month: str
    amount: Measure
    new_customers: Measure
    visits: Measure

    def as_dict(self) -> dict[str, Any]:
        return {
            "rep_id": self.rep_id,
            "month": self.month,
            "sales_amount": self.amount.as_dict(),
            "new_customers": self.new_customers.as_dict(),
            "visits": self.visits.as_dict(),
        }


def _new_customers_by_rep(session: Session, first: dt.date, last: dt.date) -> dict[str, int]:
    """Customers whose first order ever is in [first, last], counted for the rep who took that order."""
    first_days = (
        select(Order.customer_id, func.min(Order.order_day).label("first_day"))
        .where(counted_order())
        .group_by(col(Order.customer_id))
        .subquery()
    )
    query = select(Order).join(
        first_days,
        (col(Order.customer_id) == first_days.c.customer_id) & (col(Order.order_day) == first_days.c.first_day),
    )
    query = query.where(first_days.c.first_day >= first, first_days.c.first_day <= last, counted_order())
    earliest: dict[str, Order] = {}
    for order in session.exec(query).all():
        seen = earliest.get(order.customer_id)
        moment = dt.datetime.fromisoformat(order.ordered_at)
        if seen is None or (moment, order.id) < (dt.datetime.fromisoformat(seen.ordered_at), seen.id):
            earliest[order.customer_id] = order
    counts: dict[str, int] = {}
    for order in earliest.values():
        counts[order.rep_id] = counts.get(order.rep_id, 0) + 1
    return counts


def target_achievement(session: Session, rep_ids: Iterable[str], month: str) -> dict[str, Achievement]:
    """Per rep: the month's target and actual for sales amount, new customers and visits (see the module doc).

    For the dashboard and the targets page; a rep without a target has `target: None` and no rate."""
    ids = sorted(set(rep_ids))
    first, last = parse_month(month)
    if not ids:
        return {}
    amounts = dict(
        session.exec(
            select(Order.rep_id, func.sum(Order.amount))
            .where(
                col(Order.rep_id).in_(ids), col(Order.order_day) >= first, col(Order.order_day) <= last, counted_order()
            )
            .group_by(col(Order.rep_id))
        ).all()
    )
    visits = dict(
        session.exec(
            select(Visit.rep_id, func.count())
            .where(col(Visit.rep_id).in_(ids), col(Visit.visit_day) >= first, col(Visit.visit_day) <= last)
            .group_by(col(Visit.rep_id))
        ).all()
    )
    new_customers = _new_customers_by_rep(session, first, last)
    targets = targets_of_month(session, ids, month)
    outcome: dict[str, Achievement] = {}
    for rep_id in ids:
        target = targets.get(rep_id)
        outcome[rep_id] = Achievement(
            rep_id=rep_id,
            month=month,
            amount=Measure(target.sales_amount if target else None, round(float(amounts.get(rep_id) or 0), 2)),
            new_customers=Measure(float(target.new_customers) if target else None, float(new_customers.get(rep_id, 0))),
            visits=Measure(float(target.visits) if target else None, float(visits.get(rep_id) or 0)),
        )
    return outcome
