"""Issue #17 end to end: a rep, offline, starts the working day on the phone (上班打卡), makes a visit, ends the
day (下班打卡); once the phone is back online the supervisor's /attendance page, 390 px wide, shows the day's start
and end, late and early against the company's hours (08:00-18:00; the processes run at 09:30), and links to the
rep's day page, which shows the same.

Real processes: the sync server on a SQLite file with the demo data, the rep's app in browser mode on a
360x740 phone that gives its position, headless Debian Chromium for both. "Offline" is the server stopped.
Screenshots of the phone and of the page go to docs/screenshots/ with ROUTECRM_SCREENSHOTS=1, to
test-artifacts/ otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, COMPANY_TZ, ROOT, Service, company_today
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS
WANGDU = {"latitude": 38.71, "longitude": 115.15, "accuracy": 15}
LOCATED_MS = 15_000  # the app waits at most 4 s for a position; the punch is saved either way


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """The rep's phone: 360x740, location allowed, standing in 望都县."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", geolocation=WANGDU, permissions=["geolocation"]
    )
    yield context.new_page()
    context.close()


def hhmm(stored: str) -> str:
    return dt.datetime.fromisoformat(stored).astimezone(COMPANY_TZ).strftime("%H:%M")


def test_a_day_started_and_ended_offline_shows_on_the_supervisors_attendance_page_at_390_px(
    phone: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    rep_app.sign_in(phone, client_app.ready_url, "li.rep")
    expect(phone.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(phone.get_by_text(re.compile(r"^今天还没有上班打卡"))).to_be_visible()
    stops = rep_app.unvisited_stops(phone)

    server.stop()  # offline: the punches live only on the phone
    rep_app.wait_offline(phone)
    start_button = phone.get_by_role("button", name="上班打卡")
    box = start_button.bounding_box()
    assert box is not None and box["height"] >= 48 and box["x"] + box["width"] <= 360  # a thumb's target, on screen
    rep_app.tap(phone, "上班打卡")
    expect(phone.get_by_text(re.compile(r"^已保存：上班打卡 \d\d:\d\d（待同步）"))).to_be_visible(timeout=LOCATED_MS)
    expect(phone.get_by_text(re.compile(r"^上班 \d\d:\d\d · 迟到 \d+ 分钟$"))).to_be_visible()

    rep_app.record_visit(phone, stops[0], person="王院长")
    rep_app.back_to_today(phone)
    rep_app.tap(phone, "下班打卡")
    expect(phone.get_by_text(re.compile(r"^已保存：下班打卡 \d\d:\d\d（待同步）"))).to_be_visible(timeout=LOCATED_MS)
    expect(phone.get_by_text(re.compile(r"^下班 \d\d:\d\d · 早退 \d+ 分钟$"))).to_be_visible()
    expect(rep_app.pending_count(phone)).not_to_have_text("待同步 0")
    phone.wait_for_timeout(rep_app.SETTLE_MS)
    phone.screenshot(path=SCREENSHOTS / "phone-attendance.png")

    server.start()  # the phone syncs by itself
    expect(phone.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    today = company_today().isoformat()  # the demo has the days before today's punches too
    punches = rows(database, "select action, at, lat, lng from attendance_punches where day = ? order by at", today)
    assert [punch["action"] for punch in punches] == ["start", "end"]
    assert punches[0]["lat"] == pytest.approx(38.71) and punches[0]["lng"] == pytest.approx(115.15)
    started, ended = hhmm(punches[0]["at"]), hhmm(punches[1]["at"])

    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/attendance")
    key = f"li.rep-{company_today().isoformat()}"
    expect(supervisor.get_by_test_id(f"start-{key}")).to_have_text(started)
    expect(supervisor.get_by_test_id(f"end-{key}")).to_have_text(ended)
    expect(supervisor.get_by_test_id(f"status-{key}")).to_contain_text(re.compile(r"迟到 \d+ 分钟"))
    expect(supervisor.get_by_test_id(f"status-{key}")).to_contain_text(re.compile(r"早退 \d+ 分钟"))
    assert int(supervisor.get_by_test_id(f"visits-{key}").inner_text()) >= 1
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-attendance-390.png", full_page=True)

    # Last week, from the demo's punches: one territory's rep, every day late, early, on time or never ended.
    supervisor.goto(f"{server_url}/attendance?territory=望都东片")
    supervisor.get_by_test_id("previous-range").click()
    expect(supervisor.get_by_test_id("attendance-li.rep")).to_be_visible()
    expect(supervisor.get_by_test_id("attendance-wang.rep")).to_have_count(0)
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-attendance-last-week-390.png", full_page=True)

    supervisor.goto(f"{server_url}/attendance")
    supervisor.get_by_test_id(f"day-link-{key}").click()
    expect(supervisor.get_by_test_id("attendance-start")).to_have_text(started)
    expect(supervisor.get_by_test_id("attendance-end")).to_have_text(ended)
    supervisor.context.close()
