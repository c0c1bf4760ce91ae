"""Geometry for the pages' inline SVG: trend lines and the day's map. Pure; the templates draw it.

Server-drawn SVG needs no script and no map tiles: the map is the check-ins and the customers' locations
projected on a plain background (equirectangular, scaled by the cosine of the latitude, which is exact
enough at a county's size), so it works on an intranet with no internet.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#57606a")
METRES_PER_DEGREE = 111_320.0


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (an axis' top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


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
    y_ticks: list[tuple[float, float]]  # (y, value)
    x_ticks: list[tuple[float, dt.date]]
    series: list[ChartSeries]


def line_chart(
    days: Sequence[dt.date],
    values: Mapping[str, Sequence[float | None]],
    *,
    y_max: float | None = None,
    width: int = 560,
    height: int = 220,
) -> LineChart:
    """One line per key; a None value breaks its line (e.g. a day without a plan has no completion rate)."""
    left, top, right, bottom = 56.0, 12.0, width - 24.0, height - 28.0
    top_value = y_max or nice_ceiling(max((v for vs in values.values() for v in vs if v is not None), default=0))
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
        y_ticks=[(y_of(top_value * k / 4), top_value * k / 4) for k in range(5)],
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
