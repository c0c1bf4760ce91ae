"""Each visit type's own fields (issue #4, docs/visits.md): the shared validation, the early window and the
home visit's follow-up rule, and the phone's service, store and form."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from client.features.today.reminders import FollowUpKind, follow_ups, home_follow_ups
from client.features.visits import fields as visit_fields
from client.features.visits import view as visit_view
from client.location import Location
from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.state import AppState, VisitForm
from client.storage.store import InvalidRecord, LocalStore
from shared.enums import RecordKind, VisitType
from shared.ids import new_id
from shared.records import (
    ALL_VISIT_TYPE_FIELDS,
    SCHEMAS,
    VISIT_TYPE_FIELDS,
    home_follow_up_due,
    outside_early_window,
    validate_fields,
    visit_type_problems,
)
from shared.visit_fields import type_field_texts
from sync.protocol import Change
from tests.unit.helpers import FakeClock, Recorder, Runner, walk

TZ = dt.timezone(dt.timedelta(hours=8))

# A good value of every type field.
GOOD: dict[str, Any] = {
    "needs": "儿科用药",
    "key_persons_met": "王院长",
    "competitors_in_use": "石药集团",
    "monthly_volume": 12000.5,
    "next_visit_agreed": True,
    "appointment_booked": False,
    "products_presented": "输液耗材方案",
    "objections": "嫌贵",
    "deal_outcome": "agreed",
    "materials_delivered": True,
    "prescription_reminded": True,
    "promises": "下周送样品",
    "follows_visit_id": new_id(),
    "carried_through": "样品已送到",
    "satisfied": True,
    "call_minutes": 240,
}


def a_visit(visit_type: VisitType, **fields: Any) -> dict[str, Any]:
    return {
        "customer_id": new_id(),
        "visit_type": visit_type.value,
        "check_in_at": "2026-11-27T09:00:00+08:00",
        **fields,
    }


def test_every_type_field_is_a_visit_field_and_belongs_to_some_type() -> None:
    assert set(GOOD) == set(ALL_VISIT_TYPE_FIELDS) <= set(SCHEMAS[RecordKind.VISIT])
    assert set(VISIT_TYPE_FIELDS) == set(VisitType)


@pytest.mark.parametrize("visit_type", list(VisitType))
def test_each_type_takes_its_own_fields_and_refuses_every_other_types(visit_type: VisitType) -> None:
    own = {name: GOOD[name] for name in VISIT_TYPE_FIELDS[visit_type]}
    record = a_visit(visit_type, **own)
    assert validate_fields(RecordKind.VISIT, record, creating=True) == []
    assert visit_type_problems(record) == []
    for name in set(ALL_VISIT_TYPE_FIELDS) - set(own):
        problems = visit_type_problems({**record, name: GOOD[name]})
        assert [problem.field for problem in problems] == [name]
        assert f"is not a field of a {visit_type.value} visit" in problems[0].problem
        assert visit_type_problems({**record, name: None}) == []  # empty is no value


def test_call_minutes_on_a_home_visit_is_refused_naming_the_home_visits_fields() -> None:
    (problem,) = visit_type_problems(a_visit(VisitType.HOME, call_minutes=5))
    assert problem.field == "call_minutes"
    assert problem.problem == "is not a field of a home visit (its fields: promises)"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("call_minutes", 0),
        ("call_minutes", 241),
        ("call_minutes", 2.5),
        ("call_minutes", True),
        ("monthly_volume", -1),
        ("monthly_volume", 100_000_001),
        ("monthly_volume", "12000"),
        ("deal_outcome", "maybe"),
        ("next_visit_agreed", "yes"),
        ("satisfied", 1),
        ("needs", "x" * 501),
        ("key_persons_met", "x" * 201),
        ("products_presented", "x" * 301),
        ("follows_visit_id", "home-visit"),
    ],
)
def test_type_fields_have_bounds(name: str, value: object) -> None:
    problems = validate_fields(RecordKind.VISIT, {name: value}, creating=False)
    assert [problem.field for problem in problems] == [name]


def test_the_bounds_themselves_are_allowed() -> None:
    for fields in ({"call_minutes": 1}, {"call_minutes": 240}, {"monthly_volume": 0}, {"needs": "x" * 500}):
        assert validate_fields(RecordKind.VISIT, fields, creating=False) == []


@pytest.mark.parametrize(
    ("clock", "outside"),
    [("07:29", True), ("07:30", False), ("08:00", False), ("08:10:59", False), ("08:11", True), ("14:00", True)],
)
def test_the_early_window_is_0730_to_0810_local_time(clock: str, outside: bool) -> None:
    assert outside_early_window(dt.datetime.fromisoformat(f"2026-11-27T{clock}+08:00")) is outside


@pytest.mark.parametrize(
    ("home", "due"),
    [
        ("2026-11-30", "2026-12-02"),
        ("2026-12-31", "2027-01-02"),
        ("2027-02-27", "2027-03-01"),
        ("2028-02-28", "2028-03-01"),
    ],
)
def test_the_follow_up_after_a_home_visit_is_due_two_days_later_across_month_ends(home: str, due: str) -> None:
    assert home_follow_up_due(dt.date.fromisoformat(home)) == dt.date.fromisoformat(due)


def at(day: str, clock: str = "18:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}+08:00")


def test_a_home_visit_at_month_end_shows_its_follow_up_at_once_until_a_follow_up_is_made() -> None:
    home = {"id": new_id(), "customer_id": "c1", "visit_type": "home", "check_in_at": "2026-11-30T19:00:00+08:00"}
    (shown,) = home_follow_ups([home], at("2026-11-30"))  # the evening it was saved
    assert shown.kind is FollowUpKind.HOME_VISIT and shown.due == dt.date(2026, 12, 2) and not shown.overdue
    assert not home_follow_ups([home], at("2026-12-02"))[0].overdue  # the last day on time
    assert home_follow_ups([home], at("2026-12-03"))[0].overdue
    assert home_follow_ups([home], at("2026-12-09")) and not home_follow_ups([home], at("2026-12-10"))  # a week late
    linked = {"id": new_id(), "customer_id": "c1", "visit_type": "follow_up", "follows_visit_id": home["id"]}
    linked["check_in_at"] = "2026-12-01T10:00:00+08:00"
    assert home_follow_ups([home, linked], at("2026-12-01")) == []
    unlinked_later = {**linked, "follows_visit_id": None}  # a 回访 made on a phone that did not link it
    assert home_follow_ups([home, unlinked_later], at("2026-12-01")) == []
    earlier = {**unlinked_later, "check_in_at": "2026-11-29T10:00:00+08:00"}  # before the home visit: no
    assert len(home_follow_ups([home, earlier], at("2026-12-01"))) == 1
    everything = follow_ups([], [], at("2026-12-01"), all_visits=[home])
    assert [item.kind for item in everything] == [FollowUpKind.HOME_VISIT]


def test_type_fields_read_in_both_languages() -> None:
    record = a_visit(VisitType.PHONE, call_minutes=12, deal_outcome=None)
    assert type_field_texts(record, "zh-CN") == [("call_minutes", "通话时长（分钟）", "12 分钟")]
    assert type_field_texts(record, "en") == [("call_minutes", "Call (minutes)", "12 min")]
    first = a_visit(VisitType.FIRST, monthly_volume=12000.0, next_visit_agreed=False)
    assert [text for _, _, text in type_field_texts(first, "zh-CN")] == ["12,000 元/月", "否"]


# ---- the phone -------------------------------------------------------------------------------------------


class Clock(FakeClock[dt.datetime]):
    def __init__(self) -> None:
        super().__init__(dt.datetime(2026, 11, 30, 16, 0, tzinfo=TZ))


def a_customer(store: LocalStore) -> str:
    customer_id, seq = new_id(), store.pull_cursor() + 1
    data = {"name": "甲诊所", "kind": "clinic", "status": "active"}
    store.apply_pull_page([Change(seq, RecordKind.CUSTOMER, customer_id, False, data)], seq)
    return customer_id


def test_a_home_visit_saved_on_the_phone_brings_its_follow_up_to_today_and_the_follow_up_links_back(
    store: LocalStore,
) -> None:
    clock = Clock()
    service = AppService(store, default_server_url="http://server", clock=clock)
    customer_id = a_customer(store)
    home = service.check_in(customer_id, VisitType.HOME, Location(38.7, 115.1, 10))
    service.check_out(home["id"], {"visit_type": "home", "promises": "下周送样品"})
    (reminder,) = [item for item in service.care_reminders().follow_ups if item.kind is FollowUpKind.HOME_VISIT]
    assert reminder.customer_id == customer_id and reminder.due == dt.date(2026, 12, 2)
    assert service.default_visit_type(customer_id) is VisitType.FOLLOW_UP
    clock.now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    follow_up = service.check_in(customer_id)  # the default type: 回访, linked to the home visit
    assert follow_up["visit_type"] == "follow_up" and follow_up["follows_visit_id"] == home["id"]
    assert not [item for item in service.care_reminders().follow_ups if item.kind is FollowUpKind.HOME_VISIT]
    with pytest.raises(InvalidRecord) as refused:  # nothing of another type on the phone either
        service.save_visit(follow_up["id"], {"call_minutes": 3})
    assert [error.field for error in refused.value.errors] == ["call_minutes"]
    assert "call_minutes" not in (service.visit(follow_up["id"]) or {})


def test_a_phone_visit_keeps_no_position(store: LocalStore) -> None:
    service = AppService(store, default_server_url="http://server", clock=Clock())
    call = service.check_in(a_customer(store), VisitType.PHONE, Location(38.7, 115.1, 10))
    done = service.check_out(call["id"], {"call_minutes": 6}, Location(38.7, 115.1))
    assert "check_in_lat" not in done and "check_out_lat" not in done and done["call_minutes"] == 6


def test_the_form_sends_the_chosen_types_fields_and_clears_the_old_types() -> None:
    stored = {"visit_type": "first", "needs": "儿科用药", "next_visit_agreed": True}
    values = {**visit_fields.form_values(stored), "visit_type": "phone", "call_minutes": " 12 "}
    fields, problems = visit_fields.record_fields(values, stored)
    assert problems == {}
    assert fields == {"needs": None, "next_visit_agreed": None, "call_minutes": 12}
    _, problems = visit_fields.record_fields({**values, "call_minutes": "241"}, stored)
    assert problems == {"call_minutes": "visit.bad_minutes"}
    _, problems = visit_fields.record_fields({"visit_type": "first", "monthly_volume": "很多"}, None)
    assert problems == {"monthly_volume": "visit.bad_volume"}


def test_the_visit_form_shows_the_selected_types_fields_and_the_early_windows_warning() -> None:
    state = AppState(lang="zh-CN")
    record = {"id": "v1", "customer_id": "c1", "visit_type": "phone", "check_in_at": "2026-11-27T09:00:00+08:00"}
    state.visit = VisitForm(visit=record, customer={"id": "c1", "name": "甲诊所"}, values={"visit_type": "phone"})
    shown = fields_by_label(visit_view.build(state, Recorder()))
    assert "通话时长（分钟）" in shown and "家访内容与承诺" not in shown
    state.visit.values["visit_type"] = "home"
    shown = fields_by_label(visit_view.build(state, Recorder()))
    assert "家访内容与承诺" in shown and "通话时长（分钟）" not in shown
    early = {**record, "visit_type": "early", "check_in_at": dt.datetime(2026, 11, 27, 9, 0).astimezone().isoformat()}
    state.visit = VisitForm(visit=early, customer={"id": "c1", "name": "甲诊所"}, values={"visit_type": "early"})
    view = visit_view.build(state, Recorder())
    assert any("不在其中" in text for text in texts(view)) and "已提醒医生处方" in texts(view)


def test_picking_a_type_asks_the_app_to_show_its_fields() -> None:
    state = AppState(lang="zh-CN")
    state.visit = VisitForm(customer={"id": "c1", "name": "甲诊所"}, values={"visit_type": "day"})
    actions = Recorder()
    view = visit_view.build(state, actions)
    chip = next(node for node in walk(view) if isinstance(node, ft.Chip) and node.label == "家访")
    select: Any = chip.on_select
    select(SimpleNamespace())
    assert ("choose_visit_type", ("home",)) in actions.calls


def fields_by_label(control: ft.Control) -> dict[str, ft.TextField]:
    return {
        node.label: node for node in walk(control) if isinstance(node, ft.TextField) and isinstance(node.label, str)
    }


def texts(control: ft.Control) -> list[str]:
    """Texts and labels (text fields, checkboxes) the control tree shows."""
    found = [str(node.value) for node in walk(control) if isinstance(node, ft.Text) and node.value]
    return found + [node.label for node in walk(control) if isinstance(getattr(node, "label", None), str)]


# ---- the app's handlers (a real store, a page that draws nothing) ----------------------------------------


class Page:
    def __init__(self) -> None:
        self.web = True
        self.title = ""

    def update(self) -> None: ...

    def run_thread(self, handler: Any, *args: Any) -> None:
        raise AssertionError("a phone visit must not wait for a location")


def test_the_app_records_a_phone_visit_without_locating_and_switches_types_cleanly(store: LocalStore) -> None:
    service = AppService(store, clock=Clock())
    app = App(Page(), ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner()))  # type: ignore[arg-type]
    customer_id = a_customer(store)
    app.actions.start_visit(customer_id)
    app.actions.choose_visit_type("phone")
    app.actions.check_in()  # no locating: Page.run_thread would fail
    form = app.state.visit
    assert form.visit is not None and form.visit["visit_type"] == "phone" and "check_in_lat" not in form.visit
    visit_id = str(form.visit["id"])
    form.values["call_minutes"] = "两分钟"
    pending = store.pending_count()
    app.actions.save_visit()
    assert app.state.visit.errors == {"call_minutes": "请填写 1–240 之间的整数分钟。"}
    assert store.pending_count() == pending
    app.state.visit.values["call_minutes"] = "7"
    app.actions.save_visit()
    assert (service.visit(visit_id) or {})["call_minutes"] == 7
    app.actions.choose_visit_type("first")  # the rep got it wrong: it was a first visit after all
    app.state.visit.values["needs"] = "儿科用药"
    app.actions.save_visit()
    stored = service.visit(visit_id) or {}
    assert stored["visit_type"] == "first" and stored["needs"] == "儿科用药" and stored["call_minutes"] is None


def test_the_customer_cards_visit_line_shows_the_types_own_fields() -> None:
    from client.features.customers.view import visit_summary

    visit = {"visit_type": "phone", "check_in_at": "2026-11-27T09:00:00+08:00", "ordered": False, "call_minutes": 12}
    assert "12" in visit_summary(visit, "zh-CN") and "电话拜访" in visit_summary(visit, "zh-CN")
    home = {"visit_type": "home", "check_in_at": "2026-11-27T19:00:00+08:00", "ordered": False}
    home["promises"] = "下周送样品"
    assert "下周送样品" in visit_summary(home, "zh-CN")
