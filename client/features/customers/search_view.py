"""Browse and search all customers on the phone, to open a card or start an off-route visit."""

from __future__ import annotations

import functools

import flet as ft

from client.features.pool.view import owner_tag, pool_button
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import SMALL_TEXT, back_button, kind_label, muted, screen, status_label, tappable, text_field, title
from shared.i18n import t


def result_rows(state: AppState, actions: Actions) -> list[ft.Control]:
    lang = state.lang
    if not state.search_results:
        return [muted(t("client.search.none", lang))]
    rows: list[ft.Control] = []
    for index, customer in enumerate(state.search_results[:200], start=1):
        name = str(customer.get("name", ""))
        details = " · ".join(
            part
            for part in (
                kind_label(customer, lang),
                status_label(customer, lang),
                owner_tag(customer, str((state.user or {}).get("id") or ""), lang),  # 我的客户 / 公海 / 归属
                str(customer.get("address") or ""),
            )
            if part
        )
        rows.append(
            tappable(
                ft.Column([ft.Text(name, weight=ft.FontWeight.W_600), ft.Text(details, size=SMALL_TEXT)], spacing=2),
                functools.partial(actions.open_customer, str(customer["id"])),
                name,
                f"customer-{index}",
            )
        )
    return rows


def build(state: AppState, actions: Actions) -> ft.Control:
    lang = state.lang
    results = screen(result_rows(state, actions))

    def set_text(value: str) -> None:
        # Only the list is rebuilt: rebuilding the field would take the focus away while the rep types.
        actions.search(value)
        results.controls = result_rows(state, actions)
        results.update()

    return screen(
        [
            back_button(lang, actions.go_back),
            title(t("client.search.title", lang)),
            pool_button(lang, actions),  # the territory's 公海 (client/features/pool)
            text_field(t("client.search.field", lang), state.search_text, set_text),
            results,
        ]
    )
