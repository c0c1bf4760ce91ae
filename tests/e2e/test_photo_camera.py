"""The app's camera view in browser mode (docs/photos.md): Chromium fakes a camera; the rep taps 现场拍照 on a
visit whose type needs a live photo, then 拍照; the photo is kept marked 现场拍摄 with the stamp burned in, the
check-out warning names no photo flag, and the server stores it as live with the phone's position.

Needs flet-camera in the app's environment (a dependency in pyproject.toml); skipped where it is missing."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e import rep_app
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Service, process_clock_env
from tests.e2e.test_visit_with_order import rows

pytest.importorskip("flet_camera")
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SYNC_WAIT_MS = 90_000
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *FAKE_CAMERA]
        )
        yield launched
        launched.close()


@pytest.fixture
def server_env(clock_offset: object) -> dict[str, str]:
    env = process_clock_env(clock_offset)  # type: ignore[arg-type]
    kinds = ("first", "second", "early", "day", "home", "follow_up")
    return {**env, "PHOTO_REQUIRED": ",".join(f"{kind}=live" for kind in kinds)}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale="zh-CN",
        geolocation={"latitude": 38.71, "longitude": 115.15, "accuracy": 15},
        permissions=["geolocation", "camera"],
    )
    yield context.new_page()
    context.close()


def test_a_photo_from_the_camera_view_is_live_and_stamped(
    phone: Page, server: Service, server_url: str, client_app: Service, tmp_path: Path
) -> None:
    rep_app.sign_in(phone, client_app.ready_url, "li.rep")
    expect(phone.get_by_text(re.compile(r"^上次同步 \d"))).to_be_visible(timeout=SYNC_WAIT_MS)
    position = rep_app.unvisited_stops(phone)[0]
    rep_app.stop_button(phone, position).click()
    phone.wait_for_timeout(rep_app.SETTLE_MS)
    rep_app.tap(phone, "开始拜访")
    rep_app.tap(phone, "签到")
    expect(phone.get_by_text(re.compile(r"^签到 \d\d:\d\d"))).to_be_visible(timeout=15_000)

    before = {row["id"] for row in rows(tmp_path / "server.db", "select id from visit_photos")}  # the demo's
    rep_app.tap(phone, "现场拍照")
    shoot = phone.get_by_role("button", name="拍照", exact=True)
    expect(shoot).to_be_visible(timeout=15_000)
    phone.wait_for_timeout(3_000)  # the fake camera starts streaming
    phone.screenshot(path=SCREENSHOTS / "phone-camera-view-360.png")
    shoot.click()
    expect(phone.get_by_text("照片已保存（待上传）")).to_be_visible(timeout=30_000)
    expect(phone.get_by_text(re.compile(r"照片 1 · .* · 现场拍摄"))).to_be_visible()
    expect(phone.get_by_text(re.compile("相册照片代替现场拍摄|缺少要求的照片"))).not_to_be_visible()

    rep_app.fill(phone, "访问对象", "王院长")
    rep_app.tap(phone, "签退")
    expect(phone.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(phone.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(phone.get_by_text(re.compile(r"^照片待上传"))).not_to_be_visible(timeout=SYNC_WAIT_MS)

    database = tmp_path / "server.db"
    taken = [row for row in rows(database, "select * from visit_photos") if row["id"] not in before]
    assert len(taken) == 1
    stored = taken[0]
    assert stored["source"] == "live"
    assert stored["lat"] == pytest.approx(38.71)
    (content,) = rows(database, "select content from visit_photo_contents where photo_id = ?", stored["id"])
    with Image.open(io.BytesIO(content["content"])) as image:
        assert image.format == "JPEG"
        rgb = image.convert("RGB")
        width, height = rgb.size
        band = rgb.crop((0, height - height // 12, width, height)).get_flattened_data()
        top = rgb.crop((0, 0, width, height // 12)).get_flattened_data()

    def white(pixels: object) -> int:
        return sum(1 for r, g, b in pixels if min(r, g, b) > 200)  # type: ignore[attr-defined]

    # The stamp's white text along the bottom; Chromium's fake camera draws no white.
    assert white(band) > 50 and white(top) == 0
