"""考勤 on the phone, offline (client/features/attendance): a punch is one durable record with its op, the phone's
time and place; Today's row reads the day from this phone's punches against the hours the server sent; a
visit started before the day gets a hint; a second phone's punch pulled in counts as the rep's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from client import clock as phone_clock
from client.features.attendance.service import day_started, punch, today_attendance
from client.features.attendance.view import attendance_row
from client.location import Location
from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.state import Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.clock import Clock
from shared.enums import AttendanceAction, RecordKind
from shared.ids import new_id
from sync.protocol import Change
from tests.unit.helpers import Recorder, Runner, pulled, texts
from tests.unit.test_client_visit_flow import InlinePage

SHANGHAI = ZoneInfo("Asia/Shanghai")
ME = new_id()
NOW = dt.datetime(2026, 12, 7, 8, 1, 30, tzinfo=SHANGHAI)  # one minute late against 08:00


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AppService]:
    phone_clock.install(Clock(tz=SHANGHAI))
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    store.set_meta(user={"id": ME, "username": "rep.a"}, token="t", visit_rules={"work_hours": ["08:00", "17:30"]})
    moment = {"now": NOW}
    yield AppService(store, clock=lambda: moment["now"])
    store.close()
    phone_clock.install(Clock())


def test_a_punch_is_saved_with_its_op_time_and_place_before_it_returns(service: AppService, tmp_path: Path) -> None:
    assert not day_started(service)
    record = punch(service, AttendanceAction.START, Location(31.23, 121.47, 12.0))
    [op] = service.store.pending_ops(10)
    assert op.kind is RecordKind.ATTENDANCE and op.record_id == record["id"]
    assert op.fields == {
        "action": "start",
        "at": "2026-12-07T08:01:30+08:00",
        "lat": 31.23,
        "lng": 121.47,
        "accuracy": 12.0,
    }
    service.store.close()  # durable: a new process reads it back
    reopened = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    try:
        assert reopened.get(RecordKind.ATTENDANCE, record["id"]) is not None
        assert reopened.pending_count() == 1
    finally:
        reopened.close()


def test_todays_row_shows_the_start_late_by_a_minute_then_the_end(service: AppService) -> None:
    shown = " ".join(texts(attendance_row(today_attendance(service), "zh-CN", Recorder())))
    assert "今天还没有上班打卡（上班时间 08:00–17:30）" in shown and "上班打卡" in shown
    punch(service, AttendanceAction.START, None)  # no location: saved all the same
    today = today_attendance(service)
    assert today.day.late_minutes == 1 and today.waiting and today.next_action is AttendanceAction.END
    shown = " ".join(texts(attendance_row(today, "zh-CN", Recorder())))
    assert "上班 08:01 · 迟到 1 分钟" in shown and "下班打卡" in shown and "待同步" in shown
    actions = Recorder()
    button = attendance_row(today, "zh-CN", actions).content.controls[1]  # type: ignore[attr-defined]
    assert button.height >= 48
    button.on_click(None)
    assert actions.calls == [("punch_attendance", ("end",))]


def test_a_punch_from_the_reps_other_phone_counts_and_another_reps_does_not(service: AppService) -> None:
    other_phone = {"action": "start", "at": "2026-12-07T07:55:00+08:00", "rep_id": ME}
    someone_else = {"action": "start", "at": "2026-12-07T07:00:00+08:00", "rep_id": new_id()}
    service.store.apply_pull_page(
        [
            Change(1, RecordKind.ATTENDANCE, new_id(), False, someone_else),
            Change(2, RecordKind.ATTENDANCE, new_id(), False, other_phone),
        ],
        2,
    )
    today = today_attendance(service)
    assert today.day.started_at == dt.datetime(2026, 12, 7, 7, 55, tzinfo=SHANGHAI)
    assert not today.day.late and not today.waiting
    assert day_started(service)


# ---- in the app: the button on Today, the hint on a visit -----------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    phone_clock.install(Clock(tz=SHANGHAI))
    store = LocalStore(tmp_path / "app", StoreCipher(bytes(32)))
    store.set_meta(user={"id": ME, "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"})
    service = AppService(store, clock=lambda: NOW)
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    application = App(InlinePage(), core)  # type: ignore[arg-type]
    application.locator = lambda timeout: Location(31.2, 121.4, 20.0)
    yield application
    store.close()
    phone_clock.install(Clock())


def test_a_visit_started_before_the_day_gets_a_hint_and_goes_on(app: App) -> None:
    customer = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active"})
    app.show(Screen.TODAY)
    app.actions.start_visit(customer)
    assert app.state.screen is Screen.VISIT  # never blocked
    assert app.state.notice is not None and "还没有上班打卡" in app.state.notice
    app.actions.check_in()
    assert app.state.visit.visit is not None
    app.actions.go_today()

    app.actions.punch_attendance("start")
    assert app.state.screen is Screen.TODAY
    assert app.state.notice == "已保存：上班打卡 08:01（待同步）"
    assert app.state.attendance is not None and app.state.attendance.day.start_place == (31.2, 121.4)
    app.actions.start_visit(customer)  # the open visit: no hint once the day is started
    app.actions.go_today()
    other = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "乙药店", "kind": "clinic", "status": "active"})
    app.actions.start_visit(other)
    assert app.state.notice is None
