"""Visit cadence by value tier (A weekly, B every two weeks, C monthly): one rule for the phone's care
reminders (client/features/today/reminders.py) and the supervisor's route planner suggestions (server/web/planner.py).

Pure functions of dates, no clock: "overdue" means the next visit by the tier's cadence is before `today`
(a customer visited exactly one cadence ago is due today, not overdue). A tiered customer never visited
is overdue at once; a customer without a tier has no cadence.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from shared.enums import ValueTier

# How often each value tier is visited (80/20: the A customers who make most of the profit every week).
# Days, except C which is a calendar month (a visit on 31 January is due again on 28/29 February).
VISIT_CADENCE_DAYS: dict[ValueTier, int] = {ValueTier.A: 7, ValueTier.B: 14}
VISIT_CADENCE_MONTHS: dict[ValueTier, int] = {ValueTier.C: 1}

TIER_ORDER: tuple[ValueTier, ...] = tuple(ValueTier)


def tier_or_none(value: object) -> ValueTier | None:
    try:
        return ValueTier(str(value))
    except ValueError:
        return None


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def visit_due(last_visit: dt.date, tier: ValueTier) -> dt.date:
    """When a customer of `tier` last visited on `last_visit` should be visited again."""
    if tier in VISIT_CADENCE_MONTHS:
        return add_months(last_visit, VISIT_CADENCE_MONTHS[tier])
    return last_visit + dt.timedelta(days=VISIT_CADENCE_DAYS[tier])


def is_overdue(tier: ValueTier, last_visit: dt.date | None, today: dt.date) -> bool:
    return last_visit is None or visit_due(last_visit, tier) < today


def overdue_cutoff(tier: ValueTier, today: dt.date) -> dt.date:
    """The latest last-visit day that is overdue on `today`: overdue exactly when last_visit <= cutoff.
    (`visit_due` never decreases as the last visit moves later, so one cutoff per tier lets a database
    filter overdue customers with a plain comparison.)"""
    if tier in VISIT_CADENCE_DAYS:
        return today - dt.timedelta(days=VISIT_CADENCE_DAYS[tier] + 1)
    cutoff = add_months(today, -VISIT_CADENCE_MONTHS[tier])  # near the answer; month clamping moves it a little
    while visit_due(cutoff, tier) >= today:
        cutoff -= dt.timedelta(days=1)
    while visit_due(cutoff + dt.timedelta(days=1), tier) < today:
        cutoff += dt.timedelta(days=1)
    return cutoff


@dataclass(frozen=True)
class CadenceCustomer:
    """What the rule needs of a customer: id, tier, name (for a stable order), last visit day."""

    id: str
    name: str
    tier: ValueTier | None
    last_visit: dt.date | None


@dataclass(frozen=True)
class VisitSuggestion:
    customer_id: str
    name: str
    tier: ValueTier
    last_visit: dt.date | None  # None: never visited
    due: dt.date | None  # None: never visited, due at once
    overdue: bool  # already overdue today (whatever period is being planned)


def suggested_visits(
    customers: Iterable[CadenceCustomer], first_day: dt.date, last_day: dt.date, *, today: dt.date
) -> list[VisitSuggestion]:
    """Customers to plan in the period [first_day, last_day] (e.g. next week): those whose next visit by
    their tier's cadence falls on or before `last_day`, including the overdue and the never visited.
    `overdue` is as of `today` (the company's today), not of the period: planning next week on a Monday,
    a customer due on Thursday is due, not late (it was judged on next Monday and marked 已逾期).
    Order: tier A before B before C; within a tier never visited first, then the earliest due day;
    ties by name, then id (so the list is the same on every load)."""
    found = []
    for customer in customers:
        if customer.tier is None:
            continue
        due = visit_due(customer.last_visit, customer.tier) if customer.last_visit is not None else None
        if due is None or due <= last_day:
            overdue = is_overdue(customer.tier, customer.last_visit, today)
            found.append(VisitSuggestion(customer.id, customer.name, customer.tier, customer.last_visit, due, overdue))
    return sorted(
        found,
        key=lambda item: (
            TIER_ORDER.index(item.tier),
            item.due is not None,
            item.due or dt.date.min,
            item.name,
            item.customer_id,
        ),
    )
