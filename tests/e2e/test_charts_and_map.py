"""Issue 16, charts and maps from well-kept libraries, in headless Chromium against the real server on the demo
county: the dashboard's trend charts drawn by ECharts (a canvas, a tooltip, redrawn at a phone's width) and a
rep's day on a Leaflet map (every kind of mark with its legend entry), both from the vendored files under
/static, with no console error (a CSP violation is one) and no request to another origin (no MAP_TILE_URL:
a plain background). Without JavaScript the server's SVG is the chart and the map.

One server process and one browser serve the module. Screenshots go to docs/screenshots/dashboard.png and
rep-day-map.png with ROUTECRM_SCREENSHOTS=1, to test-artifacts/ otherwise.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, expect

from tests.e2e.conftest import ARTIFACTS, ROOT, SESSION_OFFSET, Service, company_today, free_port, process_clock_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SUPERVISOR, PASSWORD = "charts.admin", "charts-pass-1234"
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS
DESK = {"width": 1280, "height": 900}
MEASURES = ("completion", "visits", "amount")


@dataclass
class Desk:
    url: str
    db: Path
    context: BrowserContext
    problems: list[str] = field(default_factory=list)  # console errors, page errors, requests elsewhere

    def open(self, path: str) -> Page:
        page = self.context.pages[0]
        self.problems.clear()
        page.goto(f"{self.url}{path}")
        return page


def watch(page: Page, url: str, problems: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def on_request(request: Request) -> None:
        if not request.url.startswith((url, "data:", "blob:")):
            problems.append(f"request to another origin: {request.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("request", on_request)


@pytest.fixture(scope="module")
def desk(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The demo county on one server, an admin signed in at a desk, for the whole module."""
    folder = tmp_path_factory.mktemp("charts")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'server.db'}",
        "DATA_DIR": str(folder / "server-data"),
        "PYTHONUNBUFFERED": "1",
        "MAP_TILE_URL": "",
        **process_clock_env(SESSION_OFFSET),
    }
    subprocess.run([sys.executable, "-m", "server", "seed-demo"], cwd=ROOT, env=env, check=True)
    command = ["create-user", "--username", SUPERVISOR, "--password", PASSWORD, "--role", "admin"]
    subprocess.run(
        [sys.executable, "-m", "server", *command, "--display-name", "图表管理员"], cwd=ROOT, env=env, check=True
    )
    ARTIFACTS.mkdir(exist_ok=True)
    server = Service(
        "server",
        ["-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/health",
        ARTIFACTS / "test_charts_and_map-server.log",
    )
    server.start()
    url = server.ready_url.removesuffix("/health")
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    try:
        page = context.new_page()
        found = Desk(url, folder / "server.db", context)
        watch(page, url, found.problems)
        page.goto(f"{url}/login")
        page.get_by_label("用户名").fill(SUPERVISOR)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("board-day")).to_be_visible()
        yield found
    finally:
        context.close()
        server.stop()


def a_day_with_every_mark(db: Path) -> tuple[str, str]:
    """A rep and a past day of the demo with a flagged check-in and a visit off the plan."""
    today = company_today().isoformat()
    with sqlite3.connect(db) as con:
        plans = {
            (rep, day): set(json.loads(ids))
            for rep, day, ids in con.execute(
                "SELECT rep_id, day, customer_ids FROM route_plans WHERE day < ?", (today,)
            )
        }
        visits = con.execute(
            "SELECT u.username, v.rep_id, v.visit_day, v.customer_id, v.flagged FROM visits v "
            "JOIN users u ON u.id = v.rep_id WHERE v.visit_day < ? AND v.check_out_lat IS NOT NULL "
            "ORDER BY v.visit_day DESC, u.username",
            (today,),
        ).fetchall()
    flagged, off = set(), set()
    for username, rep_id, day, customer_id, is_flagged in visits:
        if is_flagged:
            flagged.add((username, day))
        if (rep_id, day) in plans and customer_id not in plans[(rep_id, day)]:
            off.add((username, day))
    both = sorted(flagged & off, key=lambda key: (key[1], key[0]), reverse=True)
    assert both, "the demo has days with a flagged check-in and an off-route visit"
    return both[0]


