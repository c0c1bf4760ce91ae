"""Visit photos: the metadata record (pushed like any record), the resumable upload of its bytes, reading them.

The upload (docs/sync-protocol.md, "Photo upload"): the phone asks how many bytes the server holds, then
sends the rest in chunks, each at the offset it starts at. A chunk at the offset the server holds up to is
stored; a chunk sent again (its answer was lost) is answered as if it had just been stored, once its bytes
equal what is stored; any other offset is a 409 naming the offset to continue from. When the last byte
arrives the server checks the SHA-256 the record names: on a match the photo is complete (its bytes and a
thumbnail stored, the chunks dropped); on a mismatch the chunks are dropped and the upload starts again
from 0 (the photo stays incomplete). Every step is one write transaction, so any server process may take
the next chunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.actor import Actor
from server.clock import now_iso
from server.db import write_session
from server.domains.access import (
    customer_in_reach,
    store_territory_record,
    visit_of,
)
from server.domains.append_only import AppendOnly
from server.domains.photos.models import VisitPhoto, VisitPhotoChunk, VisitPhotoContent
from server.domains.photos.thumbnails import make_thumbnail
from server.domains.teams import sees
from server.domains.visits.service import mark_day_to_recheck
from server.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationFailed
from shared.enums import RecordKind
from shared.photos import sha256_hex, sniff_photo_type
from shared.visit_rules import VisitFlagRules

PHOTOS = AppendOnly(
    RecordKind.VISIT_PHOTO,
    VisitPhoto,
    message="a photo's record never changes once made: take a new photo instead",
    reason="photo_is_final",
)


def put_visit_photo(
    session: Session,
    actor: Actor,
    photo_id: str,
    fields: Mapping[str, Any],
    *,
    path: str = "visit_photo",
    flag_rules: VisitFlagRules | None = None,
    tz: ZoneInfo | None = None,
) -> VisitPhoto:
    """Store a photo's metadata (a push op of kind visit_photo); it never changes once stored. Its visit's
    photo flags are judged when the session commits, with the company's `flag_rules` (docs/photos.md)."""
    existing = PHOTOS.existing(session, photo_id, fields, path=path)
    if existing is not None:
        return existing
    customer = customer_in_reach(session, actor, fields["customer_id"], path=path)
    visit = visit_of(session, actor, customer, fields["visit_id"], path=path, doing="adds its photos")
    mark_day_to_recheck(session, visit.rep_id, visit.visit_day, flag_rules, tz)  # outside the visit? far? gallery?
    photo = VisitPhoto(id=photo_id, rep_id=actor.id, territory=customer.territory, created_at=now_iso(), **fields)
    store_territory_record(session, RecordKind.VISIT_PHOTO, photo)
    return photo


# ---- who sees a photo -----------------------------------------------------------------------------


def may_see(actor: Actor, photo: VisitPhoto) -> bool:
    """Admins and company-wide supervisors see every photo; anyone with a territory only its photos."""
    return sees(actor, photo.territory)


def visible_photo(session: Session, actor: Actor, photo_id: str) -> VisitPhoto:
    """The photo if the actor's team holds it; another team's is not found, as an unknown one is."""
    photo = session.get(VisitPhoto, photo_id)
    if photo is None or not may_see(actor, photo):
        raise NotFound("no photo with this id", path="photo_id")
    return photo


# ---- the upload -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadStatus:
    """How far a photo's upload has come: `received` bytes of `size` are stored on the server."""

    photo_id: str
    size: int
    received: int
    complete: bool


def _received(session: Session, photo_id: str) -> int:
    query = select(func.coalesce(func.sum(func.length(VisitPhotoChunk.data)), 0)).where(
        VisitPhotoChunk.photo_id == photo_id
    )
    return int(session.exec(query).one())


def _status(session: Session, photo: VisitPhoto) -> UploadStatus:
    if photo.uploaded_at is not None:
        return UploadStatus(photo.id, photo.size, photo.size, True)
    return UploadStatus(photo.id, photo.size, _received(session, photo.id), False)


def _uploadable(session: Session, actor: Actor, photo_id: str) -> VisitPhoto:
    photo = session.get(VisitPhoto, photo_id)
    if photo is None or not may_see(actor, photo):  # another team's photo is unknown to this rep
        raise NotFound("no photo with this id: push its record first", path="photo_id")
    if photo.rep_id != actor.id:
        raise Forbidden("only the rep who took the photo uploads it", path="photo_id")
    return photo


def upload_status(session: Session, actor: Actor, photo_id: str) -> UploadStatus:
    return _status(session, _uploadable(session, actor, photo_id))


def _gap(status: UploadStatus, start: int, why: str) -> Conflict:
    return Conflict(
        f"{why}: continue at byte {status.received}",
        path="start",
        details={"reason": "wrong_offset", "received": status.received, "got": start},
    )


