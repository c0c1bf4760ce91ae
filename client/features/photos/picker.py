"""Picking a photo with Flet's FilePicker, on a phone (its camera is one of the picker's choices) and in a
browser, and handing its bytes to the app.

On a phone or a desktop the picked file has a path: its bytes are read from there. In browser mode
(Flet web) the Python side never sees the browser's file: the picker uploads it to the Flet server's
upload folder (`ft.run(upload_dir=<data folder>/incoming)`, see client.__main__), and when the upload
event says it arrived, the bytes are read and the file removed. In the PWA (docs/pwa.md) there is no app
process to upload to: the picker hands the browser's file over with its bytes (`with_data`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flet as ft

from client.browser import IN_BROWSER
from shared.ids import new_id
from shared.photos import MAX_PHOTO_BYTES

logger = logging.getLogger(__name__)

UPLOAD_URL_SECONDS = 600
Picked = Callable[[dict[str, Any], bytes], None]  # (the visit, the photo's bytes)
Refused = Callable[[str, str], None]  # (i18n key, message)


class PhotoPicker:
    """One per page session (FilePicker is a service of the page: build it inside the session)."""

    def __init__(self, page: ft.Page, incoming: Path, on_picked: Picked, on_refused: Refused) -> None:
        self.page, self.incoming = page, incoming
        self.on_picked, self.on_refused = on_picked, on_refused
        self.picker = ft.FilePicker(on_upload=self._on_upload)
        self._waiting: dict[str, tuple[str, dict[str, Any]]] = {}  # picked name -> (upload name, visit)

    def pick(self, visit: dict[str, Any]) -> None:
        self.page.run_task(self._pick, visit)

    async def _pick(self, visit: dict[str, Any]) -> None:
        try:
            files = await self.picker.pick_files(file_type=ft.FilePickerFileType.IMAGE, with_data=IN_BROWSER)
        except Exception as error:  # no picker on this platform, or it failed
            logger.info("file picker failed: %s", error)
            self.on_refused("client.photo.unavailable", "")
            return
        if not files:
            return  # cancelled
        picked = files[0]
        if picked.size > MAX_PHOTO_BYTES:  # said before a byte moves; checked again on the bytes
            self.on_refused("client.photo.too_large", "")
            return
        if picked.bytes is not None:  # the PWA: the browser read the file (checked again by the service)
            self.on_picked(visit, picked.bytes)
            return
        if picked.path:
            data = await asyncio.to_thread(Path(picked.path).read_bytes)
            self.on_picked(visit, data)
            return
        target = new_id()
        try:
            url = self.page.get_upload_url(target, UPLOAD_URL_SECONDS)
        except Exception as error:  # not served with an upload folder
            logger.warning("no upload folder for picked files: %s", error)
            self.on_refused("client.photo.unavailable", "")
            return
        self._waiting[picked.name] = (target, visit)
        await self.picker.upload([ft.FilePickerUploadFile(upload_url=url, id=picked.id)])

    def _on_upload(self, event: ft.FilePickerUploadEvent) -> None:
        if event.error:
            target, _ = self._waiting.pop(event.file_name, ("", {}))
            if target:
                (self.incoming / target).unlink(missing_ok=True)
            self.on_refused("client.photo.failed", event.error)
            return
        if event.progress is None or event.progress < 1:
            return
        waiting = self._waiting.pop(event.file_name, None)
        if waiting is None:
            return
        target, visit = waiting
        path = self.incoming / target
        try:
            data = path.read_bytes()
        except OSError as error:
            self.on_refused("client.photo.failed", str(error))
            return
        finally:
            path.unlink(missing_ok=True)
        self.on_picked(visit, data)
