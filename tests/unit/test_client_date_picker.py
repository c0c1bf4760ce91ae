"""下次拜访日期 is typed or picked (client/widgets.py `date_field`): the calendar opens on the typed date, else a
week from the company's today (not the machine's), and the picked day is written into the field as typed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import flet as ft
import pytest
import time_machine

from client import clock
from client.features.visits import view as visit
from client.shell.state import AppState, VisitForm
from shared.clock import Clock
from tests.unit.helpers import Recorder, walk

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 23:30 UTC on 30 November: already 1 December in the company's zone.
LATE_EVENING_UTC = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
LABEL = "下次拜访日期"


@pytest.fixture(autouse=True)
def company_clock() -> Iterator[None]:
    before = clock.current()
    clock.install(Clock(tz=SHANGHAI))
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        yield
    clock.install(before)


class PickerPage:
    def __init__(self) -> None:
        self.dialogs: list[ft.DatePicker] = []

    def show_dialog(self, dialog: ft.DatePicker) -> None:
        self.dialogs.append(dialog)


def next_visit_field(values: dict[str, Any]) -> tuple[ft.TextField, Recorder]:
    state = AppState(lang="zh-CN")
    state.visit = VisitForm(
        visit={"id": "v1", "customer_id": "c1", "visit_type": "day", "check_in_at": "2026-12-01T07:00:00+08:00"},
        customer={"id": "c1", "name": "甲诊所"},
        values=values,
    )
    actions = Recorder()
    shown = visit.build(state, actions)  # type: ignore[arg-type]
    found = [node for node in walk(shown) if isinstance(node, ft.TextField) and node.label == LABEL]
    assert len(found) == 1
    return found[0], actions


def open_calendar(field: ft.TextField) -> ft.DatePicker:
    button = field.suffix_icon
    assert isinstance(button, ft.IconButton) and button.tooltip == "选择日期"
    page = PickerPage()
    handler: Any = button.on_click
    handler(SimpleNamespace(control=button, page=page))
    assert len(page.dialogs) == 1
    return page.dialogs[0]


def test_the_calendar_opens_a_week_from_the_companys_today_and_fills_the_field() -> None:
    values: dict[str, Any] = {"next_visit_date": ""}
    field, actions = next_visit_field(values)
    picker = open_calendar(field)
    assert picker.value == dt.datetime(2026, 12, 8)  # 1 December (company) + 7, not 30 November (UTC) + 7
    assert picker.first_date == dt.datetime(2026, 12, 1)
    assert picker.current_date == dt.datetime(2026, 12, 1)

    field.update = lambda: None  # type: ignore[method-assign]  # not on a page here
    picker.value = dt.datetime(2026, 12, 10)
    handler: Any = picker.on_change
    handler(SimpleNamespace(control=picker))
    assert field.value == "2026-12-10" and values["next_visit_date"] == "2026-12-10"
    assert ("typed", ()) in actions.calls  # kept like typing (autosave)


def test_a_typed_date_is_kept_and_the_calendar_opens_on_it() -> None:
    field, _ = next_visit_field({"next_visit_date": "2026-12-24"})
    assert field.value == "2026-12-24"
    assert open_calendar(field).value == dt.datetime(2026, 12, 24)
    field.value = "下周三"  # not a date: the calendar opens on the suggestion, the save says what is wrong
    assert open_calendar(field).value == dt.datetime(2026, 12, 8)
