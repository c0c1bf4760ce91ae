"""The customer card's development section (开发流程): the stage and its probability, advance / back, mark
won or lost (with the 战败 reason and a note), and the stage history. Renders `state.pipeline` only."""

from __future__ import annotations

import functools
from typing import Any, Protocol

import flet as ft

from client.features.pipeline.service import PipelineRound, PipelineView
from client.widgets import (
    ERROR_COLOR,
    SMALL_TEXT,
    choice_chips,
    date_time,
    enum_label,
    error_text,
    money,
    muted,
    section,
)
from client.widgets import text_field as field
from shared.enums import LossReason, PipelineOutcome, PipelineStage, StageAction
from shared.i18n import label, t
from shared.pipeline import HistoryItem

MAX_SHOWN = 20


class PipelineActions(Protocol):
    def start_development(self) -> None: ...
    def move_stage(self, stage: str) -> None: ...
    def mark_won(self) -> None: ...
    def open_loss_form(self) -> None: ...
    def cancel_loss_form(self) -> None: ...
    def mark_lost(self) -> None: ...
    def save_expected_value(self) -> None: ...


def event_text(item: HistoryItem, lang: str) -> str:
    event = item.event
    moment = date_time(event.get("at"))
    action = event.get("action")
    if action == StageAction.MOVE:
        text = t(
            "client.pipeline.event_move", lang, time=moment, stage=enum_label(PipelineStage, event.get("stage"), lang)
        )
    elif action == StageAction.WON:
        text = t("client.pipeline.event_won", lang, time=moment)
    else:
        reason = enum_label(LossReason, event.get("loss_reason"), lang)
        text = t("client.pipeline.event_lost", lang, time=moment, reason=reason)
    if event.get("note"):
        text += f" · {event['note']}"
    if event.get("order_id"):
        text += " " + t("client.pipeline.by_order", lang)
    if not item.applied:
        text += " " + t("client.pipeline.not_applied", lang)
    return text


def pipeline_section(view: PipelineView, lang: str, actions: PipelineActions) -> list[ft.Control]:
    controls: list[ft.Control] = [section(t("client.pipeline.title", lang))]
    known = view.pipeline
    if known is not None and known.refused:
        controls.append(ft.Text(t("client.pipeline.refused", lang), color=ERROR_COLOR, size=SMALL_TEXT))
    if known is None or not known.started:
        controls += [
            muted(t("client.pipeline.none", lang)),
            ft.OutlinedButton(
                t("client.pipeline.start", lang), icon=ft.Icons.FLAG, on_click=lambda e: actions.start_development()
            ),
        ]
        return controls
    state = known.state
    stage = label(state.stage, lang)
    controls.append(
        ft.Text(
            t("client.pipeline.stage", lang, stage=stage, probability=known.probability),
            weight=ft.FontWeight.W_600,
        )
    )
    if state.outcome is not PipelineOutcome.OPEN:
        controls.append(ft.Text(t("client.pipeline.outcome", lang, outcome=label(state.outcome, lang))))
    if state.loss_reason is not None:
        reason = label(state.loss_reason, lang)
        controls.append(ft.Text(t("client.pipeline.lost_reason", lang, reason=reason), color=ERROR_COLOR))
    expected = (known.opportunity or {}).get("expected_value")
    if expected is not None:
        controls.append(muted(t("client.pipeline.expected", lang, value=money(expected, lang))))
    if not known.closed:
        controls.append(expected_value_row(view, expected, lang, actions))
    buttons: list[ft.Control] = []
    if known.advance_to is not None:
        advance = label(known.advance_to, lang)
        buttons.append(
            ft.Button(
                t("client.pipeline.advance", lang, stage=advance),
                icon=ft.Icons.ARROW_FORWARD,
                on_click=functools.partial(_move, actions, known.advance_to.value),
            )
        )
    if known.back_to is not None:
        back = label(known.back_to, lang)
        buttons.append(
            ft.TextButton(
                t("client.pipeline.back", lang, stage=back),
                icon=ft.Icons.ARROW_BACK,
                on_click=functools.partial(_move, actions, known.back_to.value),
            )
        )
    if not known.closed:
        buttons += [
            ft.OutlinedButton(
                t("client.pipeline.won", lang), icon=ft.Icons.CHECK, on_click=lambda e: actions.mark_won()
            ),
            ft.OutlinedButton(
                t("client.pipeline.lost", lang), icon=ft.Icons.CLOSE, on_click=lambda e: actions.open_loss_form()
            ),
        ]
    elif state.outcome is PipelineOutcome.LOST:
        buttons.append(
            ft.OutlinedButton(
                t("client.pipeline.new_round", lang),
                icon=ft.Icons.REPLAY,
                on_click=lambda e: actions.start_development(),
            )
        )
    if buttons:
        controls.append(ft.Row(buttons, wrap=True, spacing=6, run_spacing=4))
    if view.losing:
        controls.append(loss_form(view, lang, actions))
    controls.append(muted(t("client.pipeline.history", lang)))
    for item in reversed(state.history[-MAX_SHOWN:]):  # newest first, like the card's other lists
        controls.append(ft.Text(event_text(item, lang), size=SMALL_TEXT, italic=not item.applied))
    return controls + earlier_rounds(known.earlier, lang)


