"""The dashboard's periods and the geometry of its inline SVG (server/domains/reports): pure functions."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from server.domains.reports import hooks
from server.domains.reports.charts import Place, day_map, line_chart, nice_axis, nice_distance
from server.domains.reports.formats import Formats
from server.domains.reports.period import PeriodKind, Scope, period_of


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        (PeriodKind.DAY, "2026-11-27", "2026-11-27", "2026-11-27"),
        (PeriodKind.WEEK, "2026-11-27", "2026-11-23", "2026-11-29"),  # Monday to Sunday
        (PeriodKind.WEEK, "2026-11-23", "2026-11-23", "2026-11-29"),
        (PeriodKind.MONTH, "2026-11-27", "2026-11-01", "2026-11-30"),
        (PeriodKind.MONTH, "2028-02-10", "2028-02-01", "2028-02-29"),  # a leap year
        (PeriodKind.MONTH, "2026-12-31", "2026-12-01", "2026-12-31"),
        (PeriodKind.LAST_7_DAYS, "2026-12-07", "2026-12-01", "2026-12-07"),  # rolling: 7 days ending on the day
        (PeriodKind.LAST_7_DAYS, "2027-01-02", "2026-12-27", "2027-01-02"),
    ],
)
def test_a_period_is_the_day_week_or_month_around_a_day(kind: PeriodKind, day: str, start: str, end: str) -> None:
    period = period_of(kind, dt.date.fromisoformat(day))
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    assert period.next().start == period.end + dt.timedelta(days=1)
    assert period.previous().end == period.start - dt.timedelta(days=1)
    assert period_of(kind, period.anchor) == period  # the day an address names it by
    assert period.trend().days == period.days or kind == PeriodKind.DAY


def test_a_days_trend_is_the_fortnight_ending_on_it() -> None:
    trend = period_of(PeriodKind.DAY, dt.date(2026, 11, 27)).trend()
    assert len(trend.days) == 14 and trend.days[-1] == dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("highest", "integer", "ticks"),
    [
        (10, True, [0, 2, 4, 6, 8, 10]),  # visits per day: was 0, 2.5, 5, 7.5, 10 (shown as 0, 2, 5, 8, 10)
        (9, True, [0, 2, 4, 6, 8, 10]),
        (7.5, True, [0, 2, 4, 6, 8]),
        (11, True, [0, 5, 10, 15]),
        (21, True, [0, 5, 10, 15, 20, 25]),
        (3, True, [0, 1, 2, 3]),
        (1, True, [0, 1]),
        (0.3, True, [0, 1]),  # a count's step is whole
        (0, True, [0, 1]),  # nothing yet: one step
        (0.7, False, [0, 0.2, 0.4, 0.6, 0.8]),
        (100, False, [0, 20, 40, 60, 80, 100]),  # a rate
        (7301, False, [0, 2000, 4000, 6000, 8000]),
        (53448.66, False, [0, 20000, 40000, 60000]),
    ],
)
def test_axis_ticks_are_round_numbers(highest: float, integer: bool, ticks: list[float]) -> None:
    axis = nice_axis(highest, integer=integer)
    assert axis.ticks == ticks and axis.top == ticks[-1] >= highest
    assert axis.step in {m * 10.0**k for m in (1, 2, 5) for k in range(-3, 6)}  # never 2.5 x 10^k
    assert len(axis.ticks) <= 6


def test_a_visits_chart_reads_whole_numbers_on_its_axis() -> None:
    days = [dt.date(2026, 11, 30) + dt.timedelta(days=n) for n in range(7)]
    chart = line_chart(days, {"rep": [3.0, 10.0, 4.0, 0.0, 7.0, 2.0, 5.0]}, integer=True)
    assert [value for _, value in chart.y_ticks] == [0, 2, 4, 6, 8, 10]
    labels = [Formats("zh-CN").axis(value, "visits") for _, value in chart.y_ticks]
    assert labels == ["0", "2", "4", "6", "8", "10"]


def test_amount_ticks_are_grouped_like_every_amount() -> None:
    zh, en = Formats("zh-CN"), Formats("en")
    assert [zh.axis(v, "amount") for v in (0, 2000, 5000, 25000, 1_500_000)] == [
        "¥0",
        "¥2,000",
        "¥5,000",
        "¥25,000",
        "¥1,500,000",
    ]
    assert en.axis(25000, "amount") == "¥25,000" and en.axis(0.5, "visits") == "0.5"
    assert zh.axis(60, "completion") == "60%"


def test_a_line_breaks_where_a_value_is_missing_and_higher_values_are_higher() -> None:
    days = [dt.date(2026, 11, 20) + dt.timedelta(days=n) for n in range(5)]
    chart = line_chart(days, {"rep": [50.0, 100.0, None, 0.0, 25.0]}, y_max=100.0)
    (series,) = chart.series
    assert len(series.segments) == 2 and len(series.points) == 4
    ys = {point.value: point.y for point in series.points}
    assert ys[100.0] == chart.top and ys[0.0] == chart.bottom and ys[100.0] < ys[50.0] < ys[25.0] < ys[0.0]
    assert [p.x for p in series.points] == sorted(p.x for p in series.points)


def test_the_map_keeps_north_up_and_distances_in_proportion() -> None:
    # Two customers 0.01 degrees of latitude apart (~1.1 km) and one 0.01 degrees of longitude east.
    origin, north, east = Place("o", 38.70, 115.15), Place("n", 38.71, 115.15), Place("e", 38.70, 115.16)
    m = day_map([origin, north, east], width=600, height=400)
    o, n, e = m.points["o"], m.points["n"], m.points["e"]
    assert n.y < o.y and n.x == o.x  # north is up
    assert e.x > o.x and e.y == o.y  # east is right
    # A degree of longitude is shorter than one of latitude by the cosine of the latitude.
    assert (e.x - o.x) / (o.y - n.y) == pytest.approx(math.cos(math.radians(38.705)), rel=0.01)
    for point in m.points.values():
        assert 0 <= point.x <= 600 and 0 <= point.y <= 400
    # The scale bar says what its length is on this map.
    metres_per_px = (o.y - n.y) and 0.01 * 111_320 / (o.y - n.y)
    assert m.scale_px * metres_per_px == pytest.approx(m.scale_m, rel=0.02)
    assert m.path(["o", "missing", "n"]) == f"{o.x},{o.y} {n.x},{n.y}"


def test_a_map_of_one_place_is_not_a_zoom_to_nothing() -> None:
    m = day_map([Place("only", 38.7, 115.15)], width=600, height=400)
    assert m.points["only"].x == 300 and m.points["only"].y == 200 and m.scale_m > 0
    assert day_map([]).points == {}


@pytest.mark.parametrize(("metres", "bar"), [(0.5, 1), (7, 5), (180, 100), (260, 200), (1400, 1000), (4999, 2000)])
def test_a_scale_bar_is_a_round_distance(metres: float, bar: int) -> None:
    assert nice_distance(metres) == bar


def test_numbers_and_dates_are_written_as_the_language_writes_them() -> None:
    zh, en = Formats("zh-CN"), Formats("en")
    day = dt.date(2026, 11, 27)
    assert zh.date(day, weekday=True) == "2026年11月27日 周五"
    assert en.date(day, weekday=True) == "Fri 27 Nov 2026"
    assert (
        zh.period(period_of(PeriodKind.MONTH, day)) == "2026年11月"
        and en.period(period_of(PeriodKind.MONTH, day)) == "Nov 2026"
    )
    assert zh.money(12345.5) == en.money(12345.5) == "¥12,345.50"
    assert zh.minutes(65) == "1 小时 5 分" and en.minutes(65) == "1 h 5 min" and en.minutes(None) == "—"
    assert zh.hours(3.25) == "3.2 小时" and en.hours(3.25) == "3.2 h"
    assert zh.rate(None) == "—" and en.rate(56.4) == "56%"


def test_the_funnel_counts_who_reached_each_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline gives opportunities at each stage now; the funnel's width at a stage is those at it or
    past it, so it narrows from the top (100%) down."""
    rows = [("identify", 2, 0.0), ("information", 5, 0.0), ("closing", 3, 0.0), ("repeat", 0, 0.0)]
    monkeypatch.setattr(hooks, "_provider", lambda module, function: lambda session, territory, rep_id: rows)
    funnel = hooks.pipeline_funnel(None, Scope(), period_of(PeriodKind.DAY, dt.date(2026, 11, 27)))  # type: ignore[arg-type]
    assert funnel is not None
    assert [(stage.stage, stage.count, stage.reached) for stage in funnel] == [
        ("identify", 2, 10),
        ("information", 5, 8),
        ("closing", 3, 3),
        ("repeat", 0, 0),
    ]
