"""The report screen (日报 / 周报): day or week, the figures from this phone's records, the summary and the
next focus, submit; the supervisor's comment once it has come; the leaderboards when the company sends them.
Renders view state only."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import flet as ft

from client.features.reports.service import ReportForm, ReportView
from client.shell.state import AppState
from client.widgets import (
    date_time,
    error_text,
    form_top,
    money,
    muted,
    screen,
    section,
    text_field,
    title,
)
from shared.enums import ReportPeriod
from shared.i18n import t
from shared.rates import format_rate
from shared.work_reports import period_days

TOUCH = 48  # px: every button here is at least a thumb high


class ReportActions(Protocol):
    def go_back(self) -> None: ...
    def typed(self) -> None: ...
    def discard_changes(self) -> None: ...
    def keep_editing(self) -> None: ...
    def choose_report_period(self, period: str) -> None: ...
    def step_report(self, direction: int) -> None: ...
    def save_report(self) -> None: ...
    def toggle_leaderboard(self) -> None: ...


def figure_rows(view: ReportView, form: ReportForm, lang: str) -> list[ft.Control]:
    figures = view.figures
    if figures is None:
        return []
    tally = figures.tally
    pairs = [
        ("client.report.planned", str(tally.planned), "report-planned"),
        ("client.report.visited", str(tally.visited_on_route), "report-visited"),
        ("client.report.off_route", str(tally.visited_off_route), "report-off-route"),
        ("client.report.completion", format_rate(figures.completion_rate), "report-completion"),
        ("client.report.success", format_rate(figures.success_rate), "report-success"),
        ("client.report.orders", str(figures.orders), "report-orders"),
        ("client.report.amount", money(figures.amount, lang), "report-amount"),
        ("client.report.new_customers", str(figures.new_customers), "report-new-customers"),
        ("client.report.complaints", str(figures.complaints), "report-complaints"),
    ]
    rows: list[ft.Control] = [
        ft.Row(
            [ft.Text(t(key, lang), expand=True), ft.Text(value, weight=ft.FontWeight.BOLD, key=ident)],
            height=28,
        )
        for key, value, ident in pairs
    ]
    plan_key = (
        "client.report.next_plan_day" if form.period == ReportPeriod.DAY.value else "client.report.next_plan_week"
    )
    plan = t(plan_key, lang, count=figures.next_planned)
    if view.next_names:
        plan += "：" if lang == "zh-CN" else ": "
        plan += ("、" if lang == "zh-CN" else ", ").join(view.next_names)
    rows.append(ft.Text(plan))
    return rows


def comment_box(view: ReportView, lang: str) -> list[ft.Control]:
    report = view.report
    if report is None:
        return []
    controls: list[ft.Control] = []
    submitted = t("client.report.submitted", lang, time=date_time(report.get("submitted_at")))
    if view.waiting:
        submitted += " " + t("client.report.waiting", lang)
    controls.append(muted(submitted))
    if report.get("comment"):
        heading = t(
            "client.report.comment",
            lang,
            name=report.get("commented_by_name") or "",
            time=date_time(report.get("commented_at")),
        )
        controls.append(
            ft.Container(
                ft.Column(
                    [
                        ft.Text(heading, weight=ft.FontWeight.BOLD),
                        ft.Text(str(report["comment"]), semantics_label=str(report["comment"])),
                    ],
                    spacing=4,
                ),
                padding=10,
                border_radius=8,
                bgcolor=ft.Colors.GREEN_50,
                border=ft.Border.all(1, ft.Colors.GREEN_300),
            )
        )
    else:
        controls.append(muted(t("client.report.no_comment", lang)))
    return controls


def _value_text(measure: str, value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if measure in ("completion", "success"):
        return format_rate(float(value))
    if measure == "amount":
        return money(float(value), lang)
    return str(int(value))


def leaderboard_section(view: ReportView, form: ReportForm, lang: str, actions: ReportActions) -> list[ft.Control]:
    controls: list[ft.Control] = [
        ft.OutlinedButton(
            t("client.report.leaderboard", lang),
            icon=ft.Icons.LEADERBOARD,
            height=TOUCH,
            on_click=lambda e: actions.toggle_leaderboard(),
        )
    ]
    if not form.show_leaderboard:
        return controls
    if not view.leaderboards:
        controls.append(muted(t("client.report.leaderboard_off", lang)))
        return controls
    for board in view.leaderboards:
        controls.append(section(t(f"web.work_reports.period_{board.get('period')}", lang)))
        as_of = t(
            "client.report.leaderboard_as_of",
            lang,
            start=board.get("starts_on"),
            end=board.get("ends_on"),
            time=date_time(board.get("computed_at")),
        )
        controls.append(muted(as_of))
        rankings: dict[str, list[dict[str, Any]]] = board.get("rankings") or {}
        for measure in ("completion", "success", "amount", "new_customers"):
            rows = rankings.get(measure) or []
            controls.append(ft.Text(t(f"web.leaderboard.{measure}", lang), weight=ft.FontWeight.BOLD))
            for row in rows[:10]:
                text = t(
                    "client.report.rank_row",
                    lang,
                    rank=row.get("rank") if row.get("value") is not None else "—",
                    name=row.get("name"),
                    value=_value_text(measure, row.get("value"), lang),
                )
                controls.append(ft.Text(text))
    return controls


def build(state: AppState, actions: ReportActions) -> ft.Control:
    lang, form, view = state.lang, state.report, state.report_view
    start = dt.date.fromisoformat(form.starts_on)
    _, end = period_days(form.period, start)
    heading_key = "client.report.title_day" if form.period == ReportPeriod.DAY.value else "client.report.title_week"

    def set_summary(value: str) -> None:
        form.summary = value
        actions.typed()

    def set_focus(value: str) -> None:
        form.next_focus = value
        actions.typed()

    periods = ft.Row(
        [
            ft.FilledButton(
                t("client.report.day", lang), height=TOUCH, on_click=lambda e: actions.choose_report_period("day")
            )
            if form.period == "day"
            else ft.OutlinedButton(
                t("client.report.day", lang), height=TOUCH, on_click=lambda e: actions.choose_report_period("day")
            ),
            ft.FilledButton(
                t("client.report.week", lang), height=TOUCH, on_click=lambda e: actions.choose_report_period("week")
            )
            if form.period == "week"
            else ft.OutlinedButton(
                t("client.report.week", lang), height=TOUCH, on_click=lambda e: actions.choose_report_period("week")
            ),
        ],
        wrap=True,
    )
    steps = ft.Row(
        [
            ft.TextButton(
                t("client.report.previous", lang),
                icon=ft.Icons.CHEVRON_LEFT,
                height=TOUCH,
                on_click=lambda e: actions.step_report(-1),
            ),
            ft.TextButton(
                t("client.report.next", lang),
                icon=ft.Icons.CHEVRON_RIGHT,
                height=TOUCH,
                disabled=not view.can_go_forward,
                on_click=lambda e: actions.step_report(1),
            ),
        ],
        wrap=True,
    )
    focus_key = (
        "client.report.next_focus_day" if form.period == ReportPeriod.DAY.value else "client.report.next_focus_week"
    )
    controls: list[ft.Control] = [
        *form_top(lang, state.confirm_leave, actions.go_back, actions.discard_changes, actions.keep_editing),
        title(t(heading_key, lang, start=start.isoformat(), end=end.isoformat())),
        periods,
        steps,
        section(t("client.report.figures", lang)),
        *figure_rows(view, form, lang),
        ft.Divider(),
        text_field(t("client.report.summary", lang), form.summary, set_summary, multiline=True),
        text_field(t(focus_key, lang), form.next_focus, set_focus, multiline=True),
        error_text(form.error),
        ft.FilledButton(
            t("client.report.save", lang), icon=ft.Icons.SEND, height=TOUCH, on_click=lambda e: actions.save_report()
        ),
        *comment_box(view, lang),
        ft.Divider(),
        *leaderboard_section(view, form, lang, actions),
    ]
    return screen(controls, spacing=8)
