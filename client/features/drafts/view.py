"""Ops the server refused for good: kept as drafts with the server's reason. The rep fixes one in its
record's form and sends it again, or discards it after confirming (the only way a draft goes away)."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.features.drafts.banner import refusal_reason
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import ERROR_COLOR, SMALL_TEXT, back_button, date_time, muted, screen, title
from shared.i18n import t

FIXABLE_KINDS = ("customer", "visit", "note")


def draft_summary(draft: dict[str, Any]) -> str:
    """A line that tells the rep which of their writes this was: the customer, what was written, when."""
    op = draft.get("op", {})
    fields = op.get("fields", {})
    moment = date_time(fields.get("check_in_at") or fields.get("check_out_at") or fields.get("created_at"))
    words = fields.get("text") or fields.get("person_met") or fields.get("phone") or fields.get("address")
    customer = draft.get("customer_name") or fields.get("name")
    parts = (customer, words if words != customer else None, moment)
    return " · ".join(str(part) for part in parts if part) or str(op.get("record_id", ""))


def draft_card(draft: dict[str, Any], state: AppState, actions: Actions, index: int) -> ft.Control:
    lang = state.lang
    op = draft.get("op", {})
    seq = int(op.get("seq", 0))
    kind = t(f"client.kind.{op.get('kind', '')}", lang)
    code, message = str(draft.get("code") or ""), str(draft.get("message") or "")
    reason = refusal_reason(code, message, lang)
    fixable = op.get("kind") in FIXABLE_KINDS and op.get("action") == "put"
    rows: list[ft.Control] = [
        ft.Text(t("client.drafts.item", lang, kind=kind, message=reason), weight=ft.FontWeight.W_600),
        ft.Text(draft_summary(draft), size=SMALL_TEXT),
    ]
    if message and message != reason:
        rows.append(muted(t("client.drafts.server_says", lang, message=message)))
    if state.confirm_discard == seq:
        rows += [
            ft.Text(t("client.drafts.confirm", lang), color=ERROR_COLOR),
            ft.Row(
                [
                    ft.Button(
                        t("client.drafts.confirm_discard", lang),
                        icon=ft.Icons.DELETE_FOREVER,
                        bgcolor=ft.Colors.RED_700,
                        color=ft.Colors.WHITE,
                        on_click=lambda e: actions.discard_draft(seq),
                    ),
                    ft.TextButton(t("client.drafts.cancel", lang), on_click=lambda e: actions.cancel_discard()),
                ],
                wrap=True,
            ),
        ]
    else:
        buttons: list[ft.Control] = []
        if fixable:
            buttons.append(
                ft.Button(t("client.drafts.fix", lang), icon=ft.Icons.EDIT, on_click=lambda e: actions.fix_draft(seq))
            )
        buttons.append(
            ft.TextButton(t("client.drafts.discard", lang), on_click=lambda e: actions.ask_discard_draft(seq))
        )
        if not fixable:
            rows.append(muted(t("client.drafts.cannot_fix", lang)))
        rows.append(ft.Row(buttons, wrap=True))
    return ft.Semantics(
        identifier=f"draft-{index}",
        container=True,
        content=ft.Container(
            ft.Column(rows, spacing=4),
            padding=8,
            border=ft.Border.all(1, ft.Colors.RED_200),
            border_radius=8,
        ),
    )


def build(state: AppState, actions: Actions) -> ft.Control:
    lang = state.lang
    controls: list[ft.Control] = [
        back_button(lang, actions.go_back),
        title(t("client.drafts.title", lang)),
        muted(t("client.drafts.hint", lang)),
    ]
    if not state.drafts:
        controls.append(muted(t("client.drafts.none", lang)))
    for index, draft in enumerate(state.drafts, start=1):
        controls.append(draft_card(draft, state, actions, index))
    return screen(controls, spacing=8)
