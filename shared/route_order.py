"""The order of a rep's day: fewest missed reception windows first, then least travel.

Used by the server's planner and, offline, by the phone to re-order the rest of today after a skip, an
added stop or a late start. Pure Python, no solver: cheapest insertion from a few seeds, then 2-opt and
or-opt moves until none helps (a local search; `make bench` measures how far it is from the best order).

Travel without a road network: the great-circle distance times a road factor, at an average speed
(`TravelModel`, set per territory). Anything with the same two methods (`Travel`) can stand in for it, for
example a client of a road-distance server (OSRM) that a company runs.

Times are minutes since the company day's midnight. A stop is served inside one of its windows: the
visit starts no earlier than the window opens and ends no later than it closes (a rep who arrives early
waits). A stop that cannot be served that way is still in the plan, marked with the reason.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from shared.door_hours import ALL_DAY, Window
from shared.visit_rules import distance_m

Point = tuple[float, float]  # latitude, longitude
ROAD_FACTOR = 1.3  # county roads are about this much longer than the straight line
SPEED_KMH = 30.0  # average on county roads, villages and turns included
# The time planned at a customer, by its kind (shared.enums.CustomerKind); the server's VISIT_PLAN_MINUTES.
DEFAULT_PLAN_MINUTES = {
    "township_hospital": 40,
    "village_clinic": 20,
    "clinic": 25,
    "pharmacy": 15,
    "retailer": 15,
    "dealer": 45,
    "industrial": 30,
}
NEAR = 10  # or-opt puts stops next to one of their nearest 10 only
SMALL_DAY = 15  # up to this many stops the search tries harder: more starts, and misses searched in full
RANDOM_STARTS = 6


class Travel(Protocol):
    def km(self, a: Point, b: Point) -> float: ...

    def minutes(self, a: Point, b: Point) -> float: ...


@dataclass(frozen=True)
class TravelModel:
    """Straight-line distance times `road_factor`, driven at `speed_kmh`."""

    road_factor: float = ROAD_FACTOR
    speed_kmh: float = SPEED_KMH

    def km(self, a: Point, b: Point) -> float:
        return distance_m(a[0], a[1], b[0], b[1]) / 1000 * self.road_factor

    def minutes(self, a: Point, b: Point) -> float:
        return self.km(a, b) / self.speed_kmh * 60


def point_of(value: object) -> Point | None:
    """A [lat, lng] pair as sent (JSON has no tuples); anything else, or a place off the globe, is none."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    lat, lng = value
    if not all(isinstance(part, int | float) and not isinstance(part, bool) for part in (lat, lng)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return float(lat), float(lng)


@dataclass(frozen=True)
class RouteRules:
    """What the server says a day is planned with, so that a phone orders its day as the planner does: the
    time planned at a customer by its kind (VISIT_PLAN_MINUTES), the door hours of customers without their
    own by kind (DOOR_HOURS_BY_KIND, stored form), the road factor and the rep's territory's speed, and the
    rep's base (where the day starts and ends; None when no admin set it). Phones receive it at sign-in and
    with every pull (`route_rules`) and keep it; before that, the defaults."""

    plan_minutes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PLAN_MINUTES))
    door_hours_by_kind: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    road_factor: float = ROAD_FACTOR
    speed_kmh: float = SPEED_KMH
    base: Point | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "plan_minutes": dict(self.plan_minutes),
            "door_hours_by_kind": {kind: dict(hours) for kind, hours in self.door_hours_by_kind.items()},
            "road_factor": self.road_factor,
            "speed_kmh": self.speed_kmh,
            "base": list(self.base) if self.base is not None else None,
        }

    @classmethod
    def from_dict(cls, value: object) -> RouteRules:
        """Read what the server sent; a missing or malformed part keeps its default (an older server)."""
        if not isinstance(value, Mapping):
            return cls()
        rules = cls()
        minutes, hours = value.get("plan_minutes"), value.get("door_hours_by_kind")
        road, speed = value.get("road_factor"), value.get("speed_kmh")
        return cls(
            base=point_of(value.get("base")),
            plan_minutes={str(k): int(v) for k, v in minutes.items() if isinstance(v, int) and v >= 0}
            if isinstance(minutes, Mapping)
            else rules.plan_minutes,
            door_hours_by_kind={str(k): v for k, v in hours.items() if isinstance(v, Mapping)}
            if isinstance(hours, Mapping)
            else {},
            road_factor=float(road) if isinstance(road, int | float) and road >= 1 else rules.road_factor,
            speed_kmh=float(speed) if isinstance(speed, int | float) and speed > 0 else rules.speed_kmh,
        )

    def minutes_at(self, kind: object) -> int:
        return self.plan_minutes.get(str(kind), DEFAULT_PLAN_MINUTES.get(str(kind), 20))

    @property
    def travel(self) -> TravelModel:
        return TravelModel(road_factor=self.road_factor, speed_kmh=self.speed_kmh)


