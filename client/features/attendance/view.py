"""Today's attendance row (考勤): the day's start and end as this phone knows them, late or early against the
company's hours, and one 48 px button: 上班打卡 until the day is started, then 下班打卡. Renders view state only."""

from __future__ import annotations

from typing import Protocol

import flet as ft

from client.features.attendance.service import TodayAttendance
from shared.enums import AttendanceAction
from shared.i18n import t

TOUCH = 48  # px: a thumb's height


class AttendanceActions(Protocol):
    def punch_attendance(self, action: str) -> None: ...  # 上班打卡 / 下班打卡, where the phone is


def status_lines(today: TodayAttendance, lang: str) -> list[str]:
    day = today.day
    if day.started_at is None:
        hours = {"start": day.work_start.strftime("%H:%M"), "end": day.work_end.strftime("%H:%M")}
        return [t("client.attendance.not_started", lang, **hours)]
    first = t("client.attendance.started", lang, time=day.started_at.strftime("%H:%M"))
    if day.late:
        first += " · " + t("client.attendance.late", lang, minutes=day.late_minutes)
    lines = [first]
    if day.ended_at is not None:
        second = t("client.attendance.ended", lang, time=day.ended_at.strftime("%H:%M"))
        if day.early:
            second += " · " + t("client.attendance.early", lang, minutes=day.early_minutes)
        lines.append(second)
    if today.waiting:
        lines.append(t("client.attendance.waiting", lang))
    return lines


def attendance_row(
    today: TodayAttendance | None, lang: str, actions: AttendanceActions, busy: bool = False
) -> ft.Control:
    if today is None:
        return ft.Container(visible=False)
    action = today.next_action
    label = t(f"client.attendance.{action.value}", lang)
    button_type = ft.FilledButton if action is AttendanceAction.START else ft.OutlinedButton
    button = button_type(
        label,
        icon=ft.Icons.LOGIN if action is AttendanceAction.START else ft.Icons.LOGOUT,
        height=TOUCH,
        disabled=busy,
        key=f"attendance-{action.value}",
        on_click=lambda e: actions.punch_attendance(action.value),
    )
    texts: list[ft.Control] = [
        ft.Text(line, size=14, key=f"attendance-line-{n}") for n, line in enumerate(status_lines(today, lang))
    ]
    return ft.Container(
        ft.Row(
            [ft.Column(texts, spacing=2, expand=True), button],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        padding=ft.Padding.symmetric(horizontal=8, vertical=4),
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=8,
    )
