"""Geometry for the pages' inline SVG: trend lines and the day's map. Pure; the templates draw it.

Server-drawn SVG needs no script and no map tiles: the map is the check-ins and the customers' locations
projected on a plain background (equirectangular, scaled by the cosine of the latitude, which is exact
enough at a county's size), so it works on an intranet with no internet.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#57606a")
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Axis:
    """A value axis from 0: its top, the step between ticks, and the ticks (0, step, 2 step, ... top)."""

    top: float
    step: float
    ticks: list[float]


NICE_STEPS = (1, 2, 5)  # x 10^k: ticks a reader counts in without effort (never 2.5: 2.5, 7.5 read badly)


def nice_axis(highest: float, *, integer: bool = False, most: int = 5) -> Axis:
    """The smallest 1, 2 or 5 x 10^k step that covers `highest` in at most `most` intervals; a count's step
    is whole (visits go 0, 2, 4, 6, 8, 10, never 2.5). Nothing to show (0): one step of 1."""
    if not highest > 0 or not math.isfinite(highest):
        return Axis(1.0, 1.0, [0.0, 1.0])
    power = math.floor(math.log10(highest / most)) - 1
    while True:
        for multiple in NICE_STEPS:
            step = multiple * 10.0**power
            if integer and step < 1:
                continue
            intervals = math.ceil(highest / step - 1e-9)
            if intervals <= most:
                ticks = [round(step * k, 10) for k in range(intervals + 1)]
                return Axis(ticks[-1], round(step, 10), ticks)
        power += 1


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    day: dt.date
    value: float


@dataclass(frozen=True)
class ChartSeries:
    key: str
    colour: str
    segments: list[str]  # SVG polyline points, one per unbroken run of values
    points: list[ChartPoint]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    y_max: float
    y_step: float
    y_ticks: list[tuple[float, float]]  # (y, value)
    x_ticks: list[tuple[float, dt.date]]
    series: list[ChartSeries]


def line_chart(
    days: Sequence[dt.date],
    values: Mapping[str, Sequence[float | None]],
    *,
    y_max: float | None = None,
    integer: bool = False,
    tick_label: Callable[[float], str] = str,
    width: int = 560,
    height: int = 220,
) -> LineChart:
    """One line per key; a None value breaks its line (e.g. a day without a plan has no completion rate).
    The y axis reaches `y_max` (a rate's 100) or the highest value, in round ticks (`nice_axis`); the plot
    starts right of the widest tick as `tick_label` writes it (¥1,500,000 needs more room than 100%)."""
    axis = nice_axis(
        y_max or max((v for vs in values.values() for v in vs if v is not None), default=0), integer=integer
    )
    widest = max(len(tick_label(value)) for value in axis.ticks)
    left, top, right, bottom = max(56.0, 8.0 + 9.0 * widest), 12.0, width - 24.0, height - 28.0
    top_value = axis.top
    step_x = (right - left) / max(1, len(days) - 1)

    def x_of(index: int) -> float:
        return round(left + index * step_x if len(days) > 1 else (left + right) / 2, 1)

    def y_of(value: float) -> float:
        return round(bottom - (bottom - top) * min(value, top_value) / top_value, 1)

    series = []
    for index, (key, row) in enumerate(values.items()):
        segments: list[list[str]] = [[]]
        points = []
        for i, value in enumerate(row):
            if value is None:
                segments.append([])
                continue
            point = ChartPoint(x_of(i), y_of(value), days[i], value)
            points.append(point)
            segments[-1].append(f"{point.x},{point.y}")
        series.append(ChartSeries(key, PALETTE[index % len(PALETTE)], [" ".join(s) for s in segments if s], points))
    every = max(1, math.ceil(len(days) / 8))
    return LineChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        y_max=top_value,
        y_step=axis.step,
        y_ticks=[(y_of(value), value) for value in axis.ticks],
        x_ticks=[(x_of(i), day) for i, day in enumerate(days) if i % every == 0],
        series=series,
    )


# --- the day's map -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Something to put on the map, in degrees."""

    key: str
    lat: float
    lng: float


@dataclass(frozen=True)
class MapPoint:
    key: str
    x: float
    y: float


@dataclass(frozen=True)
class DayMap:
    width: int
    height: int
    points: dict[str, MapPoint]  # by key
    scale_px: float  # the scale bar's length
    scale_m: int  # what it stands for

    def path(self, keys: Sequence[str]) -> str:
        """SVG polyline points through the places with these keys, in order (unknown keys skipped)."""
        return " ".join(f"{self.points[k].x},{self.points[k].y}" for k in keys if k in self.points)


def nice_distance(metres: float) -> int:
    """The largest 1, 2, 5 x 10^k metres not above `metres` (a scale bar's length)."""
    power = 10 ** max(0, math.floor(math.log10(max(metres, 1))))
    for step in (5, 2, 1):
        if step * power <= metres:
            return int(step * power)
    return int(power)


def day_map(places: Sequence[Place], *, width: int = 640, height: int = 420, margin: float = 28.0) -> DayMap:
    """Project the places into a width x height box, north up, keeping distances' proportions."""
    if not places:
        return DayMap(width, height, {}, 0.0, 0)
    mid_lat = math.radians((min(p.lat for p in places) + max(p.lat for p in places)) / 2)
    xs = {p.key: p.lng * math.cos(mid_lat) for p in places}
    ys = {p.key: p.lat for p in places}
    span_x = max(xs.values()) - min(xs.values())
    span_y = max(ys.values()) - min(ys.values())
    # At least ~500 m across, so one customer and its check-in do not fill the whole map.
    span = max(span_x / (width - 2 * margin), span_y / (height - 2 * margin), 500 / METRES_PER_DEGREE / width)
    centre_x = (max(xs.values()) + min(xs.values())) / 2
    centre_y = (max(ys.values()) + min(ys.values())) / 2
    points = {
        p.key: MapPoint(
            p.key,
            round(width / 2 + (xs[p.key] - centre_x) / span, 1),
            round(height / 2 - (ys[p.key] - centre_y) / span, 1),
        )
        for p in places
    }
    metres_per_px = span * METRES_PER_DEGREE
    scale_m = nice_distance(metres_per_px * width / 4)
    return DayMap(width, height, points, round(scale_m / metres_per_px, 1), scale_m)
