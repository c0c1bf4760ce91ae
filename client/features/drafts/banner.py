"""The banner a form shows while it fixes a refused op: what the server said."""

from __future__ import annotations

import flet as ft

from client.services import DraftFix
from client.widgets import SMALL_TEXT
from shared.i18n import t


def refusal_reason(code: str, message: str, lang: str) -> str:
    """The server's error code in the rep's words (its message, in English, is shown beside it)."""
    key = f"client.drafts.code.{code}"
    reason = t(key, lang)
    return reason if reason != key else (message or code)


def draft_banner(fix: DraftFix, lang: str) -> ft.Control:
    kind = t(f"client.kind.{fix.kind.value}", lang)
    lines: list[ft.Control] = [
        ft.Text(
            t("client.drafts.fixing", lang, kind=kind, message=refusal_reason(fix.code, fix.message, lang)),
            color=ft.Colors.RED_800,
            weight=ft.FontWeight.W_600,
        )
    ]
    if fix.message:
        lines.append(ft.Text(t("client.drafts.server_says", lang, message=fix.message), size=SMALL_TEXT))
    if len(fix.seqs) > 1:
        lines.append(ft.Text(t("client.drafts.others", lang, count=len(fix.seqs)), size=SMALL_TEXT))
    return ft.Container(
        ft.Column(lines, spacing=2),
        padding=8,
        bgcolor=ft.Colors.RED_50,
        border=ft.Border.all(1, ft.Colors.RED_200),
        border_radius=8,
    )
