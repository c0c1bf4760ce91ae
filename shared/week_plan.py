"""Suggesting the week: which customers due by their tier's cadence go on which day of a rep's week.

The supervisor's planner lists the customers due this week (shared/cadence.py); this puts them on days. Each
customer, in the order given (tier A first, then the most overdue), goes to the day and place in that day's
order where it adds the least: the extra travel, plus a penalty for each day it would be visited after its
due day (and a small one for each day before it, so that it is not visited much earlier than its cadence
asks), plus a little for each stop the day already has, so that the week is spread rather than the first
good day filled to its last minute. A day takes a customer only where it receives reps that day (its door
hours) and only if the day then misses no more reception windows than before and still ends by the end of
the working day: the day's length and the windows decide how many fit. The days' existing stops keep their
order; customers are inserted between them. Customers that fit nowhere are reported with the reason of
their best try.

This is a greedy heuristic (cheapest insertion across days), documented in docs/routes.md; the day's own
order can then be improved with the planner's best order (shared/route_order.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shared.door_hours import Window
from shared.route_order import DayPlan, Missed, Point, Stop, Travel, TravelModel, schedule

LATE_MINUTES_PER_DAY = 60.0  # one day after the due day costs as much as an hour more on the road
EARLY_MINUTES_PER_DAY = 5.0  # one day before it costs five minutes: early is fine, much earlier is not
BUSY_MINUTES_PER_STOP = 8.0  # a day with ten stops costs 80 minutes more than an empty one
TRIED_PLACES = 3  # the places in a day's order with the least extra km are checked with the full schedule


@dataclass(frozen=True)
class Candidate:
    """A customer to place: where, how long a visit takes, its windows on each day of the week (a day
    missing from `windows` is all day), and when it is due (None: overdue or never visited, due at once)."""

    id: str
    at: Point | None
    minutes: int
    windows: Mapping[dt.date, tuple[Window, ...]] = field(default_factory=dict)
    due: dt.date | None = None

    def stop_on(self, day: dt.date) -> Stop:
        if day in self.windows:
            return Stop(self.id, self.at, self.minutes, self.windows[day])
        return Stop(self.id, self.at, self.minutes)


@dataclass(frozen=True)
class WorkDay:
    day: dt.date
    stops: Sequence[Stop]  # already planned, in their order


@dataclass(frozen=True)
class WeekFill:
    orders: dict[dt.date, list[str]]  # each day's stops with the suggested ones inserted
    added: dict[dt.date, list[str]]  # the suggested customers of each day, in the order they were placed
    left_out: list[tuple[str, Missed]]  # customers that fit no day, and why their best try failed


def fill_week(
    days: Sequence[WorkDay],
    candidates: Sequence[Candidate],
    base: Point | None,
    day_start: float,
    day_end: float,
    travel: Travel | None = None,
) -> WeekFill:
    """Place each candidate on the day and at the place that adds the least (see the module's text)."""
    travel = travel or TravelModel()
    orders = {work.day: list(work.stops) for work in days}
    added: dict[dt.date, list[str]] = {work.day: [] for work in days}
    left_out: list[tuple[str, Missed]] = []

    def day_plan(stops: list[Stop]) -> DayPlan | None:
        located = [stop for stop in stops if stop.at is not None]
        start = base or (located[0].at if located else None)
        return schedule(stops, start, day_start, travel, end_at=base, day_end=day_end) if start else None

    current = {day: day_plan(stops) for day, stops in orders.items()}
    for candidate in candidates:
        if candidate.at is None:
            left_out.append((candidate.id, Missed.NO_POSITION))
            continue
        best: tuple[float, dt.date, list[Stop], DayPlan | None] | None = None
        reason = Missed.CLOSED
        for day, stops in orders.items():
            stop, before = candidate.stop_on(day), current[day]
            if not stop.windows:
                continue
            if before is not None and before.finish + stop.minutes > day_end:
                reason = Missed.DAY_OVER  # a stop only ever adds time: this day is full for it
                continue
            for place in _cheapest_places(stops, stop, base, travel):
                trial = [*stops[:place], stop, *stops[place:]]
                plan = day_plan(trial)
                if plan is not None and _misses(plan) > (_misses(before) if before else 0):
                    reason = next((a.missed for a in plan.missed if a.stop.id == stop.id), None) or Missed.DAY_OVER
                    continue
                extra = (plan.travel_minutes if plan else 0.0) - (before.travel_minutes if before else 0.0)
                cost = extra + _due_penalty(day, candidate.due) + BUSY_MINUTES_PER_STOP * len(stops)
                if best is None or cost < best[0]:
                    best = (cost, day, trial, plan)
                break  # the cheapest place that fits is this day's best
        if best is None:
            left_out.append((candidate.id, reason))
            continue
        _, day, trial, plan = best
        orders[day], current[day] = trial, plan
        added[day].append(candidate.id)
    return WeekFill({day: [stop.id for stop in stops] for day, stops in orders.items()}, added, left_out)


def _misses(plan: DayPlan) -> int:
    """Windows the day misses (a stop without a position is not a miss here: it has no place in the order)."""
    return sum(1 for arrival in plan.missed if arrival.missed is not Missed.NO_POSITION)


def _due_penalty(day: dt.date, due: dt.date | None) -> float:
    if due is None:  # due at once: each day of waiting is a day late
        return 0.0
    late = (day - due).days
    return late * LATE_MINUTES_PER_DAY if late > 0 else -late * EARLY_MINUTES_PER_DAY


def _cheapest_places(stops: Sequence[Stop], stop: Stop, base: Point | None, travel: Travel) -> list[int]:
    """The places in `stops` where `stop` adds the fewest km (between its neighbours, or from the base),
    the cheapest first; at most TRIED_PLACES of them."""
    assert stop.at is not None
    located = [index for index, other in enumerate(stops) if other.at is not None]
    places: list[tuple[float, int]] = []
    for slot in range(len(located) + 1):
        before = stops[located[slot - 1]].at if slot > 0 else base
        after = stops[located[slot]].at if slot < len(located) else base
        extra = (travel.km(before, stop.at) if before else 0.0) + (travel.km(stop.at, after) if after else 0.0)
        if before and after:
            extra -= travel.km(before, after)
        places.append((extra, located[slot] if slot < len(located) else len(stops)))
    return [place for _, place in sorted(places)[:TRIED_PLACES]]
