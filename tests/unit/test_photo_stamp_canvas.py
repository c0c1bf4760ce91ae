"""The live photo's stamp in the PWA (docs/photos.md, docs/pwa.md): where the app runs in the browser the stamp
is drawn by the browser's canvas (client/features/photos/canvas_stamp.py), elsewhere by Pillow; the canvas draws
Pillow's stamp (band, white text, the bundled CJK font, loaded once) and, when it fails, the photo is kept as
taken and still live. The browser here is a fake one that records what it is asked to draw; the real canvas is
driven by tests/e2e/test_pwa_photo_stamp.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from hashlib import sha256
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from client.browser import CannotWait
from client.features.photos import canvas_stamp, stamp
from client.features.photos.canvas_stamp import FONT_FAMILY, Interop, burn_with_canvas
from client.shell.app import App
from shared.enums import PhotoSource
from shared.photos import stamp_text
from shared.visit_rules import VisitFlagRules
from tests.unit.test_client_visit_flow import app as app
from tests.unit.test_photo_capture import CLINIC, NOW, FakeCamera, a_jpeg, on_a_visit, photo_ops

STAMPED = b"\xff\xd8\xff stamped by the canvas"
TEXT = stamp_text(NOW, CLINIC, "固店村卫生室")


class Promise:
    """A settled promise: only `wait` opens it, so the stamp must wait for each."""

    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self.value, self.error = value, error


def wait(promise: Promise) -> Any:
    assert isinstance(promise, Promise), f"not a promise: {promise!r}"
    if promise.error:
        raise promise.error
    return promise.value


class FakeContext:
    """A 2D context that records its drawing; text is 0.6 em wide per character (a wide CJK font)."""

    def __init__(self, calls: list[tuple[Any, ...]]) -> None:
        self.calls, self.font, self.fillStyle, self.textBaseline = calls, "", "", ""

    def drawImage(self, bitmap: Any, x: int, y: int) -> None:
        self.calls.append(("drawImage", x, y))

    def measureText(self, text: str) -> SimpleNamespace:
        return SimpleNamespace(width=len(text) * 0.6 * int(self.font.split("px")[0]))

    def fillRect(self, *box: int) -> None:
        self.calls.append(("fillRect", self.fillStyle, *box))

    def fillText(self, text: str, x: int, y: int) -> None:
        self.calls.append(("fillText", self.fillStyle, self.font, self.textBaseline, text, x, y))


class FakeBrowser:
    """The worker's globals the stamp uses, with the photo `width` x `height` and what failures a test asks."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        self.width, self.height = width, height
        self.calls: list[tuple[Any, ...]] = []
        self.fonts_loaded: list[tuple[str, str]] = []
        self.font_fails = self.decode_fails = False
        self.encoded_type = "image/jpeg"
        self.location = SimpleNamespace(href="https://crm.example.com/app/python-worker.js")
        self.URL = SimpleNamespace(new=lambda path, base: SimpleNamespace(href=base.rsplit("/", 1)[0] + "/" + path))
        self.FontFace = SimpleNamespace(new=self._font_face)
        self.fonts = SimpleNamespace(add=lambda face: self.fonts_loaded.append(face.source))
        self.Blob = SimpleNamespace(new=lambda parts: SimpleNamespace(parts=parts))
        self.OffscreenCanvas = SimpleNamespace(new=self._canvas)

    def _font_face(self, family: str, source: str) -> SimpleNamespace:
        error = RuntimeError("NetworkError: font") if self.font_fails else None
        return SimpleNamespace(source=(family, source), load=lambda: Promise(error=error))

    def createImageBitmap(self, blob: Any) -> Promise:
        self.calls.append(("decode", blob.parts))
        if self.decode_fails:
            return Promise(error=RuntimeError("InvalidStateError: The source image could not be decoded."))
        return Promise(SimpleNamespace(width=self.width, height=self.height, close=lambda: None))

    def _canvas(self, width: int, height: int) -> SimpleNamespace:
        self.calls.append(("canvas", width, height))
        context = FakeContext(self.calls)

        def encode(options: dict[str, Any]) -> Promise:
            self.calls.append(("convertToBlob", options))
            buffer = SimpleNamespace(to_bytes=lambda: STAMPED)
            return Promise(SimpleNamespace(type=self.encoded_type, arrayBuffer=lambda: Promise(buffer)))

        return SimpleNamespace(getContext=lambda kind: context, convertToBlob=encode)

    def interop(self) -> Interop:
        return Interop(self, wait, lambda value: value)


@pytest.fixture(autouse=True)
def a_new_worker() -> Iterator[None]:
    """Each test starts as a new start of the app: the font not yet loaded in the worker."""
    canvas_stamp._font.family = None
    yield
    canvas_stamp._font.family = None


