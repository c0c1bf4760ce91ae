"""Issue #4 end to end: offline, a rep records a full visit (an order, a competitor report, a complaint and a
photo); the server comes back, the app syncs the records and uploads the photo by itself, and the supervisor
sees all of it on the customer's page, the photo as a thumbnail that opens the full photo.

Real processes throughout (see conftest.py): the sync server on a SQLite file, the rep's app in browser mode
(the photo is picked through Chromium's file chooser and reaches the app's process through Flet's upload),
headless Debian Chromium. "Offline" is the server process stopped, as in test_offline_visit_reaches_supervisor.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service
from tests.e2e.test_offline_visit_reaches_supervisor import supervisor_sign_in
from tests.e2e.test_visit_with_order import FIRST, SECOND, fill_box, rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SYNC_WAIT_MS = 90_000


def a_photo(path: Path) -> bytes:
    """A camera-like JPEG (noise compresses badly, so it needs several upload chunks)."""
    image = Image.effect_noise((800, 600), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    path.write_bytes(out.getvalue())
    return out.getvalue()


def choose(page: Page, name: str) -> None:
    """Tick a chip and see it ticked (on a busy machine a tap during a redraw can miss: tap again)."""
    chip = page.get_by_role("checkbox", name=name, exact=True)
    for _ in range(3):
        chip.click()
        page.wait_for_timeout(rep_app.SETTLE_MS)
        if chip.is_checked():
            return
    expect(chip).to_be_checked()


def test_a_full_visit_with_a_photo_recorded_offline_reaches_the_supervisor(
    page: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    photo_path = tmp_path / "门头照片.jpg"
    photo = a_photo(photo_path)
    assert len(photo) > 200 * 1024
    page.set_viewport_size({"width": 420, "height": 1800})
    rep_app.sign_in(page, client_app.ready_url, "li.rep")
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

    # 下单, 竞品信息, 投诉: as on any visit.
    rep_app.tap(page, "下单")
    rep_app.pick_product(page, FIRST)
    rep_app.pick_product(page, SECOND)
    fill_box(page, "^第1项数量", "2")
    fill_box(page, "^第2项数量", "1")
    rep_app.tap(page, "确认下单")
    expect(page.get_by_text("订单已保存（待同步），合计 ¥149")).to_be_visible(timeout=10_000)  # 2 x 62 + 25
    rep_app.tap(page, "竞品信息")
    rep_app.fill(page, "竞品品牌", "威高")
    rep_app.fill(page, "竞品产品", "输液器")
    rep_app.tap(page, "记录竞品")
    expect(page.get_by_text("竞品信息已保存（待同步）")).to_be_visible(timeout=10_000)
    rep_app.tap(page, "投诉")
    choose(page, "配送")
    choose(page, "严重")
    rep_app.fill(page, "投诉内容", "业务员上次没有按约定时间来")
    rep_app.tap(page, "提交投诉")
    expect(page.get_by_text("投诉已保存（待同步），请尽快答复")).to_be_visible(timeout=10_000)

    # 添加照片: the browser's file chooser (on a phone the picker also offers the camera).
    with page.expect_file_chooser(timeout=15_000) as chooser:
        rep_app.tap(page, "添加照片")
    chooser.value.set_files(str(photo_path))
    expect(page.get_by_text("照片已保存（待上传）")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("照片 1 · 待上传")).to_be_visible()
    expect(page.get_by_text("照片待上传 1")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "rep-visit-photo-offline.png")

    rep_app.fill(page, "访问对象", "王院长")
    rep_app.tap(page, "签退")
    expect(page.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(rep_app.pending_count(page)).not_to_have_text("待同步 0")

    # The server comes back: records first, then the photo's bytes, nobody presses anything.
    server.start()
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^照片待上传"))).not_to_be_visible(timeout=SYNC_WAIT_MS)

    database = tmp_path / "server.db"
    (customer,) = rows(database, "select id from customers where name = ?", name)
    (stored,) = rows(database, "select * from visit_photos where customer_id = ?", customer["id"])
    assert stored["uploaded_at"] and stored["content_type"] == "image/jpeg"
    assert stored["size"] == len(photo) and stored["sha256"] == hashlib.sha256(photo).hexdigest()
    (visit,) = rows(database, "select * from visits where id = ?", stored["visit_id"])
    assert visit["person_met"] == "王院长" and visit["check_out_at"]
    assert len(rows(database, "select id from orders where visit_id = ?", visit["id"])) == 1
    assert len(rows(database, "select id from competitor_reports where visit_id = ?", visit["id"])) == 1
    assert len(rows(database, "select id from complaints where visit_id = ?", visit["id"])) == 1

    # The supervisor's customer page: the visit's order, report and complaint, and the photo's thumbnail.
    supervisor = browser.new_context(locale="zh-CN").new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/customers/{customer['id']}")
    expect(supervisor.get_by_text("业务员上次没有按约定时间来")).to_be_visible()
    expect(supervisor.get_by_test_id("competitor-reports")).to_contain_text("威高")
    thumbnail = supervisor.get_by_test_id(f"visit-photo-thumbnail-{stored['id']}")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320")
    supervisor.screenshot(path=ARTIFACTS / "supervisor-visit-photo.png", full_page=True)
    with supervisor.expect_response(re.compile(rf"/photos/{stored['id']}$")) as opened:
        supervisor.get_by_test_id(f"visit-photo-link-{stored['id']}").click()
    assert opened.value.status == 200 and opened.value.headers["content-type"] == "image/jpeg"
    assert opened.value.body() == photo
    supervisor.context.close()
