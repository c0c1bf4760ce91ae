"""The customer card's ownership line (我的客户 / 公海 / the owner's name) with 认领 and 释放到公海 (48 px, offline:
an op), and the 公海 list reached from the customer search (docs/ownership.md)."""

from __future__ import annotations

import functools
from typing import Any, Protocol

import flet as ft

from client.features.pool.service import Ownership, Standing
from client.shell.state import AppState
from client.widgets import ERROR_COLOR, SMALL_TEXT, back_button, badge, kind_label, muted, screen, tappable, text_field
from client.widgets import title as screen_title
from shared.i18n import t
from shared.pool import ClaimOutlook

TOUCH = 48  # px: every tap target on the phone


class PoolActions(Protocol):
    def go_back(self) -> None: ...
    def open_customer(self, customer_id: str) -> None: ...
    def claim_customer(self, customer_id: str) -> None: ...
    def release_customer(self, customer_id: str) -> None: ...
    def open_pool(self) -> None: ...
    def search_pool(self, text: str) -> None: ...


def ownership_section(customer_id: str, owned: Ownership | None, lang: str, actions: PoolActions) -> list[ft.Control]:
    if owned is None:
        return []
    standing = owned.standing
    colors = {
        Standing.MINE: ft.Colors.GREEN_100,
        Standing.POOL: ft.Colors.ORANGE_100,
        Standing.OTHER: ft.Colors.GREY_200,
        Standing.CLAIMING: ft.Colors.LIGHT_BLUE_100,
        Standing.RELEASING: ft.Colors.LIGHT_BLUE_100,
    }
    text = t(f"client.pool.standing.{standing.value}", lang, owner=owned.owner_name or "?")
    row: list[ft.Control] = [ft.Container(badge(text, colors[standing]), key="ownership")]
    if standing is Standing.POOL:
        row.append(
            ft.Button(
                t("client.pool.claim", lang),
                icon=ft.Icons.PAN_TOOL,
                height=TOUCH,
                key="claim",
                on_click=lambda e: actions.claim_customer(customer_id),
            )
        )
    elif standing is Standing.MINE:
        row.append(
            ft.OutlinedButton(
                t("client.pool.release", lang),
                icon=ft.Icons.OUTBOX,
                height=TOUCH,
                key="release",
                on_click=lambda e: actions.release_customer(customer_id),
            )
        )
    controls: list[ft.Control] = [ft.Row(row, wrap=True, spacing=8, run_spacing=4)]
    if owned.outlook not in (None, ClaimOutlook.LET_THROUGH) and standing in (Standing.POOL, Standing.CLAIMING):
        controls.append(
            ft.Text(
                t(f"client.pool.outlook.{owned.outlook.value}", lang),
                color=ft.Colors.ORANGE_900,
                weight=ft.FontWeight.W_600,
                key="claim-outlook",
            )
        )
    if owned.refused is not None:
        controls.append(
            ft.Text(
                t("client.pool.refused", lang, owner=owned.refused)
                if standing is Standing.OTHER and owned.refused == owned.owner_name
                else t("client.pool.refused_reason", lang, reason=owned.refused),
                color=ERROR_COLOR,
                weight=ft.FontWeight.W_600,
                key="claim-refused",
            )
        )
    return controls


def pool_rows(state: AppState, actions: PoolActions) -> list[ft.Control]:
    lang = state.lang
    if not state.pool_results:
        return [muted(t("client.pool.none", lang))]
    rows: list[ft.Control] = []
    for index, customer in enumerate(state.pool_results[:200], start=1):
        name = str(customer.get("name", ""))
        details = " · ".join(part for part in (kind_label(customer, lang), str(customer.get("address") or "")) if part)
        rows.append(
            tappable(
                ft.Column([ft.Text(name, weight=ft.FontWeight.W_600), ft.Text(details, size=SMALL_TEXT)], spacing=2),
                functools.partial(actions.open_customer, str(customer["id"])),
                name,
                f"pool-{index}",
            )
        )
    return rows


def build(state: AppState, actions: PoolActions) -> ft.Control:
    lang = state.lang
    results = screen(pool_rows(state, actions))

    def set_text(value: str) -> None:
        actions.search_pool(value)
        results.controls = pool_rows(state, actions)
        results.update()

    return screen(
        [
            back_button(lang, actions.go_back),
            screen_title(t("client.pool.title", lang)),
            muted(t("client.pool.hint", lang)),
            text_field(t("client.search.field", lang), state.pool_text, set_text),
            results,
        ]
    )


def pool_button(lang: str, actions: PoolActions) -> ft.Control:
    """On the customer search: the territory's 公海."""
    return ft.OutlinedButton(
        t("client.pool.open", lang),
        icon=ft.Icons.WAVES,
        height=TOUCH,
        key="open-pool",
        on_click=lambda e: actions.open_pool(),
    )


def owner_tag(customer: dict[str, Any], me: str, lang: str) -> str:
    """A search row's owner in a word: 我的客户, 公海客户 or 归属：X (as last pulled)."""
    owner = customer.get("owner_rep_id")
    if owner is None:
        return t("client.pool.standing.pool", lang)
    if owner == me:
        return t("client.pool.standing.mine", lang)
    return t("client.pool.standing.other", lang, owner=customer.get("owner_name") or "?")
