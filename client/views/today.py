"""Today: the day's route in order, each stop with its status, then today's off-route visits."""

from __future__ import annotations

import flet as ft

from client.services import Stop, StopStatus
from client.state import AppState
from client.views import Actions
from client.views.common import kind_label, muted, screen, section, tappable, title
from shared.i18n import t

STATUS_COLORS = {
    StopStatus.NOT_VISITED: ft.Colors.GREY_700,
    StopStatus.VISITED: ft.Colors.BLUE_700,
    StopStatus.ORDERED: ft.Colors.GREEN_700,
}


def stop_status_text(stop: Stop, lang: str) -> str:
    return t(f"client.stop.{stop.status.value}", lang)


def stop_row(stop: Stop, position: int | None, lang: str, actions: Actions, identifier: str) -> ft.Control:
    customer = stop.customer
    name = str(customer.get("name")) if customer else t("client.today.unknown_customer", lang)
    status = stop_status_text(stop, lang)
    details = (
        " · ".join(part for part in (kind_label(customer, lang), str(customer.get("address") or "")) if part)
        if customer
        else ""
    )
    prefix = f"{position}. " if position is not None else ""
    extra = f" · {t('client.stop.in_progress', lang)}" if stop.visit_in_progress else ""
    content = ft.Row(
        [
            ft.Column(
                [ft.Text(f"{prefix}{name}", weight=ft.FontWeight.W_600), ft.Text(details, size=12)],
                spacing=2,
                expand=True,
            ),
            ft.Text(status + extra, color=STATUS_COLORS[stop.status], weight=ft.FontWeight.BOLD),
        ],
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    if customer is None:
        return ft.Container(content=content, padding=8)
    return tappable(
        content,
        lambda: actions.open_customer(stop.customer_id),
        f"{prefix}{name} {status}{extra}",
        identifier,
    )


def build(state: AppState, actions: Actions) -> ft.Control:
    lang, route = state.lang, state.today
    controls: list[ft.Control] = []
    if state.user:
        name = state.user.get("display_name") or state.user.get("username") or ""
        controls.append(muted(t("client.today.hello", lang, name=name)))
    if route is None:
        return ft.Column(controls)
    controls.append(title(t("client.today.title", lang, day=route.day.isoformat())))
    controls.append(
        ft.Row(
            [
                ft.Button(
                    t("client.today.new_prospect", lang),
                    icon=ft.Icons.PERSON_ADD,
                    on_click=lambda e: actions.open_prospect(),
                ),
                ft.OutlinedButton(
                    t("client.today.search", lang), icon=ft.Icons.SEARCH, on_click=lambda e: actions.open_search()
                ),
            ],
            wrap=True,
        )
    )
    if route.stops:
        controls.append(
            muted(
                t("client.today.progress", lang, visited=route.visited, planned=len(route.stops), ordered=route.ordered)
            )
        )
        for position, stop in enumerate(route.stops, start=1):
            controls.append(stop_row(stop, position, lang, actions, f"stop-{position}"))
    else:
        controls.append(muted(t("client.today.no_plan", lang)))
    if route.off_route:
        controls.append(section(t("client.today.off_route", lang)))
        for index, stop in enumerate(route.off_route, start=1):
            controls.append(stop_row(stop, None, lang, actions, f"off-route-{index}"))
    return screen(controls, spacing=8)
