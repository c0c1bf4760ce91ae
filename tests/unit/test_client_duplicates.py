"""查重 on the phone (client/features/customers/duplicates.py): a new prospect that looks like a local
customer is not saved at once; the rep sees the candidates and chooses 打开该客户 or 仍然新建."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import flet as ft
import pytest

from client.features.customers import prospect_view
from client.features.customers.duplicates import find_duplicates
from client.location import Location
from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.autosave import FORM_DRAFT
from client.shell.state import ProspectForm, Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from tests.unit.helpers import Page, Recorder, Runner, pulled

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    service = AppService(store, clock=lambda: dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    yield App(Page(), core)  # type: ignore[arg-type]
    store.close()


def wang_zhuang(app: App) -> str:
    return pulled(
        app.service.store,
        RecordKind.CUSTOMER,
        {
            "name": "王庄村卫生室",
            "kind": "village_clinic",
            "status": "active",
            "address": "河北省保定市望都县寺庄乡王庄村",
            "lat": 38.6676,
            "lng": 115.08,
        },
    )


def typed_prospect(app: App, name: str, address: str = "") -> ProspectForm:
    app.actions.open_prospect()
    form = app.state.prospect
    form.name, form.kind, form.address = name, "village_clinic", address
    app.actions.typed()
    return form


def texts(control: ft.Control) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        for attribute in ("value", "content", "text"):
            value = getattr(node, attribute, None)
            if isinstance(value, str):
                found.append(value)
        for attribute in ("controls", "content"):
            child = getattr(node, attribute, None)
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, ft.Control):
                    walk(item)

    walk(control)
    return found


def test_a_prospect_like_a_local_customer_is_held_and_the_candidates_shown(app: App) -> None:
    existing = wang_zhuang(app)
    form = typed_prospect(app, "寺庄乡王庄卫生室", "望都县寺庄乡王庄村")
    app.actions.save_prospect()
    assert app.state.screen is Screen.PROSPECT
    assert [candidate.customer_id for candidate in form.duplicates] == [existing]
    assert form.duplicates[0].reasons.startswith("同名")
    assert len(app.service.store.all(RecordKind.CUSTOMER)) == 1  # nothing saved yet
    shown = texts(prospect_view.build(app.state, Recorder()))  # type: ignore[arg-type]
    assert "可能与以下客户重复：" in shown and "王庄村卫生室" in shown
    assert "打开该客户" in shown and "仍然新建" in shown


def test_a_name_typed_by_its_sound_is_caught_offline(app: App) -> None:
    """慧民诊所 typed for the village's 惠民诊所 (the input method offered both): no shared piece of the name
    is needed, the phone's own pinyin table (shared/pinyin_table.py) says they sound the same."""
    existing = pulled(
        app.service.store,
        RecordKind.CUSTOMER,
        {"name": "惠民诊所", "kind": "clinic", "status": "active", "address": "望都县赵庄乡赵庄村"},
    )
    form = typed_prospect(app, "会敏诊所", "赵庄乡赵庄村")
    app.actions.save_prospect()
    assert app.state.screen is Screen.PROSPECT
    assert [candidate.customer_id for candidate in form.duplicates] == [existing]
    assert form.duplicates[0].reasons == "同音、同在赵庄村"
    assert len(app.service.store.all(RecordKind.CUSTOMER)) == 1  # nothing saved yet


def test_create_anyway_saves_the_prospect_as_typed(app: App) -> None:
    wang_zhuang(app)
    typed_prospect(app, "王庄卫生室")
    app.actions.save_prospect()
    app.actions.create_anyway()
    assert app.state.screen is Screen.CUSTOMER
    names = sorted(customer["name"] for customer in app.service.store.all(RecordKind.CUSTOMER))
    assert names == ["王庄卫生室", "王庄村卫生室"]
    assert app.service.store.pending_count() == 1


def test_a_changed_name_after_create_anyway_is_checked_again(app: App) -> None:
    wang_zhuang(app)
    form = typed_prospect(app, "王庄卫生室")
    app.actions.save_prospect()
    form.create_anyway_for = "something else typed before"
    app.actions.save_prospect()
    assert app.state.screen is Screen.PROSPECT and form.duplicates


def test_open_that_customer_leaves_the_prospect_and_its_kept_draft(app: App) -> None:
    existing = wang_zhuang(app)
    typed_prospect(app, "王庄卫生室")
    app._keep_form_draft()  # the autosave ran: the typing is in the store
    assert app.service.store.get_meta(FORM_DRAFT) is not None
    app.actions.save_prospect()
    app.actions.open_duplicate(existing)
    assert app.state.screen is Screen.CUSTOMER and app.state.customer_id == existing
    assert app.service.store.get_meta(FORM_DRAFT) is None
    assert len(app.service.store.all(RecordKind.CUSTOMER)) == 1


def test_an_unlike_prospect_is_saved_at_once(app: App) -> None:
    wang_zhuang(app)
    typed_prospect(app, "小王庄村卫生室", "黑堡乡小王庄村")
    app.actions.save_prospect()
    assert app.state.screen is Screen.CUSTOMER
    assert len(app.service.store.all(RecordKind.CUSTOMER)) == 2


def test_the_distance_from_the_phone_is_shown_when_known(app: App) -> None:
    wang_zhuang(app)
    form = ProspectForm(name="王庄卫生室")
    (candidate,) = find_duplicates(
        app.service.store.all(RecordKind.CUSTOMER), form, Location(38.6676, 115.081), "zh-CN"
    )
    assert candidate.distance == "距您 87 m"


def test_two_thousand_local_customers_are_checked_fast(app: App) -> None:
    customers = [
        {"id": f"c{i}", "name": f"第{i}号诊所", "address": f"望都县某乡{i}村", "phone": f"1390312{i:04d}"}
        for i in range(2000)
    ]
    customers.append({"id": "x", "name": "仁和堂大药房", "address": "望都镇大街12号"})
    form = ProspectForm(name="城关仁和堂药店", address="望都县望都镇大街 12 号")
    started = time.perf_counter()
    found = find_duplicates(customers, form, None, "zh-CN")
    elapsed = time.perf_counter() - started
    assert [candidate.customer_id for candidate in found] == ["x"]
    assert elapsed < 0.5, elapsed
