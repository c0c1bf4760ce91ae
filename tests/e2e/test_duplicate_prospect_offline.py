"""Issue #19 end to end (查重): a rep, offline, types a prospect that is a customer the phone already holds
(东关村卫生室 of the demo, typed "东关 卫生所" with 望都镇东关村): the phone warns 可能与以下客户重复 before saving,
with the candidate and the two choices. The rep chooses 仍然新建; once the phone syncs, the supervisor's
duplicates page (390 px wide) lists the pair with its reasons.

Real processes: the server on a SQLite file with the demo data, the rep's app in browser mode, headless Debian
Chromium. "Offline" is the server stopped. Screenshots of the phone's warning and the supervisor's page go to
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
from tests.e2e.test_nothing_typed_is_lost import AUTOSAVE_WAIT_MS, typed_in
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXISTING = "东关村卫生室"  # server/demo.py: 望都镇's village clinic, in li.rep's territory
TYPED = "东关 卫生所"
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ROUTECRM_SCREENSHOTS") == "1" else ARTIFACTS


def test_a_prospect_typed_offline_like_a_local_customer_is_warned_and_queued_for_the_supervisor(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    page.set_viewport_size({"width": 360, "height": 740})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)

    server.stop()  # offline: the check runs on the phone's own customers
    rep_app.wait_offline(page)
    rep_app.tap(page, "新增潜在客户")
    rep_app.fill(page, "客户名称", TYPED)
    rep_app.fill(page, "地址", "望都镇东关村")
    rep_app.tap(page, "保存客户")
    expect(page.get_by_text("可能与以下客户重复：")).to_be_visible(timeout=10_000)
    expect(page.get_by_text(EXISTING, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^同名、同在东关村"))).to_be_visible()
    open_button = page.get_by_role("button", name="打开该客户")
    create_button = page.get_by_role("button", name="仍然新建")
    for button in (open_button, create_button):
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    create_button.scroll_into_view_if_needed()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    page.screenshot(path=SCREENSHOTS / "phone-duplicate-warning.png")
    assert not rows(database, "select id from customers where name = ?", TYPED)  # nothing saved or sent yet

    rep_app.tap(page, "仍然新建")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0", timeout=SYNC_WAIT_MS)

    server.start()  # the phone syncs by itself; the server checks the new customer against the company
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    (created,) = rows(database, "select id from customers where name = ?", TYPED)
    (existing,) = rows(database, "select id from customers where name = ?", EXISTING)
    (pair,) = rows(
        database,
        "select id, status from duplicate_pairs where customer_id = ? and other_id = ?",
        created["id"],
        existing["id"],
    )
    assert pair["status"] == "open"

    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/customers/duplicates")
    card = supervisor.get_by_test_id(f"duplicate-{pair['id']}")
    expect(card).to_contain_text(TYPED)
    expect(card).to_contain_text(EXISTING)
    expect(card).to_contain_text("同名")
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    card.scroll_into_view_if_needed()
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-duplicates-390.png", full_page=True)
    supervisor.get_by_test_id(f"dismiss-{pair['id']}").click()
    expect(supervisor.get_by_test_id("duplicate-dismissed")).to_be_visible()
    expect(supervisor.get_by_test_id(f"duplicate-{pair['id']}")).to_have_count(0)
    supervisor.context.close()


NOTE = "院长说下周三上午坐诊，带样品过去"
TYPING = "周五前回电话确认"  # typed on the merged-away customer's card, not yet saved when the phone goes off


def test_a_merge_on_the_web_reaches_a_phone_holding_a_pending_note_for_the_merged_away_customer(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    database = tmp_path / "server.db"
    page.set_viewport_size({"width": 360, "height": 740})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    rep_app.tap(page, "新增潜在客户")  # online: the duplicate is created and reaches the server's queue
    rep_app.fill(page, "客户名称", TYPED)
    rep_app.fill(page, "地址", "望都镇东关村")
    rep_app.tap(page, "保存客户")
    rep_app.tap(page, "仍然新建")
    expect(page.get_by_text("已保存（待同步）")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)

    server.stop()  # offline, on the new customer's card: a note for it waits on the phone
    rep_app.wait_offline(page)
    rep_app.fill(page, "新备注", NOTE)
    rep_app.tap(page, "保存备注")
    expect(page.get_by_text(NOTE).first).to_be_visible(timeout=10_000)
    expect(rep_app.pending_count(page)).to_have_text("待同步 1")
    rep_app.fill(page, "新备注", TYPING)  # and a second note being typed, kept as the rep types
    page.wait_for_timeout(AUTOSAVE_WAIT_MS)
    client_app.stop()  # the phone is off while the supervisor merges

    server.start()
    (created,) = rows(database, "select id from customers where name = ?", TYPED)
    (existing,) = rows(database, "select id from customers where name = ?", EXISTING)
    (pair,) = rows(database, "select id from duplicate_pairs where customer_id = ?", created["id"])
    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/customers/duplicates")
    supervisor.get_by_test_id(f"keep-{pair['id']}-{existing['id']}").click()  # keep the old one
    expect(supervisor.get_by_test_id("customers-merged")).to_be_visible()
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-duplicates-merged-390.png", full_page=True)
    supervisor.context.close()
    (gone,) = rows(database, "select deleted, merged_into from customers where id = ?", created["id"])
    assert (gone["deleted"], gone["merged_into"]) == (1, existing["id"])

    client_app.start()  # the phone again: it pushes the note, which lands on the customer kept
    rep_app.open_flet_app(page, client_app.ready_url)
    rep_app.unlock(page, expect_today=False)  # the card being typed on opens again, with its text
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    (note,) = rows(database, "select customer_id from notes where text = ?", NOTE)
    assert note["customer_id"] == existing["id"]
    assert typed_in(page, "新备注") == TYPING  # the merge came in the meantime: the text is still there
    rep_app.tap(page, "保存备注")  # saved after the merge: stored on the customer kept, shown on its card
    expect(page.get_by_text(TYPING).first).to_be_visible(timeout=10_000)
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    (late,) = rows(database, "select customer_id from notes where text = ?", TYPING)
    assert late["customer_id"] == existing["id"]
    rep_app.back_to_today(page)

    rep_app.tap(page, "查找客户")  # the merged-away customer is gone from the phone; the note is on the kept one
    rep_app.fill(page, "搜索客户名称", "东关")
    kept = page.get_by_role("button", name=re.compile(f"^{EXISTING} "))
    expect(kept).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name=re.compile(f"^{TYPED} "))).to_have_count(0)
    kept.click()
    expect(page.get_by_text(NOTE).first).to_be_visible(timeout=10_000)
    page.mouse.move(180, 500)
    page.mouse.wheel(0, 330)  # down to the notes
    page.wait_for_timeout(rep_app.SETTLE_MS * 2)
    page.screenshot(path=SCREENSHOTS / "phone-note-after-merge.png")
