"""The Today screen's monthly targets: target, the phone's estimate of the actual, and 完成率."""

from __future__ import annotations

import flet as ft

from client.features.campaigns.service import MonthProgress, Progress
from client.widgets import money, muted, section
from shared.i18n import t


def measure_text(name: str, progress: Progress, lang: str, *, amount: bool = False) -> str:
    def shown(value: float | None) -> str:
        if value is None:
            return "—"
        return money(value, lang) if amount else f"{value:.0f}"

    rate = f"{progress.rate * 100:.0f}%" if progress.rate is not None else "—"
    return t(
        "client.targets.line",
        lang,
        measure=t(f"client.targets.{name}", lang),
        actual=shown(progress.actual),
        target=shown(progress.target),
        rate=rate,
    )


def targets_section(progress: MonthProgress | None, lang: str) -> list[ft.Control]:
    if progress is None:
        return []
    controls: list[ft.Control] = [section(t("client.targets.title", lang, month=progress.month))]
    if not progress.has_target:
        return [*controls, muted(t("client.targets.none", lang))]
    for name, measure in (
        ("sales_amount", progress.sales_amount),
        ("new_customers", progress.new_customers),
        ("visits", progress.visits),
    ):
        row: list[ft.Control] = [ft.Text(measure_text(name, measure, lang, amount=name == "sales_amount"))]
        if measure.rate is not None:
            row.append(ft.ProgressBar(value=min(measure.rate, 1.0), width=240))
        controls.append(ft.Column(row, spacing=2))
    controls.append(muted(t("client.targets.estimate", lang)))
    return controls
