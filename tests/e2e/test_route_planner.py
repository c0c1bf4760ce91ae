"""The route planner end to end: a supervisor plans a rep's day next week in the browser (adds customers from
the suggestions, reorders them), then a phone's sync engine pulls over HTTP from the same server process and
has that plan, stops in order. Real processes: `python -m server serve` on the demo data, headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from sync.engine import SyncEngine
from sync.http import HttpSyncApi
from tests.e2e.conftest import ARTIFACTS, Service, company_today
from tests.e2e.test_offline_visit_reaches_supervisor import supervisor_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REP = "li.rep"
ID = r"[0-9a-f-]{36}"


def phone_pulls(server_url: str, folder: Path) -> LocalStore:
    """A rep's phone: sign in through the API, one full sync into a fresh local store."""
    answer = httpx.post(f"{server_url}/api/auth/login", json={"username": REP, "password": "demo1234"}, timeout=30)
    assert answer.status_code == 200, answer.text
    store = LocalStore(folder, StoreCipher(bytes(32)))
    api = HttpSyncApi(server_url, answer.json()["token"])
    try:
        SyncEngine(store, api.push, api.pull).run()
    finally:
        api.close()
    return store


def test_a_route_planned_in_the_browser_is_pulled_by_the_reps_phone(
    browser: Browser, server: Service, server_url: str, tmp_path: Path
) -> None:
    page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
    supervisor_sign_in(page, server_url)
    page.get_by_test_id("nav-group-planning").locator("summary").click()  # the group's drop-down
    page.get_by_role("link", name="路线计划").click()
    page.get_by_test_id("planner-rep").select_option(REP)
    page.get_by_test_id("planner-load").click()
    week = page.get_by_test_id("planner-week").input_value()  # next week's Monday by default
    monday = dt.date.fromisoformat(week)
    assert monday.weekday() == 0 and monday > company_today()
    wednesday = (monday + dt.timedelta(days=2)).isoformat()
    # The demo's suggestions: customers due by tier cadence; take two that are not planned this week yet.
    rows = page.locator("[data-testid^='suggestion-']")
    chosen: list[str] = []
    for index in range(rows.count()):
        test_id = rows.nth(index).get_attribute("data-testid") or ""
        customer_id = test_id.removeprefix("suggestion-")
        if re.fullmatch(ID, customer_id) and page.get_by_test_id(f"planned-{customer_id}").count() == 0:
            chosen.append(customer_id)
        if len(chosen) == 2:
            break
    assert len(chosen) == 2, "the demo data leaves customers due next week"
    for customer_id in chosen:
        page.get_by_test_id(f"add-day-{customer_id}").select_option(wednesday)
        page.get_by_test_id(f"add-{customer_id}").click()
        expect(page.get_by_test_id("plan-saved")).to_be_visible()
        expect(page.get_by_test_id(f"planned-{customer_id}")).to_contain_text("周三")
    day = page.get_by_test_id(f"stops-{wednesday}")
    first, second = chosen
    expect(day.locator("li")).to_have_count(2)
    # The second one should come first: move it up, in the browser, without a script.
    page.get_by_test_id(f"up-{wednesday}-{second}").click()
    expect(page.get_by_test_id("plan-saved")).to_be_visible()
    stops = [item.get_attribute("data-testid") for item in day.locator("li").all()]
    assert stops == [f"stop-{wednesday}-{second}", f"stop-{wednesday}-{first}"]
    page.screenshot(path=ARTIFACTS / "route-planner.png", full_page=True)

    store = phone_pulls(server_url, tmp_path / "phone")
    plans = [plan for plan in store.all(RecordKind.ROUTE_PLAN) if plan.get("day") == wednesday]
    assert len(plans) == 1, plans
    assert plans[0]["customer_ids"] == [second, first]
    page.context.close()


def test_customer_filters_and_the_work_queues_in_the_browser(
    browser: Browser, server: Service, server_url: str
) -> None:
    page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
    supervisor_sign_in(page, server_url)
    page.get_by_test_id("nav-group-customers").locator("summary").click()
    page.get_by_role("link", name="客户档案").click()
    everyone = page.get_by_test_id("customer-count").inner_text()
    page.get_by_test_id("filter-tier").select_option("A")
    page.get_by_test_id("filter-rep").select_option(REP)
    page.get_by_test_id("filter-overdue").select_option("yes")
    page.get_by_test_id("filter-apply").click()
    expect(page).to_have_url(re.compile(r"tier=A.*rep=li\.rep.*overdue=yes"))
    filtered = page.get_by_test_id("customer-count").inner_text()
    assert filtered != everyone and re.fullmatch(r"共 \d+ 家客户", filtered)
    rows = page.locator("[data-testid^='customer-row-']")
    assert rows.count() > 0, "the demo's A customers of li.rep include overdue ones"
    expect(rows.first.locator("td").nth(3)).to_have_text("A")
    page.screenshot(path=ARTIFACTS / "customers-filtered.png", full_page=True)

    count = page.get_by_test_id("nav-queue-count")
    expect(count).to_be_visible()
    waiting = int(count.inner_text())
    page.get_by_test_id("nav-queues").click()
    expect(page.get_by_test_id("queue-total")).to_have_text(str(waiting))
    sections = ("complaints", "conflicts", "refused", "flagged", "approvals")  # the demo has 审批 pending
    assert sum(int(page.get_by_test_id(f"queue-{name}").inner_text()) for name in sections) == waiting
    page.screenshot(path=ARTIFACTS / "work-queues.png", full_page=True)
    page.context.close()
