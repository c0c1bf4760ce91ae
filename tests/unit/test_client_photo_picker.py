"""The photo picker's two ways to the bytes (client/features/photos/picker.py): in the PWA (docs/pwa.md) the
browser hands the picked file over with its bytes (`with_data`), as there is no app process to upload it to;
elsewhere no bytes are asked for (a phone reads the path, browser mode uploads). The browser's file chooser
itself is driven in tests/e2e/test_pwa.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

import client.features.photos.picker as picker_module
from client.features.photos.picker import PhotoPicker


class FakeFilePicker:
    def __init__(self, files: list[ft.FilePickerFile]) -> None:
        self.files = files
        self.asked: list[dict[str, Any]] = []

    async def pick_files(self, **options: Any) -> list[ft.FilePickerFile]:
        self.asked.append(options)
        return self.files


def picked_with(
    tmp_path: Path, in_browser: bool, files: list[ft.FilePickerFile], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], bytes]], list[str]]:
    monkeypatch.setattr(picker_module, "IN_BROWSER", in_browser)
    picked: list[tuple[dict[str, Any], bytes]] = []
    refused: list[str] = []
    page: Any = SimpleNamespace()
    photo_picker = PhotoPicker(
        page, tmp_path, lambda visit, data: picked.append((visit, data)), lambda key, _: refused.append(key)
    )
    fake = FakeFilePicker(files)
    photo_picker.picker = fake  # type: ignore[assignment]
    asyncio.run(photo_picker._pick({"id": "v1"}))
    return fake.asked, picked, refused


def test_in_the_pwa_the_browser_hands_over_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = b"\xff\xd8\xff\xe0 a jpeg"
    asked, picked, refused = picked_with(
        tmp_path, True, [ft.FilePickerFile(id=1, name="门头.jpg", size=len(photo), bytes=photo)], monkeypatch
    )
    assert asked == [{"file_type": ft.FilePickerFileType.IMAGE, "with_data": True}]
    assert picked == [({"id": "v1"}, photo)] and refused == []


def test_elsewhere_no_bytes_are_asked_for_and_a_path_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo_file = tmp_path / "photo.jpg"
    photo_file.write_bytes(b"\xff\xd8\xff\xe0 from a path")
    asked, picked, _ = picked_with(
        tmp_path, False, [ft.FilePickerFile(id=1, name="photo.jpg", size=20, path=str(photo_file))], monkeypatch
    )
    assert asked == [{"file_type": ft.FilePickerFileType.IMAGE, "with_data": False}]
    assert picked == [({"id": "v1"}, b"\xff\xd8\xff\xe0 from a path")]


def test_a_file_too_large_is_refused_before_its_bytes_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = ft.FilePickerFile(id=1, name="big.jpg", size=picker_module.MAX_PHOTO_BYTES + 1, bytes=b"\xff\xd8")
    _, picked, refused = picked_with(tmp_path, True, [huge], monkeypatch)
    assert picked == [] and refused == ["client.photo.too_large"]
