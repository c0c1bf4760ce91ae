"""The stamp's look, one for both ways of drawing it (Pillow in `stamp.py`, the browser's canvas in
`canvas_stamp.py`): a dark band along the photo's bottom, white text, its size from the photo's."""

from __future__ import annotations

JPEG_QUALITY = 90
BAND_RGBA = (0, 0, 0, 150)  # the band: black at 150/255, the photo showing through
MIN_FONT_PX, SMALLEST_FONT_PX = 12, 8


def font_px(width: int, height: int) -> int:
    """The stamp's first font size: 1/28 of the photo's shorter side, at least 12 px (shrunk to fit after)."""
    return max(MIN_FONT_PX, min(width, height) // 28)
