"""A complaint on the customer card, beyond its head line: its handling history (every step, oldest first)
and the "move forward" form (the next steps as chips, a note). Renders view state only."""

from __future__ import annotations

from typing import Any, Protocol

import flet as ft

from client.features.complaints.service import ComplaintStepForm
from client.widgets import ERROR_COLOR, SMALL_TEXT, choice_chips, date_time, enum_label, error_text, muted, section
from client.widgets import text_field as field
from shared.complaints import next_moves
from shared.enums import ComplaintStatus
from shared.i18n import label, t


class ComplaintActions(Protocol):
    def open_complaint_step(self, complaint_id: str) -> None: ...
    def cancel_complaint_step(self) -> None: ...
    def save_complaint_step(self) -> None: ...


def step_text(step: dict[str, Any], lang: str) -> str:
    status = enum_label(ComplaintStatus, step.get("status"), lang)
    text = t("client.complaint.step", lang, time=date_time(step.get("at")), status=status)
    if step.get("note"):
        text += f" · {step['note']}"
    if step.get("waiting"):
        text += " " + t("client.complaint.step_waiting", lang)
    if not step.get("applied", True):
        text += " " + t("client.complaint.step_not_applied", lang)
    return text


def complaint_handling(
    complaint: dict[str, Any], form: ComplaintStepForm, lang: str, actions: ComplaintActions
) -> list[ft.Control]:
    """The complaint's steps, then its form (open for this complaint) or the button that opens it."""
    complaint_id = str(complaint["id"])
    steps: list[dict[str, Any]] = complaint.get("steps") or []
    controls: list[ft.Control] = []
    if steps:
        controls.append(muted(t("client.complaint.history", lang)))
        controls += [
            ft.Text(
                step_text(step, lang), size=SMALL_TEXT, color=None if step.get("applied", True) else ft.Colors.GREY_600
            )
            for step in steps
        ]
    moves = next_moves(complaint.get("status"))
    if not moves:
        controls.append(muted(t("client.complaint.finished", lang)))
        return controls
    if form.complaint_id != complaint_id:
        controls.append(
            ft.OutlinedButton(
                t("client.complaint.move", lang),
                icon=ft.Icons.FAST_FORWARD,
                on_click=lambda e: actions.open_complaint_step(complaint_id),
            )
        )
        return controls

    def set_status(value: str) -> None:
        form.status = value or None

    def set_note(value: str) -> None:
        form.note = value

    choices = [(move.value, label(move, lang)) for move in moves]
    controls.append(
        ft.Container(
            ft.Column(
                [
                    section(t("client.complaint.move", lang)),
                    choice_chips(t("client.complaint.move_to", lang), choices, form.status, set_status),
                    field(t("client.complaint.note", lang), form.note, set_note, multiline=True),
                    error_text(form.error),
                    ft.Row(
                        [
                            ft.Button(
                                t("client.complaint.save_step", lang),
                                icon=ft.Icons.SAVE,
                                on_click=lambda e: actions.save_complaint_step(),
                            ),
                            ft.TextButton(
                                t("client.complaint.cancel_step", lang),
                                on_click=lambda e: actions.cancel_complaint_step(),
                            ),
                        ],
                        wrap=True,
                    ),
                ],
                spacing=8,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            padding=10,
            border=ft.Border.all(1, ERROR_COLOR if form.error else ft.Colors.BLUE_200),
            border_radius=8,
        )
    )
    return controls
