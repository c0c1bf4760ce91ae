"""A refused note, fixed and sent again (notes are otherwise written on the customer card)."""

from __future__ import annotations

import flet as ft

from client.features.drafts.banner import draft_banner
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import back_button, error_text, muted, screen, text_field, title
from shared.i18n import t


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, form = state.lang, state.note

    def set_text(value: str) -> None:
        form.text = value

    controls: list[ft.Control] = [back_button(lang, actions.go_back), title(t("client.note.title", lang))]
    if form.draft is not None:
        controls.append(draft_banner(form.draft, lang))
    controls += [
        muted(t("client.note.customer", lang, name=form.customer_name)),
        text_field(t("client.note.text", lang), form.text, set_text, multiline=True),
        error_text(form.error),
        ft.Button(t("client.drafts.resend", lang), icon=ft.Icons.SEND, on_click=lambda e: actions.resend_draft()),
    ]
    return screen(controls, spacing=10)
