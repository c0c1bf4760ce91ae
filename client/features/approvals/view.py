"""How an approval shows on the phone: 待审批 / 已批准 / 已驳回 with the reason, and the supervisor's comment."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.features.approvals.service import approval_status
from client.widgets import SMALL_TEXT, muted, section
from shared.i18n import t

COLORS = {"pending": ft.Colors.ORANGE_800, "approved": ft.Colors.GREEN_800, "rejected": ft.Colors.RED_700}


def reasons_text(approval: dict[str, Any], lang: str) -> str:
    reasons = [reason for reason in str(approval.get("reason") or "").split(",") if reason]
    return "、".join(t(f"client.approval.reason.{reason}", lang) for reason in reasons)


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
