"""Suggesting the week (shared/week_plan.py): due customers go to the day and place that add the least,
inside their door hours and the working day, near their due day; the days' own stops keep their order."""

from __future__ import annotations

import datetime as dt

from shared.route_order import Missed, Stop
from shared.week_plan import Candidate, WorkDay, fill_week

MONDAY = dt.date(2026, 12, 14)
WEEK = [MONDAY + dt.timedelta(days=offset) for offset in range(5)]
BASE = (38.85, 115.49)
DAY_START, DAY_END = 8 * 60, 18 * 60


def north(degrees: float) -> tuple[float, float]:
    return BASE[0] + degrees, BASE[1]


def east(degrees: float) -> tuple[float, float]:
    return BASE[0], BASE[1] + degrees


def empty_week(days: list[dt.date] = WEEK) -> list[WorkDay]:
    return [WorkDay(day, []) for day in days]


def test_a_customer_joins_the_day_that_already_goes_its_way_and_the_days_stops_keep_their_order() -> None:
    days = [
        WorkDay(WEEK[0], [Stop("e1", east(0.1)), Stop("e2", east(0.2))]),
        WorkDay(WEEK[1], [Stop("n2", north(0.2)), Stop("n1", north(0.1))]),
    ]
    filled = fill_week(days, [Candidate("n15", north(0.15), 20)], BASE, DAY_START, DAY_END)
    assert filled.added == {WEEK[0]: [], WEEK[1]: ["n15"]}
    assert filled.orders[WEEK[1]] == ["n2", "n15", "n1"]  # between its neighbours, the others as they were
    assert filled.orders[WEEK[0]] == ["e1", "e2"] and not filled.left_out


def test_a_customer_goes_only_to_a_day_it_receives_reps() -> None:
    closed_monday = {WEEK[0]: ()}
    filled = fill_week(empty_week(WEEK[:2]), [Candidate("c", north(0.1), 20, closed_monday)], BASE, DAY_START, DAY_END)
    assert filled.added == {WEEK[0]: [], WEEK[1]: ["c"]}
    never = {day: () for day in WEEK[:2]}
    nowhere = fill_week(empty_week(WEEK[:2]), [Candidate("c", north(0.1), 20, never)], BASE, DAY_START, DAY_END)
    assert nowhere.left_out == [("c", Missed.CLOSED)]


def test_a_customer_is_placed_on_its_due_day_when_the_road_is_the_same() -> None:
    filled = fill_week(empty_week(), [Candidate("c", north(0.1), 20, due=WEEK[2])], BASE, DAY_START, DAY_END)
    assert filled.added[WEEK[2]] == ["c"]
    overdue = fill_week(empty_week(), [Candidate("c", north(0.1), 20)], BASE, DAY_START, DAY_END)
    assert overdue.added[WEEK[0]] == ["c"]  # due at once: the first day


def test_the_working_day_decides_how_many_fit_and_the_rest_go_to_the_next_days_or_are_left_out() -> None:
    # Twelve customers 5 km out, 100 minutes each: five fit in a 10-hour day.
    candidates = [Candidate(f"c{index}", north(0.045 + index * 0.001), 100) for index in range(12)]
    filled = fill_week(empty_week(WEEK[:2]), candidates, BASE, DAY_START, DAY_END)
    placed = [cid for day in WEEK[:2] for cid in filled.added[day]]
    assert len(filled.added[WEEK[0]]) == len(filled.added[WEEK[1]]) == 5
    assert sorted(placed + [cid for cid, _ in filled.left_out]) == sorted(c.id for c in candidates)
    assert filled.left_out and all(reason is Missed.DAY_OVER for _, reason in filled.left_out)
    assert sorted(placed) == sorted(f"c{index}" for index in range(10))  # the order given is the priority


def test_the_week_is_spread_rather_than_the_first_good_day_filled() -> None:
    candidates = [Candidate(f"c{index}", north(0.02 + index * 0.001), 20) for index in range(10)]
    filled = fill_week(empty_week(WEEK[:2]), candidates, BASE, DAY_START, DAY_END)
    assert len(filled.added[WEEK[0]]) == len(filled.added[WEEK[1]]) == 5


def test_a_window_is_kept_and_a_customer_that_would_break_another_s_window_goes_elsewhere() -> None:
    morning = (8 * 60, 9 * 60)
    days = [WorkDay(WEEK[0], [Stop("early", north(0.05), 20, (morning,))]), WorkDay(WEEK[1], [])]
    # A two-hour visit before the 08:00-09:00 stop would make it late; after it, the day still works.
    filled = fill_week(days, [Candidate("long", north(0.04), 120)], BASE, DAY_START, DAY_END)
    assert filled.orders[WEEK[0]] == ["early", "long"]


def test_a_customer_without_a_position_is_left_out_with_its_reason() -> None:
    filled = fill_week(empty_week(WEEK[:1]), [Candidate("c", None, 20)], BASE, DAY_START, DAY_END)
    assert filled.left_out == [("c", Missed.NO_POSITION)] and filled.added == {WEEK[0]: []}


def test_without_a_base_the_day_starts_at_its_first_stop() -> None:
    days = [WorkDay(WEEK[0], [Stop("a", north(0.1)), Stop("c", north(0.3))])]
    filled = fill_week(days, [Candidate("b", north(0.2), 20)], None, DAY_START, DAY_END)
    assert filled.orders[WEEK[0]] == ["a", "b", "c"]
