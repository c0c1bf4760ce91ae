"""签到 takes a position found ahead (the device is asked when the visit form opens) while it is fresh enough: at
most `FRESH_FIX_S` old on the injected clock and within the company's accuracy limit; otherwise it asks the
device as before, with its short limit, and takes whichever answer comes first (docs/visits.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from client.location import AHEAD_TIMEOUT, FRESH_FIX_S, LOCATE_TIMEOUT, Location, RecentFix
from client.services import AppService
from client.shell.app import App, ClientCore
from client.shell.state import Screen
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from shared.enums import RecordKind, VisitType
from shared.ids import new_id
from shared.visit_rules import VisitFlagRules
from tests.unit.helpers import Page, Runner, pulled

TZ = dt.timezone(dt.timedelta(hours=8))
USER = {"id": new_id(), "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"}
WANGDU = Location(38.71, 115.15, 15.0)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- RecentFix alone -------------------------------------------------------------------------


def test_a_fix_is_fresh_for_two_minutes_then_not() -> None:
    clock = Clock()
    fixes = RecentFix(clock)
    assert fixes.fresh(200) is None  # nothing found yet
    fixes.remember(WANGDU)
    assert fixes.fresh(200) == WANGDU
    clock.now += FRESH_FIX_S
    assert fixes.fresh(200) == WANGDU  # exactly the limit still counts
    clock.now += 0.5
    assert fixes.fresh(200) is None
    fixes.remember(Location(38.72, 115.16, 20.0))  # a new one starts its own two minutes
    assert fixes.fresh(200) == Location(38.72, 115.16, 20.0)


def test_an_imprecise_or_unsure_or_unusable_fix_is_not_taken() -> None:
    clock = Clock()
    fixes = RecentFix(clock)
    fixes.remember(Location(38.71, 115.15, 350.0))
    assert fixes.fresh(200) is None  # beyond the company's accuracy limit: ask again at 签到
    assert fixes.fresh(500) == Location(38.71, 115.15, 350.0)  # a company with a wider limit takes it
    fixes.remember(Location(38.71, 115.15, None))
    assert fixes.fresh(200) is None  # it does not say how accurate it is
    fixes.remember(WANGDU)
    fixes.remember(None)  # the device found nothing: the last position stays, ageing
    fixes.remember(Location(91.0, 0.0, 5.0))  # not a position
    assert fixes.fresh(200) == WANGDU
    clock.now -= 1  # a clock that went back: not trusted
    assert fixes.fresh(200) is None
    clock.now += 1
    fixes.forget()
    assert fixes.fresh(200) is None


# ---- the app: asked when the form opens, taken at 签到 ------------------------------------------


class DevicePage(Page):
    """Background work waits until the test runs it (`run_threads`); hand-offs to the loop run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[Callable[[], None]] = []

    def run_thread(self, function: Callable[[], None]) -> None:
        self.threads.append(function)

    def run_task(self, job: Callable[[], Any]) -> None:
        coroutine = job()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coroutine)
            return
        coroutine.close()

    def run_threads(self) -> None:
        threads, self.threads = self.threads, []
        for function in threads:
            function()


