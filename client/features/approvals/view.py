"""How an approval shows on the phone: 待审批 / 已批准 / 已驳回 with the reason, and the supervisor's comment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flet as ft

from client.features.approvals.expected import EXPECTED
from client.features.approvals.service import approval_status
from client.widgets import SMALL_TEXT, money, muted, section
from shared.approvals import Need
from shared.i18n import t

COLORS = {
    "pending": ft.Colors.ORANGE_800,
    "expected": ft.Colors.ORANGE_800,
    "approved": ft.Colors.GREEN_800,
    "rejected": ft.Colors.RED_700,
}


def reason_text(reason: str, figures: Mapping[str, Any], lang: str) -> str:
    """One reason, with the figure the rep can act on when it is known: 超出信用额度 ¥100, 折扣 20% 超出上限 15%."""
    if reason == "credit_limit" and figures.get("credit_limit") is not None:
        return t("client.approval.reason_fig.credit_limit", lang, limit=money(figures["credit_limit"], lang))
    if reason == "discount" and figures.get("discount_pct") is not None:
        pct, limit = figures["discount_pct"], figures.get("discount_limit_pct")
        return t("client.approval.reason_fig.discount", lang, pct=f"{pct:g}", limit=f"{limit:g}")
    return t(f"client.approval.reason.{reason}", lang)


def reasons_text(approval: Mapping[str, Any], lang: str) -> str:
    reasons = [reason for reason in str(approval.get("reason") or "").split(",") if reason]
    figures = approval.get("figures")
    figures = figures if isinstance(figures, Mapping) else {}
    return "、".join(reason_text(reason, figures, lang) for reason in reasons)


def order_notice(need: Need | None, lang: str) -> str:
    """The order panel, before 确认下单: what the rules say of the order as typed ("" when it needs nothing)."""
    if need is None:
        return ""
    return t(
        "client.approval.order_notice",
        lang,
        reason=reasons_text({"reason": need.reason, "figures": need.figures}, lang),
    )


def new_customer_text(lang: str) -> ft.Text:
    """The prospect form, before saving, when the company sends new customers for approval."""
    return ft.Text(t("client.approval.new_customer_notice", lang), color=ft.Colors.ORANGE_900)


def notice_box(text: ft.Text) -> ft.Container:
    """The orange box a notice sits in (hidden while it says nothing)."""
    return ft.Container(
        text,
        padding=8,
        border=ft.Border.all(1, ft.Colors.ORANGE_300),
        border_radius=8,
        bgcolor=ft.Colors.ORANGE_50,
        visible=bool(text.value),
    )


def approval_lines(approval: dict[str, Any], lang: str) -> list[ft.Control]:
    """One request: `订单 已驳回：超出信用额度`, then the comment when there is one."""
    status = str(approval.get("status") or "pending")
    text = t(
        "client.approval.item",
        lang,
        kind=t(f"client.approval.kind.{approval.get('kind')}", lang),
        status=t(f"client.approval.status.{status}", lang),
        reason=reasons_text(approval, lang),
    )
    controls: list[ft.Control] = [ft.Text(text, size=SMALL_TEXT, color=COLORS.get(status), weight=ft.FontWeight.W_600)]
    if status == EXPECTED:  # the phone's rules say so; the server decides once the record reaches it
        controls.append(muted(t("client.approval.expected_hint", lang)))
    if approval.get("comment"):
        by = str(approval.get("decided_by_name") or "")
        controls.append(
            ft.Text(t("client.approval.comment", lang, comment=approval["comment"], by=by), size=SMALL_TEXT)
        )
    return controls


def order_approval(order: dict[str, Any], lang: str) -> list[ft.Control]:
    """Under an order on the card or the visit: its status and comment; nothing for an order needing none."""
    status = approval_status(order)
    if status is None:
        return []
    approval = order.get("approval")
    if isinstance(approval, dict):
        controls = approval_lines(approval, lang)
    else:
        label = t(f"client.approval.status.{status}", lang)
        controls = [ft.Text(label, size=SMALL_TEXT, color=COLORS.get(status), weight=ft.FontWeight.W_600)]
    if status != "approved":
        controls.append(muted(t("client.approval.not_counted", lang)))
    return controls


def approvals_section(approvals: list[dict[str, Any]], lang: str) -> list[ft.Control]:
    """The card's 审批 section: requests other than orders' (those show under their order)."""
    others = [approval for approval in approvals if approval.get("kind") != "order"]
    if not others:
        return []
    controls: list[ft.Control] = [section(t("client.approval.section", lang))]
    for approval in others:
        controls += approval_lines(approval, lang)
    return controls
