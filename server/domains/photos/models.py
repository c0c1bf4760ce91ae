"""Visit photos (拜访照片): the metadata record (synced like any record), its upload in chunks, its bytes.

The chunks of an upload in progress live in the database, not in a process or its temporary folder, so
an upload interrupted on one server process resumes on any other (the server is stateless).
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class VisitPhotoBase(SQLModel):
    customer_id: str = Field(max_length=36, index=True)
    visit_id: str = Field(max_length=36, index=True)
    size: int  # bytes of the photo, at most shared.photos.MAX_PHOTO_BYTES
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=20)  # shared.enums.PhotoType
    taken_at: str = Field(max_length=40)  # ISO 8601 with the device's UTC offset
    # Photo evidence (docs/photos.md, migration 0030): camera or gallery (shared.enums.PhotoSource) and where the
    # phone was; None for a photo from an older phone (来源未知).
    source: str | None = Field(default=None, max_length=10)
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None


class VisitPhoto(VisitPhotoBase, table=True):
    __tablename__ = "visit_photos"

    id: str = Field(primary_key=True, max_length=36)
    rep_id: str = Field(max_length=36)
    territory: str = Field(max_length=60, index=True)
    created_at: str = Field(max_length=40)
    uploaded_at: str | None = Field(default=None, max_length=40)  # set when every byte arrived and matched


class VisitPhotoChunk(SQLModel, table=True):
    """One received chunk of an upload in progress; they follow each other without gaps from byte 0."""

    __tablename__ = "visit_photo_chunks"

    photo_id: str = Field(primary_key=True, max_length=36)
    start: int = Field(primary_key=True)  # the byte offset of the chunk in the photo
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class VisitPhotoContent(SQLModel, table=True):
    """A complete photo's bytes, as the phone took it, and its thumbnail (JPEG, without EXIF)."""

    __tablename__ = "visit_photo_contents"

    photo_id: str = Field(primary_key=True, max_length=36)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    thumbnail: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
