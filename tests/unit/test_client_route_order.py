"""Issue #18 on the phone, offline: Today says when each stop not yet visited is expected and which reception
windows will be missed; the rep re-orders the rest of the day from where they are, and can go back to the
supervisor's order. The plan itself never changes on the phone."""

from __future__ import annotations

import datetime as dt

import pytest

from client.features.today.route_order import in_chosen_order, with_choice
from client.features.today.view import stop_row
from client.location import Location
from client.services import AppService, StopStatus
from client.services import Stop as TodayStop
from client.storage.store import LocalStore
from shared.door_hours import DoorHoursError
from shared.enums import CustomerKind, RecordKind
from shared.route_order import Missed, RouteRules
from tests.unit.helpers import Recorder, pulled, texts
from tests.unit.test_client_services import USER, Clock, login_transport, make_service

BASE = (38.85, 115.49)
DAY = dt.date(2026, 11, 27)  # a Friday (ISO weekday 5)


def place(store: LocalStore, name: str, north: float, door_hours: dict[str, object] | None = None) -> str:
    """A clinic `north` degrees of latitude north of BASE (0.1 is about 11 km)."""
    fields = {"name": name, "kind": "clinic", "status": "active", "lat": BASE[0] + north, "lng": BASE[1]}
    return pulled(store, RecordKind.CUSTOMER, {**fields, "door_hours": door_hours} if door_hours else fields)


def signed_in(store: LocalStore, clock: Clock) -> AppService:
    service = make_service(store, clock, login_transport())
    service.sign_in("http://server", "li.rep", "demo1234")
    return service


def plan(store: LocalStore, customer_ids: list[str]) -> None:
    pulled(store, RecordKind.ROUTE_PLAN, {"rep_id": USER["id"], "day": DAY.isoformat(), "customer_ids": customer_ids})


def test_today_says_when_each_stop_is_expected_and_which_window_will_be_missed(store: LocalStore) -> None:
    clock = Clock()  # 09:00
    service = signed_in(store, clock)
    near = place(store, "近诊所", 0.02)
    far_morning = place(store, "远诊所", 0.2, {"weekly": {"5": ["08:00-09:30"]}})
    plan(store, [near, far_morning])

    route = service.today()
    first, second = (route.expected[customer_id] for customer_id in (near, far_morning))
    assert first.arrive == 9 * 60 and first.missed is None  # the day starts at its first stop
    assert second.arrive > 9 * 60 + 25 and second.missed is Missed.LATE


def test_reordering_the_rest_goes_from_where_the_rep_is_and_keeps_the_plan(store: LocalStore) -> None:
    clock = Clock()
    service = signed_in(store, clock)
    north, far, middle = place(store, "北", 0.3), place(store, "远", 0.2), place(store, "中", 0.1)
    plan(store, [north, far, middle])
    visit = service.check_in(north)  # visited: keeps its place
    clock.now = clock.now.replace(hour=10)
    service.check_out(visit["id"], {}, location=Location(BASE[0] + 0.3, BASE[1]))

    rest = service.reorder_rest_of_day()
    assert rest.order == [far, middle]  # from the north stop, the far one is the nearer
    route = service.today()
    assert [stop.customer_id for stop in route.stops] == [north, far, middle] and route.own_order
    assert route.expected[far].arrive >= 10 * 60
    (stored,) = store.find(RecordKind.ROUTE_PLAN, day=DAY.isoformat())
    assert stored["customer_ids"] == [north, far, middle]  # the supervisor's plan, unchanged

    service.restore_planned_order()
    assert not service.today().own_order


def test_a_reorder_from_the_base_order_puts_the_window_first(store: LocalStore) -> None:
    clock = Clock()
    service = signed_in(store, clock)
    near = place(store, "近", 0.0)
    morning = place(store, "早", 0.1, {"weekly": {"5": ["08:00-10:00"]}})
    evening = place(store, "晚", 0.12)
    plan(store, [near, evening, morning])
    before = service.today()
    assert before.expected[morning].missed is Missed.LATE
    rest = service.reorder_rest_of_day()
    assert rest.order.index(morning) < rest.order.index(evening) and not rest.missed


def test_the_reps_order_follows_plan_changes_and_old_days_are_forgotten() -> None:
    chosen = {"2026-11-26": ["x"], "2026-11-27": ["c", "a"]}
    assert in_chosen_order(chosen, DAY, ["a", "b", "c"]) == ["c", "a", "b"]  # b added to the plan since
    assert in_chosen_order(chosen, DAY + dt.timedelta(days=1), ["a", "b"]) == ["a", "b"]
    assert with_choice(chosen, DAY, ["a"]) == {"2026-11-27": ["a"]}
    assert with_choice(chosen, DAY, None) == {}


