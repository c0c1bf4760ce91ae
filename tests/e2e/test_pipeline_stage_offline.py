"""The development pipeline end to end: a rep advances a customer's development stage on the phone while
offline, the phone syncs when the server is back, and the supervisor's /pipeline page shows the stage.

Real processes: the sync server on a SQLite file with the demo data, the rep's app in browser mode, and
headless Debian Chromium for both screens. "Offline" is the server process being stopped.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from shared.enums import PipelineStage
from shared.i18n import label
from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service
from tests.e2e.test_offline_visit_reaches_supervisor import SYNC_WAIT_MS, supervisor_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADVANCE = re.compile(r"^推进到：(.+)$")
STAGE_BY_LABEL = {label(stage, "zh-CN"): stage for stage in PipelineStage}


def reveal(page: Page, name: str | re.Pattern[str]) -> bool:
    """Scroll the customer card down until a button with this name shows; False if it never does."""
    button = page.get_by_role("button", name=name)
    for _ in range(8):
        if button.count() and button.first.is_visible():
            return True
        page.mouse.move(210, 600)
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(rep_app.SETTLE_MS)
    return False


def back_to_today(page: Page) -> None:
    """Scroll the card back to its top (where 返回 is), then back to today's route."""
    page.mouse.move(210, 400)
    for _ in range(6):
        page.mouse.wheel(0, -1500)
        page.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.back_to_today(page)


def advance_a_stage(page: Page, position: int) -> tuple[str, PipelineStage] | None:
    """Open the stop's customer and advance its development (starting it if need be): (name, new stage),
    or None when this customer's development cannot advance (won at 重复购买 already)."""
    name = rep_app.stop_name(page, position)
    rep_app.stop_button(page, position).click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    reveal(page, re.compile(r"^(推进到：.+|开始开发|再次开发)$"))
    for start in ("开始开发", "再次开发"):  # not started yet, or lost before: start (again)
        if page.get_by_role("button", name=start).count():
            rep_app.tap(page, start)
            expect(page.get_by_text("开发阶段已保存")).to_be_visible(timeout=10_000)
            # The new round's card, before any of its buttons is read (the old round's may linger a moment).
            expect(page.get_by_text(re.compile(r"^阶段：确定开发对象"))).to_be_visible()
            page.wait_for_timeout(rep_app.SETTLE_MS)
            break
    if not reveal(page, ADVANCE):
        back_to_today(page)
        return None
    button = page.get_by_role("button", name=ADVANCE).first
    stage_label = ADVANCE.match(rep_app.accessible_name(button))
    assert stage_label, rep_app.accessible_name(button)
    button.click()
    page.wait_for_timeout(rep_app.SETTLE_MS)
    expect(page.get_by_text("开发阶段已保存")).to_be_visible(timeout=10_000)
    expect(page.get_by_text(re.compile(rf"^阶段：{re.escape(stage_label.group(1))}（成交概率 \d+%）$"))).to_be_visible()
    return name, STAGE_BY_LABEL[stage_label.group(1)]


def test_a_stage_advanced_offline_reaches_the_supervisors_pipeline(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service
) -> None:
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    stops = rep_app.unvisited_stops(page)

    server.stop()  # offline from here: the stage change lives only on the phone

    rep_app.wait_offline(page)
    advanced = None
    for position in stops:
        advanced = advance_a_stage(page, position)
        if advanced is not None:
            break
    assert advanced is not None, "no customer on today's route could advance its development"
    customer, stage = advanced
    page.screenshot(path=ARTIFACTS / "rep-pipeline-offline.png")
    back_to_today(page)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0", timeout=SYNC_WAIT_MS)

    server.start()  # the phone syncs by itself
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)

    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor_sign_in(supervisor, server_url)
    outcome = "won" if stage is PipelineStage.REPEAT else "open"  # a lost one of the customer may share the stage
    supervisor.goto(f"{server_url}/pipeline?stage={stage.value}&outcome={outcome}")
    rows = supervisor.get_by_test_id("pipeline-list")
    expect(rows.get_by_role("link", name=customer, exact=True)).to_be_visible()
    supervisor.get_by_role("link", name=customer, exact=True).click()
    expect(supervisor.get_by_test_id("pipeline-detail-stage")).to_have_text(label(stage, "zh-CN"))
    supervisor.screenshot(path=ARTIFACTS / "supervisor-pipeline.png", full_page=True)
    supervisor.context.close()
