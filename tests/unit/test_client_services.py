"""The app service over a real local store: sign-in, today's route, visits, notes, prospects."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from client.config import default_data_dir, parse_args
from client.services import (
    AppService,
    Location,
    SignInFailed,
    SignInProblem,
    StopStatus,
    locate,
    visit_duration_minutes,
)
from client.store import InvalidRecord, LocalStore
from shared.enums import CustomerKind, RecordKind, VisitType
from shared.ids import new_id
from shared.records import SCHEMAS
from sync.protocol import Change

TZ = dt.timezone(dt.timedelta(hours=8))
USER = {"id": new_id(), "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    opened = LocalStore(tmp_path / "phone")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def login_transport(status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/auth/login"
        body = json.loads(request.content)
        if status != 200 or body["password"] != "demo1234":
            return httpx.Response(status if status != 200 else 401, json={"error": {"code": "x", "message": "no"}})
        return httpx.Response(200, json={"token": "tok", "user": USER})

    return httpx.MockTransport(handle)


def make_service(store: LocalStore, clock: Clock, transport: httpx.BaseTransport | None = None) -> AppService:
    return AppService(store, default_server_url="http://server", clock=clock, transport=transport)


def pulled(store: LocalStore, kind: RecordKind, data: dict[str, object]) -> str:
    record_id = new_id()
    seq = store.pull_cursor() + 1
    store.apply_pull_page([Change(seq, kind, record_id, False, data)], seq)
    return record_id


def customer(store: LocalStore, name: str) -> str:
    return pulled(store, RecordKind.CUSTOMER, {"name": name, "kind": "clinic", "status": "active", "address": "南关村"})


def test_sign_in_keeps_token_and_user_durably(tmp_path: Path, clock: Clock) -> None:
    store = LocalStore(tmp_path / "phone")
    service = make_service(store, clock, login_transport())
    assert not service.signed_in()
    assert service.sign_in("http://server/", "li.rep", "demo1234")["id"] == USER["id"]
    store.close()
    reopened = LocalStore(tmp_path / "phone")
    again = make_service(reopened, clock)
    assert again.signed_in() and again.token == "tok" and again.server_url == "http://server"
    again.forget_token()
    assert not again.signed_in() and again.user == USER  # the user stays for the next sign-in
    reopened.close()


@pytest.mark.parametrize(
    ("transport", "password", "problem"),
    [
        (login_transport(), "wrong", SignInProblem.BAD_CREDENTIALS),
        (login_transport(503), "demo1234", SignInProblem.UNREACHABLE),
        (login_transport(403), "demo1234", SignInProblem.REFUSED),
    ],
)
def test_sign_in_failures_are_told_apart(
    store: LocalStore, clock: Clock, transport: httpx.MockTransport, password: str, problem: SignInProblem
) -> None:
    with pytest.raises(SignInFailed) as failure:
        make_service(store, clock, transport).sign_in("http://server", "li.rep", password)
    assert failure.value.problem is problem


def test_sign_in_to_an_unreachable_server(store: LocalStore, clock: Clock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(SignInFailed) as failure:
        make_service(store, clock, httpx.MockTransport(refuse)).sign_in("http://server", "li.rep", "demo1234")
    assert failure.value.problem is SignInProblem.UNREACHABLE


def test_today_lists_the_plan_in_order_with_statuses_and_off_route_visits(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock, login_transport())
    service.sign_in("http://server", "li.rep", "demo1234")
    first, second, third, other = (customer(store, name) for name in ("甲诊所", "乙药店", "丙卫生室", "丁商店"))
    pulled(
        store,
        RecordKind.ROUTE_PLAN,
        {"rep_id": USER["id"], "day": "2026-11-27", "customer_ids": [third, first, second]},
    )
    pulled(store, RecordKind.ROUTE_PLAN, {"rep_id": USER["id"], "day": "2026-11-26", "customer_ids": [other]})

    visit = service.check_in(first)
    assert visit["planned"] is True and visit["check_in_at"] == "2026-11-27T09:00:00+08:00"
    ordered = service.check_in(second)
    service.save_visit(ordered["id"], {"ordered": True, "order_amount": 1500.0})
    off = service.check_in(other)
    assert off["planned"] is False

    route = service.today()
    assert [stop.customer_id for stop in route.stops] == [third, first, second]
    assert [stop.status for stop in route.stops] == [StopStatus.NOT_VISITED, StopStatus.VISITED, StopStatus.ORDERED]
    assert [stop.customer_id for stop in route.off_route] == [other]
    assert (route.visited, route.ordered) == (2, 1)
    assert store.pending_count() == 4  # three check-ins and one save, all waiting for the server


def test_yesterdays_visits_do_not_count_today(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    first = customer(store, "甲诊所")
    pulled(store, RecordKind.ROUTE_PLAN, {"day": "2026-11-27", "customer_ids": [first]})
    clock.now -= dt.timedelta(days=1)
    service.check_in(first)
    clock.now += dt.timedelta(days=1)
    assert service.today().stops[0].status is StopStatus.NOT_VISITED


def test_a_visit_checks_in_saves_the_form_and_checks_out_with_its_duration(store: LocalStore, clock: Clock) -> None:
    saves = []
    service = make_service(store, clock)
    service.on_saved = lambda: saves.append(1)
    first = customer(store, "甲诊所")
    assert service.default_visit_type(first) is VisitType.FIRST
    visit = service.check_in(first, VisitType.EARLY)
    assert service.open_visit(first)["id"] == visit["id"]  # type: ignore[index]
    form = {"person_met": "王医生", "purpose": "介绍新品", "attitude": "positive", "ordered": True}
    service.save_visit(visit["id"], {**form, "order_amount": 800.0, "next_visit_date": "2026-12-01"})
    clock.now += dt.timedelta(minutes=25)
    done = service.check_out(visit["id"], {"notes": "下周送样品"})
    assert done["check_out_at"] == "2026-11-27T09:25:00+08:00"
    assert visit_duration_minutes(done) == 25
    assert set(done) - {"id"} <= set(SCHEMAS[RecordKind.VISIT])
    assert done["visit_type"] == "early" and done["person_met"] == "王医生" and done["order_amount"] == 800.0
    assert service.open_visit(first) is None
    assert service.default_visit_type(first) is VisitType.SECOND
    assert len(saves) == 3
    with pytest.raises(InvalidRecord):
        service.save_visit(visit["id"], {"attitude": "grumpy"})


def test_the_devices_position_is_stored_at_check_in_and_check_out(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    first = customer(store, "甲诊所")
    asked: list[float] = []

    def gps(timeout: float) -> Location:
        asked.append(timeout)
        return Location(38.71, 115.15, 12.5)

    visit = service.check_in(first, location=locate(gps, timeout=2.0))
    assert (visit["check_in_lat"], visit["check_in_lng"], visit["check_in_accuracy"]) == (38.71, 115.15, 12.5)
    assert asked == [2.0]  # the provider is told how long it may take
    clock.now += dt.timedelta(minutes=20)
    done = service.check_out(visit["id"], {"person_met": "王医生"}, locate(lambda timeout: Location(38.712, 115.151)))
    assert (done["check_out_lat"], done["check_out_lng"]) == (38.712, 115.151)
    assert done["check_in_lat"] == 38.71 and done["person_met"] == "王医生"
    pushed = store.pending_ops(10)
    assert pushed[0].fields["check_in_lat"] == 38.71 and pushed[0].fields["check_in_accuracy"] == 12.5
    assert pushed[1].fields["check_out_lng"] == 115.151


def test_check_in_goes_on_without_a_position_when_the_device_gives_none(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    first, second = customer(store, "甲诊所"), customer(store, "乙药店")

    def denied(timeout: float) -> Location:
        raise PermissionError("Location permission denied: User denied Geolocation.")

    released = threading.Event()

    def hangs(timeout: float) -> Location:
        released.wait(30)  # a GPS that never answers
        return Location(38.71, 115.15)

    assert locate(None) is None
    assert locate(lambda timeout: None) is None
    assert locate(denied) is None
    try:
        started = time.monotonic()
        assert locate(hangs, timeout=0.2) is None
        assert time.monotonic() - started < 1.0  # the visit is not held up by the hung provider

        visit = service.check_in(first, location=locate(denied))
        assert visit["check_in_at"] == "2026-11-27T09:00:00+08:00"
        assert not {"check_in_lat", "check_in_lng", "check_in_accuracy"} & set(visit)
        done = service.check_out(visit["id"], {}, locate(hangs, timeout=0.05))
        assert done["check_out_at"] and "check_out_lat" not in done
        assert store.pending_count() == 2  # both saved, waiting for the server
    finally:
        released.set()

    # A position the record cannot hold is dropped, not a reason to refuse the visit.
    assert locate(lambda timeout: Location(math.nan, 115.15)) is None
    assert locate(lambda timeout: Location(91.0, 115.15)) is None
    assert locate(lambda timeout: Location(38.71, 115.15, -3.0)) == Location(38.71, 115.15, None)
    other = service.check_in(second, location=Location(38.71, 200.0))
    assert "check_in_lng" not in other


def test_notes_and_prospects_are_stored_offline_and_shown_newest_first(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    prospect = service.create_prospect(
        "新开诊所", CustomerKind.CLINIC, address="北街 3 号", phone="", contact_person="赵"
    )
    assert prospect["status"] == "prospect" and "phone" not in prospect
    service.add_note(prospect["id"], "老板周三在")
    clock.now += dt.timedelta(minutes=1)
    service.add_note(prospect["id"], "要样品")
    card = service.customer_card(prospect["id"])
    assert card is not None
    assert [note["text"] for note in card.notes] == ["要样品", "老板周三在"]
    assert card.on_plan_today is False
    assert [found["name"] for found in service.search_customers("新开")] == ["新开诊所"]
    assert store.pending_count() == 3


def test_data_folder_order_of_precedence(tmp_path: Path) -> None:
    assert default_data_dir({"FLET_APP_STORAGE_DATA": "/data/app"}) == Path("/data/app")
    assert default_data_dir({"XDG_DATA_HOME": "/xdg"}) == Path("/xdg/routecrm")
    assert default_data_dir({}).parts[-3:] == (".local", "share", "routecrm")
    config = parse_args(["--server", "http://s/", "--data-dir", str(tmp_path), "--web", "--lang", "en"], env={})
    assert (config.server_url, config.data_dir, config.web, config.lang) == ("http://s", tmp_path, True, "en")
