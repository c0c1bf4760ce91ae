"""The app's camera view (docs/photos.md): flet-camera's preview in a dialog, 拍照 takes the picture, whose
bytes go to the app as a live photo (stamped and marked `live` by the caller).

flet-camera is Flet's camera control: the prebuilt Flet web client (flet-web 1.0.5) carries its Flutter
side (the "Camera" control and the browser's camera), so it works in browser mode, and `flet build` adds it
to the phone app. Where its Python package is missing, or the device has no camera, the app offers the
gallery pick only: `camera_available()` says which, and `LiveCamera` is the seam tests fake.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

from shared.i18n import t

logger = logging.getLogger(__name__)

Taken = Callable[[dict[str, Any], bytes], None]  # (the visit, the picture's bytes)
Refused = Callable[[str, str], None]  # (i18n key, message)
PREVIEW_WIDTH, PREVIEW_HEIGHT = 300, 400


def camera_available() -> bool:
    """Whether this app has flet-camera (the device may still have no camera: then `take` refuses)."""
    return importlib.util.find_spec("flet_camera") is not None


class LiveCamera(Protocol):
    def take(self, visit: dict[str, Any], lang: str) -> None: ...


class CameraView:
    """One per page session, like the photo picker: the dialog is built on each `take`."""

    def __init__(self, page: ft.Page, on_taken: Taken, on_refused: Refused) -> None:
        import flet_camera as fc  # checked by camera_available(): imported only where it is

        self.fc, self.page, self.on_taken, self.on_refused = fc, page, on_taken, on_refused

    def take(self, visit: dict[str, Any], lang: str) -> None:
        self.page.run_task(self._open, visit, lang)

    async def _open(self, visit: dict[str, Any], lang: str) -> None:
        fc = self.fc
        camera = fc.Camera(width=PREVIEW_WIDTH, height=PREVIEW_HEIGHT, preview_enabled=True)
        dialog = ft.AlertDialog(modal=True, title=ft.Text(t("client.photo.camera_title", lang)))

        async def shoot(_: Any) -> None:
            try:
                data = await camera.take_picture()
            except Exception as error:  # the camera went away, or refused
                logger.info("camera failed: %s", error)
                self.page.pop_dialog()
                self.on_refused("client.photo.camera_failed", str(error))
                return
            self.page.pop_dialog()
            self.on_taken(visit, bytes(data))

        def cancel(_: Any) -> None:
            self.page.pop_dialog()

        dialog.content = ft.Container(camera, width=PREVIEW_WIDTH, height=PREVIEW_HEIGHT)
        dialog.actions = [
            ft.TextButton(t("client.photo.camera_cancel", lang), on_click=cancel, height=48),
            ft.FilledButton(t("client.photo.camera_shoot", lang), icon=ft.Icons.CAMERA_ALT, on_click=shoot, height=48),
        ]
        self.page.show_dialog(dialog)
        try:
            cameras = await camera.get_available_cameras()
            if not cameras:
                raise RuntimeError("no camera")
            back = [c for c in cameras if str(getattr(c, "lens_direction", "")).lower().endswith("back")]
            await camera.initialize(back[0] if back else cameras[0], fc.ResolutionPreset.HIGH, enable_audio=False)
        except Exception as error:  # no camera, or its use was denied
            logger.info("no camera: %s", error)
            self.page.pop_dialog()
            self.on_refused("client.photo.no_camera", "")
