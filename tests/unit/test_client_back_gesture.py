"""The system back gesture (client/shell/back.py): Android's back goes to the previous screen of the shell's
history, asks first when the form holds unsaved typing (the 返回 button's question), and leaves the app only
from Today."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flet as ft

from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.back import BrowserBack, SystemBack
from client.shell.state import Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind
from tests.unit.helpers import Page, Runner, pulled

TZ = dt.timezone(dt.timedelta(hours=8))


class RootView(ft.View):
    """The page's root view, recording the app's answers to Flutter instead of sending them."""

    answers: list[bool]

    async def confirm_pop(self, should_pop: bool) -> None:
        self.answers.append(should_pop)


def open_app(folder: Path) -> tuple[App, RootView]:
    store = LocalStore(folder, StoreCipher(bytes(32)))
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    app = App(Page(), core)  # type: ignore[arg-type]
    view = RootView()
    view.answers = []
    app.system_back = SystemBack(view, app.back_gesture)  # what mount() does with page.views[0]
    app.show(Screen.TODAY)
    return app, view


def swipe_back(view: RootView) -> None:
    """What Flet does on a back gesture when the root view's `can_pop` is False: the view's on_confirm_pop."""
    assert view.can_pop is False, "a back gesture would have closed the app"
    handler: Any = view.on_confirm_pop
    asyncio.run(handler(SimpleNamespace(name="confirm_pop")))


def test_back_walks_the_history_and_leaves_the_app_only_from_today(tmp_path: Path) -> None:
    app, view = open_app(tmp_path)
    assert view.can_pop is True  # Today: back leaves the app, as on any Android app
    shop = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active"})
    app.actions.open_customer(shop)
    app.actions.open_search()
    assert app.state.screen is Screen.SEARCH and view.can_pop is False

    swipe_back(view)
    assert app.state.screen is Screen.CUSTOMER and app.state.customer_id == shop
    swipe_back(view)
    assert app.state.screen is Screen.TODAY and view.can_pop is True
    assert view.answers == [False, False]  # each gesture answered: handled in the app, the view stays
    app.service.store.close()


def test_back_from_unsaved_typing_asks_and_a_second_back_keeps_the_typing(tmp_path: Path) -> None:
    app, view = open_app(tmp_path)
    shop = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "乙药店", "kind": "pharmacy", "status": "active"})
    visit = app.service.check_in(shop)
    app.actions.open_visit(str(visit["id"]))
    app.state.visit.values["person_met"] = "刘药师"
    app.actions.typed()

    swipe_back(view)
    assert app.state.screen is Screen.VISIT and app.state.confirm_leave  # 继续编辑 / 放弃修改 asked
    swipe_back(view)  # back again while asked: 继续编辑, never a silent discard
    assert app.state.screen is Screen.VISIT and not app.state.confirm_leave
    assert app.state.visit.values["person_met"] == "刘药师"

    swipe_back(view)
    app.actions.discard_changes()  # the rep chose 放弃修改
    assert app.state.screen is Screen.TODAY and view.can_pop is True
    app.service.store.close()


def test_back_does_nothing_under_the_pin_screen(tmp_path: Path) -> None:
    app, view = open_app(tmp_path)
    shop = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "丙诊所", "kind": "clinic", "status": "active"})
    app.actions.open_customer(shop)
    app.frame = ft.Text("the app")  # mounted, then covered: the page shows the PIN screen, not the app
    app.page.controls = [ft.Text("PIN")]
    swipe_back(view)
    assert app.state.screen is Screen.CUSTOMER
    app.service.store.close()


class BrowserPage(Page):
    """A Flet web page whose browser history is a list: the app's pushes go on top, back pops the top."""

    def __init__(self) -> None:
        super().__init__()
        self.history = ["/"]
        self.on_route_change: Any = None

    async def push_route(self, route: str) -> None: ...

    def run_task(self, handler: Any, route: str) -> None:
        assert handler == self.push_route
        self.history.append(route)
        self.on_route_change(SimpleNamespace(route=route))  # Flet reports the app's own push too

    def browser_back(self) -> None:
        self.history.pop()
        self.on_route_change(SimpleNamespace(route=self.history[-1]))


def test_the_browsers_back_button_walks_the_history_and_leaves_from_today(tmp_path: Path) -> None:
    app, _ = open_app(tmp_path)
    page = BrowserPage()
    app.page = page  # type: ignore[assignment]
    app.browser_back = BrowserBack(page, app.back_gesture)  # what mount() does in a browser
    app.render()
    assert page.history == ["/"]  # Today: nothing to go back to inside the app
    shop = pulled(app.service.store, RecordKind.CUSTOMER, {"name": "丁诊所", "kind": "clinic", "status": "active"})
    app.actions.open_customer(shop)
    app.actions.open_search()
    assert page.history == ["/", "/in-app/1"]  # one guard entry, however deep the app goes

    page.browser_back()
    assert app.state.screen is Screen.CUSTOMER and app.state.customer_id == shop
    assert page.history == ["/", "/in-app/2"]  # back stays inside the app: the guard is up again
    page.browser_back()
    assert app.state.screen is Screen.TODAY and page.history == ["/"]  # the next back leaves the page
    app.service.store.close()
