"""Visit photos on the phone: what a photo may be (size, type by magic bytes), chunk offsets, durable files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flet as ft
import pytest

from client.features.photos.service import (
    PhotoFiles,
    PhotoRefused,
    PhotoThumb,
    add_photo,
    check_photo,
    visit_photos,
    waiting_photos,
)
from client.features.visits import view as visit
from client.shell.state import AppState, Screen, VisitForm
from client.shell.sync_bar import SyncBar
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from client.sync_runner import SyncStatus
from shared.enums import RecordKind
from shared.ids import new_id
from shared.photos import CHUNK_BYTES, MAX_PHOTO_BYTES, chunk_offsets, sha256_hex, sniff_photo_type
from tests.unit.helpers import Recorder, walk

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 100
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"), (HEIC, "image/heic")],
)
def test_a_photo_is_told_by_its_first_bytes(data: bytes, content_type: str) -> None:
    assert check_photo(data) == content_type


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n" + b"\x00" * 100, "client.photo.bad_type"),  # a PDF named photo.jpg stays a PDF
        (b"GIF89a" + b"\x00" * 100, "client.photo.bad_type"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100, "client.photo.bad_type"),  # RIFF, but sound
        (b"", "client.photo.empty"),
        (JPEG + b"\x00" * MAX_PHOTO_BYTES, "client.photo.too_large"),
    ],
)
def test_other_files_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PhotoRefused) as refused:
        check_photo(data)
    assert refused.value.key == reason


def test_the_size_limit_is_inclusive() -> None:
    assert check_photo(JPEG + b"\x00" * (MAX_PHOTO_BYTES - len(JPEG))) == "image/jpeg"
    assert sniff_photo_type(JPEG[:2]) is None  # too short to tell


def test_chunks_cover_the_photo_from_where_the_server_stands() -> None:
    size = 2 * CHUNK_BYTES + 10
    assert list(chunk_offsets(size)) == [(0, CHUNK_BYTES), (CHUNK_BYTES, 2 * CHUNK_BYTES), (2 * CHUNK_BYTES, size)]
    assert list(chunk_offsets(size, CHUNK_BYTES + 5)) == [
        (CHUNK_BYTES + 5, 2 * CHUNK_BYTES + 5),
        (2 * CHUNK_BYTES + 5, size),
    ]
    assert list(chunk_offsets(size, size)) == []  # all there: nothing to send
    assert list(chunk_offsets(10, 0, chunk=4)) == [(0, 4), (4, 8), (8, 10)]


def a_visit(store: LocalStore) -> dict[str, object]:
    visit_id, customer_id = new_id(), new_id()
    fields = {"customer_id": customer_id, "visit_type": "day", "check_in_at": "2026-11-27T10:00:00+08:00"}
    return store.save(RecordKind.VISIT, visit_id, fields)


def test_a_photo_is_kept_as_a_durable_file_and_a_record_waiting_to_sync(store: LocalStore, tmp_path: Path) -> None:
    files = PhotoFiles(tmp_path / "phone", StoreCipher(bytes(32)))
    visit = a_visit(store)
    record = add_photo(store, files, visit, JPEG)
    photo_id = str(record["id"])
    assert files.read(photo_id) == JPEG
    assert sorted(path.name for path in files.folder.iterdir()) == [photo_id]  # no temporary file left
    assert record["size"] == len(JPEG) and record["sha256"] == sha256_hex(JPEG)
    assert record["content_type"] == "image/jpeg" and record["visit_id"] == visit["id"]
    assert photo_id in store.pending_record_ids()  # its record goes with the next push
    assert [photo["id"] for photo in waiting_photos(store, files)] == [photo_id]
    (shown,) = visit_photos(store, files, str(visit["id"]))
    assert (shown.path, shown.data, shown.uploaded) == (str(files.path(photo_id)), None, False)
    assert visit_photos(store, files, str(visit["id"]), with_bytes=True)[0].data == JPEG  # browser mode
    files.mark_uploaded(photo_id)
    assert waiting_photos(store, files) == []
    assert visit_photos(store, files, str(visit["id"]))[0].uploaded


def test_a_refused_file_stores_nothing(store: LocalStore, tmp_path: Path) -> None:
    files = PhotoFiles(tmp_path / "phone", StoreCipher(bytes(32)))
    with pytest.raises(PhotoRefused):
        add_photo(store, files, a_visit(store), b"%PDF-1.7" + b"\x00" * 50)
    assert list(files.folder.iterdir()) == [] and store.all(RecordKind.VISIT_PHOTO) == []


def test_a_photo_file_is_named_by_a_record_id_only(tmp_path: Path) -> None:
    files = PhotoFiles(tmp_path, StoreCipher(bytes(32)))
    with pytest.raises(ValueError, match="not a photo id"):
        files.path("../../etc/passwd")
    assert files.read("../key.json") is None and not files.has("../key.json")


# ---- on the screen ---------------------------------------------------------------------------------


def texts(control: ft.Control) -> list[str]:
    found = [str(node.value) for node in walk(control) if isinstance(node, ft.Text) and node.value]
    return found + [node.content for node in walk(control) if isinstance(getattr(node, "content", None), str)]


def buttons(control: ft.Control) -> dict[str, Any]:
    return {
        node.content: node
        for node in walk(control)
        if isinstance(node, ft.Button | ft.OutlinedButton) and isinstance(node.content, str)
    }


def visit_screen(form_photos: list[PhotoThumb], error: str | None = None) -> tuple[ft.Control, Recorder]:
    visit_record = {"id": "v1", "customer_id": "c1", "check_in_at": "2026-11-27T10:00:00+08:00"}
    form = VisitForm(visit=visit_record, customer={"id": "c1", "name": "王庄村卫生室"}, photos=form_photos)
    form.photo_error = error
    actions = Recorder()
    return visit.build(AppState(screen=Screen.VISIT, visit=form), actions), actions  # type: ignore[arg-type]


def test_the_visit_screen_offers_add_photo_and_shows_each_photo_with_its_state() -> None:
    photos = [
        PhotoThumb("p1", "2026-11-27T10:05:00+08:00", "/data/photos/p1", uploaded=False, data=JPEG, source="live"),
        PhotoThumb("p2", "2026-11-27T10:06:00+08:00", "/data/photos/p2", uploaded=True, source="gallery"),
        PhotoThumb("p3", "2026-11-27T10:07:00+08:00", None, uploaded=True),  # taken on another phone
    ]
    shown, actions = visit_screen(photos)
    words = texts(shown)
    assert "拜访照片" in words
    assert [w for w in words if w.startswith("照片 ")] == [
        "照片 1 · 待上传 · 现场拍摄",
        "照片 2 · 已上传 · 相册选取",
        "照片 3 · 在服务器上 · 来源未知",  # a photo from an older phone: no source
    ]
    buttons(shown)["添加照片"].on_click(None)
    assert actions.calls == [("add_photo", ())]


def test_a_refused_file_says_why_on_the_visit_screen() -> None:
    shown, _ = visit_screen([], error="照片太大：最大 10 MB")
    assert "照片太大：最大 10 MB" in texts(shown)


def test_the_sync_bar_counts_photos_waiting_to_upload() -> None:
    waiting = [2]
    bar = SyncBar(lambda: None, lambda: None, photos_waiting=lambda: waiting[0])
    bar.show(SyncStatus(online=False), "zh-CN")
    assert (bar.photos.value, bar.photos.visible) == ("照片待上传 2", True)
    waiting[0] = 0
    bar.show(SyncStatus(online=True), "zh-CN")
    assert bar.photos.visible is False
