"""Visit photos: what both sides agree on (size limit, chunk size, allowed types by their first bytes). No I/O.

A photo is two things: its metadata, a record of kind `visit_photo` synced like any other (shared.records),
and its bytes, uploaded after the record reached the server, in chunks, resumable (docs/sync-protocol.md).
"""

from __future__ import annotations

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
