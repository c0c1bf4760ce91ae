"""Scenario 6: the order of a rep's day (shared/route_order.py), its quality and the phone's time (issue #18).

Generated rep-days: 8 stops across a county (about 50 × 50 km, 15-40 minutes a stop); 15 in a smaller one
(about 33 × 33 km, 10-20 minutes); 30 around a town (about 12 × 12 km, 5-10 minutes: a run of shops); 60 in
a town (about 5 × 5 km, 3-5 minutes: a round of small shops). A third of the customers receive reps only in
a window (morning, afternoon, or both with a lunch break); the day runs 08:00-18:00 from the rep's base and
back.

The best known order: every order for 8 stops (exact); for 15, 30 and 60 the best of OR-Tools' routing
solver (guided local search, a long run per day) when `ortools` is installed. OR-Tools may leave out a stop
it cannot serve, at a penalty; our search keeps every stop and marks the misses. So travel is compared on
the days where neither misses anything, and the misses are counted on the others.

Also: the km saved by ordering the demo data's route plans (server/demo.py, seeded in a temporary SQLite
file) against the order they were planned in, and the phone's time to re-order 30 remaining stops (p95).
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import Section, Table, Target, fmt, percentile
from shared.door_hours import ALL_DAY, Window
from shared.route_order import DayPlan, Point, Stop, TravelModel, best_order, schedule

START, END = 8 * 60, 18 * 60
COUNTY_SEAT = (38.85, 115.49)
WINDOWS: tuple[tuple[Window, ...], ...] = (((480, 690),), ((870, 1050),), ((480, 690), (870, 1050)))


@dataclass(frozen=True)
class Size:
    stops: int
    half_width: float  # degrees around the base
    minutes: tuple[int, ...]
    days: int  # instances (full run)
    seconds: float  # OR-Tools' time per day (full run)


SIZES = (
    Size(8, 0.22, (15, 20, 30, 40), 20, 2.0),
    Size(15, 0.15, (10, 15, 20), 10, 10.0),
    Size(30, 0.055, (5, 10), 8, 20.0),
    Size(60, 0.022, (3, 5), 6, 30.0),
)


def rep_day(size: Size, seed: int) -> list[Stop]:
    chance = random.Random(seed)
    stops = []
    for number in range(size.stops):
        at = (
            COUNTY_SEAT[0] + chance.uniform(-size.half_width, size.half_width),
            COUNTY_SEAT[1] + chance.uniform(-size.half_width, size.half_width) * 1.3,
        )
        windows = chance.choice(WINDOWS) if chance.random() < 1 / 3 else ALL_DAY
        stops.append(Stop(f"c{number}", at, chance.choice(size.minutes), windows))
    return stops


def exact(stops: list[Stop], travel: TravelModel) -> tuple[int, float]:
    """(misses, travel minutes) of the best of every order."""
    return min(
        (len(plan.missed), plan.travel_minutes)
        for plan in (
            schedule(order, COUNTY_SEAT, START, travel, COUNTY_SEAT, END) for order in itertools.permutations(stops)
        )
    )


def ortools_best(stops: list[Stop], travel: TravelModel, seconds: float) -> tuple[int, float] | None:
    """(stops left out, travel minutes of the order) from OR-Tools' routing solver; None without ortools."""
    try:  # `make bench` installs it (the bench extra of pyproject.toml); the app never needs it
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError:
        return None
    places: list[Point] = [COUNTY_SEAT, *(stop.at for stop in stops if stop.at is not None)]
    scale = 100  # OR-Tools works in integers: hundredths of a minute
    minutes = [[round(travel.minutes(a, b) * scale) for b in places] for a in places]
    manager = pywrapcp.RoutingIndexManager(len(places), 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def travel_only(from_index: int, to_index: int) -> int:
        return minutes[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    def with_service(from_index: int, to_index: int) -> int:
        node = manager.IndexToNode(from_index)
        service = stops[node - 1].minutes * scale if node else 0
        return service + minutes[node][manager.IndexToNode(to_index)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(travel_only))
    time_callback = routing.RegisterTransitCallback(with_service)
    routing.AddDimension(time_callback, 24 * 60 * scale, 24 * 60 * scale, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for node, stop in enumerate(stops, start=1):
        index = manager.NodeToIndex(node)
        opens = [(max(a, START), min(b, END) - stop.minutes) for a, b in stop.windows]
        opens = [(a, b) for a, b in opens if a <= b]
        if not opens:
            opens = [(START, START)]
        clock.CumulVar(index).SetRange(opens[0][0] * scale, opens[-1][1] * scale)
        for (_, gap_start), (gap_end, _) in itertools.pairwise(opens):  # the lunch break
            clock.CumulVar(index).RemoveInterval(gap_start * scale + 1, gap_end * scale - 1)
        routing.AddDisjunction([index], 10**9)  # leaving a stop out costs more than any travel
    clock.CumulVar(routing.Start(0)).SetRange(START * scale, START * scale)
    clock.CumulVar(routing.End(0)).SetRange(START * scale, END * scale)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(round(seconds * 1000))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return None
    order, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        if node:
            order.append(stops[node - 1])
        index = solution.Value(routing.NextVar(index))
    plan = schedule(order, COUNTY_SEAT, START, travel, COUNTY_SEAT, END)
    return len(stops) - len(order) + len(plan.missed), plan.travel_minutes


def demo_plans() -> list[tuple[DayPlan, DayPlan]]:
    """Each demo rep-day's route plan: as planned, and ordered (from the first stop, as no base is set)."""
    from sqlmodel import select

    from server.db import create_tables, make_engine, read_session
    from server.demo import seed_demo
    from server.domains.routes.models import RoutePlan
    from server.domains.routes.ordering import best_day, planned_day
    from server.settings import Settings

    with tempfile.TemporaryDirectory(prefix="routecrm-bench-routes-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}", secret_key="b" * 40, data_dir=Path(folder)
        )
        engine = make_engine(settings.database_url)
        create_tables(engine)
        seed_demo(engine, settings)
        pairs = []
        with read_session(engine) as session:
            for plan in session.exec(select(RoutePlan)).all():
                planned = planned_day(session, settings, plan.rep_id, plan.day).plan
                ordered = best_day(session, settings, plan.rep_id, plan.day).plan
                pairs.append((planned, ordered))
        engine.dispose()
    return pairs


def run(quick: bool) -> Section:
    travel = TravelModel()
    section = Section(
        key="routes",
        title="6. The order of a rep's day",
        method=__doc__.split("\n\n", 1)[1].strip() if __doc__ else "",
    )
    rows, targets = [], []
    for size in SIZES:
        days = 3 if quick else size.days
        seconds = min(size.seconds, 1.0) if quick else size.seconds
        ratios, our_times, extra_misses, missed_days, reference = [], [], 0, 0, "–"
        for seed in range(days):
            stops = rep_day(size, seed)
            started = time.perf_counter()
            ours = best_order(stops, COUNTY_SEAT, START, travel, COUNTY_SEAT, END)
            our_times.append((time.perf_counter() - started) * 1000)
            if size.stops <= 8:
                best, reference = exact(stops, travel), "every order"
            else:
                found = ortools_best(stops, travel, seconds)
                if found is None:
                    continue
                best, reference = found, f"OR-Tools, {seconds:.0f} s a day"
            if best[0] == 0 and not ours.missed:
                ratios.append(ours.travel_minutes / best[1])
            else:
                missed_days += 1
                extra_misses += max(0, len(ours.missed) - best[0])
        mean_ratio = statistics.fmean(ratios) if ratios else None
        rows.append(
            [
                str(size.stops),
                str(days),
                reference,
                fmt(mean_ratio, "×", 3) if mean_ratio else "–",
                fmt(max(ratios), "×", 3) if ratios else "–",
                f"{missed_days} ({extra_misses} more misses)",
                fmt(statistics.median(our_times), "ms"),
                fmt(max(our_times), "ms"),
            ]
        )
        targets.append(Target(f"route travel, {size.stops} stops, mean / best known", mean_ratio, 1.05, "×"))

    phone_times = []
    phone_cpu = []  # the thread's CPU time: what the search costs, whatever else shares the machine
    for seed in range(20 if quick else 100):
        stops = rep_day(SIZES[2], 1000 + seed)
        here = stops[0].at or COUNTY_SEAT
        started, started_cpu = time.perf_counter(), time.thread_time()
        best_order(
            stops, here, 11 * 60, travel, end_at=COUNTY_SEAT, day_end=END
        )  # back to the base, as the phone plans
        phone_cpu.append((time.thread_time() - started_cpu) * 1000)
        phone_times.append((time.perf_counter() - started) * 1000)
    phone_p95 = percentile(phone_times, 95)
    targets.append(Target("phone re-orders 30 remaining stops, p95", phone_p95, 200, "ms"))

    section.tables.append(
        Table(
            [
                "stops",
                "days",
                "best known by",
                "travel / best (mean)",
                "worst",
                "days with a miss",
                "ours median",
                "ours max",
            ],
            rows,
            "Quality against the best known order, and the time our search takes (this machine, one core)",
        )
    )
    pairs = demo_plans()
    planned_km = sum(planned.km for planned, _ in pairs)
    ordered_km = sum(ordered.km for _, ordered in pairs)
    section.tables.append(
        Table(
            ["demo route plans", "km as planned", "km ordered", "saved", "misses as planned", "misses ordered"],
            [
                [
                    str(len(pairs)),
                    fmt(planned_km, digits=0),
                    fmt(ordered_km, digits=0),
                    f"{(1 - ordered_km / planned_km) * 100:.0f} %" if planned_km else "–",
                    str(sum(len(planned.missed) for planned, _ in pairs)),
                    str(sum(len(ordered.missed) for _, ordered in pairs)),
                ]
            ],
            "The demo data's plans (each day from the rep's base and back)",
        )
    )
    section.targets = targets
    median_ms = fmt(statistics.median(phone_times), "ms")
    section.notes.append(f"phone re-order of 30 stops from 11:00: median {median_ms}, p95 {fmt(phone_p95, 'ms')}")
    cpu_median, cpu_p95 = fmt(statistics.median(phone_cpu), "ms"), fmt(percentile(phone_cpu, 95), "ms")
    section.notes.append(
        f"the same re-orders in CPU time of the searching thread (what a busy machine disturbs least): "
        f"median {cpu_median}, p95 {cpu_p95}; load average at the end {os.getloadavg()[0]:.1f}"
    )
    return section
