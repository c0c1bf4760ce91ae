"""The visit for one thumb (issue 14): after 签退 the visit's summary sits on top with 下一站, which opens
today's next unvisited stop in route order; on the route's last stop it leads back to Today."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.state import Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind, VisitFlag, VisitType
from shared.ids import new_id
from shared.visit_rules import VisitFlagRules
from tests.unit.helpers import Page, Runner, pulled

TZ = dt.timezone(dt.timedelta(hours=8))
USER = {"id": new_id(), "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"}


class InlinePage(Page):
    """Runs the app's background steps (locating, loop hand-offs) at once, in order."""

    def run_thread(self, function: Callable[[], None]) -> None:
        function()

    def run_task(self, job: Callable[[], Any]) -> None:
        coroutine = job()
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the app's hand-off to its loop: run it now
            asyncio.run(coroutine)
            return
        coroutine.close()  # a step asked for from inside one (scrolling a control not on a page): nothing to do


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    store.set_meta(user=USER)
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    application = App(InlinePage(), core)  # type: ignore[arg-type]
    application.locator = lambda timeout: None  # no GPS here: visits go on without a position
    yield application
    store.close()


def route(app: App, *names: str) -> list[str]:
    store = app.service.store
    ids = [pulled(store, RecordKind.CUSTOMER, {"name": name, "kind": "clinic", "status": "active"}) for name in names]
    pulled(store, RecordKind.ROUTE_PLAN, {"rep_id": USER["id"], "day": "2026-11-27", "customer_ids": ids})
    return ids


def visit_and_check_out(app: App, customer_id: str) -> None:
    app.show(Screen.TODAY)
    app.actions.open_customer(customer_id)
    app.actions.start_visit(customer_id)
    app.actions.check_in()
    assert app.state.visit.visit is not None
    app.state.visit.values["person_met"] = "王院长"
    app.actions.check_out()


def test_after_check_out_the_summary_leads_to_the_next_unvisited_stop(app: App) -> None:
    first, second, third = route(app, "甲诊所", "乙药店", "丙卫生室")
    visit_and_check_out(app, second)  # off the route's order: the next one is still the first unvisited
    form = app.state.visit
    assert form.finished and form.visit is not None and form.visit.get("check_out_at")
    assert form.next_stop is not None and form.next_stop["id"] == first

    app.actions.go_next_stop()
    assert app.state.screen is Screen.CUSTOMER and app.state.customer_id == first
    assert app.state.history == [(Screen.TODAY, None)]  # back goes to Today
    app.actions.go_back()
    assert app.state.screen is Screen.TODAY
    assert third  # the route's last stop comes after the first


def test_on_the_last_stop_the_next_action_is_back_to_today(app: App) -> None:
    (only,) = route(app, "甲诊所")
    visit_and_check_out(app, only)
    assert app.state.visit.finished and app.state.visit.next_stop is None
    app.actions.go_next_stop()
    assert app.state.screen is Screen.TODAY and not app.state.history


def test_before_check_out_the_rep_is_told_what_the_visit_will_be_flagged_for(app: App) -> None:
    (only,) = route(app, "甲诊所")
    app.service.keep_company("Asia/Shanghai", VisitFlagRules().as_dict())  # 5 minutes at least, 0 for a call
    app.show(Screen.TODAY)
    app.actions.start_visit(only)
    app.actions.check_in()  # no GPS here: no location, and 0 minutes so far
    app.render()
    assert set(app.state.visit.expected_flags) == {VisitFlag.NO_LOCATION, VisitFlag.TOO_SHORT}
    assert app.state.visit.expected_flags[VisitFlag.TOO_SHORT]["limit_minutes"] == 5

    no_minimum = {visit_type.value: 0 for visit_type in VisitType}
    app.service.keep_company("Asia/Shanghai", VisitFlagRules(min_minutes=no_minimum).as_dict())  # the server says
    app.render()
    assert set(app.state.visit.expected_flags) == {VisitFlag.NO_LOCATION}
    app.actions.check_out()
    assert app.state.visit.finished and set(app.state.visit.expected_flags) == {VisitFlag.NO_LOCATION}


def test_the_company_rules_travel_as_plain_values_and_fall_back_to_the_defaults() -> None:
    rules = VisitFlagRules(radius_m=300.0, min_minutes={"day": 7}, work_start=dt.time(7, 30))
    assert VisitFlagRules.from_dict(rules.as_dict()) == rules
    assert VisitFlagRules.from_dict(None) == VisitFlagRules()
    assert VisitFlagRules.from_dict({"radius_m": "far"}) == VisitFlagRules()
