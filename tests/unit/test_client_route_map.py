"""Getting there (client/features/today/directions.py, route_map.py): one tap opens navigation to a customer
(`geo:` in the Android app, Amap's web marker in a browser, Amap / Baidu as alternatives), and today's route
is drawn without tiles: stops in order scaled to their bounding box, the next stop and the rep highlighted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import flet as ft
import flet.canvas as cv
import pytest

from client.features.today import route_map
from client.features.today.directions import amap_link, baidu_link, customer_point, geo_link, navigation_link
from client.features.today.route_map import MAP_HEIGHT, MAP_WIDTH, MARGIN, MarkKind, scale
from client.services import AppService, Stop, StopStatus, TodayRoute
from client.shell.app import App, ClientCore
from client.shell.state import AppState, Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from tests.unit.helpers import Page, Recorder, Runner, buttons, pulled, texts, walk

TZ = dt.timezone(dt.timedelta(hours=8))
SHOP = (38.86712, 115.48231)


def test_links_carry_the_position_and_the_name() -> None:
    assert (
        geo_link(SHOP, "仁和堂 药店")
        == "geo:38.867120,115.482310?q=38.867120,115.482310(%E4%BB%81%E5%92%8C%E5%A0%82%20%E8%8D%AF%E5%BA%97)"
    )
    amap = urlsplit(amap_link(SHOP, "仁和堂"))
    assert (amap.scheme, amap.netloc, amap.path) == ("https", "uri.amap.com", "/marker")
    assert parse_qs(amap.query) == {
        "position": ["115.482310,38.867120"],  # Amap: longitude first
        "name": ["仁和堂"],
        "coordinate": ["wgs84"],
        "callnative": ["1"],
    }
    baidu = parse_qs(urlsplit(baidu_link(SHOP, "仁和堂")).query)
    assert baidu["location"] == ["38.867120,115.482310"] and baidu["coord_type"] == ["wgs84"]
    assert navigation_link(SHOP, "x", android_app=True).startswith("geo:")
    assert navigation_link(SHOP, "x", android_app=False).startswith("https://uri.amap.com/")


@pytest.mark.parametrize(
    "customer",
    [
        None,
        {},
        {"lat": None, "lng": 115.0},
        {"lat": "38.8", "lng": "115.4"},
        {"lat": 91.0, "lng": 1.0},
        {"lat": True, "lng": 1},
    ],
)
def test_no_position_no_link(customer: dict[str, object] | None) -> None:
    assert customer_point(customer) is None


def test_the_drawing_fits_the_bounding_box_north_up_and_keeps_the_shape() -> None:
    points = [(38.80, 115.40), (38.90, 115.40), (38.80, 115.60)]
    spots = scale(points, MAP_WIDTH, MAP_HEIGHT, MARGIN)
    for x, y in spots:
        assert MARGIN - 0.01 <= x <= MAP_WIDTH - MARGIN + 0.01 and MARGIN - 0.01 <= y <= MAP_HEIGHT - MARGIN + 0.01
    (x0, y0), (x1, y1), (x2, y2) = spots
    assert y1 < y0 and x1 == pytest.approx(x0)  # north is up
    assert x2 > x0 and y2 == pytest.approx(y0)  # east is right
    # 0.2° of longitude at 38.85° N is 0.156° "wide" against 0.1° of latitude: the ratio is kept.
    assert (x2 - x0) / (y0 - y1) == pytest.approx(0.2 * 0.7786 / 0.1, rel=0.01)
    assert scale([SHOP, SHOP], MAP_WIDTH, MAP_HEIGHT, MARGIN) == [(MAP_WIDTH / 2, MAP_HEIGHT / 2)] * 2


def stop(customer_id: str, name: str, status: StopStatus, point: tuple[float, float] | None) -> Stop:
    customer = {"id": customer_id, "name": name, "kind": "clinic", "address": f"{name}路 1 号"}
    if point is not None:
        customer |= {"lat": point[0], "lng": point[1]}
    return Stop(customer_id, customer, status)


def day_route() -> TodayRoute:
    return TodayRoute(
        dt.date(2026, 11, 27),
        stops=[
            stop("a", "甲诊所", StopStatus.VISITED, (38.86, 115.47)),
            stop("b", "乙药店", StopStatus.NOT_VISITED, (38.87, 115.49)),
            stop("c", "丙卫生室", StopStatus.NOT_VISITED, None),
            stop("d", "丁诊所", StopStatus.NOT_VISITED, (38.88, 115.50)),
        ],
        has_plan=True,
    )


def test_the_map_numbers_the_stops_in_order_and_highlights_the_next_and_the_rep() -> None:
    layout = route_map.route_map(day_route(), (38.855, 115.46), "zh-CN")
    assert [(mark.kind, mark.label) for mark in layout.marks] == [
        (MarkKind.HERE, ""),
        (MarkKind.VISITED, "1"),
        (MarkKind.NEXT, "2"),
        (MarkKind.TO_VISIT, "4"),
    ]
    assert layout.unplaced == ["3. 丙卫生室"]  # said under the map, not drawn at a made-up place
    assert layout.next_stop is not None and layout.next_stop.customer_id == "b"

    state = AppState(lang="zh-CN", today=day_route(), map_here=(38.855, 115.46))
    actions = Recorder()
    shown = route_map.build(state, actions)  # type: ignore[arg-type]
    words = texts(shown)
    assert "下一站：2. 乙药店" in words and "没有坐标、未画出：3. 丙卫生室" in words
    labels = [node.label for node in walk(shown) if isinstance(node, ft.Semantics)]
    assert "地图标记 2. 乙药店 · 下一站" in labels and "地图标记 我的位置（最近签到/签退）" in labels
    buttons(shown)["高德地图"].on_click(None)
    navigate = [node for node in walk(shown) if isinstance(node, ft.FilledButton)]
    assert [button.content for button in navigate] == ["导航"]  # the next stop's, filled
    navigate[0].on_click(None)
    buttons(shown)["导航"].on_click(None)  # the last stop's in the list under the map
    assert actions.calls == [("navigate_to", ("b", "amap")), ("navigate_to", ("b",)), ("navigate_to", ("d",))]


def test_the_reps_base_starts_and_ends_the_line_through_the_day() -> None:
    base = (38.84, 115.47)
    layout = route_map.route_map(day_route(), None, "zh-CN", base)
    assert [mark.kind for mark in layout.marks] == [
        MarkKind.BASE,
        MarkKind.VISITED,
        MarkKind.NEXT,
        MarkKind.TO_VISIT,
    ]
    state = AppState(lang="zh-CN", today=day_route(), map_base=base)
    shown = route_map.build(state, Recorder())  # type: ignore[arg-type]
    labels = [node.label for node in walk(shown) if isinstance(node, ft.Semantics)]
    assert "地图标记 驻地（出发和返回）" in labels
    canvas = next(node for node in walk(shown) if isinstance(node, cv.Canvas))
    base_mark = layout.marks[0]
    ends = [(line.x1, line.y1) for line in canvas.shapes] + [(line.x2, line.y2) for line in canvas.shapes]
    assert ends.count((base_mark.x, base_mark.y)) == 2  # out from the base and back to it
    assert len(canvas.shapes) == 4  # base, 1, 2, 4, base


def test_every_button_of_the_map_is_a_touch_target() -> None:
    shown = route_map.build(AppState(lang="zh-CN", today=day_route()), Recorder())  # type: ignore[arg-type]
    for node in walk(shown):
        if isinstance(node, ft.FilledButton | ft.OutlinedButton):
            assert node.height == 48


def open_app(folder: Path, page: Page) -> App:
    store = LocalStore(folder, StoreCipher(bytes(32)))
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    app = App(page, core)  # type: ignore[arg-type]
    app.show(Screen.TODAY)
    return app


def test_navigate_opens_geo_on_android_and_amap_in_a_browser(tmp_path: Path) -> None:
    page = Page()
    app = open_app(tmp_path, page)
    opened: list[str] = []
    app.launch_url = opened.append  # type: ignore[method-assign]
    shop = pulled(
        app.service.store,
        RecordKind.CUSTOMER,
        {"name": "仁和堂", "kind": "pharmacy", "status": "active", "lat": SHOP[0], "lng": SHOP[1]},
    )
    nowhere = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "无坐标", "kind": "clinic", "status": "active"})

    app.actions.navigate_to(shop)  # the browser (Flet web)
    page.web, page.platform = False, ft.PagePlatform.ANDROID  # type: ignore[attr-defined]
    app.actions.navigate_to(shop)
    app.actions.navigate_to(shop, "baidu")
    assert opened[0].startswith("https://uri.amap.com/marker?position=115.482310%2C38.867120")
    assert opened[1] == geo_link(SHOP, "仁和堂")
    assert opened[2].startswith("https://api.map.baidu.com/marker?")

    app.actions.navigate_to(nowhere)
    assert len(opened) == 3 and app.state.notice == "这个客户没有坐标，无法导航"

    app.actions.open_route_map()
    assert app.state.screen is Screen.MAP and app.state.today is not None
    app.actions.go_back()
    assert app.state.screen is Screen.TODAY
    app.service.store.close()


def test_the_map_redraws_when_a_sync_brings_the_days_plan(tmp_path: Path) -> None:
    app = open_app(tmp_path, Page())
    app.actions.open_route_map()
    assert app.state.today is not None and not app.state.today.stops
    shop = pulled(
        app.service.store,
        RecordKind.CUSTOMER,
        {"name": "仁和堂", "kind": "pharmacy", "status": "active", "lat": SHOP[0], "lng": SHOP[1]},
    )
    pulled(app.service.store, RecordKind.ROUTE_PLAN, {"day": "2026-11-27", "customer_ids": [shop]})
    app._apply_sync_status(dataclasses.replace(app.state.sync, data_version=app.state.sync.data_version + 1))
    assert app.state.screen is Screen.MAP and [stop.customer_id for stop in app.state.today.stops] == [shop]
    app.service.store.close()
