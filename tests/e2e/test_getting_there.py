"""Getting there (issue 14), in the browser at 360×740: Today's 地图 draws the day's route without tiles (the
stops in order, the next one highlighted), each stop's 导航 opens Amap's web marker at the customer's position
(answered here by a stand-in: nothing leaves the machine), and 下次拜访日期 is picked in a calendar opening a
week from the company's today. The browser's back button leaves the map for Today. Screenshots of each screen
are kept."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service, company_today

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}


def test_route_map_navigation_and_the_date_picker(browser: Browser, client_app: Service) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    opened: list[str] = []

    def web_map(route: Route) -> None:  # a stand-in for Amap: no request leaves the machine
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>map</title>")

    context.route(re.compile(r"^https://(uri\.amap\.com|api\.map\.baidu\.com)/"), web_map)
    page = context.new_page()
    try:
        rep_app.sign_in(page, client_app.ready_url, "li.rep")
        page.wait_for_timeout(3000)  # the CJK font (5 MB) is drawn once loaded
        first = rep_app.unvisited_stops(page)[0]
        name = rep_app.stop_name(page, first)
        page.screenshot(path=ARTIFACTS / "phone-today-navigate-360.png")
        expect(page.get_by_role("button", name=f"导航到 {name}")).to_be_visible()  # one tap from the stop
        rep_app.tap(page, "地图")
        expect(page.get_by_text(re.compile(r"^路线图 \d{4}-\d{2}-\d{2}$"))).to_be_visible(timeout=10_000)
        expect(page.get_by_text(f"下一站：{first}. {name}")).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=ARTIFACTS / "phone-route-map-360.png")
        expect(page.get_by_text(f"地图标记 {first}. {name} · 下一站").first).to_be_attached()

        with context.expect_page() as popup:
            page.get_by_role("button", name="导航", exact=True).first.click()
        popup.value.wait_for_load_state()
        link = urlsplit(opened[-1])
        assert link.netloc == "uri.amap.com" and parse_qs(link.query)["name"] == [name]
        popup.value.close()

        assert urlsplit(page.url).path.startswith("/in-app/")  # the guard entry the app put on the history
        page.go_back()  # the browser's back button (a PWA's back gesture): the same as 返回
        expect(rep_app.today_heading(page)).to_be_visible()
        rep_app.stop_button(page, first).click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        rep_app.tap(page, "开始拜访")
        rep_app.tap(page, "签到")
        rep_app.fill(page, "拜访目的", "送样品")  # the form scrolls down to it, the date field under it
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(500)
        date_field = rep_app.field(page, "下次拜访日期")
        box = date_field.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] - 24, box["y"] + box["height"] / 2)  # the calendar button
        page.wait_for_timeout(1000)
        page.wait_for_timeout(1000)
        page.screenshot(path=ARTIFACTS / "phone-date-picker-360.png")
        rep_app.tap(page, re.compile("^(OK|确定)$", re.IGNORECASE))
        page.wait_for_timeout(1000)
        page.screenshot(path=ARTIFACTS / "phone-date-picked-360.png")
        week_on = (company_today() + dt.timedelta(days=7)).isoformat()
        date_field.click()  # Flutter writes a field's text into the page's input while it has focus
        page.wait_for_timeout(rep_app.SETTLE_MS)
        expect(date_field).to_have_value(week_on)
    finally:
        context.close()


def test_the_person_met_is_one_tap_on_a_key_person(browser: Browser, client_app: Service) -> None:
    """访问对象 offers the customer's key persons as chips: one added on the card is a tap on the visit."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        rep_app.sign_in(page, client_app.ready_url, "li.rep")
        page.wait_for_timeout(3000)  # the CJK font (5 MB) is drawn once loaded
        first = rep_app.unvisited_stops(page)[0]
        rep_app.stop_button(page, first).click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        rep_app.tap(page, "添加关键人")
        rep_app.fill(page, "姓名", "齐大夫")
        rep_app.tap(page, "坐诊医生", role="checkbox")
        rep_app.tap(page, "保存关键人")
        expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
        rep_app.tap(page, "开始拜访")
        rep_app.tap(page, "签到")
        person = rep_app.field(page, "访问对象")
        chip = page.get_by_role("checkbox", name="齐大夫 · 坐诊医生")  # a chip (Flutter names chips check boxes)
        rep_app.bring_to_middle(page, chip)  # under the field, which may sit at the screen's bottom edge
        chip.click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        rep_app.bring_to_middle(page, person)  # a tap at the bottom edge may land on the 签退 bar instead
        person.click()  # Flutter writes a field's text into the page's input while it has focus
        page.wait_for_timeout(rep_app.SETTLE_MS)
        expect(person).to_have_value("齐大夫")
        box = person.bounding_box()
        assert box is not None
        page.mouse.wheel(0, box["y"] - PHONE["height"] / 3)  # the field and its chips in the middle
        page.wait_for_timeout(800)
        page.screenshot(path=ARTIFACTS / "phone-visit-key-persons-360.png")
    finally:
        context.close()
