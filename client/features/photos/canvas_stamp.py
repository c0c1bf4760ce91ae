"""The stamp in the PWA (docs/photos.md, docs/pwa.md): Pyodide has no Pillow, so the browser draws it.

The same stamp as `client/features/photos/stamp.py` draws with Pillow: a dark band (black at 150/255) along the
bottom, the text in white at 1/28 of the shorter side (at least 12 px, smaller until it fits a narrow photo), in
the app's CJK font, the photo written again as JPEG at quality 90. In the web worker the app runs in:
`createImageBitmap` decodes the bytes (turned upright by their EXIF orientation, as `exif_transpose`), an
`OffscreenCanvas` draws, `convertToBlob` encodes. The font is the one the build puts beside the app
(`/app/fonts/wqy-microhei.ttf`, precached by the service worker, so offline too), loaded once per start as a
`FontFace` in the worker's font set. Each promise is awaited with `pyodide.ffi.run_sync`, as the WebCrypto
seam does: the photo's handler waits, the worker goes on answering the UI.

Any failure (a stack that cannot wait, bytes the browser cannot decode, no OffscreenCanvas, an encoder that
gives no JPEG) keeps the photo as taken and logs why; a font that does not load draws with the browser's
sans-serif (Chinese may then show as boxes) and is tried again with the next photo.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from client.features.photos.stamp_look import BAND_RGBA, JPEG_QUALITY, SMALLEST_FONT_PX, font_px

logger = logging.getLogger(__name__)

FONT_FAMILY = "RouteCRM Stamp"
FONT_PATH = "fonts/wqy-microhei.ttf"  # beside python-worker.js under /app/ (scripts/build_pwa.py)
FALLBACK_FAMILY = "sans-serif"
BAND_FILL = f"rgba({BAND_RGBA[0]}, {BAND_RGBA[1]}, {BAND_RGBA[2]}, {BAND_RGBA[3] / 255:.3f})"


@dataclass
class Interop:
    """What the canvas stamp needs from the browser: its globals (`js`), a way to wait for a promise from
    synchronous code, and Python values turned into JS ones (bytes to a Uint8Array, a dict to an Object)."""

    js: Any
    wait: Callable[[Any], Any]
    to_js: Callable[[Any], Any]


@dataclass
class _FontState:
    family: str | None = None  # FONT_FAMILY once loaded in this worker


_font = _FontState()


def browser_interop() -> Interop:
    import js
    from pyodide.ffi import to_js

    from client.browser import await_promise

    return Interop(js, await_promise, lambda value: to_js(value, dict_converter=js.Object.fromEntries))


def burn_with_canvas(data: bytes, text: str, interop: Interop | None = None) -> tuple[bytes, bool]:
    """The photo with `text` burned in by the browser's canvas (JPEG), and True; the bytes unchanged and False
    when the browser could not stamp it (logged)."""
    began = time.perf_counter()
    try:
        stamped = _draw(interop or browser_interop(), data, text)
    except Exception as error:  # CannotWait, a JS error (decode, canvas, encoder), no JPEG: kept as taken
        logger.warning("photo not stamped in the browser, kept as taken: %s", error)
        return data, False
    logger.info(
        "photo stamped in the browser in %.0f ms (%d bytes)", (time.perf_counter() - began) * 1000, len(stamped)
    )
    return stamped, True


def _family(interop: Interop) -> str:
    """The bundled CJK font's family, loaded into the worker's font set the first time."""
    if _font.family is None:
        js = interop.js
        try:
            url = js.URL.new(FONT_PATH, js.location.href).href
            face = js.FontFace.new(FONT_FAMILY, f"url({url})")
            interop.wait(face.load())
            js.fonts.add(face)
            _font.family = FONT_FAMILY
        except Exception as error:
            logger.warning("the stamp's font did not load (drawn with %s): %s", FALLBACK_FAMILY, error)
            return FALLBACK_FAMILY
    return _font.family


def _draw(interop: Interop, data: bytes, text: str) -> bytes:
    js, wait, to_js = interop.js, interop.wait, interop.to_js
    family = _family(interop)
    bitmap = wait(js.createImageBitmap(js.Blob.new(to_js([data]))))
    width, height = int(bitmap.width), int(bitmap.height)
    canvas = js.OffscreenCanvas.new(width, height)
    context = canvas.getContext("2d")
    context.drawImage(bitmap, 0, 0)
    bitmap.close()
    size = font_px(width, height)
    margin = size // 2
    context.font = f'{size}px "{family}"'
    while float(context.measureText(text).width) > width - 2 * margin and size > SMALLEST_FONT_PX:
        size -= 1  # a narrow photo: a smaller font, as Pillow's
        context.font = f'{size}px "{family}"'
    band = size + 2 * margin
    context.fillStyle = BAND_FILL
    context.fillRect(0, height - band, width, band)
    context.fillStyle = "#ffffff"
    context.textBaseline = "top"
    context.fillText(text, margin, height - band + margin)
    blob = wait(canvas.convertToBlob(to_js({"type": "image/jpeg", "quality": JPEG_QUALITY / 100})))
    if str(blob.type) != "image/jpeg":  # an encoder without JPEG gives PNG: not what the record says
        raise RuntimeError(f"the canvas gave {blob.type}, not a JPEG")
    return bytes(wait(blob.arrayBuffer()).to_bytes())
