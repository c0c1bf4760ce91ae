"""Visit photos: what both sides agree on (size limit, chunk size, allowed types by their first bytes). No I/O.

A photo is two things: its metadata, a record of kind `visit_photo` synced like any other (shared.records),
and its bytes, uploaded after the record reached the server, in chunks, resumable (docs/sync-protocol.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

from shared.enums import PhotoType

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # 10 MiB: a phone camera's JPEG is 2-6 MiB
# The server refuses any request body over 256 KiB (server.app.MAX_BODY_BYTES); a chunk stays well under it.
CHUNK_BYTES = 192 * 1024
SHA256_HEX_LENGTH = 64


def sniff_photo_type(head: bytes) -> PhotoType | None:
    """The photo's type from its first bytes (at least 12), or None when it is none we take.

    The file name and the picker's claim are not trusted: a renamed PDF stays a PDF."""
    if head.startswith(b"\xff\xd8\xff"):
        return PhotoType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PhotoType.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return PhotoType.WEBP
    # ISO base media file: a box "ftyp" at byte 4 naming a HEIF brand (iPhones write heic).
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
        return PhotoType.HEIC
    return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_offsets(size: int, start: int = 0, chunk: int = CHUNK_BYTES) -> Iterator[tuple[int, int]]:
    """(offset, end) of each chunk still to send of a photo of `size` bytes, from `start`."""
    offset = max(0, start)
    while offset < size:
        end = min(size, offset + chunk)
        yield offset, end
        offset = end


def stamp_text(taken_at: dt.datetime, place: tuple[float, float] | None, customer_name: str) -> str:
    """The stamp burned into a photo taken with the app's camera (docs/photos.md): when (the company's zone,
    as the phone's clock gives it), where (the phone's GPS, or 无定位) and at which customer, e.g.
    "2026-12-07 10:05 +08:00 · 38.75260, 115.24000 · 固店村卫生室"."""
    offset = taken_at.strftime("%z")
    when = f"{taken_at:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}" if offset else f"{taken_at:%Y-%m-%d %H:%M}"
    where = f"{place[0]:.5f}, {place[1]:.5f}" if place is not None else "无定位"
    return f"{when} · {where} · {customer_name.strip()[:40]}"
