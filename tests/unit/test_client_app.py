"""The app's handlers for issue #4 over a real local store: what the rep sees after tapping, and that a
refused form stores nothing while a good one says "saved" only after the store returned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from client.services import AppService, OrderLineInput
from client.shell.app import App, ClientCore
from client.shell.state import Screen, VisitPanel
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from tests.unit.helpers import Page, Runner, pulled

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    yield App(Page(), core)  # type: ignore[arg-type]
    store.close()


def checked_in(app: App) -> tuple[str, str]:
    store = app.service.store
    shop = pulled(store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active"})
    product = pulled(store, RecordKind.PRODUCT, {"name": "输液器", "unit": "包", "unit_price": 62.0, "active": True})
    visit = app.service.check_in(shop)
    app.actions.open_visit(str(visit["id"]))
    assert app.state.screen is Screen.VISIT
    return str(visit["id"]), product


def test_a_bad_order_shows_its_problems_in_words_and_stores_nothing(app: App) -> None:
    _, product = checked_in(app)
    app.actions.open_panel("order")
    app.actions.toggle_order_product(product)
    form = app.state.visit
    assert form.panel is VisitPanel.ORDER and form.order.lines == [OrderLineInput(product, "", "62")]  # prefilled
    before = app.service.store.pending_count()
    form.order.lines = [OrderLineInput(product, "两箱", "62")]
    app.actions.take_order()
    assert form.panel_errors == {"quantity.0": "请输入数量"}
    assert app.state.notice is None and app.service.store.pending_count() == before
    assert not app.service.store.all(RecordKind.ORDER)


def test_a_good_order_is_saved_then_said_and_the_visit_form_says_ordered(app: App) -> None:
    visit_id, product = checked_in(app)
    app.actions.open_panel("order")
    app.actions.toggle_order_product(product)
    app.state.visit.order.lines = [OrderLineInput(product, "3", "60.5")]
    app.actions.take_order()
    (order,) = app.service.store.all(RecordKind.ORDER)
    assert order["amount"] == 181.5 and order["visit_id"] == visit_id
    form = app.state.visit
    assert app.state.notice == "订单已保存（待同步），合计 ¥181.5"
    assert form.panel is None and form.order.lines == [] and [o["id"] for o in form.records.orders] == [order["id"]]
    assert form.values["ordered"] is True and form.values["order_amount"] == "181.5"


def test_competitor_report_and_complaint_from_the_visit_screen(app: App) -> None:
    visit_id, _ = checked_in(app)
    app.actions.open_panel("complaint")
    app.actions.record_complaint()
    assert set(app.state.visit.panel_errors) == {"category", "severity", "description"}
    assert app.state.visit.panel_errors["category"] == "请选择投诉类别"
    app.state.visit.complaint.category, app.state.visit.complaint.severity = "price", "low"
    app.state.visit.complaint.description = "比别家贵两块"
    app.actions.record_complaint()
    assert app.state.notice == "投诉已保存（待同步），请尽快答复"
    app.actions.open_panel("competitor")
    app.state.visit.competitor.brand, app.state.visit.competitor.product = "威高", "输液器"
    app.actions.record_competitor()
    assert app.state.notice == "竞品信息已保存（待同步）"
    records = app.service.visit_records(visit_id)
    assert len(records.complaints) == 1 and len(records.competitor_reports) == 1


def test_key_person_added_from_the_card(app: App) -> None:
    store = app.service.store
    shop = pulled(store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active", "tier": "A"})
    app.actions.open_customer(shop)
    app.actions.open_key_person(None)
    app.state.key_person.values.update({"name": "王院长", "birthday": "三月十二"})
    app.actions.save_key_person()
    assert app.state.key_person.errors == {
        "role": "请选择角色",
        "birthday": "请输入日期，例如 1978-03-12",
    }
    assert store.pending_count() == 0
    app.state.key_person.values.update({"role": "boss", "birthday": "1978-03-12"})
    app.actions.save_key_person()
    assert app.state.notice == "已保存（待同步）" and not app.state.key_person.open
    assert app.state.customer is not None and app.state.customer.key_persons[0]["name"] == "王院长"
    app.actions.go_today()
    assert app.state.care is not None and [item.customer["name"] for item in app.state.care.overdue] == ["甲诊所"]
