"""Burning the stamp (time, place, customer: shared.photos.stamp_text) into a photo taken with the app's camera.

One look everywhere: a dark band along the photo's bottom with the text in white, in the app's CJK font
(assets/fonts), the photo written again as JPEG. Two ways to draw it, chosen as the app chooses its other
browser seams (client/browser.py `IN_BROWSER`):

- On a phone, in browser mode and in the tests: Pillow (`burn_with_pillow`). Flet's phone package index has
  Pillow 10.4.0, which the phone package pins (docs/photos.md).
- In the PWA (Pyodide, no Pillow): the browser's canvas (`client/features/photos/canvas_stamp.py`), the same
  sizes and colours, the same font served beside the app (/app/fonts/).

Either way a photo that cannot be stamped is kept as taken, still marked live, and `burn_stamp` says so by
returning False: the photo is never lost for its stamp.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from client.browser import IN_BROWSER
from client.features.photos.stamp_look import BAND_RGBA, JPEG_QUALITY, SMALLEST_FONT_PX, font_px

logger = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parents[3] / "assets" / "fonts" / "wqy-microhei.ttf"
Burner = Callable[[bytes, str], tuple[bytes, bool]]


def stamp_burner() -> Burner:
    """Pillow where the app has it; the browser's canvas in the PWA."""
    if IN_BROWSER:
        from client.features.photos.canvas_stamp import burn_with_canvas

        return burn_with_canvas
    return burn_with_pillow


def burn_stamp(data: bytes, text: str) -> tuple[bytes, bool]:
    """The photo with `text` burned in along its bottom (JPEG), and True; the bytes unchanged and False when
    it could not be stamped here (no Pillow, bytes that are no image, the canvas failed)."""
    return stamp_burner()(data, text)


def burn_with_pillow(data: bytes, text: str) -> tuple[bytes, bool]:
    try:
        from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
    except ImportError:
        logger.info("no Pillow here: the photo is kept without its stamp")
        return data, False
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        logger.warning("photo not stamped: %s", error)
        return data, False
    width, height = image.size
    size = font_px(width, height)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(str(FONT), size)
    except OSError:
        font = ImageFont.load_default(size)
    draw = ImageDraw.Draw(image, "RGBA")
    margin = size // 2
    while font.getlength(text) > width - 2 * margin and size > SMALLEST_FONT_PX:  # a narrow photo: smaller
        size -= 1
        font = ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)
    band = size + 2 * margin
    draw.rectangle((0, height - band, width, height), fill=BAND_RGBA)
    draw.text((margin, height - band + margin), text, font=font, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), True
