"""The sync bar at the top of every screen, updated in place while the rep types elsewhere."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from client.sync_runner import SyncStatus
from client.widgets import SMALL_TEXT
from shared.i18n import t

ONLINE_COLOR = ft.Colors.GREEN_700
OFFLINE_COLOR = ft.Colors.ORANGE_800
ERROR_COLOR = ft.Colors.RED_700
MUTED_COLOR = ft.Colors.GREY_800


def progress_text(status: SyncStatus, lang: str) -> str:
    """While a sync runs: what a large first sync has received so far ("接收中 已收到 3,000 条…"); the
    server says only whether more pages follow, not how many."""
    progress = status.progress
    if not status.syncing or progress is None:
        return ""
    if progress.pages:
        key = "client.sync.receiving" if progress.more else "client.sync.received"
        return t(key, lang, received=f"{progress.received:,}", pages=progress.pages)
    if progress.pushed:
        return t("client.sync.sending", lang, pushed=f"{progress.pushed:,}")
    return ""


class SyncBar:
    """Online/offline, pending count ("待同步 3"), last sync time, "立即同步", rejected drafts."""

    def __init__(
        self,
        on_sync_now: Callable[[], None],
        on_open_drafts: Callable[[], None],
        photos_waiting: Callable[[], int] | None = None,  # photos whose bytes are not uploaded yet
    ) -> None:
        self.photos_waiting = photos_waiting
        self.photos = ft.Text("", visible=False)
        self.connection = ft.Text("", weight=ft.FontWeight.BOLD)
        self.pending = ft.Text("")
        self.last_sync = ft.Text("", size=SMALL_TEXT)
        self.error = ft.Text("", size=SMALL_TEXT, color=ERROR_COLOR, visible=False)
        self.progress = ft.Text("", size=SMALL_TEXT, visible=False)
        self.rejected = ft.TextButton("", on_click=lambda e: on_open_drafts(), visible=False)
        self.sync_now = ft.Button("", icon=ft.Icons.SYNC, on_click=lambda e: on_sync_now())
        self.control = ft.Container(
            content=ft.Column(
                [
                    ft.Row(
                        [self.connection, self.pending, self.photos, self.rejected, self.sync_now],
                        wrap=True,
                        spacing=10,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    ft.Row([self.last_sync, self.progress, self.error], wrap=True, spacing=10),
                ],
                spacing=2,
            ),
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            bgcolor=ft.Colors.BLUE_GREY_50,
        )

    def show(self, status: SyncStatus, lang: str) -> None:
        """Set the texts from `status` (the caller sends the update)."""
        if status.syncing:
            self.connection.value, self.connection.color = t("client.sync.syncing", lang), None
        elif status.online:
            self.connection.value, self.connection.color = t("client.sync.online", lang), ONLINE_COLOR
        else:
            self.connection.value, self.connection.color = t("client.sync.offline", lang), OFFLINE_COLOR
        self.pending.value = t("client.sync.pending", lang, count=status.pending)
        photos = self.photos_waiting() if self.photos_waiting is not None else 0
        self.photos.value = t("client.sync.photos_waiting", lang, count=photos)
        self.photos.visible = photos > 0
        self.last_sync.value = (
            t("client.sync.last", lang, time=status.last_sync_at.strftime("%H:%M:%S"))
            if status.last_sync_at
            else t("client.sync.never", lang)
        )
        self.rejected.content = t("client.sync.rejected", lang, count=status.rejected)
        self.rejected.visible = status.rejected > 0
        self.sync_now.content = t("client.sync.now", lang)
        if status.client_too_old:
            self.error.value = t("client.sync.too_old", lang)
        elif not status.online and not status.syncing:  # the normal life of a rep: nothing is wrong
            self.error.value = t("client.sync.offline_hint", lang)
        elif status.last_error and not status.auth_required:
            self.error.value = t("client.sync.error", lang, message=status.last_error[:120])
        else:
            self.error.value = ""
        self.progress.value = progress_text(status, lang)
        self.progress.visible = bool(self.progress.value)
        self.error.color = MUTED_COLOR if not status.online and not status.client_too_old else ERROR_COLOR
        self.error.visible = bool(self.error.value)
