"""The live photo's stamp in the PWA (docs/photos.md, docs/pwa.md): Python runs in the browser (Pyodide, no
Pillow), so the browser's canvas burns the stamp (client/features/photos/canvas_stamp.py). Chromium fakes a
camera; the rep signs in to the PWA served at /app/, checks in at a stop (Chromium plays the GPS), taps 现场拍照
and 拍照 in flet-camera's view; the photo is kept as 现场拍摄; after the sync the server holds it live, with the
phone's position, a JPEG whose SHA-256 is the stamped bytes' and whose bottom band is dark with white text (the
fake camera draws no white). The stored photo is written to docs/screenshots/pwa-live-photo-stamp.png: its
Chinese (the customer's name) is drawn in the bundled CJK font, not as boxes (looked at; not asserted)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, expect

from tests.e2e import rep_app
from tests.e2e.conftest import Service
from tests.e2e.test_check_in_location import WANGDU
from tests.e2e.test_photo_camera import FAKE_CAMERA
from tests.e2e.test_pwa import LOCATED_AHEAD, SIGN_IN_HINT, pwa_phone, started
from tests.e2e.test_visit_with_order import rows

pytest.importorskip("flet_camera")
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SYNC_WAIT_MS = 120_000


@pytest.fixture
def server_env(server_env: dict[str, str], pwa_dir: Path) -> dict[str, str]:
    return {**server_env, "PWA_DIR": str(pwa_dir)}


@pytest.fixture
def phone_context(
    browser: Browser, artifacts: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[BrowserContext]:
    """A phone's browser with a (fake) camera and GPS, both allowed."""
    with pwa_phone(
        browser, artifacts, request, tmp_path, extra_args=FAKE_CAMERA, permissions=("geolocation", "camera")
    ) as context:
        yield context


def test_a_live_photo_in_the_pwa_is_stamped_by_the_browsers_canvas(
    tmp_path: Path, server: Service, server_url: str, phone_context: BrowserContext
) -> None:
    page = phone_context.pages[0] if phone_context.pages else phone_context.new_page()
    stamp_logs: list[str] = []
    page.on("console", lambda message: _keep_stamp_log(message, stamp_logs))
    page.goto(f"{server_url}/app/")
    started(page, SIGN_IN_HINT)
    rep_app.signs_in(page, "li.rep", new_phone=True)
    stops = rep_app.unvisited_stops(page)
    database = tmp_path / "server.db"
    before = {row["id"] for row in rows(database, "select id from visit_photos")}  # the demo's

    def take_live_photo() -> None:
        rep_app.tap(page, "现场拍照")
        shoot = page.get_by_role("button", name="拍照", exact=True)
        expect(shoot).to_be_visible(timeout=30_000)
        page.wait_for_timeout(3_000)  # the fake camera starts streaming
        shoot.click()
        expect(page.get_by_text("照片已保存（待上传）")).to_be_visible(timeout=60_000)
        thumb = page.get_by_text(re.compile(r"照片 1 · .* · 现场拍摄"))
        expect(thumb).to_be_visible()
        rep_app.bring_to_middle(page, thumb)
        page.screenshot(path=SCREENSHOTS / "pwa-live-photo-saved-360.png")

    rep_app.record_visit(page, stops[0], person="王院长", before_check_out=take_live_photo, located=LOCATED_AHEAD)
    expect(page.get_by_text(re.compile(r"签退 \d\d:\d\d"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text("待同步 0")).to_be_visible(timeout=SYNC_WAIT_MS)
    expect(page.get_by_text(re.compile(r"^照片待上传"))).not_to_be_visible(timeout=SYNC_WAIT_MS)
    assert not stamp_logs, stamp_logs  # "photo not stamped in the browser ..." or "the stamp's font did not load"

    taken = [row for row in rows(database, "select * from visit_photos") if row["id"] not in before]
    assert len(taken) == 1
    stored = taken[0]
    assert stored["source"] == "live" and stored["content_type"] == "image/jpeg"
    assert (stored["lat"], stored["lng"]) == pytest.approx((WANGDU["latitude"], WANGDU["longitude"]), abs=1e-6)
    (content,) = rows(database, "select content from visit_photo_contents where photo_id = ?", stored["id"])
    data = bytes(content["content"])
    assert stored["sha256"] == sha256(data).hexdigest() and stored["size"] == len(data)  # the stamped bytes'
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        rgb = image.convert("RGB")
    width, height = rgb.size
    rgb.save(SCREENSHOTS / "pwa-live-photo-stamp.png")  # look at it: Chinese glyphs, not boxes
    band = list(rgb.crop((0, height - height // 12, width, height)).get_flattened_data())
    top = list(rgb.crop((0, 0, width, height // 12)).get_flattened_data())

    def white(pixels: list[tuple[int, int, int]]) -> int:
        return sum(1 for r, g, b in pixels if min(r, g, b) > 200)

    # The stamp's white text along the bottom; Chromium's fake camera draws no white. The band is dark: under
    # black at 150/255 at most 105/255 of the picture shows through (the median pixel, text aside).
    assert white(band) > 50 and white(top) == 0
    brightness = sorted(max(pixel) for pixel in band)
    assert brightness[len(brightness) // 2] <= 110


def _keep_stamp_log(message: ConsoleMessage, found: list[str]) -> None:
    if "not stamped" in message.text or "stamp's font" in message.text:
        found.append(message.text)
    elif "photo stamped in the browser" in message.text:
        print(message.text)  # how long the canvas took (docs/pwa.md)
