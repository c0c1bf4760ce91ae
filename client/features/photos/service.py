"""Visit photos on the phone: their bytes kept durably beside the store, their upload when online.

A photo is a record of kind `visit_photo` (id, visit, customer, size, SHA-256, content type, taken at), saved
through the store like any record and pushed with the other ops, and its bytes, which this module keeps in
`<data folder>/photos/<photo id>` and uploads after the record reached the server, in chunks, resuming from
what the server says it holds (docs/sync-protocol.md, "Photo upload"). An uploaded photo gets a marker file
`<photo id>.uploaded` beside its bytes (the bytes stay: the visit screen shows them offline).

Files this module writes (for encryption at rest to cover): `photos/<id>`, `photos/<id>.uploaded`, their
temporary `photos/*.tmp` while being written, and in browser mode the picker's uploads in `incoming/`.
A photo whose record a sync removed (erased on the server with its customer's personal data) has its files
deleted right after that sync (`forget_erased_photos`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from client import clock
from client.api import UPLOAD_TIMEOUT, api_client
from client.location import Location
from client.storage.files import fsync_folder, write_atomically
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher, StoreTampered
from client.sync_runner import EngineFactory, RunsSync
from shared.enums import PhotoSource, RecordKind
from shared.ids import is_valid_id, new_id
from shared.photos import CHUNK_BYTES, MAX_PHOTO_BYTES, chunk_offsets, sha256_hex, sniff_photo_type
from sync.engine import SyncReport
from sync.errors import AuthRequired, Unreachable

logger = logging.getLogger(__name__)

PHOTOS_FOLDER = "photos"
INCOMING_FOLDER = "incoming"  # browser mode: where the Flet server puts a picked file (ft.run upload_dir)
UPLOADED_SUFFIX = ".uploaded"


class PhotoRefused(ValueError):
    """The picked file cannot be a visit photo; `key` is the i18n key of the reason shown to the rep."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def check_photo(data: bytes) -> str:
    """The photo's content type, told by its first bytes; PhotoRefused when it is empty, too large or not a
    JPEG, PNG, WebP or HEIC image."""
    if not data:
        raise PhotoRefused("client.photo.empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("client.photo.too_large")
    kind = sniff_photo_type(data[:16])
    if kind is None:
        raise PhotoRefused("client.photo.bad_type")
    return kind.value


class PhotoFiles:
    """The photos' bytes in `<data folder>/photos`, one file per photo, named by its id, sealed with the
    store's cipher like every byte the store keeps (docs/security.md): the photo's id is its context, so
    a file renamed to another photo's id does not open."""

    def __init__(self, data_dir: str | Path, cipher: StoreCipher) -> None:
        self.folder = Path(data_dir) / PHOTOS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cipher = cipher

    def path(self, photo_id: str) -> Path:
        if not is_valid_id(photo_id):  # an id from a pulled record names no path outside the folder
            raise ValueError(f"not a photo id: {photo_id!r}")
        return self.folder / photo_id

    def write(self, photo_id: str, data: bytes) -> None:
        write_atomically(self.path(photo_id), self.cipher.seal(data, b"photo " + photo_id.encode()))

    def read(self, photo_id: str) -> bytes | None:
        """The photo's bytes; None when missing, or (logged) when the file was changed."""
        try:
            return self.cipher.open(self.path(photo_id).read_bytes(), b"photo " + photo_id.encode())
        except (FileNotFoundError, ValueError):
            return None
        except StoreTampered:
            logger.error("photo %s: its file was changed or damaged", photo_id)
            return None

    def has(self, photo_id: str) -> bool:
        return is_valid_id(photo_id) and self.path(photo_id).exists()

    def mark_uploaded(self, photo_id: str) -> None:
        write_atomically(self.path(photo_id).with_name(photo_id + UPLOADED_SUFFIX), b"")

    def is_uploaded(self, photo_id: str) -> bool:
        return is_valid_id(photo_id) and (self.folder / (photo_id + UPLOADED_SUFFIX)).exists()

    def remove(self, photo_id: str) -> None:
        """Delete the photo's bytes and its upload marker (the photo was erased on the server)."""
        path = self.path(photo_id)
        path.with_name(photo_id + UPLOADED_SUFFIX).unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        fsync_folder(self.folder)


def photo_ids(store: LocalStore) -> set[str]:
    return {str(record["id"]) for record in store.all(RecordKind.VISIT_PHOTO)}


def forget_erased_photos(store: LocalStore, files: PhotoFiles, before: set[str]) -> int:
    """Delete the files of photos whose records a pull removed: the server erased them (a customer's personal
    data, docs/security.md), so their bytes must not stay on the phone either. `before`: the photo records
    the store held before the sync. Returns how many files were deleted."""
    kept = photo_ids(store) | store.pending_record_ids()
    gone = [photo_id for photo_id in before - kept if files.has(photo_id)]
    for photo_id in gone:
        files.remove(photo_id)
    if gone:
        logger.info("deleted %d photo files erased on the server", len(gone))
    return len(gone)


@dataclass(frozen=True)
class PhotoCapture:
    """How a photo came to the visit (docs/photos.md): its source (the app's camera: live; a pick: gallery),
    when (the phone's clock, at the moment the bytes arrived) and where the phone was (its GPS service)."""

    source: PhotoSource
    taken_at: dt.datetime
    place: Location | None = None


def add_photo(
    store: LocalStore,
    files: PhotoFiles,
    visit: dict[str, Any],
    data: bytes,
    *,
    taken_at: dt.datetime | None = None,
    capture: PhotoCapture | None = None,
) -> dict[str, Any]:
    """Keep a photo taken on `visit`: its bytes first (durably), then its record with the op that carries
    it (one durable step of the store). A crash between the two leaves an unused file, never a record
    without its bytes. The op carries the capture's source, time and place."""
    content_type = check_photo(data)
    photo_id = new_id()
    files.write(photo_id, data)
    when = capture.taken_at if capture is not None else (taken_at or clock.now())
    fields: dict[str, Any] = {
        "customer_id": visit["customer_id"],
        "visit_id": visit["id"],
        "size": len(data),
        "sha256": sha256_hex(data),
        "content_type": content_type,
        "taken_at": when.isoformat(timespec="seconds"),
    }
    if capture is not None:
        fields["source"] = capture.source.value
        if capture.place is not None:
            fields |= {"lat": capture.place.lat, "lng": capture.place.lng}
            if capture.place.accuracy is not None:
                fields["accuracy"] = capture.place.accuracy
    return store.save(RecordKind.VISIT_PHOTO, photo_id, fields)


@dataclass(frozen=True)
class PhotoThumb:
    """A photo as the visit screen shows it: where this phone keeps it (None: taken on another phone), its
    bytes when they must travel to the screen (browser mode), and whether it is uploaded."""

    photo_id: str
    taken_at: str
    path: str | None
    uploaded: bool
    data: bytes | None = None
    source: str | None = None  # shared.enums.PhotoSource; None: a photo from before the field (来源未知)


def visit_photos(store: LocalStore, files: PhotoFiles, visit_id: str, *, with_bytes: bool = False) -> list[PhotoThumb]:
    """The visit's photos, oldest first. A phone shows a photo from its file; a browser cannot read the
    app's files, so in browser mode (`with_bytes`) the bytes go along."""
    records = [record for record in store.all(RecordKind.VISIT_PHOTO) if record.get("visit_id") == visit_id]
    records.sort(key=lambda record: str(record.get("taken_at") or ""))
    thumbs = []
    for record in records:
        photo_id = str(record["id"])
        local = files.has(photo_id)
        thumbs.append(
            PhotoThumb(
                photo_id,
                str(record.get("taken_at") or ""),
                str(files.path(photo_id)) if local else None,
                files.is_uploaded(photo_id) or not local,
                files.read(photo_id) if local and with_bytes else None,
                str(record["source"]) if record.get("source") else None,
            )
        )
    return thumbs


def waiting_photos(store: LocalStore, files: PhotoFiles) -> list[dict[str, Any]]:
    """Records of photos taken here whose bytes are not uploaded yet."""
    return [
        record
        for record in store.all(RecordKind.VISIT_PHOTO)
        if files.has(str(record["id"])) and not files.is_uploaded(str(record["id"]))
    ]


# ---- the upload -----------------------------------------------------------------------------------


class PhotoUploader:
    """Sends photos' bytes to /api/photos over one httpx client (the transport is injected in tests)."""

    def __init__(self, client: httpx.Client, chunk: int = CHUNK_BYTES) -> None:
        self.client = client
        self.chunk = chunk

    def _call(self, method: str, url: str, content: bytes | None = None) -> httpx.Response:
        try:
            headers = {"Content-Type": "application/octet-stream"} if content is not None else None
            response = self.client.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as error:
            raise Unreachable(f"{type(error).__name__}: {error}") from error
        if response.status_code == 401:  # the token expired meanwhile: the next sync refreshes it
            raise AuthRequired("the server asks for a new token")
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise Unreachable(f"{response.status_code} from the server")
        return response

    def received(self, photo_id: str) -> tuple[int, bool] | None:
        """(bytes the server holds, complete); None when the server does not know the photo (yet)."""
        response = self._call("GET", f"/api/photos/{photo_id}/upload")
        if response.status_code != 200:
            return None
        body = response.json()
        return int(body["received"]), bool(body["complete"])

    def upload(self, photo_id: str, data: bytes) -> bool:
        """Send what the server lacks of the photo, from where it stands; True once the photo is complete.

        A 409 says the server holds another offset than we thought (an answer was lost): continue from
        the offset it names. A 422 at the end says the bytes did not match: the server starts over from 0
        and so does the next sync."""
        known = self.received(photo_id)
        if known is None:
            return False
        received, complete = known
        for _ in range(2 * (len(data) // self.chunk + 2)):  # bounded: every answer moves forward or names where
            if complete:
                return True
            if received >= len(data):
                return False
            start, end = next(chunk_offsets(len(data), received, self.chunk))
            response = self._call("PUT", f"/api/photos/{photo_id}/chunks/{start}", data[start:end])
            body = response.json()
            if response.status_code == 200:
                received, complete = int(body["received"]), bool(body["complete"])
            elif response.status_code == 409 and isinstance(body.get("error", {}).get("details"), dict):
                received = int(body["error"]["details"].get("received", 0))
            else:
                logger.warning("photo %s refused: %s %s", photo_id, response.status_code, response.text[:200])
                return False
        return complete


def upload_waiting(store: LocalStore, files: PhotoFiles, uploader: PhotoUploader) -> int:
    """Upload every photo whose record the server has (its op left the outbox); the number completed."""
    pending = store.pending_record_ids() | {str(draft["op"]["record_id"]) for draft in store.rejected_ops()}
    done = 0
    for record in waiting_photos(store, files):
        photo_id = str(record["id"])
        if photo_id in pending:
            continue
        data = files.read(photo_id)
        if data is None or sha256_hex(data) != record.get("sha256"):
            logger.error("photo %s: the bytes on this phone do not match its record; not uploaded", photo_id)
            continue
        if uploader.upload(photo_id, data):
            files.mark_uploaded(photo_id)
            done += 1
    return done


class SyncThenUploadPhotos:
    """One sync (records first), then the photos' bytes, over the credentials of the moment (the sync has
    just refreshed them if they had expired). A failed upload leaves the sync's outcome as it was: the photos
    stay waiting (the sync bar counts them) and the next sync tries again, from where the server stands."""

    def __init__(
        self,
        sync: RunsSync,
        store: LocalStore,
        files: PhotoFiles,
        credentials: Callable[[], tuple[str, str | None]],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.sync, self.store, self.files, self.credentials, self.transport = sync, store, files, credentials, transport

    def run(self) -> SyncReport:
        before = photo_ids(self.store)
        report = self.sync.run()  # raises unless every page was pulled: a resync cut short deletes no file
        forget_erased_photos(self.store, self.files, before)
        if not waiting_photos(self.store, self.files):
            return report
        server_url, token = self.credentials()
        if not server_url or not token:
            return report
        client = api_client(server_url, token=token, transport=self.transport, timeout=UPLOAD_TIMEOUT)
        try:
            with client:
                upload_waiting(self.store, self.files, PhotoUploader(client))
        except (Unreachable, AuthRequired) as error:  # the records went through: the photos wait for the next sync
            logger.info("photo upload stopped: %s", error)
        return report


def with_photo_upload(
    factory: EngineFactory,
    store: LocalStore,
    files: PhotoFiles,
    credentials: Callable[[], tuple[str, str | None]],
    transport: Any = None,
) -> EngineFactory:
    """The sync runner's engine factory, each sync followed by the upload of the photos waiting."""

    def make() -> RunsSync:
        return SyncThenUploadPhotos(factory(), store, files, credentials, transport)

    return make
