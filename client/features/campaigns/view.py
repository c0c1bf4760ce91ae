"""The visit screen's campaign section (营销活动): campaigns running for the customer, a participation form,
and what this visit recorded. Campaigns themselves are read-only on the phone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

from client.features.campaigns.service import VisitCampaigns
from client.widgets import enum_label, error_text, money, section, text_field
from shared.enums import CampaignType
from shared.i18n import t


class CampaignActions(Protocol):
    def open_campaign(self, campaign_id: str) -> None: ...  # open (or close) the campaign's participation form
    def record_participation(self) -> None: ...


def campaign_label(campaign: dict[str, Any], invited: bool, lang: str) -> str:
    text = t(
        "client.campaign.item",
        lang,
        name=str(campaign.get("name") or ""),
        type=enum_label(CampaignType, campaign.get("campaign_type"), lang),
        ends=str(campaign.get("ends_on") or ""),
    )
    return f"{text} · {t('client.campaign.invited', lang)}" if invited else text


def result_text(result: dict[str, Any], names: dict[str, str], lang: str) -> str:
    parts = [t("client.campaign.took_part" if result.get("participated") else "client.campaign.did_not", lang)]
    if result.get("amount") is not None:
        parts.append(money(result.get("amount"), lang))
    if result.get("feedback"):
        parts.append(str(result["feedback"]))
    name = names.get(str(result.get("campaign_id")), t("client.campaign.unknown", lang))
    return t("client.campaign.summary", lang, name=name, text=" · ".join(parts))


def campaign_section(
    section_state: VisitCampaigns, orders: list[dict[str, Any]], lang: str, actions: CampaignActions
) -> list[ft.Control]:
    """Nothing when no campaign runs for this customer and none was recorded on the visit."""
    state = section_state
    if not state.campaigns and not state.results:
        return []
    entry = state.entry
    controls: list[ft.Control] = [section(t("client.campaign.title", lang))]
    for campaign in state.campaigns:
        campaign_id = str(campaign["id"])
        is_open = entry.campaign_id == campaign_id
        controls.append(
            (ft.Button if is_open else ft.OutlinedButton)(
                campaign_label(campaign, campaign_id in state.invited, lang),
                icon=ft.Icons.CAMPAIGN,
                on_click=lambda e, campaign_id=campaign_id: actions.open_campaign(campaign_id),
            )
        )
        if is_open:
            controls.append(participation_form(state, orders, lang, actions))
    names = {str(c["id"]): str(c.get("name") or "") for c in state.campaigns}
    controls += [ft.Text(result_text(result, names, lang)) for result in state.results]
    return controls


def participation_form(
    state: VisitCampaigns, orders: list[dict[str, Any]], lang: str, actions: CampaignActions
) -> ft.Control:
    entry = state.entry

    def setter(name: str) -> Callable[[str], None]:
        def set_value(value: str) -> None:
            setattr(entry, name, value)

        return set_value

    def set_participated(value: bool) -> None:
        entry.participated = value

    def set_order(order_id: str | None) -> None:
        entry.order_id = order_id

    controls: list[ft.Control] = [
        ft.Checkbox(
            label=t("client.campaign.participated", lang),
            value=entry.participated,
            on_change=lambda e: set_participated(bool(e.control.value)),
        ),
        text_field(
            t("client.campaign.amount", lang),
            entry.amount,
            setter("amount"),
            error=state.errors.get("amount"),
            keyboard=ft.KeyboardType.NUMBER,
        ),
    ]
    for order in orders:
        order_id = str(order["id"])
        controls.append(
            ft.Checkbox(
                label=t("client.campaign.link_order", lang, amount=money(order.get("amount"), lang)),
                value=entry.order_id == order_id,
                on_change=lambda e, order_id=order_id: set_order(order_id if e.control.value else None),
            )
        )
    controls += [
        text_field(t("client.campaign.feedback", lang), entry.feedback, setter("feedback"), multiline=True),
        error_text(state.errors.get("campaign")),
        ft.Button(
            t("client.campaign.submit", lang), icon=ft.Icons.CHECK, on_click=lambda e: actions.record_participation()
        ),
    ]
    return ft.Container(
        ft.Column(controls, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        padding=10,
        border=ft.Border.all(1, ft.Colors.BLUE_200),
        border_radius=8,
    )
