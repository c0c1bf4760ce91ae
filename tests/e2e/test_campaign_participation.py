"""Issue #4 end to end: a supervisor plans a campaign in the browser inviting a customer; the rep's phone
syncs it, records the customer's participation on a visit while offline, syncs when the server is back;
the campaign's results page shows the participant, the feedback and the amount.

Real processes (see conftest.py): the sync server on a SQLite file with the demo county, the rep's app in
browser mode, headless Debian Chromium. "Offline" is the server process stopped.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ROOT, Service

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYNC_WAIT_MS = 90_000
CAMPAIGN = "E2E春季订货会"
TERRITORY = "望都东片"  # li.rep's territory in the demo county (server/demo.py REPS)
SCREENSHOTS = ROOT / "docs" / "screenshots"


def sync_once_more(page: Page) -> None:
    """Tap 立即同步 and wait for a sync that started after the tap to finish (the last-sync time moves on)."""
    last = page.get_by_text(re.compile(r"^上次同步 \d"))
    for _ in range(2):  # a sync already running when tapped may have missed what changed: wait for one more
        before = rep_app.accessible_name(last)
        rep_app.tap(page, "立即同步")
        expect(last).not_to_have_text(before, timeout=SYNC_WAIT_MS)


def test_a_campaign_planned_on_the_web_gets_participation_recorded_offline_on_a_visit(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 420, "height": 1500})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    position = rep_app.unvisited_stops(page)[0]
    name = rep_app.stop_name(page, position)

    # The supervisor plans the campaign in the browser, inviting this customer.
    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor.goto(f"{server_url}/login")
    supervisor.get_by_label("用户名").fill("zhang.manager")
    supervisor.get_by_label("密码").fill("demo1234")
    supervisor.get_by_test_id("login-submit").click()
    expect(supervisor.get_by_test_id("board-day")).to_be_visible()
    supervisor.get_by_test_id("nav-group-planning").locator("summary").click()  # the group's drop-down
    supervisor.get_by_test_id("nav-campaigns").click()
    supervisor.get_by_test_id("campaign-new").click()
    supervisor.get_by_label("片区").select_option(TERRITORY)
    supervisor.get_by_role("button", name="选择片区").click()
    supervisor.get_by_label("类型").select_option("order_meeting")
    supervisor.get_by_label("活动名称").fill(CAMPAIGN)
    supervisor.get_by_label("费用").fill("1500")
    supervisor.get_by_label("说明").fill("现场订货满 2000 元赠消毒液一箱")
    supervisor.get_by_role("checkbox", name=name, exact=True).check()
    supervisor.get_by_test_id("campaign-submit").click()
    expect(supervisor.get_by_test_id("campaign-saved")).to_be_visible()
    expect(supervisor.get_by_test_id("result-invited")).to_have_text("1")
    expect(supervisor.get_by_test_id("result-participants")).to_have_text(re.compile("^0"))
    campaign_url = supervisor.url.split("?")[0]

    # The phone receives it; then the server goes away and the rep works offline.
    sync_once_more(page)
    server.stop()
    rep_app.wait_offline(page)
    rep_app.stop_button(page, position).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "开始拜访")
    rep_app.tap(page, "签到")
    expect(page.get_by_text(re.compile(r"^签到 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    rep_app.tap(page, re.compile(f"^{CAMPAIGN} · 订货会 .*已邀请$"))
    rep_app.fill(page, "归属本活动的订货金额（元，可空）", "2400")
    rep_app.fill(page, "客户反馈", "政策很实惠，院长当场答应订货")
    rep_app.tap(page, "保存参与记录")
    expect(page.get_by_text("已记录活动参与（待同步）")).to_be_visible(timeout=10_000)
    expect(page.get_by_text(re.compile(f"^活动 {CAMPAIGN}：已参加 · ¥2,400"))).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "phone-visit-campaign.png")
    rep_app.fill(page, "访问对象", "王院长")
    rep_app.tap(page, "签退")
    expect(page.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0")

    # Back online: the participation reaches the server with the visit.
    server.start()
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^被拒绝"))).not_to_be_visible()
    with sqlite3.connect(tmp_path / "server.db") as connection:
        stored = connection.execute(
            "select r.participated, r.amount, r.feedback from campaign_results r join campaigns c"
            " on c.id = r.campaign_id where c.name = ?",
            (CAMPAIGN,),
        ).fetchall()
    assert stored == [(1, 2400.0, "政策很实惠，院长当场答应订货")]

    # The campaign's results page shows the participant and what the rep recorded.
    supervisor.goto(f"{server_url}/login")  # the server restarted: sign in again if the session went
    if supervisor.get_by_label("用户名").is_visible():
        supervisor.get_by_label("用户名").fill("zhang.manager")
        supervisor.get_by_label("密码").fill("demo1234")
        supervisor.get_by_test_id("login-submit").click()
    supervisor.goto(campaign_url)
    expect(supervisor.get_by_test_id("result-participants")).to_have_text(re.compile("^1"))
    expect(supervisor.get_by_test_id("result-attributed")).to_have_text("¥2,400.00")
    expect(supervisor.get_by_test_id("campaign-participation")).to_contain_text("政策很实惠，院长当场答应订货")
    expect(supervisor.get_by_test_id("campaign-participation")).to_contain_text(name)
    supervisor.screenshot(path=SCREENSHOTS / "web-campaign-results.png", full_page=True)
    supervisor.context.close()