def test_the_rep_types_door_hours_on_the_customer_form_and_only_a_change_is_sent(store: LocalStore) -> None:
    service = signed_in(store, Clock())
    created = service.create_prospect("新开药店", CustomerKind.PHARMACY, door_hours="1-7 08:00-10:00")
    assert created["door_hours"] == {"weekly": {str(day): ["08:00-10:00"] for day in range(1, 8)}, "closed": []}
    pending = store.pending_count()

    kept = {**customer_values(created), "door_hours": "1-7 08:00-10:00"}
    assert service.update_customer(created["id"], kept) is None and store.pending_count() == pending
    demo_form = place(store, "卫生院", 0.1, {"weekly": {"1": ["08:30-11:30"]}})  # stored without "closed"
    record = store.get(RecordKind.CUSTOMER, demo_form)
    assert record is not None
    assert service.update_customer(demo_form, {**customer_values(record), "door_hours": "1 08:30-11:30"}) is None

    changed = service.update_customer(created["id"], {**kept, "door_hours": ""})
    assert changed is not None and changed["door_hours"] is None  # all day again
    with pytest.raises(DoorHoursError, match="ends before it starts"):
        service.update_customer(created["id"], {**kept, "door_hours": "1-5 10:00-08:00"})


def customer_values(record: dict[str, object]) -> dict[str, str]:
    return {name: str(record.get(name) or "") for name in ("name", "kind", "address", "phone", "contact_person")}


def test_todays_stop_row_shows_and_reads_out_an_appointment_that_day() -> None:
    customer = {"id": "c1", "name": "城关镇卫生院", "kind": "township_hospital", "address": ""}
    stop = TodayStop("c1", customer, StopStatus.NOT_VISITED)
    row = stop_row(stop, 1, "zh", Recorder(), "stop-1", appointment=(900, 930))  # type: ignore[arg-type]
    assert "预约 15:00-15:30" in texts(row)
    assert row.label.endswith("· 预约 15:00-15:30")  # type: ignore[attr-defined]
    plain = stop_row(stop, 1, "zh", Recorder(), "stop-1")  # type: ignore[arg-type]
    assert not any("预约" in text for text in texts(plain))


def test_the_phone_orders_its_day_with_the_rules_the_server_sent(store: LocalStore) -> None:
    clock = Clock()  # 09:00 on a Friday
    service = signed_in(store, clock)
    near, far = place(store, "近诊所", 0.02), place(store, "远诊所", 0.2, {"weekly": {"5": ["08:00-18:00"]}})
    plan(store, [near, far])
    before = service.today()
    assert before.expected[near].missed is None and before.expected[far].start - before.expected[near].leave < 60

    closed_fridays = {"weekly": {"1": ["08:00-18:00"]}}  # clinics without hours of their own: Mondays only
    rules = RouteRules(plan_minutes={"clinic": 50}, door_hours_by_kind={"clinic": closed_fridays}, speed_kmh=10)
    service.keep_company("Asia/Shanghai", None, rules.as_dict())
    after = service.today()
    assert after.expected[near].missed is Missed.CLOSED  # its kind's default: not received on Fridays
    assert after.expected[far].missed is None  # its own hours win
    assert after.expected[far].arrive - after.expected[near].leave > 100  # about 23 km at 10 km/h
    assert service.route_rules() == rules


def test_route_rules_read_what_an_older_or_odd_server_sends() -> None:
    assert RouteRules.from_dict(None) == RouteRules()
    odd = RouteRules.from_dict({"plan_minutes": {"clinic": -5, "pharmacy": 12}, "road_factor": 0.5, "speed_kmh": "x"})
    assert odd.minutes_at("pharmacy") == 12 and odd.minutes_at("clinic") == 25  # a bad value keeps the default
    assert odd.road_factor == RouteRules().road_factor and odd.speed_kmh == RouteRules().speed_kmh
    assert RouteRules.from_dict(RouteRules(door_hours_by_kind={"clinic": {"weekly": {}}}).as_dict()).door_hours_by_kind
    assert RouteRules.from_dict({"base": [38.85, 115.49]}).base == (38.85, 115.49)
    for odd_base in ([91, 0], [38.8], "38.8,115.4", [True, 1], None):
        assert RouteRules.from_dict({"base": odd_base}).base is None


def test_before_the_first_check_in_the_day_starts_at_the_reps_base(store: LocalStore) -> None:
    clock = Clock()  # 09:00
    service = signed_in(store, clock)
    near = place(store, "近诊所", 0.02)
    plan(store, [near])
    assert service.today().expected[near].arrive == 9 * 60  # no base known: the day starts at its first stop

    service.keep_company("Asia/Shanghai", None, RouteRules(base=(BASE[0] - 0.1, BASE[1])).as_dict())
    from_base = service.today().expected[near]
    assert 9 * 60 + 20 < from_base.arrive < 9 * 60 + 40  # about 13 km on county roads at 30 km/h
    assert service.route_rules().base == (BASE[0] - 0.1, BASE[1])
