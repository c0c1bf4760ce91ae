"""Today's route as a small map without tiles: the stops in their order as numbered dots, scaled to the
stops' bounding box, the rep's last known position and the next stop highlighted, one line through the day.

No map tiles (they would need the network, and flet-map is not part of the app): the same idea as the
supervisor's day map fallback (server/web/templates/rep_day.html), drawn with Flet's canvas and positioned
dots. Under the drawing, each stop has its 导航 button (client/features/today/directions.py).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

import flet as ft
import flet.canvas as cv

from client.features.today.directions import Point, customer_point
from client.services import Stop, StopStatus, TodayRoute
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import SMALL_TEXT, back_button, muted, screen, section, title
from shared.i18n import t

MAP_WIDTH = 296  # fits a 320 px wide phone inside the screen's padding
MAP_HEIGHT = 280
MARGIN = 24  # a dot's half width and a little air: no dot is cut at the edge
DOT = 30
NEXT_DOT = 40


class MarkKind(StrEnum):
    NEXT = "next"  # the next stop: where the rep goes now
    TO_VISIT = "to_visit"
    VISITED = "visited"
    HERE = "here"  # where the rep was last seen today (the newest check-in or check-out)


@dataclass(frozen=True)
class MapMark:
    x: float
    y: float
    kind: MarkKind
    label: str  # the stop's number on the route ("" for the rep)
    name: str


@dataclass(frozen=True)
class RouteMap:
    marks: list[MapMark]  # the rep first (when known), then the stops in the route's order
    unplaced: list[str]  # stops the map cannot show: their customer has no coordinates
    next_stop: Stop | None


def next_stop_of(route: TodayRoute) -> Stop | None:
    return route.remaining[0] if route.remaining else None


def scale(points: list[Point], width: float, height: float, margin: float) -> list[tuple[float, float]]:
    """Screen positions of (lat, lng) points: their bounding box fitted into the drawing, north up, east right,
    a degree of longitude shortened by the cosine of the latitude (so a town keeps its shape)."""
    if not points:
        return []
    mean_lat = sum(lat for lat, _ in points) / len(points)
    shrink = max(math.cos(math.radians(mean_lat)), 0.01)
    xs = [lng * shrink for _, lng in points]
    ys = [lat for lat, _ in points]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    factor = min(inner_w / span_x if span_x else math.inf, inner_h / span_y if span_y else math.inf)
    if math.isinf(factor):  # one place (or all at one place): the middle
        return [(width / 2, height / 2) for _ in points]
    left = (width - span_x * factor) / 2
    top = (height - span_y * factor) / 2
    return [(left + (x - min(xs)) * factor, top + (max(ys) - y) * factor) for x, y in zip(xs, ys, strict=True)]


def route_map(route: TodayRoute, here: Point | None, lang: str) -> RouteMap:
    following = next_stop_of(route)
    placed: list[tuple[Point, MarkKind, str, str]] = []
    unplaced: list[str] = []
    if here is not None:
        placed.append((here, MarkKind.HERE, "", t("client.map.here", lang)))
    for position, stop in enumerate(route.stops, start=1):
        name = str((stop.customer or {}).get("name") or t("client.today.unknown_customer", lang))
        point = customer_point(stop.customer)
        if point is None:
            unplaced.append(f"{position}. {name}")
            continue
        if stop is following:
            kind = MarkKind.NEXT
        elif stop.status is StopStatus.NOT_VISITED:
            kind = MarkKind.TO_VISIT
        else:
            kind = MarkKind.VISITED
        placed.append((point, kind, str(position), name))
    spots = scale([point for point, *_ in placed], MAP_WIDTH, MAP_HEIGHT, MARGIN)
    marks = [MapMark(x, y, kind, label, name) for (x, y), (_, kind, label, name) in zip(spots, placed, strict=True)]
    return RouteMap(marks, unplaced, following)


MARK_COLORS = {
    MarkKind.NEXT: ft.Colors.ORANGE_700,
    MarkKind.TO_VISIT: ft.Colors.BLUE_700,
    MarkKind.VISITED: ft.Colors.GREY_500,
    MarkKind.HERE: ft.Colors.GREEN_700,
}


def mark_control(mark: MapMark, lang: str) -> ft.Control:
    size = NEXT_DOT if mark.kind is MarkKind.NEXT else DOT
    if mark.kind is MarkKind.HERE:
        content: ft.Control = ft.Icon(ft.Icons.MY_LOCATION, color=ft.Colors.WHITE, size=18)
        spoken = mark.name
    else:
        content = ft.Text(mark.label, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD, size=SMALL_TEXT)
        spoken = f"{mark.label}. {mark.name}" + (
            f" · {t('client.map.next', lang)}" if mark.kind is MarkKind.NEXT else ""
        )
    return ft.Container(
        ft.Semantics(content=content, label=t("client.map.mark", lang, name=spoken), container=True),
        width=size,
        height=size,
        left=mark.x - size / 2,
        top=mark.y - size / 2,
        border_radius=size / 2,
        bgcolor=MARK_COLORS[mark.kind],
        border=ft.Border.all(3, ft.Colors.WHITE) if mark.kind is MarkKind.NEXT else None,
        alignment=ft.Alignment.CENTER,
    )


def drawing(layout: RouteMap, lang: str) -> ft.Control:
    stops = [mark for mark in layout.marks if mark.kind is not MarkKind.HERE]
    here = next((mark for mark in layout.marks if mark.kind is MarkKind.HERE), None)
    upcoming = next((mark for mark in stops if mark.kind is MarkKind.NEXT), None)
    route_paint = ft.Paint(color=ft.Colors.BLUE_200, stroke_width=3, style=ft.PaintingStyle.STROKE)
    lines: list[cv.Shape] = [cv.Line(a.x, a.y, b.x, b.y, paint=route_paint) for a, b in itertools.pairwise(stops)]
    if here is not None and upcoming is not None:  # where the rep goes now
        go_paint = ft.Paint(color=ft.Colors.ORANGE_700, stroke_width=4, style=ft.PaintingStyle.STROKE)
        lines.append(cv.Line(here.x, here.y, upcoming.x, upcoming.y, paint=go_paint))
    # Drawn last on top: the next stop, then the rep.
    order = {MarkKind.VISITED: 0, MarkKind.TO_VISIT: 1, MarkKind.NEXT: 2, MarkKind.HERE: 3}
    dots = [mark_control(mark, lang) for mark in sorted(layout.marks, key=lambda mark: order[mark.kind])]
    return ft.Container(
        ft.Stack(
            [cv.Canvas(lines, width=MAP_WIDTH, height=MAP_HEIGHT), *dots],
            width=MAP_WIDTH,
            height=MAP_HEIGHT,
        ),
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        bgcolor=ft.Colors.BLUE_GREY_50,
        border=ft.Border.all(1, ft.Colors.GREY_300),
        border_radius=8,
    )


def navigate_button(stop: Stop, lang: str, actions: Actions, *, filled: bool = False) -> ft.Control:
    text = t("client.map.navigate", lang)
    click = lambda e: actions.navigate_to(stop.customer_id)  # noqa: E731
    if filled:
        return ft.FilledButton(text, icon=ft.Icons.NAVIGATION, on_click=click, height=48)
    return ft.OutlinedButton(text, icon=ft.Icons.NAVIGATION, on_click=click, height=48)


def next_stop_card(stop: Stop, position: int, lang: str, actions: Actions) -> ft.Control:
    name = str((stop.customer or {}).get("name") or "")
    address = str((stop.customer or {}).get("address") or "")
    others = [
        ft.TextButton(t("client.map.amap", lang), on_click=lambda e: actions.navigate_to(stop.customer_id, "amap")),
        ft.TextButton(t("client.map.baidu", lang), on_click=lambda e: actions.navigate_to(stop.customer_id, "baidu")),
    ]
    return ft.Container(
        ft.Column(
            [
                ft.Text(t("client.map.next_stop", lang, name=f"{position}. {name}"), weight=ft.FontWeight.W_600),
                *([muted(address)] if address else []),
                ft.Row([navigate_button(stop, lang, actions, filled=True), *others], wrap=True),
            ],
            spacing=4,
        ),
        padding=10,
        border=ft.Border.all(1, ft.Colors.ORANGE_300),
        border_radius=8,
        bgcolor=ft.Colors.ORANGE_50,
    )


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, route = state.lang, state.today
    controls: list[ft.Control] = [back_button(lang, actions.go_back)]
    if route is None:
        return screen(controls)
    controls.append(title(t("client.map.title", lang, day=route.day.isoformat())))
    layout = route_map(route, state.map_here, lang)
    if layout.next_stop is not None:
        position = route.stops.index(layout.next_stop) + 1
        controls.append(next_stop_card(layout.next_stop, position, lang, actions))
    elif route.stops:
        controls.append(muted(t("client.map.route_done", lang)))
    if layout.marks:
        controls.append(ft.Row([drawing(layout, lang)], alignment=ft.MainAxisAlignment.CENTER))
        controls.append(muted(t("client.map.legend", lang)))
    else:
        controls.append(muted(t("client.map.nothing_placed", lang)))
    if layout.unplaced:
        controls.append(muted(t("client.map.unplaced", lang, names="、".join(layout.unplaced))))
    controls.append(section(t("client.map.stops", lang)))
    for position, stop in enumerate(route.stops, start=1):
        name = str((stop.customer or {}).get("name") or t("client.today.unknown_customer", lang))
        row: list[ft.Control] = [
            ft.Text(
                f"{position}. {name}", expand=True, weight=ft.FontWeight.W_600 if stop is layout.next_stop else None
            ),
        ]
        if customer_point(stop.customer) is not None:
            row.append(navigate_button(stop, lang, actions))
        controls.append(ft.Row(row, vertical_alignment=ft.CrossAxisAlignment.CENTER))
    return screen(controls, spacing=10)