def receive_chunk(engine: Engine, actor: Actor, photo_id: str, start: int, data: bytes) -> UploadStatus:
    """Store one chunk at byte `start`; the last one completes the photo when its SHA-256 matches."""
    mismatch: UploadStatus | None = None
    with write_session(engine) as session:
        photo = _uploadable(session, actor, photo_id)
        if not data:
            raise ValidationFailed("the chunk is empty", path="body", details={"reason": "empty_chunk"})
        status = _status(session, photo)
        end = start + len(data)
        if end > photo.size:
            raise TooLarge(
                f"the chunk ends at byte {end}, past the photo's size {photo.size}",
                path="body",
                details={"reason": "past_the_end", "size": photo.size},
            )
        if start < status.received:  # sent before: the same bytes are a repeat, others a mistake
            if _stored_bytes(session, photo, start, len(data)) != data:
                raise _gap(status, start, "other bytes are stored at this offset")
            return status
        if start > status.received:
            raise _gap(status, start, "bytes before this offset are missing")
        if start == 0 and sniff_photo_type(data[:16]) != photo.content_type:
            raise ValidationFailed(
                f"the bytes are not a {photo.content_type} photo",
                path="body",
                details={"reason": "not_a_photo", "content_type": photo.content_type},
            )
        session.add(VisitPhotoChunk(photo_id=photo.id, start=start, data=data))
        if end < photo.size:
            return UploadStatus(photo.id, photo.size, end, False)
        session.flush()
        content = b"".join(chunk.data for chunk in _chunks(session, photo.id))
        session.execute(delete(VisitPhotoChunk).where(col(VisitPhotoChunk.photo_id) == photo.id))
        if sha256_hex(content) != photo.sha256:
            mismatch = UploadStatus(photo.id, photo.size, 0, False)  # committed: the upload starts over
        else:
            session.add(VisitPhotoContent(photo_id=photo.id, content=content, thumbnail=make_thumbnail(content)))
            photo.uploaded_at = now_iso()
            session.add(photo)
            return UploadStatus(photo.id, photo.size, photo.size, True)
    raise ValidationFailed(
        "the photo's bytes do not match the SHA-256 of its record: send it again from byte 0",
        path="body",
        details={"reason": "sha256_mismatch", "received": mismatch.received},
    )


def _chunks(session: Session, photo_id: str) -> list[VisitPhotoChunk]:
    query = select(VisitPhotoChunk).where(VisitPhotoChunk.photo_id == photo_id)
    return list(session.exec(query.order_by(col(VisitPhotoChunk.start))).all())


def _stored_bytes(session: Session, photo: VisitPhoto, start: int, length: int) -> bytes:
    """The bytes from `start` the server holds (a complete photo's, or its chunks')."""
    if photo.uploaded_at is not None:
        content = session.get(VisitPhotoContent, photo.id)
        return content.content[start : start + length] if content else b""
    joined = b"".join(chunk.data for chunk in _chunks(session, photo.id))
    return joined[start : start + length]


# ---- reading photos -------------------------------------------------------------------------------


def photo_content(session: Session, actor: Actor, photo_id: str, *, thumbnail: bool = False) -> tuple[bytes, str]:
    """The photo's bytes and content type (or its JPEG thumbnail); 404 until the upload is complete."""
    photo = visible_photo(session, actor, photo_id)
    content = session.get(VisitPhotoContent, photo_id) if photo.uploaded_at else None
    if content is None:
        raise NotFound("the photo has not been uploaded yet", path="photo_id")
    if thumbnail:
        if content.thumbnail is None:
            raise NotFound("this photo has no thumbnail (its format cannot be previewed)", path="photo_id")
        return content.thumbnail, "image/jpeg"
    return content.content, photo.content_type


@dataclass(frozen=True)
class PhotoRow:
    photo: VisitPhoto
    taken: dt.datetime
    has_thumbnail: bool


def photos_of_customer(session: Session, actor: Actor, customer_id: str) -> list[PhotoRow]:
    """The customer's photos this person may see, newest first (incomplete ones too: "uploading")."""
    photos = [
        photo
        for photo in session.exec(select(VisitPhoto).where(VisitPhoto.customer_id == customer_id)).all()
        if may_see(actor, photo)
    ]
    ids = [photo.id for photo in photos if photo.uploaded_at]
    with_thumbnail = set(
        session.exec(
            select(VisitPhotoContent.photo_id).where(
                col(VisitPhotoContent.photo_id).in_(ids), col(VisitPhotoContent.thumbnail).is_not(None)
            )
        ).all()
    )
    rows = [PhotoRow(photo, dt.datetime.fromisoformat(photo.taken_at), photo.id in with_thumbnail) for photo in photos]
    return sorted(rows, key=lambda row: row.taken, reverse=True)
