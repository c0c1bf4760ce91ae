"""The walking product, end to end: a rep works through a network cut and the supervisor sees all of it.

Real processes throughout: the sync server (`python -m server serve` on a SQLite file), the rep's app
(`python -m client --web`, its own local store) and headless Debian Chromium for both screens. "Offline" is
the server process being stopped: the link between the app's process and the sync server is cut.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYNC_WAIT_MS = 90_000  # the app retries with backoff capped at 30 s; it must get there on its own


def supervisor_sign_in(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/login")
    page.get_by_label("用户名").fill("zhang.manager")
    page.get_by_label("密码").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("board-day")).to_be_visible()


def board_numbers(page: Page, rep: str) -> dict[str, int]:
    names = ("planned", "visited-on-route", "visited-off-route", "ordered-on-route")
    return {name: int(page.get_by_test_id(f"{name}-{rep}").inner_text()) for name in names}


def percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.0f}%"


def test_visits_recorded_offline_reach_the_supervisor_board(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service
) -> None:
    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor_sign_in(supervisor, server_url)
    before = board_numbers(supervisor, "li.rep")

    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    stops = rep_app.unvisited_stops(page)
    assert len(stops) >= 3, "the demo plan leaves the afternoon's stops unvisited"

    # Online: a planned stop, with an order.
    first = rep_app.record_visit(page, stops[0], person="王院长", ordered_amount="860")
    rep_app.back_to_today(page)
    expect(rep_app.stop_button(page, stops[0])).to_have_accessible_name(re.compile("已进货$"))
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)

    # The network goes: every write from here on lives only on the phone.
    server.stop()
    rep_app.wait_offline(page)
    second = rep_app.record_visit(page, stops[1], person="刘药师")
    rep_app.back_to_today(page)
    note_customer = rep_app.add_note(page, stops[2], "老板下周回村，届时再谈新品陈列")
    rep_app.back_to_today(page)
    rep_app.add_prospect(page, "望都县惠民大药房", "望都县城关镇建设路18号", "0312-7721234")
    rep_app.back_to_today(page)
    expect(page.get_by_text("离线", exact=True)).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text("数据已保存在本机，恢复联网后自动同步")).to_be_visible()
    pending = rep_app.pending_count(page)
    expect(pending).not_to_have_text("待同步 0")
    page.screenshot(path=ARTIFACTS / "rep-offline-pending.png")

    # The network comes back: the app syncs by itself, nobody presses "立即同步".
    server.start()
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text("在线")).to_be_visible()

    # The supervisor sees the truth of the field: two more visits on the route, one more order.
    supervisor.reload()
    after = board_numbers(supervisor, "li.rep")
    assert after == {
        **before,
        "visited-on-route": before["visited-on-route"] + 2,
        "ordered-on-route": before["ordered-on-route"] + 1,
    }
    # 拜访完成率 = on-route visits / planned; 拜访成功率 = on-route orders / on-route visits.
    completion = percent(after["visited-on-route"], after["planned"])
    success = percent(after["ordered-on-route"], after["visited-on-route"])
    expect(supervisor.get_by_test_id("completion-rate-li.rep")).to_have_text(completion)
    expect(supervisor.get_by_test_id("success-rate-li.rep")).to_have_text(success)
    visits = supervisor.get_by_test_id("visits-table")
    expect(visits.get_by_role("link", name=first, exact=True)).to_be_visible()
    expect(visits.get_by_role("link", name=second, exact=True)).to_be_visible()
    expect(supervisor.get_by_test_id("prospects-table")).to_contain_text("望都县惠民大药房")
    supervisor.screenshot(path=ARTIFACTS / "supervisor-board.png", full_page=True)

    supervisor.goto(f"{server_url}/customers?q={note_customer}")
    supervisor.get_by_role("link", name=note_customer, exact=True).first.click()
    expect(supervisor.get_by_test_id("customer-name")).to_have_text(note_customer)
    expect(supervisor.get_by_text("老板下周回村，届时再谈新品陈列")).to_be_visible()
    supervisor.context.close()
