"""Issue #17, photo evidence end to end (docs/photos.md): the company requires a live photo on every visit in
person (PHOTO_REQUIRED); on the phone at 360x740 the visit says so and warns, before 签退, that the visit will
be flagged for its missing photo; the rep adds a photo from the gallery (the browser's file chooser), the
warning becomes 相册照片代替现场拍摄, the rep checks out anyway, and the supervisor finds the visit on
/visits/flagged with that flag and its reason, and the photo marked 相册选取 on the customer's page.

Real processes (tests/e2e/conftest.py). Chromium plays the phone's GPS at the stop's town."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import rep_app
from tests.e2e.conftest import ARTIFACTS, Service, process_clock_env
from tests.e2e.test_offline_visit_reaches_supervisor import supervisor_sign_in
from tests.e2e.test_visit_photo_offline import a_photo
from tests.e2e.test_visit_with_order import rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SYNC_WAIT_MS = 90_000
IN_PERSON = ("first", "second", "early", "day", "home", "follow_up")


@pytest.fixture
def server_env(clock_offset: object) -> dict[str, str]:
    env = process_clock_env(clock_offset)  # type: ignore[arg-type]
    return {**env, "PHOTO_REQUIRED": ",".join(f"{kind}=live" for kind in IN_PERSON)}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """The rep's phone: 360x740, location allowed at 望都县."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale="zh-CN",
        geolocation={"latitude": 38.71, "longitude": 115.15, "accuracy": 15},
        permissions=["geolocation"],
    )
    yield context.new_page()
    context.close()


def test_a_gallery_photo_where_a_live_one_is_required_is_warned_and_flagged(
    phone: Page, browser: Browser, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    photo_path = tmp_path / "货架.jpg"
    a_photo(photo_path)
    rep_app.sign_in(phone, client_app.ready_url, "li.rep")
    expect(phone.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    position = rep_app.unvisited_stops(phone)[0]
    rep_app.stop_button(phone, position).click()
    phone.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(phone, "开始拜访")
    rep_app.tap(phone, "签到")
    expect(phone.get_by_text(re.compile(r"^签到 \d\d:\d\d"))).to_be_visible(timeout=15_000)

    # Before any photo: the visit says what it needs, and the check-out warning names the missing photo.
    expect(phone.get_by_text("本次拜访需现场拍照：请用“现场拍照”")).to_be_visible()
    expect(phone.get_by_text(re.compile("缺少要求的照片"))).to_be_visible()

    database = tmp_path / "server.db"
    before = {row["id"] for row in rows(database, "select id from visit_photos")}  # the demo's
    with phone.expect_file_chooser(timeout=15_000) as chooser:
        rep_app.tap(phone, "添加照片")
    chooser.value.set_files(str(photo_path))
    expect(phone.get_by_text("照片已保存（待上传）")).to_be_visible(timeout=30_000)
    expect(phone.get_by_text(re.compile(r"照片 1 · .* · 相册选取"))).to_be_visible()
    warning = phone.get_by_text(re.compile("相册照片代替现场拍摄：1 张照片来自相册，本次拜访要求现场拍摄"))
    expect(warning).to_be_visible()
    expect(phone.get_by_text(re.compile("缺少要求的照片"))).not_to_be_visible()
    warning.scroll_into_view_if_needed()
    phone.screenshot(path=SCREENSHOTS / "phone-photo-evidence-warning-360.png")
    phone.mouse.move(180, 400)
    phone.mouse.wheel(0, 700)  # Flutter draws the form: scroll it down to the photos
    phone.wait_for_timeout(rep_app.SETTLE_MS)
    phone.screenshot(path=SCREENSHOTS / "phone-photo-evidence-photos-360.png")

    rep_app.fill(phone, "访问对象", "王院长")
    rep_app.tap(phone, "签退")
    expect(phone.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(phone.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)

    taken = [row for row in rows(database, "select * from visit_photos") if row["id"] not in before]
    assert len(taken) == 1
    stored = taken[0]
    assert stored["source"] == "gallery"
    assert stored["lat"] == pytest.approx(38.71) and stored["taken_at"]
    visit_id = stored["visit_id"]

    supervisor = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    supervisor_sign_in(supervisor, server_url)
    supervisor.goto(f"{server_url}/visits/flagged")
    expect(supervisor.get_by_test_id(f"visit-flag-{visit_id}-gallery_photo")).to_have_text("相册照片代替现场拍摄")
    expect(supervisor.get_by_test_id(f"visit-flag-reason-{visit_id}-gallery_photo")).to_have_text(
        "1 张照片来自相册，本次拜访要求现场拍摄"
    )
    flag = supervisor.get_by_test_id(f"visit-flag-{visit_id}-gallery_photo")
    flag.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = flag.bounding_box()  # at phone width each flagged visit is a card: the flag in full, nothing under a column
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    supervisor.screenshot(path=SCREENSHOTS / "supervisor-flagged-gallery-photo-390.png")
    supervisor.goto(f"{server_url}/customers/{stored['customer_id']}")
    expect(supervisor.get_by_test_id(f"visit-photo-source-{stored['id']}")).to_have_text("相册选取")
    supervisor.screenshot(path=ARTIFACTS / "supervisor-customer-photo-source.png", full_page=True)
    supervisor.context.close()
