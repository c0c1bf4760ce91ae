"""Issue #4 end to end: offline, a rep takes an order of two catalogue products on a visit, records a
competitor report and a complaint, checks out; the server comes back and has all of it.

Real processes throughout (see conftest.py): the sync server on a SQLite file, the rep's app in browser
mode, headless Debian Chromium. "Offline" is the server process stopped.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ROOT, Service

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYNC_WAIT_MS = 90_000
SCREENSHOT = ROOT / "docs" / "screenshots" / "phone-visit-order.png"
# Two products of the demo catalogue (server/demo.py PRODUCTS): 输液器 ¥62/包 and 口罩 ¥25/盒.
FIRST, SECOND = "一次性使用输液器", "医用外科口罩"


def rows(database: Path, query: str, *args: object) -> list[sqlite3.Row]:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        return list(connection.execute(query, args).fetchall())


def textbox(page: Page, pattern: str) -> Locator:
    return page.get_by_role("textbox", name=re.compile(pattern))


def fill_box(page: Page, pattern: str, value: str) -> None:
    box = textbox(page, pattern)
    box.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    box.fill(value)
    page.wait_for_timeout(rep_app.SETTLE_MS)


def test_an_order_a_competitor_report_and_a_complaint_taken_offline_reach_the_server(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 420, "height": 1800})  # the whole order form on one screen, above the action bar
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    # The first sync brings the catalogue; from here on the phone works alone.
    expect(page.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    position = rep_app.unvisited_stops(page)[0]
    name = rep_app.stop_name(page, position)
    server.stop()
    rep_app.wait_offline(page)

    rep_app.stop_button(page, position).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(page, "开始拜访")
    rep_app.tap(page, "签到")
    expect(page.get_by_text(re.compile(r"^签到 \d\d:\d\d"))).to_be_visible(timeout=15_000)

    # 下单: two products from the catalogue, one at a negotiated price.
    rep_app.tap(page, "下单")
    rep_app.pick_product(page, FIRST)
    expect(textbox(page, "^第1项数量")).to_be_visible()  # the line is drawn: nothing moves under the next tap
    rep_app.pick_product(page, SECOND)
    expect(textbox(page, "^第2项数量")).to_be_visible()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    fill_box(page, "^第1项数量", "3")
    fill_box(page, "^第2项数量", "4")
    expect(page.get_by_text("合计 ¥286")).to_be_visible()  # unit prices prefilled from the catalogue: 3 x 62 + 4 x 25
    fill_box(page, "^第2项单价", "23.5")
    expect(page.get_by_text("合计 ¥280")).to_be_visible()  # 3 x 62 + 4 x 23.5
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT)
    rep_app.tap(page, "确认下单")
    expect(page.get_by_text("订单已保存（待同步），合计 ¥280")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("订单 1：2 个产品，合计 ¥280")).to_be_visible()

    # 竞品信息
    rep_app.tap(page, "竞品信息")
    rep_app.fill(page, "竞品品牌", "威高")
    rep_app.fill(page, "竞品产品", "5ml 注射器")
    rep_app.fill(page, "竞品价格（元）", "32")
    rep_app.fill(page, "促销活动", "买十送一")
    rep_app.tap(page, "记录竞品")
    expect(page.get_by_text("竞品信息已保存（待同步）")).to_be_visible(timeout=10_000)

    # 投诉
    rep_app.tap(page, "投诉")
    page.get_by_role("checkbox", name="配送", exact=True).click()
    page.get_by_role("checkbox", name="严重", exact=True).click()
    rep_app.fill(page, "投诉内容", "上周的货晚到三天，诊所断货两天")
    rep_app.tap(page, "提交投诉")
    expect(page.get_by_text("投诉已保存（待同步），请尽快答复")).to_be_visible(timeout=10_000)

    # The visit itself, then check out: the order ticked "已进货" with the order's amount.
    rep_app.fill(page, "访问对象", "王院长")
    rep_app.tap(page, "签退")
    expect(page.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0")
    rep_app.back_to_today(page)
    expect(rep_app.stop_button(page, position)).to_have_accessible_name(re.compile("已进货$"))

    # The server comes back: the app syncs by itself.
    server.start()
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^被拒绝"))).not_to_be_visible()

    database = tmp_path / "server.db"
    (customer,) = rows(database, "select id from customers where name = ?", name)
    # The customer's newest order (the demo seeded older ones): the server stamps when it stored each.
    order = rows(database, "select * from orders where customer_id = ? order by created_at desc", customer["id"])[0]
    assert order["amount"] == 280.0
    (visit,) = rows(database, "select * from visits where id = ?", order["visit_id"])
    assert visit["ordered"] and visit["order_amount"] == 280.0 and visit["check_out_at"]
    assert visit["person_met"] == "王院长"
    reports = rows(database, "select * from competitor_reports where visit_id = ?", order["visit_id"])
    assert [(r["brand"], r["product"], r["price"], r["promotion"]) for r in reports] == [
        ("威高", "5ml 注射器", 32.0, "买十送一")
    ]
    complaints = rows(database, "select * from complaints where visit_id = ?", order["visit_id"])
    assert [(c["category"], c["severity"], c["status"]) for c in complaints] == [("delivery", "high", "received")]

    # The supervisor's customer page lists the order with its amount.
    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor.goto(f"{server_url}/login")
    supervisor.get_by_label("用户名").fill("zhang.manager")
    supervisor.get_by_label("密码").fill("demo1234")
    supervisor.get_by_test_id("login-submit").click()
    expect(supervisor.get_by_test_id("board-day")).to_be_visible()
    supervisor.goto(f"{server_url}/customers/{customer['id']}")
    expect(supervisor.get_by_test_id(f"order-amount-{order['id']}")).to_have_text("¥280.00")
    expect(supervisor.get_by_test_id(f"competitor-report-{reports[0]['id']}")).to_contain_text("威高")
    expect(supervisor.get_by_text("上周的货晚到三天，诊所断货两天")).to_be_visible()
    supervisor.context.close()
