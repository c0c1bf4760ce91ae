"""Edit conflicts the server resolved: per customer, whose value was kept and which one lost. Read-only:
a supervisor reviews them; the rep sees what became of their edits."""

from __future__ import annotations

import functools
from typing import Any

import flet as ft

from client.services import ConflictItem, ConflictSide
from client.shell.actions import Actions
from client.shell.state import AppState
from client.widgets import MUTED_COLOR, SMALL_TEXT, back_button, date_time, muted, screen, tappable, title
from shared.enums import CustomerKind, CustomerStatus, Importance
from shared.i18n import label, t

ENUM_FIELDS: dict[str, type[CustomerKind] | type[CustomerStatus] | type[Importance]] = {
    "kind": CustomerKind,
    "status": CustomerStatus,
    "importance": Importance,
}


def field_value(name: str, value: Any, lang: str) -> str:
    if value is None or value == "":
        return t("client.conflicts.empty_value", lang)
    enum = ENUM_FIELDS.get(name)
    if enum is not None:
        try:
            return label(enum(str(value)), lang)
        except ValueError:
            pass
    return str(value)


def conflict_text(item: ConflictItem, lang: str) -> str:
    """ "你的修改 电话="0312-1" 被 "0312-2" 取代" and its variants."""
    name = item.field_name
    field_label = t(f"client.field.{name}", lang)
    if field_label == f"client.field.{name}":
        field_label = name
    kept = field_value(name, item.conflict.get("kept_value"), lang)
    lost = field_value(name, item.conflict.get("lost_value"), lang)
    key = {
        ConflictSide.MINE_LOST: "client.conflicts.mine_lost",
        ConflictSide.MINE_KEPT: "client.conflicts.mine_kept",
        ConflictSide.OTHERS: "client.conflicts.others",
    }[item.side]
    return t(key, lang, field=field_label, kept=kept, lost=lost)


def conflict_rows(items: list[ConflictItem], lang: str, *, with_customer: bool) -> list[ft.Control]:
    """One line per conflict (with the customer's name when listing several customers)."""
    rows: list[ft.Control] = []
    for item in items:
        status = t("client.conflicts.reviewed" if item.reviewed else "client.conflicts.open", lang)
        lines: list[ft.Control] = []
        if with_customer:
            name = item.customer_name or t("client.conflicts.unknown_customer", lang)
            lines.append(ft.Text(name, weight=ft.FontWeight.W_600))
        lines += [
            ft.Text(
                conflict_text(item, lang),
                color=ft.Colors.ORANGE_900 if item.side is ConflictSide.MINE_LOST else None,
            ),
            ft.Text(f"{date_time(item.conflict.get('created_at'))} · {status}", size=SMALL_TEXT, color=MUTED_COLOR),
        ]
        rows.append(ft.Column(lines, spacing=2))
    return rows


def build(state: AppState, actions: Actions) -> ft.Control:
    lang = state.lang
    controls: list[ft.Control] = [
        back_button(lang, actions.go_back),
        title(t("client.conflicts.title", lang)),
        muted(t("client.conflicts.hint", lang)),
    ]
    if not state.conflicts:
        controls.append(muted(t("client.conflicts.none", lang)))
    by_customer: dict[str, list[ConflictItem]] = {}
    for item in state.conflicts:
        by_customer.setdefault(item.customer_id, []).append(item)
    for index, (customer_id, items) in enumerate(by_customer.items(), start=1):
        name = items[0].customer_name or t("client.conflicts.unknown_customer", lang)
        content = ft.Column(
            [ft.Text(name, weight=ft.FontWeight.W_600), *conflict_rows(items, lang, with_customer=False)], spacing=4
        )
        if items[0].customer_name is None:
            controls.append(ft.Container(content, padding=8))
            continue
        summary = " ".join([name, *(conflict_text(item, lang) for item in items)])
        controls.append(
            tappable(content, functools.partial(actions.open_customer, customer_id), summary, f"conflict-{index}")
        )
    return screen(controls, spacing=8)
