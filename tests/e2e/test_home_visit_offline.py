"""Issue #4 end to end: offline, a rep records a home visit (家访) with its own field; Today reminds of the
follow-up (回访) due within two days; the server comes back and the supervisor's customer page shows the
home visit's field.

Real processes throughout (see conftest.py): the sync server on a SQLite file, the rep's app in browser
mode, headless Debian Chromium. "Offline" is the server process stopped.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import Service, company_today

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYNC_WAIT_MS = 90_000
PROMISES = "答应下周送样品到科室"


def test_a_home_visit_recorded_offline_reminds_of_its_follow_up_and_reaches_the_supervisor(
    page: Page,
    browser: Browser,
    server: Service,
    server_url: str,
    client_app: Service,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    page.set_viewport_size({"width": 420, "height": 1500})  # the whole visit form on one screen
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    position = rep_app.unvisited_stops(page)[0]
    name = rep_app.stop_name(page, position)
    server.stop()
    rep_app.wait_offline(page)

    rep_app.stop_button(page, position).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "开始拜访")
    page.get_by_role("checkbox", name="家访", exact=True).click()  # the type's chip: its fields show
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "签到")
    expect(page.get_by_text(re.compile(r"^签到 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(rep_app.field(page, "通话时长（分钟）")).to_have_count(0)  # a phone visit's field is not a home visit's
    rep_app.fill(page, "家访内容与承诺", PROMISES)
    rep_app.fill(page, "访问对象", "王院长")
    page.screenshot(path=artifacts / "phone-home-visit-form.png")
    rep_app.tap(page, "签退")
    expect(page.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)

    # Today reminds of the 回访, due by the second day after (the phone's own date).
    rep_app.back_to_today(page)
    due = (company_today() + dt.timedelta(days=2)).isoformat()
    expect(page.get_by_text(f"家访后回访 · {name} · {due} 前")).to_be_visible(timeout=10_000)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0")

    # The server comes back: the app syncs by itself.
    server.start()
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^被拒绝"))).not_to_be_visible()

    with sqlite3.connect(tmp_path / "server.db") as connection:
        connection.row_factory = sqlite3.Row
        query = "select v.* from visits v join customers c on c.id = v.customer_id where c.name = ? and v.promises = ?"
        (visit,) = connection.execute(query, (name, PROMISES)).fetchall()
    assert visit["visit_type"] == "home" and visit["person_met"] == "王院长" and visit["call_minutes"] is None

    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor.goto(f"{server_url}/login")
    supervisor.get_by_label("用户名").fill("zhang.manager")
    supervisor.get_by_label("密码").fill("demo1234")
    supervisor.get_by_test_id("login-submit").click()
    expect(supervisor.get_by_test_id("board-day")).to_be_visible()
    supervisor.goto(f"{server_url}/customers/{visit['customer_id']}")
    expect(supervisor.get_by_test_id(f"visit-field-{visit['id']}-promises")).to_have_text(f"家访内容与承诺: {PROMISES}")
    supervisor.context.close()