class Missed(StrEnum):
    CLOSED = "closed"  # no reception window that day
    LATE = "late"  # arrives after the last window in which the visit still fits
    DAY_OVER = "day_over"  # the visit would end after the rep's working day
    NO_POSITION = "no_position"  # the customer has no location: kept at the end, in the given order


@dataclass(frozen=True)
class Stop:
    id: str
    at: Point | None
    minutes: int = 20  # time spent with the customer
    windows: tuple[Window, ...] = ALL_DAY  # () = not received that day


@dataclass(frozen=True)
class Arrival:
    stop: Stop
    arrive: float  # minute of the day
    start: float  # after waiting for the window to open
    leave: float
    km: float  # from the previous place
    missed: Missed | None


@dataclass(frozen=True)
class DayPlan:
    arrivals: list[Arrival]
    km: float  # start to last stop, and back to the end place if one is given
    travel_minutes: float
    finish: float  # minute of the day at the last stop's leave (or back at the end place)

    @property
    def missed(self) -> list[Arrival]:
        return [arrival for arrival in self.arrivals if arrival.missed is not None]

    @property
    def order(self) -> list[str]:
        return [arrival.stop.id for arrival in self.arrivals]


def _served_at(arrive: float, stop: Stop, day_end: float | None) -> tuple[float, Missed | None]:
    """When the visit starts, and why it misses (None: it is served in a window)."""
    if not stop.windows:
        return arrive, Missed.CLOSED
    for opens, closes in stop.windows:
        start = max(arrive, opens)
        if start + stop.minutes <= closes:
            if day_end is not None and start + stop.minutes > day_end:
                return arrive, Missed.DAY_OVER
            return start, None
    return arrive, Missed.LATE


