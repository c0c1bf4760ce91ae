"""The visit's photos (拜访照片) on the visit screen: "add photo", why a file was not kept, the thumbnails."""

from __future__ import annotations

import flet as ft

from client.features.photos.service import PhotoThumb
from client.shell.actions import Actions
from client.shell.state import VisitForm
from client.widgets import SMALL_TEXT, error_text, muted, section
from shared.enums import PhotoSource
from shared.i18n import label, t

TOUCH = 48  # px: a thumb's target

THUMBNAIL_SIZE = 96


def photo_status(photo: PhotoThumb, lang: str) -> str:
    if photo.path is None:
        return t("client.photo.elsewhere", lang)  # taken on another phone of the territory
    return t("client.photo.uploaded" if photo.uploaded else "client.photo.waiting", lang)


def photo_source(photo: PhotoThumb, lang: str) -> str:
    """现场拍摄 / 相册选取, or 来源未知 for a photo from before the field (docs/photos.md)."""
    return label(PhotoSource(photo.source), lang) if photo.source else t("photo.source_unknown", lang)


def thumbnail(photo: PhotoThumb, number: int, lang: str) -> ft.Control:
    name = t("client.photo.label", lang, n=number)
    picture: ft.Control = (
        ft.Image(
            src=photo.data if photo.data is not None else photo.path,
            width=THUMBNAIL_SIZE,
            height=THUMBNAIL_SIZE,
            fit=ft.BoxFit.COVER,
            cache_width=2 * THUMBNAIL_SIZE,  # decoded small: a camera photo is 12 megapixels
            semantics_label=name,
        )
        if photo.path is not None
        else ft.Icon(ft.Icons.CLOUD_DONE, size=THUMBNAIL_SIZE // 2)
    )
    return ft.Column(
        [picture, ft.Text(f"{name} · {photo_status(photo, lang)} · {photo_source(photo, lang)}", size=SMALL_TEXT)],
        spacing=2,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
    )


def photo_section(form: VisitForm, lang: str, actions: Actions) -> list[ft.Control]:
    buttons: list[ft.Control] = []
    if form.camera:
        buttons.append(
            ft.FilledButton(
                t("client.photo.take", lang),
                icon=ft.Icons.CAMERA_ALT,
                on_click=lambda e: actions.take_photo(),
                height=TOUCH,
            )
        )
    buttons.append(
        ft.OutlinedButton(
            t("client.photo.add", lang),
            icon=ft.Icons.ADD_A_PHOTO,
            on_click=lambda e: actions.add_photo(),
            height=TOUCH,
        )
    )
    controls: list[ft.Control] = [section(t("client.photo.title", lang))]
    if form.photo_required:
        controls.append(muted(t(f"client.photo.required_{form.photo_required}", lang)))
    controls += [ft.Row(buttons, wrap=True, spacing=8, run_spacing=8), error_text(form.photo_error)]
    if form.photos:
        controls.append(
            ft.Row([thumbnail(photo, index + 1, lang) for index, photo in enumerate(form.photos)], wrap=True)
        )
    return controls