def test_the_pwa_stamps_with_the_canvas_and_everywhere_else_with_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    assert stamp.stamp_burner() is stamp.burn_with_pillow
    monkeypatch.setattr(stamp, "IN_BROWSER", True)
    assert stamp.stamp_burner() is canvas_stamp.burn_with_canvas
    browser = FakeBrowser()
    monkeypatch.setattr(canvas_stamp, "browser_interop", browser.interop)
    photo = a_jpeg()
    assert stamp.burn_stamp(photo, TEXT) == (STAMPED, True)
    assert ("decode", [photo]) in browser.calls


def test_the_canvas_draws_pillows_stamp_in_the_bundled_font_loaded_once() -> None:
    browser = FakeBrowser(640, 480)
    photo = a_jpeg()
    assert burn_with_canvas(photo, TEXT, browser.interop()) == (STAMPED, True)
    assert browser.fonts_loaded == [(FONT_FAMILY, "url(https://crm.example.com/app/fonts/wqy-microhei.ttf)")]
    size = 480 // 28  # 17 px: 1/28 of the shorter side, as Pillow's
    margin, band = size // 2, size + 2 * (size // 2)
    assert browser.calls[1:] == [
        ("canvas", 640, 480),
        ("drawImage", 0, 0),
        ("fillRect", "rgba(0, 0, 0, 0.588)", 0, 480 - band, 640, band),
        ("fillText", "#ffffff", f'{size}px "{FONT_FAMILY}"', "top", TEXT, margin, 480 - band + margin),
        ("convertToBlob", {"type": "image/jpeg", "quality": 0.9}),
    ]
    burn_with_canvas(photo, TEXT, browser.interop())
    assert len(browser.fonts_loaded) == 1  # once per start of the app


def test_a_narrow_photo_gets_a_smaller_stamp_that_still_fits() -> None:
    browser = FakeBrowser(200, 600)
    assert burn_with_canvas(a_jpeg(200, 600), TEXT, browser.interop())[1]
    (drawn,) = [call for call in browser.calls if call[0] == "fillText"]
    size = int(drawn[2].split("px")[0])
    assert size < 600 // 28 and (len(TEXT) * 0.6 * size <= 200 - 2 * (600 // 28 // 2) or size == 8)


@pytest.mark.parametrize("failure", ["decode", "no JPEG", "cannot wait"])
def test_when_the_canvas_fails_the_photo_is_kept_as_taken_and_the_log_says_why(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    browser = FakeBrowser()
    interop = browser.interop()
    if failure == "decode":
        browser.decode_fails = True
    elif failure == "no JPEG":
        browser.encoded_type = "image/png"
    else:

        def cannot(_: Any) -> Any:
            raise CannotWait("this stack cannot wait for the browser")

        interop = Interop(browser, cannot, lambda value: value)
    photo = a_jpeg()
    with caplog.at_level(logging.WARNING, logger=canvas_stamp.__name__):
        assert burn_with_canvas(photo, TEXT, interop) == (photo, False)
    assert "photo not stamped in the browser, kept as taken" in caplog.text


def test_a_font_that_does_not_load_still_stamps_and_is_tried_again_next_time(caplog: pytest.LogCaptureFixture) -> None:
    browser = FakeBrowser()
    browser.font_fails = True
    with caplog.at_level(logging.WARNING, logger=canvas_stamp.__name__):
        assert burn_with_canvas(a_jpeg(), TEXT, browser.interop()) == (STAMPED, True)
    assert "font did not load" in caplog.text
    (drawn,) = [call for call in browser.calls if call[0] == "fillText"]
    assert drawn[2].endswith('px "sans-serif"')
    browser.font_fails = False
    burn_with_canvas(a_jpeg(), TEXT, browser.interop())
    assert browser.fonts_loaded == [(FONT_FAMILY, "url(https://crm.example.com/app/fonts/wqy-microhei.ttf)")]


@pytest.mark.parametrize("canvas_works", [True, False])
def test_a_live_photo_in_the_pwa_is_kept_stamped_with_the_stamped_bytes_hash_or_as_taken(
    app: App, monkeypatch: pytest.MonkeyPatch, canvas_works: bool
) -> None:
    monkeypatch.setattr(stamp, "IN_BROWSER", True)
    browser = FakeBrowser()
    browser.decode_fails = not canvas_works
    monkeypatch.setattr(canvas_stamp, "browser_interop", browser.interop)
    on_a_visit(app, VisitFlagRules())
    photo = a_jpeg()
    app.photos.camera = FakeCamera(app, photo)
    with time_machine.travel(NOW, tick=False):
        app.actions.take_photo()
    (op,) = photo_ops(app)
    kept = STAMPED if canvas_works else photo
    assert app.photos.files.read(op["record_id"]) == kept
    assert op["fields"]["sha256"] == sha256(kept).hexdigest() and op["fields"]["size"] == len(kept)
    assert op["fields"]["source"] == PhotoSource.LIVE.value
    assert len([call for call in browser.calls if call[0] == "fillText"]) == (1 if canvas_works else 0)