class _Day:
    """One planning problem with its travel matrix: index 0 is the start, 1..n the stops, n+1 the end."""

    def __init__(
        self,
        stops: Sequence[Stop],
        start_at: Point,
        start_minute: float,
        travel: Travel,
        end_at: Point | None,
        day_end: float | None,
    ) -> None:
        self.stops = list(stops)
        self.start_minute = start_minute
        self.day_end = day_end
        self.returns = end_at is not None
        places: list[Point] = [start_at, *(stop.at for stop in stops if stop.at is not None), end_at or start_at]
        self.minutes = [[travel.minutes(a, b) for b in places] for a in places]
        self.km = [[travel.km(a, b) for b in places] for a in places]
        self.end = len(places) - 1
        # Each stop's nearest (itself among them), where or-opt may put it: the same for every pass of the search.
        self.near = {index: self._nearest(index) for index in range(1, self.end)}

    def travel_of(self, route: Sequence[int]) -> float:
        return self._travel_from(0, route)

    def cost(self, route: Sequence[int]) -> tuple[int, float, float]:
        """(missed windows, travel minutes, finish): compared in that order."""
        missed, clock, here = 0, self.start_minute, 0
        for index in route:
            clock += self.minutes[here][index]
            stop = self.stops[index - 1]
            start, miss = _served_at(clock, stop, self.day_end)
            missed += miss is not None
            clock = start + stop.minutes
            here = index
        travel = self.travel_of(route)
        if self.returns:
            clock += self.minutes[here][self.end]
        return missed, round(travel, 6), round(clock, 6)

    def insertion(self, seed: Sequence[int]) -> list[int]:
        """Each stop in turn where it costs least."""
        route: list[int] = []
        for index in seed:
            route = self.inserted(route, index)
        return route

    def inserted(self, route: list[int], index: int) -> list[int]:
        """`route` with the stop `index` where it costs least."""
        return min(([*route[:at], index, *route[at:]] for at in range(len(route) + 1)), key=self.cost)

    def search(self, seed: Sequence[int]) -> list[int]:
        """Insert the stops in the seed's order; the stops that then miss their window leave the route (the
        others only arrive earlier without them), the rest is improved, and each one left is put back where
        it is served, if there is such a place. What still misses goes last."""
        route = self.insertion(seed)
        states = self._prefixes(route)
        unfit = [index for position, index in enumerate(route) if states[position + 1][0] > states[position][0]]
        route = self.improve([index for index in route if index not in unfit])
        left: list[int] = []
        for index in unfit:
            placed = self.inserted(route, index)
            if self.cost(placed)[0] == 0:
                route = self.improve(placed)
            else:
                left.append(index)
        if left and len(route) + len(left) <= SMALL_DAY:  # where a full search is cheap: try to serve them
            return self.improve(route + left)
        return route + left

    def improve(self, route: list[int]) -> list[int]:
        """2-opt (reverse a stretch) and or-opt (move one to three stops next to a near stop) until no move
        helps. Each move is scheduled from where it changes the route, and given up once it cannot win."""
        improved = True
        while improved:
            improved = False
            state = self._prefixes(route)
            best = self.cost(route)
            for changed_from, tail in self._moves(route, state, best):
                if self._beats(state[changed_from], route[changed_from - 1] if changed_from else 0, tail, best):
                    route = route[:changed_from] + tail
                    improved = True
                    break
        return route

    def _prefixes(self, route: Sequence[int]) -> list[tuple[int, float, float]]:
        """(missed, clock, travel) after each stop of `route`; [0] is the start."""
        states = [(0, float(self.start_minute), 0.0)]
        missed, clock, travel, here = 0, float(self.start_minute), 0.0, 0
        for index in route:
            leg = self.minutes[here][index]
            stop = self.stops[index - 1]
            start, miss = _served_at(clock + leg, stop, self.day_end)
            missed, clock, travel, here = missed + (miss is not None), start + stop.minutes, travel + leg, index
            states.append((missed, clock, travel))
        return states

    def _beats(
        self, state: tuple[int, float, float], here: int, tail: Sequence[int], best: tuple[int, float, float]
    ) -> bool:
        """Whether the route made of a known prefix (its `state` at place `here`) and `tail` costs less."""
        missed, clock, travel = state
        if missed == best[0] and travel + self._travel_from(here, tail) > best[1] + 1e-9:
            return False  # it could only win on travel, and travels more: known without the windows
        for index in tail:
            leg = self.minutes[here][index]
            stop = self.stops[index - 1]
            start, miss = _served_at(clock + leg, stop, self.day_end)
            missed, clock, travel, here = missed + (miss is not None), start + stop.minutes, travel + leg, index
            if missed > best[0] or (missed == best[0] and travel > best[1] + 1e-9):
                return False  # misses and travel only grow along the route
        if self.returns:
            clock, travel = clock + self.minutes[here][self.end], travel + self.minutes[here][self.end]
        return (missed, round(travel, 6), round(clock, 6)) < best

    def _travel_from(self, here: int, tail: Sequence[int]) -> float:
        """The minutes driven from place `here` through `tail` (and back to the end place, if one is given)."""
        minutes, total = self.minutes, 0.0
        for index in tail:
            total += minutes[here][index]
            here = index
        return total + (minutes[here][self.end] if self.returns else 0.0)

    def _nearest(self, index: int) -> set[int]:
        ranked = sorted(range(1, self.end), key=lambda other: self.minutes[index][other])
        return set(ranked[: NEAR + 1])

    def _moves(
        self, route: list[int], state: Sequence[tuple[int, float, float]], best: tuple[int, float, float]
    ) -> Iterator[tuple[int, list[int]]]:
        """Each move as (the first position it changes, the route from there). A reversal that could only win on
        travel and travels more is left out before it is built: its travel comes from sums along the route."""
        size, minutes, end = len(route), self.minutes, self.end
        back = [0.0]  # back[k]: the legs route[1] -> route[0], ..., route[k] -> route[k - 1], summed
        for k in range(size - 1):
            back.append(back[-1] + minutes[route[k + 1]][route[k]])
        after = [0.0] * (size + 1)  # after[k]: the travel from route[k] to the end (back to the end place)
        after[size - 1] = minutes[route[-1]][end] if self.returns and size else 0.0
        for k in range(size - 2, -1, -1):
            after[k] = minutes[route[k]][route[k + 1]] + after[k + 1]
        for i in range(size - 1):
            missed, _, travel = state[i]
            here = route[i - 1] if i else 0
            for j in range(i + 1, size):
                if missed == best[0]:  # route[i..j] reversed: the same travel as _travel_from, without the walk
                    if j + 1 < size:
                        onward = minutes[route[i]][route[j + 1]] + after[j + 1]
                    else:
                        onward = minutes[route[i]][end] if self.returns else 0.0
                    if travel + minutes[here][route[j]] + back[j] - back[i] + onward > best[1] + 1e-9:
                        continue
                yield i, route[i : j + 1][::-1] + route[j + 1 :]
        near = self.near
        for length in (1, 2, 3):
            for i in range(size - length + 1):
                segment, rest = route[i : i + length], route[:i] + route[i + length :]
                close = near[segment[0]] | near[segment[-1]]
                for at in range(len(rest) + 1):
                    if at == i or not ({*rest[max(at - 1, 0) : at + 1]} & close):
                        continue
                    changed_from = min(at, i)
                    yield changed_from, (rest[:at] + segment + rest[at:])[changed_from:]

    def plan(self, route: Sequence[int], unplaced: Sequence[Stop]) -> DayPlan:
        arrivals: list[Arrival] = []
        clock, here, km, travel = self.start_minute, 0, 0.0, 0.0
        for index in route:
            stop = self.stops[index - 1]
            clock += self.minutes[here][index]
            start, miss = _served_at(clock, stop, self.day_end)
            arrivals.append(Arrival(stop, clock, start, start + stop.minutes, self.km[here][index], miss))
            km, travel = km + self.km[here][index], travel + self.minutes[here][index]
            clock, here = start + stop.minutes, index
        if self.returns:
            km, travel = km + self.km[here][self.end], travel + self.minutes[here][self.end]
            clock += self.minutes[here][self.end]
        for stop in unplaced:  # no distance known: after the rest, with its own time only
            arrivals.append(Arrival(stop, clock, clock, clock + stop.minutes, 0.0, Missed.NO_POSITION))
            clock += stop.minutes
        return DayPlan(arrivals, km, travel, clock)


