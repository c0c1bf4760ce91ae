"""What the dashboard's trend charts and a rep's day map draw, for the server's SVG (the page without
JavaScript) and for the scripts that draw them with ECharts and Leaflet (assets/web/dashboard-charts.js,
assets/web/rep-day-map.js), which read it from a <script type="application/json"> block: the page keeps a
strict CSP (no inline script) and every text the scripts show comes translated and formatted from here.
"""

from __future__ import annotations

from typing import Any

from server.domains.reports.charts import PALETTE, LineChart, line_chart
from server.domains.reports.formats import Formats
from server.domains.reports.rep_day import RepDay
from server.domains.reports.service import Dashboard
from shared.enums import VisitFlag
from shared.i18n import label, t

# Every kind of mark the day's map draws, in the legend's order; each has a legend entry
# (web.reports.legend.<kind>) and a style of its own (assets/web/reports.css, the SVG and Leaflet alike).
MAP_MARKS = ("customer", "off_route", "planned", "actual", "offset", "check_in", "flagged", "check_out")


def trend_charts(board: Dashboard, fmt: Formats, rep_names: dict[str, str]) -> list[dict[str, Any]]:
    """Per measure: the SVG geometry (`chart`) and the same figures for ECharts (`data`)."""
    charts = []
    for trend in board.trends:
        measure = trend.measure

        def tick(value: float, measure: str = measure) -> str:
            return fmt.axis(value, measure)

        chart: LineChart = line_chart(
            trend.days,
            trend.values,
            y_max=100.0 if measure == "completion" else None,
            integer=measure == "visits",
            tick_label=tick,
        )
        title = t(f"web.reports.trend.{measure}", fmt.lang)

        def text(value: float | None, measure: str = measure) -> str | None:
            if value is None:
                return None
            return fmt.money(value) if measure == "amount" else fmt.axis(value, measure)

        data = {
            "measure": measure,
            "title": title,
            "days": [fmt.short_date(day) for day in trend.days],
            "dayTitles": [fmt.date(day, weekday=True) for day in trend.days],
            "yMax": chart.y_max,
            "yStep": chart.y_step,
            "yTicks": [value for _, value in reversed(chart.y_ticks)],
            "yLabels": [fmt.axis(value, measure) for _, value in reversed(chart.y_ticks)],
            "series": [
                {
                    "name": rep_names.get(key, key),
                    "colour": PALETTE[index % len(PALETTE)],
                    "values": list(values),
                    "texts": [text(value) for value in values],
                }
                for index, (key, values) in enumerate(trend.values.items())
            ],
        }
        charts.append({"measure": measure, "chart": chart, "title": title, "data": data})
    return charts


def _flag(flag: str, lang: str) -> str:
    try:
        return label(VisitFlag(flag), lang)
    except ValueError:
        return flag


def _at(lat: float | None, lng: float | None) -> list[float] | None:
    return [lat, lng] if lat is not None and lng is not None else None


def day_map_data(day: RepDay, fmt: Formats, tile_url: str) -> dict[str, Any]:
    """The marks of the day's map in degrees, their kinds (MAP_MARKS) and their texts."""
    lang = fmt.lang
    planned = {stop.customer_id: stop.position for stop in day.stops}
    customers: list[dict[str, Any]] = []
    seen: set[str] = set()
    for customer in [stop.customer for stop in day.stops] + [row.customer for row in day.visits]:
        if customer is None or customer.id in seen or _at(customer.lat, customer.lng) is None:
            continue
        seen.add(customer.id)
        position = planned.get(customer.id)
        off_route = f"{customer.name} · {t('web.visit.off_route', lang)}"
        customers.append(
            {
                "id": customer.id,
                "at": _at(customer.lat, customer.lng),
                "mark": "customer" if position else "off_route",
                "label": str(position) if position else "",
                "title": f"{position}. {customer.name}" if position else off_route,
            }
        )
    by_id: dict[str, list[float]] = {c["id"]: c["at"] for c in customers}
    check_ins: list[dict[str, Any]] = []
    check_outs: list[dict[str, Any]] = []
    for row in day.visits:
        visit = row.visit
        name = row.customer.name if row.customer else ""
        where = _at(visit.check_in_lat, visit.check_in_lng)
        if where is not None:
            flags = " · ".join(_flag(flag, lang) for flag in visit.flags or [])
            check_ins.append(
                {
                    "id": visit.id,
                    "at": where,
                    "mark": "flagged" if row.flagged else "check_in",
                    "label": str(row.sequence),
                    "title": f"{row.sequence}. {name} {t('web.visit.check_in', lang)} {fmt.time(row.check_in)}"
                    + (f" · {flags}" if flags else ""),
                    "customer": by_id.get(visit.customer_id),
                }
            )
        out = _at(visit.check_out_lat, visit.check_out_lng)
        if out is not None:
            check_outs.append(
                {
                    "at": out,
                    "mark": "check_out",
                    "title": f"{row.sequence}. {name} {t('web.visit.check_out', lang)} {fmt.time(row.check_out)}",
                }
            )
    planned_path = [by_id[stop.customer_id] for stop in day.stops if stop.customer_id in by_id]
    return {
        "tileUrl": tile_url or None,
        "customers": customers,
        "checkIns": check_ins,
        "checkOuts": check_outs,
        "plannedPath": planned_path,
        "actualPath": [c["at"] for c in check_ins],
        "marks": present_marks(customers, check_ins, check_outs, planned_path),
        "units": {"m": t("web.reports.metres", lang), "km": t("web.reports.kilometres", lang)},
        "north": t("web.reports.north", lang),
    }


def present_marks(
    customers: list[dict[str, Any]],
    check_ins: list[dict[str, Any]],
    check_outs: list[dict[str, Any]],
    planned_path: list[list[float]],
) -> list[str]:
    """The kinds of mark this day's map draws, in the legend's order."""
    found = {c["mark"] for c in customers} | {c["mark"] for c in check_ins} | {c["mark"] for c in check_outs}
    if len(planned_path) > 1:
        found.add("planned")
    if len(check_ins) > 1:
        found.add("actual")
    if any(c["customer"] is not None for c in check_ins):
        found.add("offset")
    return [mark for mark in MAP_MARKS if mark in found]
