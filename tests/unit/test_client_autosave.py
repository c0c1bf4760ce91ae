"""Nothing typed is lost (client/shell/autosave.py): the form being typed is kept in the store, opens again
with the same text after the app is killed, and going back from it asks first."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.autosave import FORM_DRAFT, Debouncer, FormDraft, draft_of
from client.shell.state import Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from tests.unit.helpers import Page, Runner, pulled

TZ = dt.timezone(dt.timedelta(hours=8))
KEY = bytes(32)


def open_app(folder: Path) -> App:
    store = LocalStore(folder, StoreCipher(KEY))
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    return App(Page(), core)  # type: ignore[arg-type]


def restart(app: App, folder: Path) -> App:
    """The app killed and started again on the same data: only what the store kept comes back."""
    app.service.store.close()
    again = open_app(folder)
    kept = FormDraft.from_meta(again.service.store.get_meta(FORM_DRAFT))
    again.show(Screen.TODAY)
    if kept is not None:
        again._restore_form_draft(kept)
    return again


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "phone"


def checked_in_visit(app: App) -> str:
    shop = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active"})
    visit = app.service.check_in(shop)
    app.show(Screen.TODAY)
    app.actions.open_visit(str(visit["id"]))
    return str(visit["id"])


def test_typing_on_a_visit_is_kept_and_opens_again_after_a_kill(folder: Path) -> None:
    app = open_app(folder)
    visit_id = checked_in_visit(app)
    app.state.visit.values.update({"person_met": "王院长", "notes": "下周送样品"})
    app.actions.typed()
    app._keep_form_draft()  # what the debounce does a moment after the last keystroke

    again = restart(app, folder)
    assert again.state.screen is Screen.VISIT and again.state.visit.visit is not None
    assert str(again.state.visit.visit["id"]) == visit_id
    assert again.state.visit.values["person_met"] == "王院长" and again.state.visit.values["notes"] == "下周送样品"
    again.service.store.close()


def test_a_note_and_a_new_prospect_being_typed_come_back_too(folder: Path) -> None:
    app = open_app(folder)
    shop = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "乙药店", "kind": "pharmacy", "status": "active"})
    app.actions.open_customer(shop)
    app.state.note_draft = "老板下周回村"
    app.actions.typed()
    app._keep_form_draft()
    app = restart(app, folder)
    assert app.state.screen is Screen.CUSTOMER and app.state.customer_id == shop
    assert app.state.note_draft == "老板下周回村"

    app.actions.open_prospect()
    app.state.prospect.name, app.state.prospect.phone = "惠民大药房", "0312-7721234"
    app.actions.typed()
    app._keep_form_draft()
    app = restart(app, folder)
    assert app.state.screen is Screen.PROSPECT
    assert (app.state.prospect.name, app.state.prospect.phone) == ("惠民大药房", "0312-7721234")
    app.service.store.close()


def test_going_back_from_unsaved_typing_asks_first(folder: Path) -> None:
    app = open_app(folder)
    checked_in_visit(app)
    app.actions.go_back()  # nothing typed: no question
    assert app.state.screen is Screen.TODAY

    app.actions.open_visit(str(app.service.store.all(RecordKind.VISIT)[0]["id"]))
    app.state.visit.values["person_met"] = "刘药师"
    app.actions.typed()
    app._keep_form_draft()
    app.actions.go_back()
    assert app.state.screen is Screen.VISIT and app.state.confirm_leave  # asked, still on the form
    app.actions.keep_editing()
    assert app.state.screen is Screen.VISIT and not app.state.confirm_leave
    assert app.state.visit.values["person_met"] == "刘药师"

    app.actions.go_back()
    app.actions.discard_changes()
    assert app.state.screen is Screen.TODAY
    assert app.service.store.get_meta(FORM_DRAFT) is None  # thrown away knowingly
    app.service.store.close()


def test_a_saved_form_is_clean_and_says_saved_until_typed_again(folder: Path) -> None:
    app = open_app(folder)
    checked_in_visit(app)
    app.state.visit.values["person_met"] = "赵主任"
    app.actions.typed()
    app._keep_form_draft()
    app.actions.save_visit()
    assert app.state.notice == "已保存（待同步）"
    assert app.service.store.get_meta(FORM_DRAFT) is None  # the record holds it now
    app.actions.go_back()
    assert app.state.screen is Screen.TODAY and not app.state.confirm_leave

    app.actions.open_visit(str(app.service.store.all(RecordKind.VISIT)[0]["id"]))
    app.state.notice = "已保存（待同步）"
    app.actions.typed()  # a change event arriving late, with the value saved: still saved
    assert app.state.notice == "已保存（待同步）"
    app.state.visit.values["person_met"] = "赵主任（院长）"
    app.actions.typed()
    assert app.state.notice is None  # "saved" no longer holds for what is on screen
    app.service.store.close()


def test_leaving_for_another_form_drops_the_old_draft(folder: Path) -> None:
    app = open_app(folder)
    checked_in_visit(app)
    app.state.visit.values["purpose"] = "送资料"
    app._keep_form_draft()
    assert FormDraft.from_meta(app.service.store.get_meta(FORM_DRAFT)) == draft_of(app.state)
    app.actions.go_back()
    app.actions.discard_changes()
    app.actions.open_prospect()
    assert app.service.store.get_meta(FORM_DRAFT) is None
    app.service.store.close()


def test_the_debouncer_calls_once_after_the_last_touch() -> None:
    calls: list[int] = []
    done = threading.Event()
    debouncer = Debouncer(lambda: (calls.append(1), done.set()), delay=0.05)
    for _ in range(10):
        debouncer.touch()
    assert done.wait(2)
    assert calls == [1]
    debouncer.touch()
    debouncer.cancel()
    assert calls == [1]


def test_a_stored_draft_that_is_not_one_is_ignored() -> None:
    assert FormDraft.from_meta(None) is None
    assert FormDraft.from_meta({"screen": "visit"}) is None
    assert FormDraft.from_meta({"values": {}}) is None
    draft = FormDraft("visit", None, {"person_met": "王"}, "c1")
    assert FormDraft.from_meta(draft.as_meta()) == draft
