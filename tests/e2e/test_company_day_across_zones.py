"""The company's day on a phone set to another zone (issue: one business day everywhere).

The company works on Asia/Shanghai; the server's machine runs on UTC; the rep's phone is set to
America/Los_Angeles (a wrong setting, a trip). At 07:30 in Shanghai it is still yesterday afternoon in Los
Angeles: the phone must show the company's day and its route, stamp the visit with the company's time, and
the supervisor's board must count the visit on the planned route (计划内), not as off-route on another day.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service, company_now, company_offset_at, process_clock_env
from tests.e2e.test_offline_visit_reaches_supervisor import board_numbers, supervisor_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE_TZ = "America/Los_Angeles"
SYNC_WAIT_MS = 90_000


@pytest.fixture
def clock_offset() -> dt.timedelta:
    """07:30 of the company's next day: the day's plan is there, no visit yet, and Los Angeles is a day behind."""
    return company_offset_at(dt.time(7, 30), days=1)


@pytest.fixture
def server_env(clock_offset: dt.timedelta) -> dict[str, str]:
    return {**process_clock_env(clock_offset), "TZ": "UTC"}


@pytest.fixture
def phone_env(clock_offset: dt.timedelta) -> dict[str, str]:
    return {**process_clock_env(clock_offset), "TZ": PHONE_TZ}


def test_a_phone_in_another_zone_keeps_the_company_day_and_its_visit_counts_on_the_route(
    page: Page, browser: Browser, server_url: str, client_app: Service, clock_offset: dt.timedelta
) -> None:
    company = company_now(clock_offset)
    phone_day = company.astimezone(ZoneInfo(PHONE_TZ)).date()
    assert phone_day != company.date(), "the test needs an hour at which the two zones' dates differ"

    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor_sign_in(supervisor, server_url)
    expect(supervisor.get_by_test_id("board-day")).to_have_attribute("data-day", company.date().isoformat())
    before = board_numbers(supervisor, "li.rep")
    assert before["visited-on-route"] == 0 and before["planned"] >= 6  # 07:30: the route lies ahead

    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(f"今日路线 {company.date().isoformat()}", exact=True)).to_be_visible()
    expect(page.get_by_text(f"今日路线 {phone_day.isoformat()}", exact=True)).to_have_count(0)
    stops = rep_app.unvisited_stops(page)
    assert len(stops) == before["planned"]  # the company's plan for today, not Los Angeles' yesterday

    first = stops[0]
    rep_app.stop_button(page, first).click()
    rep_app.tap(page, "开始拜访")
    rep_app.tap(page, "签到")
    # Checked in at the company's time (07:3x), not the phone's (15:3x the day before).
    checked_in = page.get_by_text(re.compile(r"签到 07:3\d"))
    expect(checked_in).to_be_visible()
    page.screenshot(path=ARTIFACTS / "phone-other-zone-check-in.png")
    rep_app.fill(page, "访问对象", "王院长")
    rep_app.fill(page, "拜访目的", "早上送资料")
    rep_app.tap(page, "积极", role="checkbox")
    rep_app.tap(page, "保存")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
    rep_app.tap(page, "签退")
    rep_app.back_to_today(page)
    expect(rep_app.stop_button(page, first)).to_have_accessible_name(re.compile("已拜访$"))
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"上次同步 07:3\d"))).to_be_visible()  # the sync bar's time too

    supervisor.reload()
    after = board_numbers(supervisor, "li.rep")
    assert after == {**before, "visited-on-route": 1}  # 计划内, on the company's day; nothing off-route
