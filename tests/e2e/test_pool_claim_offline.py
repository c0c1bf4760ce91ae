"""Issue #19 end to end: a supervisor releases a customer to the territory's pool (公海); the rep, offline, finds it
in the 公海 list and claims it (认领) on the phone; once the phone syncs, the supervisor sees the new owner and the
owner history on a 390-px-wide customer page, and the rep's card says 我的客户. With this month's one claim used,
another 公海 customer's card says before the tap that a claim would be refused.

Real processes: the sync server on a SQLite file with the demo data, the rep's app in browser mode, headless
Debian Chromium for both. "Offline" is the server stopped. Screenshots of the phone's card and of /pool at 390 px
go to docs/screenshots/ with ROUTECRM_SCREENSHOTS=1, to test-artifacts/ otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, ROOT, Service, process_clock_env
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS


@pytest.fixture
def server_env(clock_offset: dt.timedelta) -> dict[str, str]:
    """One claim a month, so that the rep's second claim is told before the tap that it would be refused."""
    return {**process_clock_env(clock_offset), "POOL_CLAIM_LIMIT": "1"}


def open_card(page: Page, name: str) -> None:
    page.get_by_role("button", name=re.compile(f"^{re.escape(name)}")).first.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=10_000)


def test_a_rep_offline_claims_a_pool_customer_and_the_supervisor_sees_the_new_owner_at_390_px(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    (rep,) = rows(database, "select id, display_name, territory from users where username = 'li.rep'")
    customer, second = rows(
        database,
        "select id, name from customers where territory = ? and owner_rep_id = ? order by name limit 2",
        rep["territory"],
        rep["id"],
    )

    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    for released in (customer, second):
        supervisor.goto(f"{server_url}/customers/{released['id']}")
        supervisor.get_by_test_id("owner-release").click()  # back to the territory's pool
        expect(supervisor.get_by_test_id("owner-now")).to_have_text("公海")
    supervisor.goto(f"{server_url}/pool")
    expect(supervisor.get_by_test_id(f"pool-customer-{customer['id']}")).to_be_visible()
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-pool-390.png", full_page=True)

    page.set_viewport_size({"width": 360, "height": 740})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)

    server.stop()  # offline: the claim lives only on the phone
    rep_app.wait_offline(page)
    rep_app.tap(page, "查找客户")
    rep_app.tap(page, "公海")
    expect(page.get_by_text("公海客户", exact=True)).to_be_visible(timeout=10_000)
    open_card(page, customer["name"])
    expect(page.get_by_text("公海客户", exact=True)).to_be_visible()
    claim = page.get_by_role("button", name="认领", exact=True)
    assert (claim.bounding_box() or {}).get("height", 0) >= 48  # a thumb's target
    claim.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    expect(page.get_by_text("已认领（待同步）")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("认领中（待同步）")).to_be_visible()
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0", timeout=SYNC_WAIT_MS)
    (owner,) = rows(database, "select owner_rep_id from customers where id = ?", customer["id"])
    assert owner["owner_rep_id"] is None  # not on the server yet

    server.start()  # the phone syncs by itself
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    (owner,) = rows(database, "select owner_rep_id from customers where id = ?", customer["id"])
    assert owner["owner_rep_id"] == rep["id"]
    rep_app.tap(page, re.compile("^返回"))  # the 公海 list: the customer has left it
    rep_app.tap(page, re.compile("^返回"))
    rep_app.fill(page, "搜索客户名称", customer["name"])
    open_card(page, customer["name"])
    expect(page.get_by_text("我的客户", exact=True)).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="释放到公海", exact=True)).to_be_visible()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    page.screenshot(path=SCREENSHOTS / "phone-customer-claimed.png")

    # This month's one claim (POOL_CLAIM_LIMIT=1 here) is used: the other 公海 customer's card says before the tap
    # that a claim would be refused (the pull brought the server's count).
    rep_app.tap(page, re.compile("^返回"))
    rep_app.tap(page, "公海")
    open_card(page, second["name"])
    expect(page.get_by_text("本月认领已达上限：此认领同步后会被拒绝")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="认领", exact=True)).to_be_visible()  # told, not refused
    page.wait_for_timeout(rep_app.SETTLE_MS)
    page.screenshot(path=SCREENSHOTS / "phone-claim-over-limit.png")

    supervisor.goto(f"{server_url}/customers/{customer['id']}")
    expect(supervisor.get_by_test_id("owner-now")).to_have_text(rep["display_name"])
    history = supervisor.get_by_test_id("owner-history")
    expect(history.get_by_test_id("owner-change-1")).to_contain_text("业务员认领")
    expect(history.get_by_test_id("owner-change-1")).to_contain_text(f"公海 → {rep['display_name']}")
    expect(history.get_by_test_id("owner-change-2")).to_contain_text("释放")
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390
    supervisor.get_by_test_id("owner-section").screenshot(path=SCREENSHOTS / "supervisor-owner-history-390.png")
    supervisor.context.close()
