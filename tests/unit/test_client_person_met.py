"""访问对象 on the visit form (issue 14): the customer's key persons are offered as chips, the one met last
time first; a tap writes the name into the field as if typed (kept by autosave), typing still works."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flet as ft

from client.features.visits import view as visit
from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.state import AppState, Screen, VisitForm
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from tests.unit.helpers import Page, Recorder, Runner, pulled, walk

TZ = dt.timezone(dt.timedelta(hours=8))
CHECKED_IN = {"id": "v1", "customer_id": "c1", "visit_type": "day", "check_in_at": "2026-11-27T09:00:00+08:00"}
PEOPLE = [
    {"id": "k1", "customer_id": "c1", "name": "刘药师", "role": "buyer"},
    {"id": "k2", "customer_id": "c1", "name": "王院长", "role": "decision_maker"},
]


def test_the_person_met_last_time_comes_first() -> None:
    visits = [
        {"check_in_at": "2026-11-20T09:00:00+08:00", "person_met": "刘药师"},
        {"check_in_at": "2026-11-25T09:00:00+08:00", "person_met": "王院长"},
    ]
    assert [person["name"] for person in visit.people_to_meet(PEOPLE, visits)] == ["王院长", "刘药师"]
    assert [person["name"] for person in visit.people_to_meet(PEOPLE, [])] == ["刘药师", "王院长"]


def test_a_chip_fills_the_person_met() -> None:
    state = AppState(lang="zh-CN")
    values: dict[str, Any] = {"person_met": ""}
    state.visit = VisitForm(
        visit=CHECKED_IN, customer={"id": "c1", "name": "甲诊所"}, values=values, key_persons=PEOPLE
    )
    actions = Recorder()
    shown = visit.build(state, actions)  # type: ignore[arg-type]
    chips = {node.label: node for node in walk(shown) if isinstance(node, ft.Chip)}
    assert "王院长 · 决策人" in chips and "刘药师 · 采购" in chips, list(chips)
    chips["王院长 · 决策人"].on_click(None)
    assert values["person_met"] == "王院长" and ("typed", ()) in actions.calls
    field = next(node for node in walk(shown) if isinstance(node, ft.TextField) and node.label == "访问对象")
    assert field.value == "王院长"


def test_the_visit_form_loads_the_customers_key_persons(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, StoreCipher(bytes(32)))
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    app = App(Page(), core)  # type: ignore[arg-type]
    app.show(Screen.TODAY)
    shop = pulled(store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active"})
    other = pulled(store, RecordKind.CUSTOMER, {"name": "乙药店", "kind": "pharmacy", "status": "active"})
    pulled(store, RecordKind.KEY_PERSON, {"customer_id": shop, "name": "赵主任", "role": "doctor"})
    pulled(store, RecordKind.KEY_PERSON, {"customer_id": other, "name": "别家的人", "role": "boss"})
    app.actions.start_visit(shop)
    assert [person["name"] for person in app.state.visit.key_persons] == ["赵主任"]
    store.close()
