"""Burning the stamp (time, place, customer: shared.photos.stamp_text) into a photo taken with the app's camera.

Pillow draws it: a dark band along the photo's bottom with the text in the app's CJK font (assets/fonts), the
photo written again as JPEG. Pillow is the project's (the server's thumbnails) and is there in browser and
desktop mode; Flet's phone package index has Pillow 10.4.0 only, not the 13.0.0 the project pins, so the
phone package does not carry it yet (docs/photos.md, "What is not done"): without Pillow the photo is kept
as taken, still marked live, and `burn_stamp` says so by returning False.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

FONT = Path(__file__).resolve().parents[3] / "assets" / "fonts" / "wqy-microhei.ttf"
JPEG_QUALITY = 90


def burn_stamp(data: bytes, text: str) -> tuple[bytes, bool]:
    """The photo with `text` burned in along its bottom (JPEG), and True; the bytes unchanged and False when
    this platform has no Pillow or the bytes are no image Pillow opens."""
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
    size = max(12, min(width, height) // 28)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(str(FONT), size)
    except OSError:
        font = ImageFont.load_default(size)
    draw = ImageDraw.Draw(image, "RGBA")
    margin = size // 2
    while font.getlength(text) > width - 2 * margin and size > 8:  # a narrow photo: a smaller font
        size -= 1
        font = ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)
    band = size + 2 * margin
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0, 150))
    draw.text((margin, height - band + margin), text, font=font, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), True
