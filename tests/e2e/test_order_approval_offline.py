"""Issue #19 (审批) end to end: the supervisor gives a customer a credit limit of ¥100 and the phone syncs it; offline,
the rep takes an order of ¥186 there on the phone, which says before 确认下单 that it needs the supervisor's approval
(the company's rules, pulled with the sync) and shows it 待审批（待同步） on the visit and the card while still offline;
once the phone syncs, the server holds the order pending with its approval request (not counted) and the phone shows
the server's 待审批; the supervisor approves it with a comment on /approvals at 390 px; after the phone's next sync
the customer card shows the order 已批准 with the comment.

Real processes: the sync server on a SQLite file with the demo data, the rep's app in browser mode, headless Debian
Chromium for both. "Offline" is the server stopped. Screenshots (the 390-px queue and the phone's card) go to
docs/screenshots/ with ROUTECRM_SCREENSHOTS=1, to test-artifacts/ otherwise.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, ROOT, Service
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in
from tests.e2e.test_visit_with_order import FIRST, fill_box, rows, textbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS


def sync_round(page: Page) -> None:
    """立即同步, and wait until the phone says it has synced since."""
    synced = page.get_by_text(re.compile(r"^上次同步 \d")).first
    last = rep_app.accessible_name(synced)
    rep_app.tap(page, "立即同步")
    expect(page.get_by_text(last, exact=True)).to_have_count(0, timeout=SYNC_WAIT_MS)


def open_stop_card(page: Page, position: int) -> None:
    """Tap the stop until its card shows: a sync that lands meanwhile redraws Today and may take the tap."""
    for _ in range(3):
        rep_app.stop_button(page, position).click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        edit = page.get_by_role("button", name="编辑客户")
        try:
            expect(edit).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            continue
    expect(page.get_by_role("button", name="编辑客户")).to_be_visible()


def test_an_order_above_the_credit_limit_taken_offline_is_approved_at_390_px_and_the_phone_shows_it(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    page.set_viewport_size({"width": 360, "height": 1600})  # a 360-px phone; tall, so the card's orders show
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    position = rep_app.unvisited_stops(page)[0]
    name = rep_app.stop_name(page, position)
    (customer,) = rows(database, "select id from customers where name = ?", name)

    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/customers/{customer['id']}")
    supervisor.locator("#credit-limit").fill("100")
    supervisor.get_by_test_id("credit-form").get_by_role("button").click()
    expect(supervisor.get_by_test_id("customer-credit-limit")).to_have_text("¥100.00")
    sync_round(page)  # the phone pulls the limit (and the company's approval rules come with every pull)

    server.stop()  # offline: the order lives only on the phone
    rep_app.wait_offline(page)
    rep_app.stop_button(page, position).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "开始拜访")
    rep_app.tap(page, "签到")
    expect(page.get_by_text(re.compile(r"^签到 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    rep_app.tap(page, "下单")
    rep_app.pick_product(page, FIRST)
    expect(textbox(page, "^第1项数量")).to_be_visible()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    notice = page.get_by_text("此订单需主管审批：超出信用额度 ¥100")
    expect(notice).to_have_count(0)  # no quantity yet: nothing to judge
    fill_box(page, "^第1项数量", "3")
    expect(page.get_by_text("合计 ¥186")).to_be_visible()  # 3 x ¥62: above the ¥100 limit
    expect(notice).to_be_visible()  # said before saving, offline, as the rep types
    notice.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "phone-order-needs-approval.png")
    rep_app.tap(page, "确认下单")
    expect(page.get_by_text("订单已保存（待同步），合计 ¥186；需主管审批：超出信用额度 ¥100")).to_be_visible(
        timeout=10_000
    )
    expected = page.get_by_text("订单 待审批（待同步）：超出信用额度 ¥100")
    expect(expected).to_be_visible()  # on the visit, still offline
    expect(page.get_by_text("审批通过前不计入业绩").first).to_be_visible()
    rep_app.fill(page, "访问对象", "王院长")
    rep_app.tap(page, "签退")
    expect(page.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(page.get_by_text("其中待审批 ¥186.00（不计入业绩）")).to_be_visible()  # the visit's summary
    rep_app.back_to_today(page)
    open_stop_card(page, position)  # the customer card, offline: the order is expected to wait
    expect(page.get_by_text("订单 待审批（待同步）：超出信用额度 ¥100")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "phone-order-expected-offline.png")
    rep_app.back_to_today(page)

    server.start()  # the order is stored, pending, never refused (立即同步: no waiting out the offline backoff)
    rep_app.tap(page, "立即同步")
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^被拒绝"))).not_to_be_visible()
    query = "select id, approval_status from orders where customer_id = ? and amount = 186"
    (order,) = rows(database, query, customer["id"])
    assert order["approval_status"] == "pending"
    order_id = order["id"]
    (request,) = rows(database, "select id, status, reason from approval_requests where record_id = ?", order_id)
    assert (request["status"], request["reason"]) == ("pending", "credit_limit")
    open_stop_card(page, position)  # the same sync pulled the request: the rep sees 待审批
    expect(page.get_by_text("订单 待审批：超出信用额度 ¥100")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("审批通过前不计入业绩").first).to_be_visible()
    expect(page.get_by_text("待审批（待同步）")).to_have_count(0)  # the server's word replaced the phone's
    rep_app.back_to_today(page)

    supervisor.goto(f"{server_url}/approvals")
    card = supervisor.get_by_test_id(f"approval-{request['id']}")
    expect(card).to_contain_text("超出信用额度")
    expect(card).to_contain_text("¥186.00")
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    approve = supervisor.get_by_test_id(f"approve-{request['id']}")
    assert (approve.bounding_box() or {}).get("height", 0) >= 44  # a thumb's target on the supervisor's phone
    supervisor.get_by_test_id(f"approval-comment-{request['id']}").fill("老客户，同意本次超额")
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-approvals-390.png", full_page=True)
    approve.click()
    expect(supervisor.get_by_test_id("approvals-done")).to_have_text("已批准。")
    (order,) = rows(database, "select approval_status from orders where id = ?", order_id)
    assert order["approval_status"] == "approved"
    supervisor.goto(f"{server_url}/customers/{customer['id']}")
    expect(supervisor.get_by_test_id(f"order-approval-{order_id}")).to_have_text("已批准")
    supervisor.context.close()

    # The phone's next sync brings the decision (立即同步, then one more round: a sync that began before the
    # decision may end after it); then the card shows 已批准 and the comment.
    synced = page.get_by_text(re.compile(r"^上次同步 \d")).first
    for round_ in range(2):
        last = rep_app.accessible_name(synced)
        if round_ == 0:
            rep_app.tap(page, "立即同步")
        expect(page.get_by_text(last, exact=True)).to_have_count(0, timeout=SYNC_WAIT_MS)
    open_stop_card(page, position)
    expect(page.get_by_text(re.compile("^订单 已批准"))).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile("老客户，同意本次超额"))).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "phone-order-approved.png")
