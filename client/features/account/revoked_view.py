"""The screen of a revoked phone: its data is wiped; nothing else can be opened (此手机已被撤销)."""

from __future__ import annotations

import flet as ft

from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import muted, screen, title
from shared.i18n import t


def build(state: AppState, actions: Actions) -> ft.Control:
    lang = state.lang
    return screen(
        [
            ft.Icon(ft.Icons.PHONELINK_LOCK, size=48, color=ft.Colors.RED_700),
            title(t("client.revoked.title", lang)),
            muted(t("client.revoked.body", lang)),
        ],
        spacing=12,
    )
