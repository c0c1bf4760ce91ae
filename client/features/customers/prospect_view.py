"""The customer form: a new prospect (新增潜在客户, created offline), an edit of a customer (编辑客户), or a
refused customer op being fixed and sent again."""

from __future__ import annotations

import flet as ft

from client.features.approvals.view import new_customer_text, notice_box
from client.features.customers.duplicates import warning
from client.features.drafts.banner import draft_banner
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import choice_chips, error_text, form_top, muted, screen, text_field, title
from shared.enums import CustomerKind
from shared.i18n import label, t


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, form = state.lang, state.prospect

    def set_name(value: str) -> None:
        form.name = value
        actions.typed()

    def set_kind(value: str) -> None:
        form.kind = value
        actions.typed()

    def set_address(value: str) -> None:
        form.address = value
        actions.typed()

    def set_phone(value: str) -> None:
        form.phone = value
        actions.typed()

    def set_contact(value: str) -> None:
        form.contact_person = value
        actions.typed()

    def set_door_hours(value: str) -> None:
        form.door_hours = value
        actions.typed()

    kinds = [(member.value, label(member, lang)) for member in CustomerKind]
    if form.draft is not None:
        heading, save_label, icon = (
            t("client.customer.edit_title", lang),
            t("client.drafts.resend", lang),
            ft.Icons.SEND,
        )
    elif form.customer_id is not None:
        heading, save_label, icon = (
            t("client.customer.edit_title", lang),
            t("client.prospect.save", lang),
            ft.Icons.SAVE,
        )
    else:
        heading, save_label, icon = t("client.prospect.title", lang), t("client.prospect.save", lang), ft.Icons.SAVE
    is_new = form.draft is None and form.customer_id is None
    return screen(
        [
            *form_top(lang, state.confirm_leave, actions.go_back, actions.discard_changes, actions.keep_editing),
            title(heading),
            *([draft_banner(form.draft, lang)] if form.draft is not None else []),
            text_field(t("client.prospect.name", lang), form.name, set_name),
            choice_chips(t("client.prospect.kind", lang), kinds, form.kind, set_kind),
            text_field(t("client.prospect.address", lang), form.address, set_address),
            text_field(t("client.prospect.phone", lang), form.phone, set_phone, keyboard=ft.KeyboardType.PHONE),
            text_field(t("client.prospect.contact", lang), form.contact_person, set_contact),
            text_field(t("client.prospect.door_hours", lang), form.door_hours, set_door_hours),
            muted(t("client.prospect.door_hours_hint", lang)),
            error_text(form.error),
            *([warning(form.duplicates, lang, actions)] if form.duplicates else []),
            *([notice_box(new_customer_text(lang))] if is_new and form.needs_approval else []),
            ft.Button(save_label, icon=icon, on_click=lambda e: actions.save_prospect()),
        ],
        spacing=10,
    )
