"""Issue #16 end to end: a rep, offline, writes the day's report (日报) on the phone; once the phone syncs, the
supervisor reads it on a 390-px-wide page with the server's figures, comments, and the comment shows on the
rep's phone after its next sync.

Real processes: the sync server on a SQLite file with the demo data, the rep's app in browser mode, headless
Debian Chromium for both. "Offline" is the server stopped. Screenshots of the supervisor's page at 390 and 1280
px and of the phone's report screen go to docs/screenshots/ with ROUTECRM_SCREENSHOTS=1, to test-artifacts/
otherwise.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, ROOT, Service, company_today
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SUMMARY = "拜访三家诊所，两家下单；东关诊所嫌价格高"
FOCUS = "明天先去东关诊所，带上报价单"
COMMENT = "价格问题我来和经销商谈，明天先把样品送到"
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS


def test_a_days_report_written_offline_is_commented_on_a_phone_sized_page_and_the_comment_reaches_the_rep(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    page.set_viewport_size({"width": 390, "height": 1400})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)

    server.stop()  # offline: the report lives only on the phone
    rep_app.wait_offline(page)
    rep_app.tap(page, "日报")
    expect(page.get_by_text(f"日报 {company_today().isoformat()}")).to_be_visible(timeout=10_000)
    rep_app.fill(page, "工作总结（今天做了什么、问题）", SUMMARY)
    rep_app.fill(page, "明日重点", FOCUS)
    rep_app.tap(page, "提交")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0", timeout=SYNC_WAIT_MS)

    server.start()  # the phone syncs by itself
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    (stored,) = rows(database, "select id, summary, next_focus, period, starts_on from work_reports")
    assert (stored["summary"], stored["next_focus"], stored["period"]) == (SUMMARY, FOCUS, "day")
    assert stored["starts_on"] == company_today().isoformat()

    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/reports")
    expect(supervisor.get_by_test_id("summary-li.rep")).to_have_text(SUMMARY)
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    supervisor.get_by_test_id("comment-input-li.rep").fill(COMMENT)
    supervisor.get_by_test_id("comment-submit-li.rep").click()
    expect(supervisor.get_by_test_id("comment-saved")).to_be_visible()
    expect(supervisor.get_by_test_id("comment-li.rep")).to_contain_text(COMMENT)
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-work-reports-390.png", full_page=True)
    supervisor.set_viewport_size({"width": 1280, "height": 800})
    supervisor.goto(f"{server_url}/reports")
    expect(supervisor.get_by_test_id("comment-li.rep")).to_contain_text(COMMENT)
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-work-reports-1280.png", full_page=True)
    supervisor.context.close()

    rep_app.tap(page, "立即同步")  # the next sync brings the comment; the report screen shows it
    expect(page.get_by_text(COMMENT)).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^主管点评（张"))).to_be_visible()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    page.screenshot(path=SCREENSHOTS / "phone-work-report.png")