def round_text(item: PipelineRound, lang: str) -> str:
    """第 n 轮 · 战败 · 开始 … · 结束 … · 止于 <stage> · <reason>."""
    state = item.state
    parts = [
        t(
            "client.pipeline.round",
            lang,
            number=item.number,
            outcome=label(state.outcome, lang),
            opened=date_time(item.opportunity.get("opened_at")),
        )
    ]
    if state.closed_at:
        parts.append(t("client.pipeline.round_closed", lang, closed=date_time(state.closed_at)))
    parts.append(t("client.pipeline.round_stage", lang, stage=label(state.stage, lang)))
    if state.loss_reason is not None:
        parts.append(t("client.pipeline.lost_reason", lang, reason=label(state.loss_reason, lang)))
    return " · ".join(parts)


def earlier_rounds(rounds: tuple[PipelineRound, ...], lang: str) -> list[ft.Control]:
    """The customer's earlier developments, newest first, read-only: outcome, reason, dates, their events."""
    if not rounds:
        return []
    controls: list[ft.Control] = [muted(t("client.pipeline.earlier", lang))]
    for item in rounds:
        rows: list[ft.Control] = [ft.Text(round_text(item, lang), weight=ft.FontWeight.W_600, size=SMALL_TEXT)]
        rows += [
            ft.Text("  " + event_text(event, lang), size=SMALL_TEXT, italic=not event.applied)
            for event in reversed(item.state.history[-MAX_SHOWN:])
        ]
        controls.append(ft.Column(rows, spacing=2))
    return controls


def expected_value_row(view: PipelineView, expected: object, lang: str, actions: PipelineActions) -> ft.Control:
    """预计金额: typed, then saved with the button (the funnel weighs it by the stage's probability)."""
    if view.expected is None:
        view.expected = f"{expected:g}" if isinstance(expected, int | float) and not isinstance(expected, bool) else ""

    def set_expected(value: str) -> None:
        view.expected = value

    box = field(
        t("client.pipeline.expected_field", lang),
        view.expected,
        set_expected,
        error=view.expected_error,
        keyboard=ft.KeyboardType.NUMBER,
    )
    save = ft.TextButton(t("client.pipeline.expected_save", lang), on_click=lambda e: actions.save_expected_value())
    return ft.Row([ft.Container(box, expand=True), save], vertical_alignment=ft.CrossAxisAlignment.START)


def _move(actions: PipelineActions, stage: str, _event: Any = None) -> None:
    actions.move_stage(stage)


def loss_form(view: PipelineView, lang: str, actions: PipelineActions) -> ft.Control:
    """战败分析: why it was lost (the seeds' reasons) and a note."""

    def set_reason(value: str) -> None:
        view.reason = value

    def set_note(value: str) -> None:
        view.note = value

    reasons = [(reason.value, label(reason, lang)) for reason in LossReason]
    return ft.Container(
        ft.Column(
            [
                section(t("client.pipeline.lost_title", lang)),
                choice_chips(t("client.pipeline.reason", lang), reasons, view.reason, set_reason),
                field(t("client.pipeline.note", lang), view.note, set_note, multiline=True),
                error_text(view.error),
                ft.Row(
                    [
                        ft.Button(
                            t("client.pipeline.confirm_lost", lang),
                            icon=ft.Icons.SAVE,
                            on_click=lambda e: actions.mark_lost(),
                        ),
                        ft.TextButton(t("client.pipeline.cancel", lang), on_click=lambda e: actions.cancel_loss_form()),
                    ],
                    wrap=True,
                ),
            ],
            spacing=8,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        ),
        padding=10,
        border=ft.Border.all(1, ft.Colors.RED_200),
        border_radius=8,
    )
