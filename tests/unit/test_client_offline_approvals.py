"""The company's approval rules on the phone, offline (client/features/approvals/expected.py, docs/approvals.md):
the rules as the server sends them, an order or a new customer the rules send for approval shown 待审批 (待同步)
before and after saving, counted nowhere on the phone (targets, Today, the report) until the server approves it,
and the server's word replacing the phone's expectation once pulled."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import flet as ft
import pytest

from client.features.approvals.expected import EXPECTED, Expectations, held_visit_ids, order_expectation
from client.features.approvals.service import approval_status
from client.features.approvals.view import approvals_section, order_approval, order_notice
from client.features.campaigns.service import month_progress
from client.features.customers import prospect_view
from client.features.orders.handlers import OrderHandlers
from client.features.reports.service import phone_figures
from client.features.visits import view as visit_view
from client.services import AppService, OrderLineInput, StopStatus
from client.shell.state import AppState, ProspectForm, VisitForm, VisitPanel
from client.storage.store import LocalStore
from shared.approvals import ApprovalRules
from shared.enums import CustomerKind, RecordKind
from shared.ids import new_id
from sync.protocol import Change
from tests.unit.helpers import Recorder, pulled, texts, walk

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=TZ)
ME = {"id": new_id(), "username": "li.rep", "display_name": "李明", "role": "rep", "territory": "东片"}
RULES = {"credit_limit": True, "discount_pct": 15.0, "new_customers": True}
PRODUCT = {"name": "一次性使用输液器", "unit": "盒", "unit_price": 62.0, "active": True, "territory": ""}


def change(kind: RecordKind, record_id: str, data: dict[str, Any]) -> Change:
    """A pulled change (its seq is the page's; the store keeps the page's cursor)."""
    return Change(1, kind, record_id, False, {key: value for key, value in data.items() if key != "id"})


def shown(controls: list[ft.Control]) -> list[str]:
    return [text for control in controls for text in texts(control)]


# ---- the rules as they travel ------------------------------------------------------------------------


def test_the_rules_a_phone_applies_travel_as_a_small_object_and_an_absent_or_bad_one_means_none() -> None:
    rules = ApprovalRules(new_customers=True, credit_limit=False, discount_pct=Decimal("12.5"), credit_change=True)
    sent = rules.for_phones()
    assert sent == {"credit_limit": False, "discount_pct": 12.5, "new_customers": True}  # credit changes stay home
    assert ApprovalRules.from_phones(sent) == ApprovalRules(
        new_customers=True, credit_limit=False, discount_pct=Decimal("12.5")
    )
    for absent in (None, {}, "on", []):  # a server from before them: the phone expects nothing
        assert ApprovalRules.from_phones(absent) is None
    for bad in ({"credit_limit": "yes"}, {"discount_pct": 101}, {"discount_pct": "x"}, {"new_customers": 1}):
        assert ApprovalRules.from_phones(bad) is None


def test_an_order_as_typed_is_judged_by_the_same_rules_as_on_the_server() -> None:
    rules = ApprovalRules.from_phones(RULES)
    customer, products = {"credit_limit": 100.0}, [{"id": "p1", "unit_price": 62.0}]
    at_limit = [{"product_id": "p1", "quantity": 1, "unit_price": 100}]
    assert order_expectation(rules, customer, products, at_limit) is None  # equal passes
    above = order_expectation(rules, customer, products, [{"product_id": "p1", "quantity": 3, "unit_price": 62}])
    assert above is not None and above.reasons == ("credit_limit",)
    assert above.figures == {"amount": 186.0, "credit_limit": 100.0, "over_by": 86.0}
    assert order_notice(above, "zh-CN") == "此订单需主管审批：超出信用额度 ¥100。保存后显示待审批，批准前不计入业绩。"
    deep = order_expectation(rules, {}, products, [{"product_id": "p1", "quantity": 1, "unit_price": 50}])
    assert deep is not None and deep.reasons == ("discount",)  # 19.4% below the list price, the threshold 15%
    assert "折扣 19.4% 超出上限 15%" in order_notice(deep, "zh-CN")
    assert order_expectation(None, customer, products, at_limit * 5) is None  # no rules sent: nothing expected
    assert order_notice(None, "zh-CN") == ""


# ---- on the phone's store ----------------------------------------------------------------------------


@pytest.fixture
def service(store: LocalStore) -> AppService:
    store.set_meta(user=ME)
    return AppService(store, clock=lambda: NOW)


def counter(store: LocalStore, credit_limit: float | None = 100.0) -> tuple[str, str]:
    """A customer on today's route with a credit limit, and the catalogue's product: their ids."""
    customer_id = pulled(
        store,
        RecordKind.CUSTOMER,
        {"name": "南关诊所", "kind": "clinic", "status": "active", "territory": "东片", "credit_limit": credit_limit},
    )
    pulled(store, RecordKind.ROUTE_PLAN, {"rep_id": ME["id"], "day": "2026-11-27", "customer_ids": [customer_id]})
    return customer_id, pulled(store, RecordKind.PRODUCT, PRODUCT)


def take(service: AppService, customer_id: str, product_id: str, quantity: str) -> tuple[dict[str, Any], str]:
    """Check in, take an order, tick 已进货 as the order panel does, check out: the order and the visit id."""
    visit = service.check_in(customer_id)
    order = service.take_order(str(visit["id"]), [OrderLineInput(product_id, quantity, "62")])
    service.check_out(str(visit["id"]), {"ordered": True, "order_amount": order["amount"]})
    return order, str(visit["id"])


def test_an_order_above_the_credit_limit_taken_offline_shows_waiting_and_counts_nowhere(
    service: AppService, store: LocalStore
) -> None:
    service.keep_company("Asia/Shanghai", None, None, RULES)  # the pull's approval_rules, kept
    customer_id, product_id = counter(store)
    order, visit_id = take(service, customer_id, product_id, "3")  # 3 x ¥62 = ¥186 > ¥100

    (on_visit,) = service.visit_records(visit_id).orders
    assert approval_status(on_visit) == EXPECTED
    assert service.visit_records(visit_id).held_total == 186.0
    assert shown(order_approval(on_visit, "zh-CN")) == [
        "订单 待审批（待同步）：超出信用额度 ¥100",
        "按公司审批规则，同步后由主管审批",
        "审批通过前不计入业绩",
    ]
    card = service.customer_card(customer_id)
    assert card is not None and [approval_status(o) for o in card.orders] == [EXPECTED]
    # Counted nowhere: the month's sales and new customers, Today's 已进货, the day report's amount and rate.
    progress = month_progress(service)
    assert progress.sales_amount.actual == 0.0 and progress.new_customers.actual == 0.0
    assert [stop.status for stop in service.today().stops] == [StopStatus.VISITED]
    figures = phone_figures(service, "day", NOW.date())
    assert (figures.orders, figures.amount, figures.tally.ordered_on_route) == (0, 0.0, 0)
    assert held_visit_ids([order], Expectations(store)) == {visit_id}

    # The sync: the server holds it pending and sends its request; its word replaces the phone's.
    server_order = {**order, "territory": "东片", "rep_id": ME["id"], "approval_status": "pending"}
    request = {"kind": "order", "record_id": order["id"], "customer_id": customer_id, "status": "pending"}
    store.apply_pull_page(
        [change(RecordKind.ORDER, order["id"], server_order), change(RecordKind.APPROVAL, new_id(), request)],
        store.pull_cursor() + 2,
    )
    (on_visit,) = service.visit_records(visit_id).orders
    assert approval_status(on_visit) == "pending" and month_progress(service).sales_amount.actual == 0.0

    # Approved on the web: it counts, on Today too.
    approved = {**server_order, "approval_status": "approved"}
    store.apply_pull_page([change(RecordKind.ORDER, order["id"], approved)], store.pull_cursor() + 1)
    assert month_progress(service).sales_amount.actual == 186.0
    assert [stop.status for stop in service.today().stops] == [StopStatus.ORDERED]
    assert phone_figures(service, "day", NOW.date()).amount == 186.0


def test_without_rules_from_the_server_or_within_the_limit_an_order_counts_as_before(
    service: AppService, store: LocalStore
) -> None:
    customer_id, product_id = counter(store)
    take(service, customer_id, product_id, "3")  # above the limit, but no rules came (an older server)
    assert month_progress(service).sales_amount.actual == 186.0
    assert [approval_status(o) for o in service.customer_card(customer_id).orders] == [None]  # type: ignore[union-attr]
    service.keep_company("Asia/Shanghai", None, None, {})  # an empty object is no rules either
    assert Expectations(store).rules is None

    service.keep_company("Asia/Shanghai", None, None, RULES)
    assert month_progress(service).sales_amount.actual == 0.0  # the rules now say the order waits
    other, _ = counter(store, credit_limit=None)  # no limit: never for the credit rule
    take(service, other, product_id, "3")
    assert month_progress(service).sales_amount.actual == 186.0


def test_the_servers_word_wins_over_the_phones_rules(service: AppService, store: LocalStore) -> None:
    """An order the server sent back without a request counts, whatever the phone's rules would say (the limit
    may have changed meanwhile)."""
    service.keep_company("Asia/Shanghai", None, None, RULES)
    customer_id, product_id = counter(store)
    line = {"product_id": product_id, "quantity": 3, "unit_price": 62}
    pulled(
        store,
        RecordKind.ORDER,
        {
            "customer_id": customer_id,
            "visit_id": new_id(),
            "lines": [line],
            "amount": 186.0,
            "ordered_at": NOW.isoformat(),
            "rep_id": ME["id"],
            "territory": "东片",
            "approval_status": None,
        },
    )
    card = service.customer_card(customer_id)
    assert card is not None and [approval_status(o) for o in card.orders] == [None]
    assert month_progress(service).sales_amount.actual == 186.0


def test_a_new_prospect_the_rules_send_for_approval_says_so_before_and_after_saving(
    service: AppService, store: LocalStore
) -> None:
    service.keep_company("Asia/Shanghai", None, None, RULES)
    state = AppState(lang="zh-CN", prospect=ProspectForm(needs_approval=True))
    before = texts(prospect_view.build(state, Recorder()))  # type: ignore[arg-type]
    assert "新客户需主管审批：保存后显示待审批，同步后由主管审批。" in before
    editing = AppState(lang="zh-CN", prospect=ProspectForm(needs_approval=True, customer_id=new_id()))
    assert not any("新客户需主管审批" in text for text in texts(prospect_view.build(editing, Recorder())))  # type: ignore[arg-type]

    customer = service.create_prospect("北关卫生室", CustomerKind.VILLAGE_CLINIC)
    card = service.customer_card(str(customer["id"]))
    assert card is not None
    assert shown(approvals_section(card.approvals, "zh-CN")) == [
        "审批",
        "新客户 待审批（待同步）：新客户需审批",
        "按公司审批规则，同步后由主管审批",
    ]
    # Pulled back with the server's request: the server's line only.
    request = {"kind": "new_customer", "record_id": customer["id"], "customer_id": customer["id"]}
    back = {**customer, "territory": "东片", "approval_status": "pending"}
    store.apply_pull_page(
        [
            change(RecordKind.CUSTOMER, str(customer["id"]), back),
            change(RecordKind.APPROVAL, new_id(), {**request, "status": "pending", "reason": "new_customer"}),
        ],
        store.pull_cursor() + 2,
    )
    card = service.customer_card(str(customer["id"]))
    assert card is not None and shown(approvals_section(card.approvals, "zh-CN")) == [
        "审批",
        "新客户 待审批：新客户需审批",
    ]


def test_the_order_panel_says_before_saving_that_the_order_will_wait_and_follows_the_typing() -> None:
    state = AppState(lang="zh-CN")
    state.visit = VisitForm(
        visit={"id": "v1", "customer_id": "c1", "visit_type": "day", "check_in_at": NOW.isoformat()},
        customer={"id": "c1", "name": "南关诊所", "credit_limit": 100.0},
        panel=VisitPanel.ORDER,
        products=[{"id": "p1", **PRODUCT}],
        approval_rules=ApprovalRules.from_phones(RULES),
    )
    state.visit.order.lines = [OrderLineInput("p1", "1", "62")]
    built = visit_view.build(state, Recorder())  # type: ignore[arg-type]
    notice = "此订单需主管审批：超出信用额度 ¥100。保存后显示待审批，批准前不计入业绩。"
    assert notice not in texts(built)  # ¥62: within the limit
    quantity = next(
        node
        for node in walk(built)
        if isinstance(node, ft.TextField) and str(node.label).startswith("第1项数量")  # the order line's quantity
    )
    quantity.on_change(type("E", (), {"control": type("C", (), {"value": "3"})()})())  # type: ignore[misc]
    assert notice in texts(built)  # updated in place as the rep types: 3 x ¥62 = ¥186
    assert any(isinstance(node, ft.Container) and node.visible and notice in texts(node) for node in walk(built))
    state.visit.approval_rules = None  # the server sent no rules: the panel says nothing
    assert notice not in texts(visit_view.build(state, Recorder()))  # type: ignore[arg-type]


class FakeShell:
    """The part of the shell (client/shell/protocol.py) the order handlers use."""

    def __init__(self, service: AppService) -> None:
        self.service = service
        self.state = AppState(lang="zh-CN")
        self.ui = threading.RLock()

    def render(self) -> None:
        pass


def test_saving_the_order_says_it_waits_for_approval_and_the_visit_lists_it_so(
    service: AppService, store: LocalStore
) -> None:
    service.keep_company("Asia/Shanghai", None, None, RULES)
    customer_id, product_id = counter(store)
    visit = service.check_in(customer_id)
    shell = FakeShell(service)
    shell.state.visit = VisitForm(visit=visit, customer=store.get(RecordKind.CUSTOMER, customer_id))
    shell.state.visit.order.lines = [OrderLineInput(product_id, "3", "62")]
    OrderHandlers(shell).take_order()  # type: ignore[arg-type]
    assert shell.state.notice == "订单已保存（待同步），合计 ¥186；需主管审批：超出信用额度 ¥100，批准前不计入业绩"
    assert [approval_status(order) for order in shell.state.visit.records.orders] == [EXPECTED]
    assert shell.state.visit.values["ordered"] is True  # the customer did order: it counts once approved
    shell.state.visit.order.lines = [OrderLineInput(product_id, "1", "62")]
    OrderHandlers(shell).take_order()  # type: ignore[arg-type]
    assert shell.state.notice == "订单已保存（待同步），合计 ¥62"  # within the limit: nothing to wait for
