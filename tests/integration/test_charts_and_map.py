"""Issue 16, "at a glance" and "charts and maps from well-kept libraries", in-process: the dashboard opens on
the last 7 days; axis ticks are round; amounts are grouped (¥53,448.66) on every page; a rep's day map has a
legend entry for each kind of mark it draws; ECharts and Leaflet are served from /static with the CSP as
strict as before (a tile server, when configured, adds its origin to img-src and nothing else).
Drawing in a real browser: tests/e2e/test_charts_and_map.py."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.app import CONTENT_SECURITY_POLICY, ROOT, create_app
from server.db import write_session
from server.domains.customers.service import put_customer
from server.domains.products.service import put_product
from server.domains.routes.service import set_route_plan
from server.settings import Settings
from server.web.chart_data import MAP_MARKS
from server.web.map_tiles import content_security_policy, tile_image_source
from shared.i18n import t
from shared.ids import new_id
from tests.integration.conftest import TERRITORY_A, World, customer_fields, local_time, login, make_op, push_body
from tests.integration.test_server_web import by_testid, web_login

Client = AsyncTestClient[Litestar]

VENDORED = {
    "/static/vendor/echarts/echarts.min.js": "echarts",
    "/static/vendor/leaflet/leaflet.js": "Leaflet",
    "/static/vendor/leaflet/leaflet.css": ".leaflet-container",
    "/static/dashboard-charts.js": "echarts.init",
    "/static/rep-day-map.js": "L.map",
}


async def push(client: Client, ops: list[dict[str, Any]]) -> None:
    pushed = await client.post("/api/sync/push", json=push_body(ops), headers=await login(client, "rep.a"))
    assert pushed.status_code == 200, pushed.text
    assert all(result["status"] == "applied" for result in pushed.json()["results"]), pushed.text


def json_block(page: str, selector: str) -> Any:
    match = re.search(rf'<script type="application/json" {selector}>(.*?)</script>', page, re.S)
    assert match, selector
    return json.loads(match.group(1))


def scripts_are_files_or_data(page: str) -> list[str]:
    """Every <script> that would run inline (the CSP refuses those): none may be on a page."""
    return [
        tag
        for tag in re.findall(r"<script\b[^>]*>", page)
        if 'type="application/json"' not in tag and not re.search(r'\ssrc="/static/', tag)
    ]


async def test_the_dashboard_opens_on_the_last_7_days_up_to_today(client: Client, seeded: World) -> None:
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    page = (await client.get("/dashboard")).text
    start, end = seeded.today - dt.timedelta(days=6), seeded.today
    assert f'data-start="{start.isoformat()}" data-end="{end.isoformat()}"' in page
    assert re.search(r'<option value="7d"\s+selected>近 7 天</option>', page)
    assert re.search(r'<option value="week"\s*>周</option>', page)  # the day, week and month stay
    assert f'name="day" value="{end.isoformat()}"' in page
    # Back a week: the 7 days before; the other language: the same window.
    assert f'href="/dashboard?period=7d&day={(start - dt.timedelta(days=1)).isoformat()}' in page
    assert f"/dashboard?period=7d&day={end.isoformat()}&territory=&rep=&lang=en" in page
    charts = re.findall(r'<script type="application/json" class="chart-data">(.*?)</script>', page, re.S)
    assert len(charts) == 3
    for chart in map(json.loads, charts):
        assert len(chart["days"]) == 7, chart["measure"]  # lines, not single dots as on a Monday's week
        assert chart["yTicks"][-1] == 0 and chart["yTicks"][0] == chart["yMax"]
    english = (await client.get("/dashboard?lang=en")).text
    assert re.search(r'<option value="7d"\s+selected>Last 7 days</option>', english)
    assert scripts_are_files_or_data(page) == []


async def test_the_visits_chart_counts_in_round_whole_ticks(client: Client, seeded: World) -> None:
    """Ten visits in a day: the axis reads 0, 2, 4, 6, 8, 10 (it read 0, 2, 5, 8, 10: 2.5 and 7.5 rounded)."""
    ops = [
        make_op(n + 1, "visit", new_id(), {**visit(seeded.customers_a[n % 4], seeded.today, 8 + n)}) for n in range(10)
    ]
    await push(client, ops)
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    page = (await client.get("/dashboard")).text
    visits = next(
        c
        for c in map(json.loads, re.findall(r'class="chart-data">(.*?)</script>', page, re.S))
        if c["measure"] == "visits"
    )
    assert visits["yTicks"] == [10, 8, 6, 4, 2, 0] and visits["yLabels"] == ["10", "8", "6", "4", "2", "0"]
    svg_ticks = re.findall(r'data-testid="y-tick-visits">([^<]*)<', page)
    assert svg_ticks == ["0", "2", "4", "6", "8", "10"]


def visit(customer_id: str, day: dt.date, hour: int, **extra: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "visit_type": "day", "check_in_at": local_time(day, hour), **extra}


async def test_amounts_are_grouped_on_the_targets_page(client: Client, seeded: World, engine: Engine) -> None:
    """/targets wrote ¥53448.66; amounts everywhere go through one filter (`money`): ¥53,448.66."""
    with write_session(engine) as session:
        fields = {"name": "输液器（整箱）", "unit": "箱", "unit_price": 53448.66, "active": True}
        product = put_product(session, seeded.supervisor, new_id(), fields).id
    visit_id = new_id()
    order = {
        "customer_id": seeded.customers_a[0],
        "visit_id": visit_id,
        "lines": [{"product_id": product, "quantity": 1, "unit_price": 53448.66}],
        "amount": 53448.66,
        "ordered_at": local_time(seeded.today, 10),
    }
    await push(
        client,
        [
            make_op(1, "visit", visit_id, visit(seeded.customers_a[0], seeded.today, 10)),
            make_op(2, "order", new_id(), order),
        ],
    )
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    for lang in ("zh-CN", "en"):
        page = (await client.get(f"/targets?lang={lang}")).text
        actual = by_testid(page, "actual-sales_amount-rep.a")
        assert actual.split()[-1] == "¥53,448.66", actual
        assert "53448.66" not in re.sub(r'(value|data-value)="[^"]*"', "", page)
    orders = (await client.get("/orders")).text
    assert by_testid(orders, "orders-total") == "¥53,448.66"
    dashboard = (await client.get("/dashboard")).text
    assert by_testid(dashboard, "tile-amount-text") == "¥53,448.66"
    assert by_testid(dashboard, "rep-amount-rep.a") == "¥53,448.66"
    # No page writes an amount by hand any more: every ¥ in a template comes from the filter.
    templates = Path(ROOT, "server", "web", "templates")
    by_hand = [path.name for path in templates.glob("*.html") if re.search(r"¥\{\{|'¥%", path.read_text())]
    assert by_hand == []


@pytest.fixture
def mapped_day(seeded: World, engine: Engine) -> dict[str, str]:
    """Two planned customers and one off the plan, with locations, on a plan for today."""
    base_lat, base_lng = 38.70, 115.15
    places = {"first": (0.0, 0.0), "second": (0.01, 0.01), "off": (-0.01, 0.012)}
    made: dict[str, str] = {}
    with write_session(engine) as session:
        for name, (dlat, dlng) in places.items():
            made[name] = put_customer(
                session,
                seeded.supervisor,
                new_id(),
                customer_fields(f"地图诊所{name}", lat=base_lat + dlat, lng=base_lng + dlng),
                server_fields={"territory": TERRITORY_A, "owner_rep_id": seeded.rep_a.id},
            ).id
        set_route_plan(session, seeded.supervisor, seeded.rep_a.id, seeded.today, [made["first"], made["second"]])
    return made


async def test_a_reps_day_map_has_a_legend_entry_for_each_kind_of_mark(
    client: Client, seeded: World, mapped_day: dict[str, str]
) -> None:
    day = seeded.today
    near = {"check_in_lat": 38.7001, "check_in_lng": 115.1501, "check_in_accuracy": 10}
    far = {"check_in_lat": 38.73, "check_in_lng": 115.16, "check_in_accuracy": 10}  # ~2 km off: flagged
    out = {"check_out_at": local_time(day, 9, 30), "check_out_lat": 38.7002, "check_out_lng": 115.1502}
    await push(
        client,
        [
            make_op(1, "visit", new_id(), visit(mapped_day["first"], day, 9, **near, **out)),
            make_op(2, "visit", new_id(), visit(mapped_day["second"], day, 10, **far)),
            make_op(3, "visit", new_id(), visit(mapped_day["off"], day, 11, check_in_lat=38.69, check_in_lng=115.162)),
        ],
    )
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    for lang in ("zh-CN", "en"):
        page = (await client.get(f"/reps/rep.a/day?day={day.isoformat()}&lang={lang}")).text
        svg_marks = set(re.findall(r'data-mark="([a-z_]+)"', page))
        legend = re.findall(r'<li data-legend="([a-z_]+)">.*?</svg>([^<]+)</li>', page)
        data = json_block(page, 'id="day-map-data"')
        drawn = {c["mark"] for c in data["customers"] + data["checkIns"] + data["checkOuts"]}
        assert svg_marks == set(MAP_MARKS), svg_marks  # this day has every kind of mark
        assert [mark for mark, _ in legend] == list(MAP_MARKS) == data["marks"]
        assert drawn | {"planned", "actual", "offset"} == set(MAP_MARKS)
        assert [html.unescape(text).strip() for _, text in legend] == [
            t(f"web.reports.legend.{mark}", lang) for mark in MAP_MARKS
        ]
        # An off-route customer and a flagged check-in are different marks with different legend entries.
        off = next(c for c in data["customers"] if c["id"] == mapped_day["off"])
        assert off["mark"] == "off_route" and off["label"] == ""
        assert [c["mark"] for c in data["checkIns"]] == ["check_in", "flagged", "check_in"]
        assert f'data-testid="map-customer-{mapped_day["off"]}" data-mark="off_route"' in page
        assert data["tileUrl"] is None  # no MAP_TILE_URL: a plain background, nothing fetched
        assert 'class="leaflet-box plain"' in page
        assert scripts_are_files_or_data(page) == []


async def test_a_day_without_places_has_no_map_and_no_legend(client: Client, seeded: World) -> None:
    assert (await web_login(client, "boss")).status_code == 303  # type: ignore[attr-defined]
    page = (await client.get(f"/reps/rep.a/day?day={seeded.today.isoformat()}")).text
    assert 'data-testid="no-map"' in page and 'data-testid="map-legend"' not in page


async def test_the_libraries_are_served_from_static_with_the_csp_unchanged(client: Client) -> None:
    for path, marker in VENDORED.items():
        response = await client.get(path)
        assert response.status_code == 200, path
        assert marker in response.text, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    for licence in ("echarts/LICENSE", "echarts/NOTICE", "leaflet/LICENSE", "README.md"):
        assert Path(ROOT, "assets", "web", "vendor", licence).is_file(), licence


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),  # on this server: 'self' covers it
        ("https://tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"),
        ("http://10.0.0.5:8080/osm/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
        ("https://{s}.tiles.example.cn/{z}/{x}/{y}.png", "https://*.tiles.example.cn"),  # a, b, c
        (
            "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=vec&TILEMATRIXSET=w"
            "&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY",
            "https://t0.tianditu.gov.cn",
        ),
    ],
)
def test_a_tile_server_adds_its_origin_to_img_src_only(url: str, source: str | None) -> None:
    assert tile_image_source(url) == source
    policy = content_security_policy(CONTENT_SECURITY_POLICY, url)
    expected = CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {source}")
    assert policy == (expected if source else CONTENT_SECURITY_POLICY)


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.example.cn/tile.png",  # no {z}/{x}/{y}
        "javascript:alert(1)//{z}{x}{y}",
        "https://tiles.example.cn/{z}/{x}/{y}.png; script-src *",
        "https://{z}.example.cn/{x}/{y}.png",
        "//tiles.example.cn/{z}/{x}/{y}.png",
        "https://user:pw@tiles.example.cn/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_that_could_widen_the_policy_stops_the_start(url: str, settings: Settings) -> None:
    with pytest.raises(ValueError, match="MAP_TILE_URL"):
        create_app(Settings(**{**settings.__dict__, "map_tile_url": url}))


async def test_with_a_tile_server_every_response_allows_its_images(settings: Settings, tmp_path: Path) -> None:
    tiles = "https://tiles.example.cn/{z}/{x}/{y}.png"
    app = create_app(Settings(**{**settings.__dict__, "map_tile_url": tiles}))
    try:
        async with AsyncTestClient(app=app) as tiled:
            for path in ("/login", "/static/rep-day-map.js"):
                policy = (await tiled.get(path)).headers["content-security-policy"]
                assert "img-src 'self' data: https://tiles.example.cn;" in policy
                assert "script-src 'self';" in policy and "default-src 'self';" in policy
    finally:
        app.state.engine.dispose()
    assert Settings.from_env({"DATA_DIR": str(tmp_path), "MAP_TILE_URL": f" {tiles} "}).map_tile_url == tiles
    assert Settings.from_env({"DATA_DIR": str(tmp_path)}).map_tile_url == ""
