"""New prospect (新增潜在客户): a customer with status "prospect", created offline."""

from __future__ import annotations

import flet as ft

from client.state import AppState
from client.views import Actions
from client.views.common import back_button, choice_chips, error_text, screen, text_field, title
from shared.enums import CustomerKind
from shared.i18n import label, t


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, form = state.lang, state.prospect

    def set_name(value: str) -> None:
        form.name = value

    def set_kind(value: str) -> None:
        form.kind = value

    def set_address(value: str) -> None:
        form.address = value

    def set_phone(value: str) -> None:
        form.phone = value

    def set_contact(value: str) -> None:
        form.contact_person = value

    kinds = [(member.value, label(member, lang)) for member in CustomerKind]
    return screen(
        [
            back_button(lang, actions.go_back),
            title(t("client.prospect.title", lang)),
            text_field(t("client.prospect.name", lang), form.name, set_name),
            choice_chips(t("client.prospect.kind", lang), kinds, form.kind, set_kind),
            text_field(t("client.prospect.address", lang), form.address, set_address),
            text_field(t("client.prospect.phone", lang), form.phone, set_phone, keyboard=ft.KeyboardType.PHONE),
            text_field(t("client.prospect.contact", lang), form.contact_person, set_contact),
            error_text(form.error),
            ft.Button(t("client.prospect.save", lang), icon=ft.Icons.SAVE, on_click=lambda e: actions.save_prospect()),
        ],
        spacing=10,
    )
