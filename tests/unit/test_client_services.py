"""The app service over a real local store: sign-in, today's route, visits, notes, prospects."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from pathlib import Path

import httpx
import pytest

from client.config import default_data_dir, parse_args
from client.location import Location, locate
from client.services import (
    AppService,
    ConflictSide,
    FormProblems,
    OrderLineInput,
    SignInFailed,
    SignInProblem,
    StopStatus,
    order_amount,
    parse_number,
    visit_duration_minutes,
)
from client.storage.store import InvalidRecord, LocalStore
from client.storage.vault import StoreCipher
from shared.enums import CustomerKind, RecordKind, VisitType
from shared.i18n import t
from shared.ids import new_id
from shared.records import SCHEMAS, amount_matches, validate_fields
from sync.protocol import Change, OpResult, OpStatus
from tests.unit.helpers import FakeClock, pulled

TZ = dt.timezone(dt.timedelta(hours=8))
USER = {"id": new_id(), "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"}


class Clock(FakeClock[dt.datetime]):
    def __init__(self) -> None:
        super().__init__(dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ))


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


def customer(store: LocalStore, name: str) -> str:
    return pulled(store, RecordKind.CUSTOMER, {"name": name, "kind": "clinic", "status": "active", "address": "南关村"})


def test_sign_in_keeps_token_and_user_durably(tmp_path: Path, clock: Clock) -> None:
    store = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
    service = make_service(store, clock, login_transport())
    assert not service.signed_in()
    assert service.sign_in("http://server/", "li.rep", "demo1234")["id"] == USER["id"]
    store.close()
    reopened = LocalStore(tmp_path / "phone", StoreCipher(bytes(32)))
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


def refuse_pending(store: LocalStore, message: str = "customer is outside your territory") -> None:
    store.record_results(
        [OpResult(op.seq, op.op_id, OpStatus.REJECTED, "forbidden", message) for op in store.pending_ops(50)]
    )


def test_a_refused_visit_is_fixed_and_sent_again_as_one_op_that_creates_it(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    saves: list[int] = []
    service.on_saved = lambda: saves.append(1)
    shop = customer(store, "甲诊所")
    visit = service.check_in(shop, VisitType.DAY)
    service.check_out(visit["id"], {"person_met": "王医生", "ordered": False})
    refuse_pending(store)  # check-in and check-out both refused: two drafts of one visit
    seqs = [draft["op"]["seq"] for draft in store.rejected_ops()]
    assert [draft["customer_name"] for draft in service.rejected_ops()] == ["甲诊所", "甲诊所"]  # whom it was about
    fix = service.draft_fix(seqs[1])
    assert fix is not None and fix.kind is RecordKind.VISIT and fix.record_id == visit["id"]
    assert fix.seqs == tuple(seqs) and fix.message == "customer is outside your territory"
    assert fix.record["person_met"] == "王医生" and fix.record["check_in_at"] == visit["check_in_at"]
    form = {"visit_type": "day", "person_met": "王院长", "purpose": None, "attitude": None, "ordered": False}
    saves.clear()
    service.resend_draft(fix, form)
    assert store.rejected_ops() == [] and saves == [1]
    (op,) = store.pending_ops(10)
    # Everything the drafts wrote travels again (the server never stored the visit), with the fix.
    assert op.fields["person_met"] == "王院长" and op.fields["customer_id"] == shop
    assert {"check_in_at", "check_out_at", "visit_type", "planned"} <= set(op.fields)
    assert "purpose" not in op.fields  # unchanged and never written by the drafts
    assert store.get(RecordKind.VISIT, visit["id"])["person_met"] == "王院长"  # type: ignore[index]


def test_a_refused_customer_edit_shows_the_reps_value_even_after_a_pull_put_the_servers_back(
    store: LocalStore, clock: Clock
) -> None:
    service = make_service(store, clock)
    shop = customer(store, "甲诊所")
    service.update_customer(shop, {"name": "甲诊所", "kind": "clinic", "phone": "0312-1111"})
    (op,) = store.pending_ops(10)
    assert op.fields == {"phone": "0312-1111"}  # only the changed field
    refuse_pending(store, "this customer was deleted")
    store.apply_pull_page(
        [Change(9, RecordKind.CUSTOMER, shop, False, {"name": "甲诊所", "kind": "clinic", "address": "南关村"})], 9
    )
    assert "phone" not in store.get(RecordKind.CUSTOMER, shop)  # type: ignore[operator]
    (draft,) = store.rejected_ops()
    fix = service.draft_fix(draft["op"]["seq"])
    assert fix is not None and fix.record["phone"] == "0312-1111" and fix.fields == {"phone"}
    service.resend_draft(fix, {"name": "甲诊所", "kind": "clinic", "phone": "0312-2222", "address": "南关村"})
    (op,) = store.pending_ops(10)
    assert op.fields == {"phone": "0312-2222"}  # not the untouched name, kind or address


def test_a_refused_delete_cannot_be_fixed_only_discarded(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    shop = customer(store, "甲诊所")
    store.delete(RecordKind.CUSTOMER, shop)
    refuse_pending(store)
    (draft,) = store.rejected_ops()
    assert service.draft_fix(draft["op"]["seq"]) is None
    assert service.draft_fix(999) is None


def test_an_edit_of_a_customer_deleted_on_the_server_can_only_be_discarded(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    shop = customer(store, "甲诊所")
    service.update_customer(shop, {"name": "甲诊所", "kind": "clinic", "phone": "0312-1111"})
    store.record_results(
        [
            OpResult(op.seq, op.op_id, OpStatus.REJECTED, "conflict", "the customer was deleted")
            for op in store.pending_ops(9)
        ]
    )
    (draft,) = store.rejected_ops()
    assert service.draft_fix(draft["op"]["seq"]) is not None  # the tombstone not pulled yet: the rep may still look
    store.apply_pull_page([Change(9, RecordKind.CUSTOMER, shop, True, None)], 9)
    assert store.get(RecordKind.CUSTOMER, shop) is None
    assert service.draft_fix(draft["op"]["seq"]) is None  # resending would be refused again: discard only
    service.discard_rejected(draft["op"]["seq"])
    assert store.rejected_ops() == [] and store.get(RecordKind.CUSTOMER, shop) is None


def test_an_unchanged_customer_form_saves_nothing(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    shop = customer(store, "甲诊所")
    assert service.update_customer(shop, {"name": " 甲诊所 ", "kind": "clinic", "address": "南关村"}) is None
    assert store.pending_count() == 0
    service.update_customer(shop, {"name": "甲诊所", "kind": "clinic", "address": "", "contact_person": "王"})
    (op,) = store.pending_ops(10)
    assert op.fields == {"address": None, "contact_person": "王"}


def test_conflicts_say_whose_change_lost_per_customer(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    store.set_meta(user=USER)
    shop, other = customer(store, "甲诊所"), customer(store, "乙药店")

    def conflict(record_id: str, lost_by: str | None, device: str, at: str, reviewed: bool = False) -> None:
        pulled(
            store,
            RecordKind.CONFLICT,
            {
                "kind": "customer",
                "record_id": record_id,
                "field": "phone",
                "kept_value": "0312-2",
                "lost_value": "0312-1",
                "lost_by_user_id": lost_by,
                "device_id": device,
                "created_at": at,
                "reviewed": reviewed,
            },
        )

    conflict(shop, USER["id"], store.device_id, "2026-11-27T01:00:00+00:00")
    conflict(shop, None, store.device_id, "2026-11-27T02:00:00+00:00")
    conflict(other, "someone-else", "another-phone", "2026-11-27T03:00:00+00:00", reviewed=True)
    sides = [(item.customer_name, item.side) for item in service.conflicts()]
    assert sides == [
        ("乙药店", ConflictSide.OTHERS),
        ("甲诊所", ConflictSide.MINE_KEPT),
        ("甲诊所", ConflictSide.MINE_LOST),
    ]
    assert service.open_conflict_count() == 2
    card = service.customer_card(shop)
    assert card is not None and [item.side for item in card.conflicts] == [
        ConflictSide.MINE_KEPT,
        ConflictSide.MINE_LOST,
    ]

    from client.features.drafts.conflicts_view import conflict_text

    lost = card.conflicts[1]
    assert conflict_text(lost, "zh-CN") == "你的修改 电话=“0312-1” 被 “0312-2” 取代"
    assert conflict_text(lost, "en") == "Your change Phone = “0312-1” was replaced by “0312-2”"


def test_open_visit_finds_todays_unfinished_visit_of_that_customer_only(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    first, second = customer(store, "甲"), customer(store, "乙")
    clock.now -= dt.timedelta(days=1)
    service.check_in(first)  # yesterday's, never checked out
    clock.now += dt.timedelta(days=1)
    assert service.open_visit(first) is None
    visit = service.check_in(second)
    assert service.open_visit(first) is None and service.open_visit(second)["id"] == visit["id"]  # type: ignore[index]


# ---- on a visit: orders, competitor reports, complaints; key persons; care reminders (issue #4) ----


def product(store: LocalStore, name: str, price: float, *, active: bool = True, spec: str = "100支/盒") -> str:
    return pulled(
        store, RecordKind.PRODUCT, {"name": name, "spec": spec, "unit": "盒", "unit_price": price, "active": active}
    )


def test_the_order_form_offers_active_products_and_takes_an_order_with_the_servers_amount(
    store: LocalStore, clock: Clock
) -> None:
    service = make_service(store, clock)
    shop = customer(store, "南关诊所")
    syringe, gauze = product(store, "注射器", 38.0), product(store, "纱布", 16.5)
    product(store, "停产品", 9.9, active=False)
    assert [item["name"] for item in service.products()] == ["注射器", "纱布"]  # 停产品 is not offered
    visit = service.check_in(shop)
    before = store.pending_count()
    rows = [OrderLineInput(syringe, "3", "38"), OrderLineInput(gauze, "1.5", "16.33")]
    assert order_amount(rows) == 138.5  # 114 + 24.495 -> 24.50 only on the total: 138.495 -> 138.50
    order = service.take_order(str(visit["id"]), rows, " 月底前送货 ")
    assert store.pending_count() == before + 1  # one durable save: the order and its op
    (op,) = store.pending_ops(50)[-1:]
    assert op.kind is RecordKind.ORDER and op.fields == {
        "customer_id": shop,
        "visit_id": visit["id"],
        "lines": [
            {"product_id": syringe, "quantity": 3, "unit_price": 38},
            {"product_id": gauze, "quantity": 1.5, "unit_price": 16.33},
        ],
        "amount": 138.5,
        "ordered_at": "2026-11-27T09:00:00+08:00",
        "notes": "月底前送货",
    }
    assert amount_matches(order["amount"], order["lines"])  # what the server checks
    assert not validate_fields(RecordKind.ORDER, op.fields, creating=True)
    records = service.visit_records(str(visit["id"]))
    assert [item["id"] for item in records.orders] == [order["id"]] and records.order_total == 138.5
    card = service.customer_card(shop)
    assert card is not None and [item["id"] for item in card.orders] == [order["id"]]
    assert card.products[syringe]["name"] == "注射器"
    # An order taken on the visit makes the stop "ordered" even before the visit's box is ticked.
    plan = {"day": "2026-11-27", "customer_ids": [shop]}
    pulled(store, RecordKind.ROUTE_PLAN, plan)
    assert service.today().stops[0].status is StopStatus.ORDERED


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ([], {"lines": "client.order.no_lines"}),
        ([("p1", "", "38")], {"quantity.0": "client.order.bad_quantity"}),
        ([("p1", "0", "38")], {"quantity.0": "client.order.quantity_range"}),
        ([("p1", "-2", "38")], {"quantity.0": "client.order.quantity_range"}),
        ([("p1", "2", "abc")], {"unit_price.0": "client.order.bad_price"}),
        ([("p1", "2", "-1")], {"unit_price.0": "client.order.price_range"}),
        ([("p1", "2", "38"), ("p1", "1", "38")], {"lines": "client.order.duplicate_product"}),
        (
            [("p1", "2", "38"), ("p2", "x", "")],
            {"quantity.1": "client.order.bad_quantity", "unit_price.1": "client.order.bad_price"},
        ),
    ],
)
def test_a_bad_order_form_says_what_is_wrong_and_stores_nothing(
    store: LocalStore, clock: Clock, rows: list[tuple[str, str, str]], problems: dict[str, str]
) -> None:
    service = make_service(store, clock)
    shop = customer(store, "南关诊所")
    ids = {"p1": product(store, "注射器", 38.0), "p2": product(store, "纱布", 16.5)}
    visit = service.check_in(shop)
    before = store.pending_count()
    with pytest.raises(FormProblems) as refused:
        service.take_order(str(visit["id"]), [OrderLineInput(ids[key], qty, price) for key, qty, price in rows])
    assert refused.value.problems == problems
    assert store.pending_count() == before and not store.all(RecordKind.ORDER)
    assert all(t(key) != key and t(key, "en") != key for key in problems.values())  # shown in words


def test_numbers_typed_on_a_phone() -> None:
    assert parse_number(" 1,200 ") == 1200 and parse_number("￥12.5") == 12.5 and parse_number("3") == 3
    assert parse_number("") is None and parse_number("nan") is None and parse_number("1e999") is None


def test_competitor_reports_and_complaints_are_stored_on_the_visit(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    shop = customer(store, "南关诊所")
    visit = service.check_in(shop)
    visit_id = str(visit["id"])
    before = store.pending_count()
    with pytest.raises(FormProblems) as refused:
        service.record_competitor_report(visit_id, " ", "", "abc")
    assert refused.value.problems == {
        "brand": "client.competitor.brand_required",
        "product": "client.competitor.product_required",
        "price": "client.order.bad_price",
    }
    with pytest.raises(FormProblems) as refused:
        service.record_complaint(visit_id, "", "urgent", "  ")
    assert set(refused.value.problems) == {"category", "severity", "description"}
    assert store.pending_count() == before  # nothing stored on bad input
    report = service.record_competitor_report(visit_id, "威高", "5ml 注射器", "32.5", "买十送一")
    complaint = service.record_complaint(visit_id, "delivery", "high", "上周的货晚到三天")
    assert store.pending_count() == before + 2
    assert {key: report[key] for key in ("customer_id", "visit_id", "brand", "price", "promotion")} == {
        "customer_id": shop,
        "visit_id": visit_id,
        "brand": "威高",
        "price": 32.5,
        "promotion": "买十送一",
    }
    assert complaint["status"] == "received" and complaint["received_at"] == "2026-11-27T09:00:00+08:00"
    for kind, record in ((RecordKind.COMPETITOR_REPORT, report), (RecordKind.COMPLAINT, complaint)):
        fields = {key: value for key, value in record.items() if key != "id"}
        assert not validate_fields(kind, fields, creating=True)
    records = service.visit_records(visit_id)
    assert [item["id"] for item in records.competitor_reports] == [report["id"]]
    assert [item["id"] for item in records.complaints] == [complaint["id"]]
    card = service.customer_card(shop)
    assert card is not None and card.complaints[0]["id"] == complaint["id"]
    assert card.competitor_reports[0]["id"] == report["id"] and card.as_of == clock.now


def test_no_order_without_a_visit(store: LocalStore, clock: Clock) -> None:
    with pytest.raises(FormProblems) as refused:
        make_service(store, clock).take_order(new_id(), [OrderLineInput(new_id(), "1", "1")])
    assert refused.value.problems == {"visit": "client.order.no_visit"}


def test_key_persons_are_added_and_edited_field_by_field(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)
    shop = customer(store, "南关诊所")
    with pytest.raises(FormProblems) as refused:
        service.save_key_person(shop, {"name": " ", "role": "", "birthday": "1978-13-40"})
    assert refused.value.problems == {
        "name": "client.key_person.name_required",
        "role": "client.key_person.role_required",
        "birthday": "client.key_person.bad_birthday",
    }
    assert store.pending_count() == 0
    added = service.save_key_person(
        shop, {"name": "王院长", "role": "decision_maker", "birthday": "1978-03-12", "hobbies": "钓鱼", "phone": ""}
    )
    assert added is not None and "phone" not in added and added["customer_id"] == shop
    person_id = str(added["id"])
    unchanged = {"name": "王院长", "role": "decision_maker", "birthday": "1978-03-12", "hobbies": "钓鱼"}
    assert service.save_key_person(shop, unchanged, person_id) is None
    service.save_key_person(shop, {**unchanged, "phone": "13800000000", "attitude": "positive"}, person_id)
    (_, op) = store.pending_ops(10)
    assert op.record_id == person_id and op.fields == {"phone": "13800000000", "attitude": "positive"}
    card = service.customer_card(shop)
    assert card is not None and [person["name"] for person in card.key_persons] == ["王院长"]


def test_care_reminders_from_the_phones_records(store: LocalStore, clock: Clock) -> None:
    service = make_service(store, clock)  # today: 2026-11-27
    a_shop = pulled(store, RecordKind.CUSTOMER, {"name": "甲诊所", "kind": "clinic", "status": "active", "tier": "A"})
    c_shop = pulled(store, RecordKind.CUSTOMER, {"name": "丙药店", "kind": "pharmacy", "status": "active", "tier": "C"})
    pulled(
        store,
        RecordKind.KEY_PERSON,
        {"customer_id": a_shop, "name": "王院长", "role": "boss", "birthday": "1970-12-01"},
    )
    pulled(
        store,
        RecordKind.KEY_PERSON,
        {"customer_id": a_shop, "name": "李医生", "role": "doctor", "birthday": "1980-12-05"},
    )
    pulled(
        store,
        RecordKind.KEY_PERSON,
        {"customer_id": new_id(), "name": "外人", "role": "boss", "birthday": "1980-11-28"},
    )
    visit = {"customer_id": a_shop, "visit_type": "day", "planned": True, "ordered": False}
    pulled(
        store, RecordKind.VISIT, {**visit, "check_in_at": "2026-11-10T09:00:00+08:00", "next_visit_date": "2026-11-26"}
    )
    pulled(store, RecordKind.VISIT, {**visit, "customer_id": c_shop, "check_in_at": "2026-11-01T09:00:00+08:00"})
    complaint = {"customer_id": c_shop, "category": "quality", "severity": "high", "description": "破损"}
    pulled(store, RecordKind.COMPLAINT, {**complaint, "status": "received", "received_at": "2026-11-27T08:00:00+08:00"})
    care = service.care_reminders()
    assert [(item.person["name"], item.days_until) for item in care.birthdays] == [("王院长", 4)]  # 外人: not ours
    assert [(item.customer["name"], item.days_overdue) for item in care.overdue] == [("甲诊所", 10)]  # C is due 1 Dec
    assert [(item.kind.value, care.customer_names[item.customer_id]) for item in care.follow_ups] == [
        ("next_visit", "甲诊所"),
        ("complaint_answer", "丙药店"),  # due 12:00, not late yet
    ]
