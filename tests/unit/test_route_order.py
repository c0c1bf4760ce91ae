"""The order of a rep's day (shared/route_order.py): windows kept, misses said, and short routes."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.door_hours import ALL_DAY
from shared.route_order import Missed, Stop, TravelModel, best_order, schedule

BASE = (38.85, 115.49)  # a county town
MORNING = 8 * 60


def county_day(size: int, seed: int, windowed: float = 0.3) -> list[Stop]:
    """`size` customers around BASE (about 50 × 50 km); some receive reps only in the morning or afternoon."""
    chance = random.Random(seed)
    stops = []
    for number in range(size):
        at = (BASE[0] + chance.uniform(-0.25, 0.25), BASE[1] + chance.uniform(-0.3, 0.3))
        windows = ALL_DAY
        if chance.random() < windowed:
            windows = chance.choice([((480, 600),), ((840, 1020),), ((480, 690), (870, 1020))])
        stops.append(Stop(f"c{number}", at, chance.choice([15, 20, 30]), windows))
    return stops


def cost(plan_stops: list[Stop], **options: object) -> tuple[int, float]:
    plan = schedule(plan_stops, BASE, MORNING, **options)  # type: ignore[arg-type]
    return len(plan.missed), plan.travel_minutes


def test_travel_is_the_straight_line_times_the_road_factor_at_the_average_speed() -> None:
    model = TravelModel(road_factor=1.3, speed_kmh=30)
    one_degree_north = (BASE[0] + 1, BASE[1])
    assert model.km(BASE, one_degree_north) == pytest.approx(111.19 * 1.3, rel=1e-3)
    assert model.minutes(BASE, one_degree_north) == pytest.approx(111.19 * 1.3 / 30 * 60, rel=1e-3)


def test_a_rep_who_arrives_early_waits_for_the_window_and_a_late_one_misses_it() -> None:
    near = (BASE[0] + 0.01, BASE[1])  # about 1.4 km: 3 minutes
    afternoon = Stop("clinic", near, minutes=30, windows=((14 * 60, 17 * 60),))
    plan = schedule([afternoon], BASE, MORNING)
    (arrival,) = plan.arrivals
    assert arrival.arrive < 9 * 60 and arrival.start == 14 * 60 and arrival.leave == 14 * 60 + 30
    assert arrival.missed is None

    too_late = schedule([afternoon], BASE, 16 * 60 + 40)  # the visit would end after 17:00
    assert too_late.arrivals[0].missed is Missed.LATE
    closed = schedule([Stop("shut", near, windows=())], BASE, MORNING)
    assert closed.arrivals[0].missed is Missed.CLOSED
    after_work = schedule([Stop("any", near)], BASE, 17 * 60 + 50, day_end=18 * 60)
    assert after_work.arrivals[0].missed is Missed.DAY_OVER


def test_a_stop_without_a_position_keeps_its_place_after_the_others_and_says_why() -> None:
    stops = county_day(5, seed=1)
    unknown = Stop("unknown", None)
    plan = best_order([unknown, *stops], BASE, MORNING)
    assert plan.order[-1] == "unknown" and plan.arrivals[-1].missed is Missed.NO_POSITION
    assert sorted(plan.order) == sorted(stop.id for stop in [unknown, *stops])


def test_windows_decide_the_order_before_distance() -> None:
    """The far pharmacy receives reps only until 08:50: it comes first although the clinic is on the way."""
    clinic = Stop("clinic", (BASE[0] + 0.05, BASE[1]))
    pharmacy = Stop("pharmacy", (BASE[0] + 0.1, BASE[1]), windows=((MORNING, 8 * 60 + 50),))
    plan = best_order([clinic, pharmacy], BASE, MORNING)
    assert plan.order == ["pharmacy", "clinic"] and not plan.missed
    assert schedule([clinic, pharmacy], BASE, MORNING).missed  # the given order would miss it


def test_an_infeasible_window_is_reported_not_hidden() -> None:
    near = (BASE[0] + 0.01, BASE[1])
    both_at_nine = [
        Stop("a", near, minutes=30, windows=((9 * 60, 9 * 60 + 30),)),
        Stop("b", near, minutes=30, windows=((9 * 60, 9 * 60 + 30),)),
    ]
    plan = best_order(both_at_nine, BASE, MORNING)
    assert [arrival.missed for arrival in plan.arrivals] == [None, Missed.LATE]


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=0, max_value=14), seed=st.integers(min_value=0, max_value=10_000))
def test_the_order_has_every_stop_keeps_every_window_it_claims_and_is_never_worse_than_the_plan(
    size: int, seed: int
) -> None:
    stops = county_day(size, seed)
    plan = best_order(stops, BASE, MORNING, end_at=BASE, day_end=18 * 60)
    assert sorted(plan.order) == sorted(stop.id for stop in stops)
    for arrival in plan.arrivals:
        assert arrival.start >= arrival.arrive
        if arrival.missed is None:
            assert any(opens <= arrival.start and arrival.leave <= closes for opens, closes in arrival.stop.windows)
            assert arrival.leave <= 18 * 60
    as_planned = schedule(stops, BASE, MORNING, end_at=BASE, day_end=18 * 60)
    assert (len(plan.missed), plan.travel_minutes) <= (len(as_planned.missed), as_planned.travel_minutes + 1e-6)


def test_small_days_come_out_as_short_as_the_best_order() -> None:
    """Against every order of 6 stops: the same misses, and travel within 5 % on at least 95 % of 60 days."""
    close_enough = 0
    for seed in range(60):
        stops = county_day(6, seed)
        plan = best_order(stops, BASE, MORNING, end_at=BASE, day_end=18 * 60)
        best = min(cost(list(order), end_at=BASE, day_end=18 * 60) for order in itertools.permutations(stops))
        assert len(plan.missed) == best[0], f"day {seed}"
        close_enough += plan.travel_minutes <= best[1] * 1.05
    assert close_enough >= 57


def test_reordering_the_rest_of_the_day_after_a_skip_and_an_added_stop() -> None:
    """The phone's case: from where the rep stands at 11:00, the remaining stops with one added."""
    stops = county_day(10, seed=7)
    here, now = stops[2].at, 11 * 60
    assert here is not None
    remaining = [stop for stop in stops[3:] if stop.id != "c5"]  # c5 skipped
    added = Stop("walk-in", (BASE[0] + 0.02, BASE[1] - 0.02))
    plan = best_order([*remaining, added], here, now, day_end=18 * 60)
    assert sorted(plan.order) == sorted(stop.id for stop in [*remaining, added])
    assert plan.arrivals[0].arrive >= now
    assert all(later.arrive >= earlier.leave for earlier, later in itertools.pairwise(plan.arrivals))
