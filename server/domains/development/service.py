"""Customer development on the server: lifecycle status, A/B/C value tier, credit rating.

The rules themselves are pure (rules.py); this module reads the orders, applies the rules and writes
what changed through customers.service.set_computed (so phones receive it with the customer). Lifecycle
moves when an order arrives and daily (time alone makes customers dormant, then lost); tiers are
recomputed daily and when a supervisor asks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso, today
from server.db import write_session
from server.domains.customers.models import Customer
from server.domains.customers.service import set_computed
from server.domains.development.models import CreditRatingChange
from server.domains.development.rules import LifecycleRules, TierRules, lifecycle_status, value_tiers
from server.domains.orders.models import Order, counted_order, is_counted
from server.errors import Forbidden, NotFound, ValidationFailed
from server.settings import Settings
from shared.enums import CreditRating, ValueTier
from shared.ids import new_id


def lifecycle_rules(settings: Settings) -> LifecycleRules:
    return LifecycleRules(
        active_days=settings.lifecycle_active_days,
        dormant_days=settings.lifecycle_dormant_days,
        lost_days=settings.lifecycle_lost_days,
    )


def tier_rules(settings: Settings) -> TierRules:
    return TierRules(
        window_days=settings.tier_window_days, a_share=settings.tier_a_share, b_share=settings.tier_b_share
    )


def _order_days(session: Session, customer_ids: set[str], since: dt.date | None = None) -> dict[str, set[dt.date]]:
    """The days each customer ordered on: stored orders, and orders of this session not yet flushed
    (a push applies its ops without flushing)."""
    days: dict[str, set[dt.date]] = {cid: set() for cid in customer_ids}
    ids = sorted(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(col(Order.customer_id), col(Order.order_day)).where(
            col(Order.customer_id).in_(chunk), counted_order()
        )
        if since is not None:
            query = query.where(col(Order.order_day) >= since)
        for customer_id, day in session.exec(query.distinct()).all():
            days[customer_id].add(day)
    for pending in session.new:
        if isinstance(pending, Order) and pending.customer_id in days and is_counted(pending):
            days[pending.customer_id].add(pending.order_day)
    return days


def refresh_lifecycle(session: Session, customers: Iterable[Customer], day: dt.date, rules: LifecycleRules) -> int:
    """Apply the lifecycle rules to these customers as of `day`; returns how many changed status."""
    by_id = {customer.id: customer for customer in customers if not customer.deleted}
    days = _order_days(session, set(by_id))
    changed = 0
    for customer_id, customer in by_id.items():
        status = lifecycle_status(days[customer_id], day, customer.status, rules)
        if status is not None and set_computed(session, customer, {"status": status.value}):
            changed += 1
    return changed


def refresh_all_lifecycles(session: Session, day: dt.date, rules: LifecycleRules) -> int:
    """Every customer who ever ordered: the daily pass that moves customers to dormant and lost.

    Reads each customer's last order day, and the order days recent enough to make them active."""
    last_days = select(Order.customer_id, func.max(Order.order_day)).where(counted_order())
    last = dict(session.exec(last_days.group_by(Order.customer_id)).all())
    if not last:
        return 0
    recent = _order_days(session, set(last), since=day - dt.timedelta(days=rules.dormant_days + rules.active_days + 1))
    customers = session.exec(
        select(Customer).where(col(Customer.id).in_(sorted(last)), col(Customer.deleted).is_(False))
    ).all()
    changed = 0
    for customer in customers:
        status = lifecycle_status({last[customer.id], *recent[customer.id]}, day, customer.status, rules)
        if status is not None and set_computed(session, customer, {"status": status.value}):
            changed += 1
    return changed


@dataclass(frozen=True)
class TierOutcome:
    changed: int
    counts: dict[str, int] = field(default_factory=dict)  # customers per tier after the run
    window_start: dt.date | None = None


def sales_in_window(session: Session, day: dt.date, rules: TierRules) -> dict[str, float]:
    """Each customer's sales over the window ending on `day` (customers without orders are absent)."""
    start = rules.window_start(day)
    query = (
        select(Order.customer_id, func.sum(Order.amount))
        .where(col(Order.order_day) >= start, col(Order.order_day) <= day, counted_order())
        .group_by(Order.customer_id)
    )
    return {customer_id: round(float(total or 0), 2) for customer_id, total in session.exec(query).all()}


def recompute_tiers(session: Session, day: dt.date, rules: TierRules) -> TierOutcome:
    """Every customer's A/B/C tier from the window's orders; customers without orders are C."""
    customers = session.exec(select(Customer).where(col(Customer.deleted).is_(False))).all()
    sales = sales_in_window(session, day, rules)
    tiers = value_tiers({c.id: sales.get(c.id, 0.0) for c in customers}, rules)
    changed = sum(1 for c in customers if set_computed(session, c, {"tier": tiers[c.id].value}))
    counts = Counter(tier.value for tier in tiers.values())
    return TierOutcome(changed, {tier.value: counts.get(tier.value, 0) for tier in ValueTier}, rules.window_start(day))


def set_credit_rating(
    session: Session, actor: Actor, customer_id: str, rating: str, reason: str | None = None
) -> CreditRatingChange | None:
    """A supervisor rates the customer's credit; each change is kept in the history. None: no change."""
    if actor.is_rep:
        raise Forbidden("only supervisors set a customer's credit rating", path="credit_rating")
    if rating not in {r.value for r in CreditRating}:
        allowed = ", ".join(r.value for r in CreditRating)
        raise ValidationFailed(f"credit_rating must be one of {allowed}", path="credit_rating")
    if reason is not None and len(reason) > 200:
        raise ValidationFailed("reason must be at most 200 characters", path="reason")
    customer = session.get(Customer, customer_id)
    if customer is None or customer.deleted:
        raise NotFound("no such customer", path="customer_id")
    previous = customer.credit_rating
    if previous == rating:
        return None
    set_computed(session, customer, {"credit_rating": rating})
    change = CreditRatingChange(
        id=new_id(),
        customer_id=customer_id,
        rating=rating,
        previous=previous,
        reason=(reason or "").strip() or None,
        changed_by=actor.id,
        changed_at=now_iso(),
    )
    session.add(change)
    return change


def credit_history(session: Session, customer_id: str, limit: int = 20) -> list[CreditRatingChange]:
    """Newest first."""
    query = select(CreditRatingChange).where(CreditRatingChange.customer_id == customer_id)
    return list(session.exec(query.order_by(col(CreditRatingChange.changed_at).desc()).limit(limit)).all())


def tier_counts(session: Session, territory: str) -> dict[str, int]:
    """How many of the territory's customers are in each A/B/C tier (deleted ones too; no tier: "None")."""
    query = select(Customer.tier, func.count()).where(Customer.territory == territory).group_by(Customer.tier)
    return {str(tier): int(count) for tier, count in session.exec(query).all()}


# Scheduled jobs (server.app.SCHEDULED_JOBS): each runs once a day across all server processes.
def lifecycle_job(engine: Engine, settings: Settings, now: dt.datetime) -> int:
    with write_session(engine) as session:
        return refresh_all_lifecycles(session, now.astimezone(settings.tz).date(), lifecycle_rules(settings))


def tiers_job(engine: Engine, settings: Settings, now: dt.datetime) -> TierOutcome:
    with write_session(engine) as session:
        return recompute_tiers(session, now.astimezone(settings.tz).date(), tier_rules(settings))


def recompute_tiers_now(engine: Engine, settings: Settings) -> TierOutcome:
    with write_session(engine) as session:
        return recompute_tiers(session, today(settings.tz), tier_rules(settings))
