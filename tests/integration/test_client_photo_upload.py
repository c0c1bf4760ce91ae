"""The phone's photo upload against the real server in-process: records first, then the bytes in chunks; a
network cut mid-upload (and an answer lost after the server stored a chunk) resumes after a restart of the
app from where the server stands, not from byte 0, and the photo arrives once, whole."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import transport as litestar_transport
from sqlalchemy.engine import Engine

from client.features.photos.service import PhotoFiles, add_photo, waiting_photos, with_photo_upload
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import http_engine_factory
from server.db import read_session
from server.domains.photos.models import VisitPhoto, VisitPhotoContent
from shared.enums import RecordKind
from shared.ids import new_id
from shared.photos import CHUNK_BYTES
from tests.integration.conftest import PASSWORD, World, visit_fields

CIPHER = StoreCipher(bytes(32))


class FlakyTransport(httpx.BaseTransport):
    """The server in-process; after `cut_after` chunk uploads the network goes: that chunk reaches the server
    but its answer is lost, and every later request fails to connect. Records each chunk's offset."""

    def __init__(self, client: litestar_testing.TestClient[Litestar], cut_after: int | None = None) -> None:
        self.inner = litestar_transport.TestClientTransport(client)
        self.cut_after = cut_after
        self.chunk_starts: list[int] = []
        self.photo_requests = 0  # any request to /api/photos

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut_after is not None and len(self.chunk_starts) >= self.cut_after:
            raise httpx.ConnectError("network unreachable", request=request)
        self.photo_requests += request.url.path.startswith("/api/photos/")
        response = self.inner.handle_request(request)
        if "/chunks/" in request.url.path:
            self.chunk_starts.append(int(request.url.path.rsplit("/", 1)[1]))
            if self.cut_after is not None and len(self.chunk_starts) >= self.cut_after:
                raise httpx.ReadError("connection reset before the answer", request=request)
        return response


def sync_with_photos(
    store: LocalStore, folder: Path, base_url: str, token: str, transport: httpx.BaseTransport
) -> None:
    """One sync as the app's runner makes it (client.shell.app.build_core): records, then photos."""
    credentials = lambda: (base_url, token)  # noqa: E731
    make = with_photo_upload(
        http_engine_factory(store, credentials, transport), store, PhotoFiles(folder, CIPHER), credentials, transport
    )
    make().run()


def test_a_photo_upload_cut_off_resumes_after_a_restart_and_arrives_once(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine, tmp_path: Path
) -> None:
    token = sync_client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD}).json()["token"]
    base_url = str(sync_client.base_url)
    folder = tmp_path / "phone"
    store = LocalStore(folder, CIPHER)
    visit = store.save(RecordKind.VISIT, new_id(), visit_fields(seeded.customers_a[0], seeded.today, 10))
    photo = b"\xff\xd8\xff\xe0" + os.urandom(3 * CHUNK_BYTES + 1000)  # four chunks
    record = add_photo(store, PhotoFiles(folder, CIPHER), visit, photo)
    photo_id = str(record["id"])

    # The records go up; two chunks reach the server, the answer to the second is lost, then no network.
    flaky = FlakyTransport(sync_client, cut_after=2)
    sync_with_photos(store, folder, base_url, token, flaky)
    assert store.pending_count() == 0  # the sync itself succeeded: the records are on the server
    assert flaky.chunk_starts == [0, CHUNK_BYTES]
    assert [row["id"] for row in waiting_photos(store, PhotoFiles(folder, CIPHER))] == [photo_id]
    with read_session(engine) as session:
        stored = session.get(VisitPhoto, photo_id)
        assert stored is not None and stored.uploaded_at is None

    # The app restarts (store reopened from its files) and the network is back.
    store.close()
    store = LocalStore(folder, CIPHER)
    healthy = FlakyTransport(sync_client)
    sync_with_photos(store, folder, base_url, token, healthy)
    assert healthy.chunk_starts == [2 * CHUNK_BYTES, 3 * CHUNK_BYTES]  # resumed where the server stood
    assert waiting_photos(store, PhotoFiles(folder, CIPHER)) == []
    with read_session(engine) as session:
        content = session.get(VisitPhotoContent, photo_id)
        assert content is not None and content.content == photo
        stored = session.get(VisitPhoto, photo_id)
        assert stored is not None and stored.uploaded_at is not None

    # Later syncs send nothing more.
    again = FlakyTransport(sync_client)
    sync_with_photos(store, folder, base_url, token, again)
    assert again.chunk_starts == []
    store.close()


def test_a_photo_waits_while_its_record_is_refused(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine, tmp_path: Path
) -> None:
    """The bytes go up only once the server holds the record: a refused record (a draft) keeps them home."""
    token = sync_client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD}).json()["token"]
    folder = tmp_path / "phone"
    store = LocalStore(folder, CIPHER)
    other_territory = store.save(RecordKind.VISIT, new_id(), visit_fields(seeded.customers_b[0], seeded.today, 10))
    add_photo(store, PhotoFiles(folder, CIPHER), other_territory, b"\x89PNG\r\n\x1a\n" + b"\x00" * 500)
    transport = FlakyTransport(sync_client)
    sync_with_photos(store, folder, str(sync_client.base_url), token, transport)
    assert len(store.rejected_ops()) == 2  # the visit and its photo: not this rep's territory
    assert transport.photo_requests == 0  # not even asked: the server does not hold the record
    assert len(waiting_photos(store, PhotoFiles(folder, CIPHER))) == 1
    store.close()
