"""The visit cadence by value tier (shared/cadence.py), one rule for the phone's reminders and the route
planner's suggestions: month and year ends, 29 February, never visited customers, ties, the SQL cutoff."""

from __future__ import annotations

import datetime as dt

import pytest

from client.features.today import reminders
from shared import cadence
from shared.cadence import CadenceCustomer, is_overdue, overdue_cutoff, suggested_visits, visit_due
from shared.enums import ValueTier

D = dt.date
A, B, C = ValueTier.A, ValueTier.B, ValueTier.C


def test_the_phone_uses_the_shared_rule() -> None:
    assert reminders.visit_due is cadence.visit_due
    assert reminders.add_months is cadence.add_months


@pytest.mark.parametrize(
    ("tier", "last", "today", "overdue"),
    [
        (A, D(2026, 12, 28), D(2027, 1, 4), False),  # due on 4 January, across the year's end: not late yet
        (A, D(2026, 12, 28), D(2027, 1, 5), True),
        (B, D(2026, 12, 20), D(2027, 1, 3), False),
        (B, D(2026, 12, 20), D(2027, 1, 4), True),
        (C, D(2027, 1, 31), D(2027, 2, 28), False),  # a month after 31 January is 28 February
        (C, D(2027, 1, 31), D(2027, 3, 1), True),
        (C, D(2028, 1, 31), D(2028, 2, 29), False),  # a leap year: 29 February
        (C, D(2028, 1, 31), D(2028, 3, 1), True),
        (C, D(2026, 12, 15), D(2027, 1, 15), False),
        (C, D(2026, 12, 15), D(2027, 1, 16), True),
        (C, None, D(2027, 1, 16), True),  # never visited: overdue at once
    ],
)
def test_overdue_by_tier(tier: ValueTier, last: dt.date | None, today: dt.date, overdue: bool) -> None:
    assert is_overdue(tier, last, today) is overdue


@pytest.mark.parametrize("tier", list(ValueTier))
def test_the_cutoff_agrees_with_the_rule_on_every_day_of_two_years(tier: ValueTier) -> None:
    """The web filters overdue customers in SQL with `last_visit <= cutoff`: it must say what the rule says,
    also around month ends (31 March: a month before is "28/29 February"), year ends and 29 February."""
    today = D(2027, 1, 1)
    while today < D(2029, 1, 1):
        cutoff = overdue_cutoff(tier, today)
        assert is_overdue(tier, cutoff, today), (tier, today, cutoff)
        assert not is_overdue(tier, cutoff + dt.timedelta(days=1), today), (tier, today, cutoff)
        today += dt.timedelta(days=1)


def test_overdue_cutoff_examples() -> None:
    assert overdue_cutoff(A, D(2027, 1, 4)) == D(2026, 12, 27)
    assert overdue_cutoff(C, D(2027, 3, 1)) == D(2027, 1, 31)  # 31 Jan is due 28 Feb, late on 1 March
    assert overdue_cutoff(C, D(2027, 2, 28)) == D(2027, 1, 27)  # 28 Jan is due 28 Feb: not late yet
    assert visit_due(D(2027, 1, 28), C) == D(2027, 2, 28)


def customer(cid: str, tier: ValueTier | None, last: dt.date | None, name: str | None = None) -> CadenceCustomer:
    return CadenceCustomer(cid, name or cid, tier, last)


def test_suggestions_for_a_week_across_the_year_end() -> None:
    monday, sunday = D(2026, 12, 28), D(2027, 1, 3)
    found = suggested_visits(
        [
            customer("c-late", C, D(2026, 11, 20)),  # due 20 Dec: overdue
            customer("a-in-week", A, D(2026, 12, 24)),  # due 31 Dec, in the week
            customer("a-next-week", A, D(2026, 12, 28)),  # due 4 Jan: not this week
            customer("b-sunday", B, D(2026, 12, 20)),  # due 3 Jan, the week's last day
            customer("b-never", B, None),
            customer("untiered", None, None),  # no tier, no cadence: never suggested
            customer("c-month-end", C, D(2026, 11, 30)),  # due 30 Dec
        ],
        monday,
        sunday,
        today=monday,
    )
    assert [(s.customer_id, s.due, s.overdue) for s in found] == [
        ("a-in-week", D(2026, 12, 31), False),
        ("b-never", None, True),  # never visited first within its tier
        ("b-sunday", D(2027, 1, 3), False),
        ("c-late", D(2026, 12, 20), True),
        ("c-month-end", D(2026, 12, 30), False),
    ]


def test_ties_are_broken_by_name_then_id() -> None:
    week = (D(2027, 3, 1), D(2027, 3, 7))
    same_due = D(2027, 2, 25)
    found = suggested_visits(
        [
            customer("id-2", A, same_due, "Clinic B"),
            customer("id-3", A, same_due, "Clinic A"),
            customer("id-1", A, same_due, "Clinic B"),
            customer("id-0", A, None, "Clinic C"),
        ],
        *week,
        today=week[0],
    )
    assert [s.customer_id for s in found] == ["id-0", "id-3", "id-1", "id-2"]
    reversed_input = suggested_visits(
        [customer(s.customer_id, A, s.last_visit, s.name) for s in reversed(found)], *week, today=week[0]
    )
    assert reversed_input == found


@pytest.mark.parametrize(
    ("due", "overdue"),
    [
        (D(2026, 12, 6), True),  # due yesterday: overdue
        (D(2026, 12, 7), False),  # due today: due, not overdue yet
        (D(2026, 12, 10), False),  # due in 3 days: not overdue
    ],
)
def test_a_suggestion_is_overdue_by_today_not_by_the_planned_week(due: dt.date, overdue: bool) -> None:
    """On Monday 7 December the planner shows next week (14-20 December): a customer due on the 10th was
    marked 已逾期 because "overdue" was judged on the shown week's first day. Overdue is about today."""
    today, monday, sunday = D(2026, 12, 7), D(2026, 12, 14), D(2026, 12, 20)
    last = due - dt.timedelta(days=7)  # an A customer: weekly
    (found,) = suggested_visits([customer("a", A, last)], monday, sunday, today=today)
    assert found.due == due and found.overdue is overdue
