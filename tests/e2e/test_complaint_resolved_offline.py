"""Issue #4 end to end: a rep, offline, marks a customer's complaint resolved on the phone with a note; once
the phone syncs, the supervisor's customer page shows the complaint resolved with the rep's note, and the
follow-up visit is on the rep's route for tomorrow.

Real processes: the sync server on a SQLite file with the demo data (a complaint taken this morning in each
territory), the rep's app in browser mode, headless Debian Chromium for both. "Offline" is the server stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service, company_today
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in
from tests.e2e.test_pipeline_stage_offline import back_to_today, reveal
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTE = "已补发两箱，客户确认收到"


def test_a_complaint_resolved_offline_reaches_the_supervisor_with_the_note_and_a_follow_up(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    (rep,) = rows(database, "select id, territory from users where username = 'li.rep'")
    (complaint,) = rows(
        database,
        "select c.id, c.customer_id, u.name from complaints c join customers u on u.id = c.customer_id"
        " where c.territory = ? and c.status = 'received'",
        rep["territory"],
    )
    page.set_viewport_size({"width": 420, "height": 1500})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    # The first sync (every page of it) brings the complaint; from here on the phone works alone.
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)

    server.stop()  # offline: the complaint's handling lives only on the phone

    rep_app.wait_offline(page)
    rep_app.tap(page, "查找客户")
    rep_app.fill(page, "搜索客户名称", complaint["name"])
    page.get_by_role("button", name=re.compile(f"^{re.escape(complaint['name'])}")).first.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    assert reveal(page, "推进处理")
    rep_app.tap(page, "推进处理")
    page.get_by_role("checkbox", name="已解决", exact=True).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.fill(page, "处理说明（方案、结果、客户反馈）", NOTE)
    rep_app.tap(page, "保存进度")
    expect(page.get_by_text("投诉进度已保存（待同步）")).to_be_visible(timeout=10_000)
    reveal(page, re.compile("推进处理"))
    expect(page.get_by_text(re.compile(f"已解决 · {NOTE}"))).to_be_visible()  # the history, waiting to sync
    page.screenshot(path=ARTIFACTS / "rep-complaint-resolved-offline.png")
    back_to_today(page)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0", timeout=SYNC_WAIT_MS)

    server.start()  # the phone syncs by itself
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)

    (stored,) = rows(database, "select status, responded_at, resolved_at from complaints where id = ?", complaint["id"])
    assert stored["status"] == "resolved" and stored["responded_at"] and stored["resolved_at"]
    # The follow-up visit: the customer is on the rep's route tomorrow (the server's day, TIMEZONE's default).
    tomorrow = company_today() + dt.timedelta(days=1)
    (plan,) = rows(
        database, "select customer_ids from route_plans where rep_id = ? and day = ?", rep["id"], tomorrow.isoformat()
    )
    assert complaint["customer_id"] in json.loads(plan["customer_ids"])

    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/customers/{complaint['customer_id']}")
    expect(supervisor.get_by_test_id(f"complaint-status-{complaint['id']}")).to_have_text("已解决")
    expect(supervisor.get_by_test_id(f"complaint-history-{complaint['id']}")).to_contain_text(NOTE)
    supervisor.screenshot(path=ARTIFACTS / "supervisor-complaint-resolved.png", full_page=True)
    supervisor.context.close()