class Device:
    """The device's GPS: each ask is recorded with its limit and answered with `answer`."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.answer: Location | None = WANGDU

    def __call__(self, timeout: float) -> Location | None:
        self.asked.append(timeout)
        return self.answer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def device() -> Device:
    return Device()


@pytest.fixture
def app(tmp_path: Path, clock: Clock, device: Device) -> Iterator[App]:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    store.set_meta(user=USER)
    service = AppService(store, clock=lambda: dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    core = ClientCore(SimpleNamespace(lang="zh-CN"), store, service, Runner())  # type: ignore[arg-type]
    application = App(DevicePage(), core)  # type: ignore[arg-type]
    application.locator = device
    application.fixes = RecentFix(clock)
    yield application
    store.close()


def page_of(app: App) -> DevicePage:
    page = app.page
    assert isinstance(page, DevicePage)
    return page


def a_customer(app: App) -> str:
    return pulled(app.service.store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active"})


def checked_in(app: App) -> dict[str, Any]:
    visit = app.state.visit.visit
    assert visit is not None, "not checked in"
    return visit


def test_the_position_found_when_the_form_opened_is_taken_at_check_in_without_asking_again(
    app: App, device: Device, clock: Clock
) -> None:
    customer = a_customer(app)
    app.actions.start_visit(customer)
    assert app.state.screen is Screen.VISIT
    page_of(app).run_threads()  # the device answers the ask made when the form opened
    assert device.asked == [AHEAD_TIMEOUT]
    assert app.state.visit.located == WANGDU  # said under the form: 已取得位置（±15 米）
    app.actions.go_back()
    app.actions.start_visit(customer)  # the form opened again a moment later: said at once, not asked again
    assert app.state.visit.located == WANGDU and not page_of(app).threads
    clock.now += FRESH_FIX_S - 1
    app.actions.check_in()
    visit = checked_in(app)  # at once: nothing was waited for
    assert not app.locating and not page_of(app).threads and device.asked == [AHEAD_TIMEOUT]
    assert (visit["check_in_lat"], visit["check_in_lng"], visit["check_in_accuracy"]) == (38.71, 115.15, 15.0)


def test_a_stale_fix_is_not_taken_the_device_is_asked_again_with_the_check_in_limit(
    app: App, device: Device, clock: Clock
) -> None:
    customer = a_customer(app)
    app.actions.start_visit(customer)
    page_of(app).run_threads()
    clock.now += FRESH_FIX_S + 1  # the rep stood at the door for more than two minutes
    device.answer = Location(38.7105, 115.1502, 8.0)
    app.actions.check_in()
    assert app.locating and app.state.visit.visit is None  # waits for the device, as without a fix
    page_of(app).run_threads()
    assert device.asked == [AHEAD_TIMEOUT, LOCATE_TIMEOUT]
    visit = checked_in(app)
    assert (visit["check_in_lat"], visit["check_in_accuracy"]) == (38.7105, 8.0) and not app.locating


def test_a_fix_beyond_the_company_accuracy_limit_is_not_taken(app: App, device: Device) -> None:
    app.service.keep_company("Asia/Shanghai", VisitFlagRules(accuracy_m=10.0).as_dict())
    customer = a_customer(app)
    app.actions.start_visit(customer)
    page_of(app).run_threads()
    assert app.state.visit.located is None  # ±15 m is not good enough for this company
    device.answer = None  # and at 签到 the device finds nothing: saved without a position, as before
    app.actions.check_in()
    page_of(app).run_threads()
    assert device.asked == [AHEAD_TIMEOUT, LOCATE_TIMEOUT]
    visit = checked_in(app)
    assert visit.get("check_in_lat") is None


def test_the_ask_made_ahead_completes_a_check_in_that_is_waiting(app: App, device: Device) -> None:
    customer = a_customer(app)
    app.actions.start_visit(customer)
    ahead = page_of(app).threads.pop()  # the device has not answered the ask made when the form opened
    app.actions.check_in()
    assert app.locating
    ahead()  # ... it answers first
    visit = checked_in(app)
    assert visit["check_in_lat"] == 38.71 and not app.locating
    device.answer = Location(0.0, 0.0, 5.0)
    page_of(app).run_threads()  # the check-in's own ask answers later: ignored, the visit is not saved twice
    assert checked_in(app)["check_in_lat"] == 38.71
    assert app.service.store.find(RecordKind.VISIT, customer_id=customer) == [checked_in(app)]


def test_a_call_asks_nothing_and_one_ask_at_a_time(app: App, device: Device) -> None:
    customer = a_customer(app)
    app.actions.start_visit(customer)
    app.actions.choose_visit_type(VisitType.DAY.value)  # an ask is already under way: not a second one
    assert len(page_of(app).threads) == 1
    app.actions.choose_visit_type(VisitType.PHONE.value)
    page_of(app).run_threads()
    app.actions.check_in()  # a call: no position, even with one at hand
    visit = checked_in(app)
    assert visit.get("check_in_lat") is None and device.asked == [AHEAD_TIMEOUT]