def schedule(
    stops: Sequence[Stop],
    start_at: Point,
    start_minute: float,
    travel: Travel | None = None,
    end_at: Point | None = None,
    day_end: float | None = None,
) -> DayPlan:
    """The day in the order given: arrivals, waits and missed windows (stops without a position last)."""
    located = [stop for stop in stops if stop.at is not None]
    day = _Day(located, start_at, start_minute, travel or TravelModel(), end_at, day_end)
    return day.plan(range(1, len(located) + 1), [stop for stop in stops if stop.at is None])


def best_order(
    stops: Sequence[Stop],
    start_at: Point,
    start_minute: float,
    travel: Travel | None = None,
    end_at: Point | None = None,
    day_end: float | None = None,
) -> DayPlan:
    """The order with the fewest missed windows and then the least travel that the search finds; never
    worse than the order given. Stops without a position keep their order, after the others."""
    located = [stop for stop in stops if stop.at is not None]
    day = _Day(located, start_at, start_minute, travel or TravelModel(), end_at, day_end)
    given = list(range(1, len(located) + 1))
    seeds = [
        given,
        sorted(given, key=lambda index: _latest_start(located[index - 1])),  # tightest windows first
        sorted(given, key=lambda index: day.minutes[0][index]),  # nearest to the start first
    ]
    if len(given) <= SMALL_DAY:  # a few more starts where they are cheap, the same ones every time
        shuffler = random.Random(len(given))
        seeds += [shuffler.sample(given, len(given)) for _ in range(RANDOM_STARTS)]
    routes = [given, *(day.search(seed) for seed in seeds)]
    return day.plan(min(routes, key=day.cost), [stop for stop in stops if stop.at is None])


def _latest_start(stop: Stop) -> float:
    return max((closes - stop.minutes for _, closes in stop.windows), default=float("inf"))
