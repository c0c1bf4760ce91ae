"""The photos feature's handlers on a visit: a photo from the gallery (client/features/photos/picker.py) or
the app's camera view (camera.py), stamped and kept (capture.py, service.py); the shell is reached through
client/shell/protocol.py."""

from __future__ import annotations

import logging
from typing import Any

from client import clock
from client.features.photos.camera import CameraView, LiveCamera, camera_available
from client.features.photos.capture import capture
from client.features.photos.picker import PhotoPicker
from client.features.photos.service import (
    INCOMING_FOLDER,
    PhotoCapture,
    PhotoFiles,
    PhotoRefused,
    PhotoThumb,
    add_photo,
    visit_photos,
)
from client.location import locate
from client.shell.protocol import Shell
from client.storage.store import InvalidRecord
from shared.enums import PhotoSource
from shared.i18n import t

logger = logging.getLogger(__name__)


class PhotoHandlers:
    """The visit screen's 添加照片 / 拍照, and the photo's way into the store."""

    def __init__(self, shell: Shell, files: PhotoFiles) -> None:
        self.shell = shell
        self.service = shell.service
        self.files = files  # photos/ beside the store's files
        self.picker: PhotoPicker | None = None
        self.camera: LiveCamera | None = None  # the app's camera view, where flet-camera is (docs/photos.md)

    def start(self) -> None:
        """Once the page is up: the file picker and, where there is one, the camera view."""
        try:
            incoming = self.files.folder.parent / INCOMING_FOLDER  # ft.run(upload_dir=...) in client.__main__
            self.picker = PhotoPicker(self.shell.page, incoming, self.photo_picked, self.photo_refused)
        except Exception:  # no file picker here: the visit goes on without photos
            logger.info("file picker unavailable", exc_info=True)
        if camera_available():
            try:
                self.camera = CameraView(self.shell.page, self.photo_shot, self.photo_refused)
            except Exception:  # the camera control failed to load: gallery picks only
                logger.info("camera view unavailable", exc_info=True)

    def thumbs(self, visit_id: str) -> list[PhotoThumb]:
        # A browser cannot open the app's files: in browser mode the photo's bytes go to the screen.
        web = bool(getattr(self.shell.page, "web", False))
        return visit_photos(self.service.store, self.files, visit_id, with_bytes=web)

    def add_photo(self) -> None:
        with self.shell.ui:
            visit = self.shell.state.visit.visit
            if visit is None:
                return
            if self.picker is None:
                self.photo_refused("client.photo.unavailable", "")
                return
            self.picker.pick(dict(visit))

    def take_photo(self) -> None:
        with self.shell.ui:
            visit = self.shell.state.visit.visit
            if visit is None:
                return
            if self.camera is None:
                self.photo_refused("client.photo.no_camera", "")
                return
            self.camera.take(dict(visit), self.shell.state.lang)

    def photo_refused(self, key: str, message: str) -> None:
        with self.shell.ui:
            self.shell.state.visit.photo_error = t(key, self.shell.state.lang, message=message)
            self.shell.state.notice = None
            self.shell.render()

    def photo_picked(self, visit: dict[str, Any], data: bytes) -> None:
        self._photo_arrived(visit, data, PhotoSource.GALLERY)

    def photo_shot(self, visit: dict[str, Any], data: bytes) -> None:
        self._photo_arrived(visit, data, PhotoSource.LIVE)

    def _photo_arrived(self, visit: dict[str, Any], data: bytes, source: PhotoSource) -> None:
        """The phone's clock when the bytes arrived; then, off the loop, its position and (live) the stamp."""
        taken_at = clock.now()
        ready = self.shell.fresh_fix()  # found moments ago (at 签到): the photo takes it instead of waiting

        def worker() -> None:
            where = locate if ready is None else (lambda locator: ready)
            kept, how = capture(self.service.store, visit, data, source, taken_at, self.shell.locator, where=where)
            self.shell.on_loop(self._keep_photo, visit, kept, how)

        self.shell.page.run_thread(worker)

    def _keep_photo(self, visit: dict[str, Any], data: bytes, how: PhotoCapture) -> None:
        """Keep the photo (bytes, then its record); the visit screen shows it if it is still open."""
        with self.shell.ui:
            form, lang = self.shell.state.visit, self.shell.state.lang
            try:
                add_photo(self.service.store, self.files, visit, data, capture=how)
            except PhotoRefused as refused:
                self.photo_refused(refused.key, "")
                return
            except InvalidRecord as error:
                self.photo_refused("client.photo.failed", str(error))
                return
            self.shell.runner.notify_saved()
            if form.visit is not None and form.visit.get("id") == visit["id"]:
                form.photo_error = None
                form.photos = self.thumbs(str(visit["id"]))
            self.shell.state.notice = t("client.photo.saved", lang)
            self.shell.render()
