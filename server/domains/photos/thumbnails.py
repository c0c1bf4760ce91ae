"""Thumbnails of visit photos with Pillow: small JPEGs without any EXIF (no GPS position, no camera)."""

from __future__ import annotations

import io
import logging
import warnings

from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

THUMBNAIL_PIXELS = 320  # the longer side
# A photo whose pixels would take more memory than this is not decoded (a "decompression bomb" of 10 MiB).
MAX_PIXELS = 60_000_000


def make_thumbnail(content: bytes) -> bytes | None:
    """A JPEG thumbnail, upright as the camera meant it, with no metadata; None when Pillow cannot read
    the photo (HEIC without a decoder, a damaged file) or it is too large to decode safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                out = io.BytesIO()
                # A new RGB image carries no EXIF: the position where the photo was taken stays out of it.
                upright.convert("RGB").save(out, format="JPEG", quality=80)
                return out.getvalue()
    except Exception as error:  # Pillow raises many kinds for a file it cannot read
        logger.info("no thumbnail for a photo: %s", error)
        return None