def test_the_dashboard_draws_its_trends_with_echarts(desk: Desk) -> None:
    page = desk.open("/dashboard")
    for measure in MEASURES:
        canvas = page.get_by_test_id(f"trend-canvas-{measure}").locator("canvas").first
        expect(canvas).to_be_visible()
        expect(page.get_by_test_id(f"trend-{measure}").locator(".chart-fallback")).to_be_hidden()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)
    visits = page.get_by_test_id("trend-canvas-visits")
    box = visits.bounding_box()
    assert box is not None and box["width"] > 400
    # A tooltip names the day and each rep's figure, from the page's own formatted texts.
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    tooltip = page.locator(".chart-tooltip").first
    expect(tooltip).to_be_visible()
    expect(tooltip.locator(".chart-tooltip-title")).to_contain_text("年")
    # The charts follow the window: at a phone's width the canvas is redrawn narrower, nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        "w => document.querySelector('[data-testid=trend-canvas-visits] canvas').getBoundingClientRect().width < w",
        arg=390,
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.set_viewport_size(DESK)
    assert desk.problems == []


def test_a_reps_day_is_drawn_on_a_leaflet_map_with_a_legend_entry_for_every_mark(desk: Desk) -> None:
    rep, day = a_day_with_every_mark(desk.db)
    page = desk.open(f"/reps/{rep}/day?day={day}")
    leaflet = page.get_by_test_id("day-map-leaflet")
    expect(leaflet).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(page.locator(".map-fallback")).to_be_hidden()
    data = json.loads(page.locator("#day-map-data").text_content() or "{}")
    pins = leaflet.locator(".leaflet-marker-icon")
    expect(pins).to_have_count(len(data["customers"]) + len(data["checkIns"]) + len(data["checkOuts"]))
    drawn = set(
        page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=day-map-leaflet] .map-mark')]
                 .flatMap(el => [...el.classList].filter(c => c.startsWith('mark-')).map(c => c.slice(5)))"""
        )
    )
    legend = page.get_by_test_id("map-legend").locator("li")
    entries = [legend.nth(i).get_attribute("data-legend") for i in range(legend.count())]
    assert {"customer", "off_route", "flagged", "check_in", "check_out", "planned", "actual", "offset"} <= drawn
    assert drawn == set(entries), (drawn, entries)
    # An off-route customer and a flagged check-in do not look alike.
    off = leaflet.locator(".map-pin.off_route .dot").first
    flagged = leaflet.locator(".map-pin.flagged .dot").first
    style = "el => { const s = getComputedStyle(el); return [s.borderColor, s.backgroundColor, s.transform]; }"
    assert off.evaluate(style) != flagged.evaluate(style)
    expect(page.locator(".leaflet-tile")).to_have_count(0)  # no MAP_TILE_URL: nothing fetched
    expect(leaflet.locator(".leaflet-control-scale-line")).to_have_text(re.compile(r"^\d+ (米|公里)$"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "rep-day-map.png", full_page=True)
    assert desk.problems == []


def test_without_javascript_the_server_draws_the_charts_and_the_map(desk: Desk, browser: Browser) -> None:
    rep, day = a_day_with_every_mark(desk.db)
    context = browser.new_context(viewport=DESK, locale="zh-CN", java_script_enabled=False)
    try:
        context.add_cookies(desk.context.cookies())
        page = context.new_page()
        page.goto(f"{desk.url}/dashboard")
        for measure in MEASURES:
            expect(page.get_by_test_id(f"trend-{measure}").locator("svg.chart-svg")).to_be_visible()
            expect(page.get_by_test_id(f"trend-canvas-{measure}")).to_be_hidden()
        page.goto(f"{desk.url}/reps/{rep}/day?day={day}")
        expect(page.get_by_test_id("day-map")).to_be_visible()
        expect(page.get_by_test_id("day-map-leaflet")).to_be_hidden()
        expect(page.get_by_test_id("map-legend").locator("li[data-legend=off_route]")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "test_charts_and_map-rep-day-no-script.png", full_page=True)
    finally:
        context.close()
