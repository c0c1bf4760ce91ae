"""The customer card: details, start/continue a visit, recent visits (newest first), notes."""

from __future__ import annotations

import functools
from typing import Any

import flet as ft

from client.services import visit_duration_minutes
from client.state import AppState
from client.views import Actions
from client.views.common import (
    back_button,
    date_time,
    error_text,
    kind_label,
    muted,
    screen,
    section,
    status_label,
    tappable,
    text_field,
    title,
)
from shared.enums import VisitType
from shared.i18n import label, t


def visit_summary(visit: dict[str, Any], lang: str) -> str:
    try:
        kind = label(VisitType(str(visit.get("visit_type"))), lang)
    except ValueError:
        kind = ""
    amount = visit.get("order_amount")
    if visit.get("ordered") and isinstance(amount, int | float) and not isinstance(amount, bool):
        outcome = t("client.visit.outcome_amount", lang, amount=f"{amount:g}")
    else:
        outcome = t("client.visit.outcome_ordered" if visit.get("ordered") else "client.visit.outcome_none", lang)
    text = t("client.visit.summary", lang, time=date_time(visit.get("check_in_at")), type=kind, outcome=outcome)
    minutes = visit_duration_minutes(visit)
    if minutes is not None:
        text += " · " + t("client.visit.duration", lang, minutes=minutes)
    return text


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, card = state.lang, state.customer
    if card is None:
        return ft.Column([back_button(lang, actions.go_back), muted(t("client.customer.missing", lang))])
    customer = card.customer

    def detail(key: str, value: object) -> ft.Control:
        return ft.Text(f"{t(key, lang)}：{value or '—'}")

    def set_note(value: str) -> None:
        state.note_draft = value

    controls: list[ft.Control] = [
        back_button(lang, actions.go_back),
        title(str(customer.get("name", ""))),
        muted(t("client.customer.on_plan" if card.on_plan_today else "client.customer.off_plan", lang)),
        detail("client.customer.kind", kind_label(customer, lang)),
        detail("client.customer.status", status_label(customer, lang)),
        detail("client.customer.address", customer.get("address")),
        detail("client.customer.phone", customer.get("phone")),
        detail("client.customer.contact", customer.get("contact_person")),
        ft.Button(
            t("client.customer.continue_visit" if card.open_visit else "client.customer.start_visit", lang),
            icon=ft.Icons.PLACE,
            on_click=lambda e: actions.start_visit(str(customer["id"])),
        ),
        section(t("client.customer.notes", lang)),
        text_field(t("client.customer.note_field", lang), state.note_draft, set_note, multiline=True),
        error_text(state.note_error),
        ft.OutlinedButton(
            t("client.customer.add_note", lang), icon=ft.Icons.NOTE_ADD, on_click=lambda e: actions.add_note()
        ),
    ]
    if card.notes:
        controls += [ft.Text(f"{date_time(note.get('created_at'))}  {note.get('text', '')}") for note in card.notes]
    else:
        controls.append(muted(t("client.customer.no_notes", lang)))
    controls.append(section(t("client.customer.visits", lang)))
    if not card.visits:
        controls.append(muted(t("client.customer.no_visits", lang)))
    for index, visit in enumerate(card.visits[:20], start=1):
        summary = visit_summary(visit, lang)
        visit_id = str(visit["id"])
        controls.append(
            tappable(ft.Text(summary), functools.partial(actions.open_visit, visit_id), summary, f"visit-{index}")
        )
    return screen(controls, spacing=8)
