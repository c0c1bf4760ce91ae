"""Ops the server refused for good: kept as drafts with the server's reason until the rep discards them."""

from __future__ import annotations

import flet as ft

from client.state import AppState
from client.views import Actions
from client.views.common import back_button, muted, screen, title
from shared.i18n import t


def build(state: AppState, actions: Actions) -> ft.Control:
    lang = state.lang
    controls: list[ft.Control] = [
        back_button(lang, actions.go_back),
        title(t("client.drafts.title", lang)),
        muted(t("client.drafts.hint", lang)),
    ]
    if not state.drafts:
        controls.append(muted(t("client.drafts.none", lang)))
    for draft in state.drafts:
        op = draft.get("op", {})
        seq = int(op.get("seq", 0))
        kind = t(f"client.kind.{op.get('kind', '')}", lang)
        fields = op.get("fields", {})
        name = fields.get("name") or fields.get("text") or fields.get("check_in_at") or op.get("record_id", "")
        message = draft.get("message") or draft.get("code") or ""
        controls.append(
            ft.Container(
                ft.Column(
                    [
                        ft.Text(t("client.drafts.item", lang, kind=kind, message=message), weight=ft.FontWeight.W_600),
                        ft.Text(str(name), size=12),
                        ft.TextButton(
                            t("client.drafts.discard", lang), on_click=lambda e, seq=seq: actions.discard_draft(seq)
                        ),
                    ],
                    spacing=2,
                ),
                padding=8,
                border=ft.Border.all(1, ft.Colors.RED_200),
                border_radius=8,
            )
        )
    return screen(controls, spacing=8)
