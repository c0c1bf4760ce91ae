"""A visit: check in (签到), the record form (保存), check out (签退) with the visit's duration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from client.services import visit_duration_minutes
from client.state import AppState
from client.views import Actions
from client.views.common import back_button, choice_chips, clock_time, error_text, muted, screen, text_field, title
from shared.enums import Attitude, VisitType
from shared.i18n import label, t


def coordinate(value: Any) -> str:
    return f"{value:.5f}"  # about a metre; more digits than a phone's GPS knows would mislead


def where(visit: dict[str, Any], lang: str) -> str:
    """Where the rep checked in, or that the device gave no position (the visit is recorded all the same)."""
    lat, lng, accuracy = visit.get("check_in_lat"), visit.get("check_in_lng"), visit.get("check_in_accuracy")
    if lat is None or lng is None:
        return t("client.visit.no_location", lang)
    if accuracy is None:
        return t("client.visit.location", lang, lat=coordinate(lat), lng=coordinate(lng))
    return t("client.visit.location_accuracy", lang, lat=coordinate(lat), lng=coordinate(lng), metres=f"{accuracy:.0f}")


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, form = state.lang, state.visit
    customer = form.customer or {}
    values = form.values

    def setter(key: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            values[key] = value

        return set_value

    def field(key: str, *, multiline: bool = False, keyboard: ft.KeyboardType = ft.KeyboardType.TEXT) -> ft.Control:
        return text_field(
            t(f"client.visit.{key}", lang),
            str(values.get(key) or ""),
            setter(key),
            error=form.errors.get(key),
            multiline=multiline,
            keyboard=keyboard,
        )

    def set_ordered(checked: bool) -> None:
        values["ordered"] = checked

    visit_types = [(member.value, label(member, lang)) for member in VisitType]
    controls: list[ft.Control] = [
        back_button(lang, actions.go_back),
        title(t("client.visit.title", lang, name=customer.get("name", ""))),
        muted(t("client.visit.planned" if form.planned else "client.visit.off_route", lang)),
        choice_chips(t("client.visit.type", lang), visit_types, values.get("visit_type"), setter("visit_type")),
    ]
    visit = form.visit
    if visit is None:
        controls += [
            muted(t("client.visit.before_check_in", lang)),
            ft.Button(t("client.visit.check_in", lang), icon=ft.Icons.LOGIN, on_click=lambda e: actions.check_in()),
        ]
        return screen(controls, spacing=10)

    status_line = [t("client.visit.checked_in", lang, time=clock_time(visit.get("check_in_at"))), where(visit, lang)]
    if visit.get("check_out_at"):
        status_line.append(t("client.visit.checked_out", lang, time=clock_time(visit.get("check_out_at"))))
        if visit.get("check_out_lat") is not None and visit.get("check_out_lng") is not None:
            lat, lng = coordinate(visit["check_out_lat"]), coordinate(visit["check_out_lng"])
            status_line.append(t("client.visit.check_out_location", lang, lat=lat, lng=lng))
        status_line.append(t("client.visit.duration", lang, minutes=visit_duration_minutes(visit)))
    attitudes = [(member.value, label(member, lang)) for member in Attitude]
    controls += [
        ft.Text(" · ".join(status_line), weight=ft.FontWeight.W_600),
        field("person_met"),
        field("purpose"),
        choice_chips(t("client.visit.attitude", lang), attitudes, values.get("attitude"), setter("attitude")),
        field("progress", multiline=True),
        ft.Checkbox(
            label=t("client.visit.ordered", lang),
            value=bool(values.get("ordered")),
            on_change=lambda e: set_ordered(bool(e.control.value)),
        ),
        field("order_amount", keyboard=ft.KeyboardType.NUMBER),
        field("next_visit_date", keyboard=ft.KeyboardType.DATETIME),
        field("notes", multiline=True),
        error_text(form.message),
        ft.Row(
            [
                ft.Button(t("client.visit.save", lang), icon=ft.Icons.SAVE, on_click=lambda e: actions.save_visit()),
                ft.OutlinedButton(
                    t("client.visit.check_out", lang),
                    icon=ft.Icons.LOGOUT,
                    on_click=lambda e: actions.check_out(),
                    visible=not visit.get("check_out_at"),
                ),
            ],
            wrap=True,
        ),
    ]
    return screen(controls, spacing=10)
