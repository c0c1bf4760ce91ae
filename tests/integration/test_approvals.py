"""Approvals (审批, issue #19) on the server: an order above the customer's credit limit (or with a discount above the
threshold) pushed by a phone is stored pending with its request and counts nowhere; a supervisor approves it on
/approvals (it counts) or rejects it with a comment (it stays, uncounted, and the rep pulls the comment); new
customers, credit changes and over-limit claims; who may decide; bad input refused clearly; audited."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.actor import Actor
from server.db import read_session, write_session
from server.domains.approvals.models import ApprovalRequest
from server.domains.approvals.service import Deciding, decide
from server.domains.customers.models import Customer
from server.domains.customers.service import set_computed
from server.domains.development.service import lifecycle_rules, sales_in_window, tier_rules
from server.domains.orders.models import Order
from server.domains.orders.service import OrderFilter, order_summary
from server.domains.reports.period import Scope
from server.domains.reports.service import day_tallies, orders_per_rep_day
from server.domains.targets.service import target_achievement
from server.domains.users.service import create_user
from server.domains.visits.board import day_board
from server.errors import Forbidden, NotFound
from server.settings import Settings
from shared.approvals import ApprovalRules
from shared.enums import Role
from shared.ids import new_id
from tests.integration.conftest import (
    PASSWORD,
    TERRITORY_B,
    World,
    customer_fields,
    local_time,
    login,
    make_op,
    push_body,
    visit_fields,
)
from tests.integration.helpers import actions
from tests.integration.test_server_orders import catalogue, order_fields  # noqa: F401 - the catalogue fixture
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]

SEQ = itertools.count(1)  # the phone's op numbers: growing across the pushes of a test
RULES = ApprovalRules(new_customers=True, discount_pct=Decimal(15), credit_change=True, claim_over_limit=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The company's rules all on; a rep may claim one pool customer a month."""
    return dataclasses.replace(settings, approval_rules=RULES, pool_claim_limit=1)


def set_limit(engine: Engine, customer_id: str, limit: float | None) -> None:
    with write_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        set_computed(session, customer, {"credit_limit": limit})


async def push_order(
    client: Client, headers: dict[str, str], world: World, customer_id: str, lines: list[tuple[str, float, float]]
) -> str:
    visit_id, order_id = new_id(), new_id()
    day = world.today
    ops = [
        make_op(next(SEQ), "visit", visit_id, visit_fields(customer_id, day, 9, ordered=True)),  # ticked as phones do
        make_op(next(SEQ), "order", order_id, order_fields(customer_id, visit_id, lines, local_time(day, 9, 30))),
    ]
    answer = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["applied", "applied"]  # never refused for a rule
    again = await client.post("/api/sync/push", json=push_body(ops), headers=headers)  # a lost answer, sent again
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    return order_id


def counted(engine: Engine, world: World, customer_id: str, settings: Settings) -> dict[str, Any]:
    """What the order totals, the month's target, the tiers' sales and the lifecycle make of the customer's orders."""
    with read_session(engine) as session:
        count, total = order_summary(session, OrderFilter(customer_id=customer_id))
        month = world.today.strftime("%Y-%m")
        achieved = target_achievement(session, [world.rep_a.id], month)[world.rep_a.id]
        sales = sales_in_window(session, world.today, tier_rules(settings))
        customer = session.get(Customer, customer_id)
        assert customer is not None
        board = day_board(session, world.today, settings.tz)
        [row] = [r for r in board.reps if r.rep.username == "rep.a"]
        tally = summarize(session, world, settings)
        return {
            "ordered_on_route": row.tally.ordered_on_route,
            "dashboard_success": tally,
            "orders": count,
            "total": total,
            "target_actual": achieved.amount.actual,
            "tier_sales": sales.get(customer_id, 0.0),
            "status": customer.status,
        }


def summarize(session: Any, world: World, settings: Settings) -> tuple[int, int]:
    """The dashboard's visits-ordered-on-route and orders (its SQL aggregates) for the day."""
    scope = Scope()
    tallies = day_tallies(session, scope, world.today, world.today)
    ordered = sum(t.ordered_on_route for t in tallies.values())
    orders = sum(n for n, _ in orders_per_rep_day(session, scope, world.today, world.today).values())
    return ordered, orders


def requests(engine: Engine) -> list[ApprovalRequest]:
    with read_session(engine) as session:
        return list(session.exec(select(ApprovalRequest)).all())


async def pulled(client: Client, headers: dict[str, str], kind: str) -> list[dict[str, Any]]:
    from tests.integration.conftest import pull_all

    changes, _ = await pull_all(client, headers)
    return [change["data"] for change in changes if change["kind"] == kind and change.get("data")]


async def decide_on_web(client: Client, request_id: str, decision: str, comment: str = "") -> Any:
    page = await client.get("/approvals")
    return await client.post(
        f"/approvals/{request_id}/decide",
        data={"decision": decision, "comment": comment, "show": "pending", "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )


async def test_an_order_above_the_credit_limit_waits_counts_nowhere_and_counts_once_approved(
    client: Client,
    seeded: World,
    engine: Engine,
    settings: Settings,
    catalogue: dict[str, str],  # noqa: F811
) -> None:
    customer_id = seeded.customers_a[0]
    set_limit(engine, customer_id, 1000)
    rep = await login(client, "rep.a")
    before = counted(engine, seeded, customer_id, settings)
    order_id = await push_order(client, rep, seeded, customer_id, [(catalogue["syringe"], 30, 38.0)])  # 1140 > 1000

    [request] = requests(engine)
    assert (request.kind, request.record_id, request.status, request.reason) == (
        "order",
        order_id,
        "pending",
        "credit_limit",
    )
    assert request.figures == {"amount": 1140.0, "credit_limit": 1000.0, "over_by": 140.0}
    assert counted(engine, seeded, customer_id, settings) == before  # stored, not counted
    with read_session(engine) as session:
        assert session.get(Order, order_id).approval_status == "pending"  # type: ignore[union-attr]
    [approval] = await pulled(client, rep, "approval")
    assert (approval["status"], approval["record_id"], approval["reason"]) == ("pending", order_id, "credit_limit")
    [order] = [o for o in await pulled(client, rep, "order") if o["id"] == order_id]
    assert order["approval_status"] == "pending"

    await web_login(client, "boss")
    queue = await client.get("/approvals")
    assert queue.status_code == 200 and by_testid(queue.text, f"approval-status-{request.id}") == "待审批"
    assert "超出信用额度" in queue.text
    page = await client.get(f"/customers/{customer_id}")
    assert by_testid(page.text, f"order-approval-{order_id}") == "待审批"
    rep_day = await client.get(f"/reps/rep.a/day?day={seeded.today.isoformat()}")
    assert rep_day.status_code == 200 and 'data-testid="visit-approval-' in rep_day.text  # the visit's order: 待审批
    dashboard = await client.get("/dashboard")
    assert by_testid(dashboard.text, "approvals-pending-value") == "1"
    queues = await client.get("/queues")  # what waits for the supervisor: the request too, in the nav's count
    assert by_testid(queues.text, "queue-approvals") == "1" and 'href="/approvals"' in queues.text
    assert 'data-testid="nav-queue-count"' in queues.text and "待审批 1" in queues.text

    answer = await decide_on_web(client, request.id, "approved", "老客户，回款及时")
    assert answer.status_code == 303 and "done=approved" in answer.headers["location"]
    after = counted(engine, seeded, customer_id, settings)
    assert after["ordered_on_route"] == 1 and after["dashboard_success"] == (1, before["dashboard_success"][1] + 1)
    assert before["ordered_on_route"] == 0 and before["dashboard_success"][0] == 0
    assert after["orders"] == before["orders"] + 1 and after["total"] == round(before["total"] + 1140.0, 2)
    assert after["target_actual"] == before["target_actual"] + 1140.0
    assert after["tier_sales"] == before["tier_sales"] + 1140.0
    [approval] = await pulled(client, rep, "approval")
    assert (approval["status"], approval["comment"], approval["decided_by_name"]) == (
        "approved",
        "老客户，回款及时",
        "张经理",
    )
    assert "approval.requested" in actions(client.app) and "approval.approved" in actions(client.app)
    page = await client.get(f"/customers/{customer_id}")
    assert by_testid(page.text, f"order-approval-{order_id}") == "已批准"


async def test_a_rejected_order_is_kept_uncounted_and_the_rep_pulls_the_comment(
    client: Client,
    seeded: World,
    engine: Engine,
    settings: Settings,
    catalogue: dict[str, str],  # noqa: F811
) -> None:
    customer_id = seeded.customers_a[1]
    set_limit(engine, customer_id, 100)
    rep = await login(client, "rep.a")
    before = counted(engine, seeded, customer_id, settings)
    order_id = await push_order(client, rep, seeded, customer_id, [(catalogue["gauze"], 10, 16.5)])
    [request] = requests(engine)
    await web_login(client, "boss")

    refused = await decide_on_web(client, request.id, "rejected", "   ")  # no comment: refused clearly
    assert refused.status_code == 422 and "驳回时请填写审批意见" in refused.text
    assert requests(engine)[0].status == "pending"
    bad = await decide_on_web(client, request.id, "maybe", "?")
    assert bad.status_code == 422 and "请选择批准或驳回" in bad.text

    answer = await decide_on_web(client, request.id, "rejected", "超出额度，请先回款")
    assert answer.status_code == 303
    assert counted(engine, seeded, customer_id, settings) == before
    with read_session(engine) as session:
        stored = session.get(Order, order_id)
        assert stored is not None and stored.approval_status == "rejected" and stored.amount == 165.0  # kept
    [approval] = await pulled(client, rep, "approval")
    assert (approval["status"], approval["comment"]) == ("rejected", "超出额度，请先回款")
    [order] = [o for o in await pulled(client, rep, "order") if o["id"] == order_id]
    assert order["approval_status"] == "rejected" and order["lines"][0]["quantity"] == 10

    twice = await decide_on_web(client, request.id, "approved", "改主意")
    assert twice.status_code == 409 and "已经处理过" in twice.text
    assert requests(engine)[0].status == "rejected"
    assert "approval.rejected" in actions(client.app)


async def test_a_discount_above_the_threshold_needs_approval_at_the_threshold_not(
    client: Client,
    seeded: World,
    engine: Engine,
    settings: Settings,
    catalogue: dict[str, str],  # noqa: F811
) -> None:
    rep = await login(client, "rep.a")
    await push_order(client, rep, seeded, seeded.customers_a[2], [(catalogue["syringe"], 1, 32.3)])  # 15 % off
    assert requests(engine) == []
    order_id = await push_order(client, rep, seeded, seeded.customers_a[2], [(catalogue["syringe"], 1, 32.0)])
    [request] = requests(engine)
    assert (request.record_id, request.reason, request.figures["discount_pct"]) == (order_id, "discount", 15.8)


async def test_who_may_decide(
    client: Client,
    seeded: World,
    engine: Engine,
    settings: Settings,
    catalogue: dict[str, str],  # noqa: F811
) -> None:
    customer_id = seeded.customers_a[0]
    set_limit(engine, customer_id, 10)
    rep = await login(client, "rep.a")
    await push_order(client, rep, seeded, customer_id, [(catalogue["iodine"], 2, 9.8)])
    [request] = requests(engine)
    deciding = Deciding(lifecycle_rules(settings), settings.tz)
    with write_session(engine) as session:
        other_team = Actor.of(
            create_user(session, username="sup.b", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_B)
        )
    with pytest.raises(Forbidden), write_session(engine) as session:
        decide(session, seeded.rep_a, request.id, "approved", "", deciding)
    with pytest.raises(NotFound), write_session(engine) as session:  # another team's: not even found
        decide(session, other_team, request.id, "approved", "", deciding)
    assert requests(engine)[0].status == "pending"
    web_rep = await client.get("/approvals", headers=rep)
    assert web_rep.status_code in (401, 403) or "/login" in web_rep.headers.get("location", "")


async def test_a_new_customer_from_a_phone_waits_and_the_rep_sees_the_outcome(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep = await login(client, "rep.a")
    customer_id = new_id()
    ops = [make_op(1, "customer", customer_id, customer_fields("新开诊所", status="prospect"))]
    answer = await client.post("/api/sync/push", json=push_body(ops), headers=rep)
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "applied"
    [request] = requests(engine)
    assert (request.kind, request.record_id) == ("new_customer", customer_id)
    [customer] = [c for c in await pulled(client, rep, "customer") if c["id"] == customer_id]
    assert customer["approval_status"] == "pending" and customer["name"] == "新开诊所"
    await web_login(client, "boss")
    assert (await decide_on_web(client, request.id, "rejected", "重复客户")).status_code == 303
    [customer] = [c for c in await pulled(client, rep, "customer") if c["id"] == customer_id]
    assert customer["approval_status"] == "rejected" and customer["name"] == "新开诊所"  # kept, never deleted


async def test_a_credit_change_is_decided_by_someone_else(
    client: Client, seeded: World, engine: Engine, settings: Settings
) -> None:
    customer_id = seeded.customers_a[3]
    await web_login(client, "boss")
    page = await client.get(f"/customers/{customer_id}")
    form = {"rating": "good", "limit": "5000", "reason": "年度评审", "_csrf_token": csrf_token(page.text)}
    answer = await client.post(f"/customers/{customer_id}/credit", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/approvals?record={customer_id}"
    [request] = requests(engine)
    assert request.kind == "credit_change" and request.figures["credit_limit"] == 5000.0
    with read_session(engine) as session:
        assert session.get(Customer, customer_id).credit_limit is None  # type: ignore[union-attr] - not yet
    own = await decide_on_web(client, request.id, "approved", "")
    assert own.status_code == 403
    bad = await client.post(f"/customers/{customer_id}/credit", data={**form, "limit": "很多"}, follow_redirects=False)
    assert bad.status_code == 422
    with write_session(engine) as session:
        admin = Actor.of(create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN))
    deciding = Deciding(lifecycle_rules(settings), settings.tz)
    with write_session(engine) as session:
        decide(session, admin, request.id, "approved", "同意", deciding)
    with read_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None and (customer.credit_limit, customer.credit_rating) == (5000.0, "good")


async def test_a_claim_beyond_the_monthly_limit_becomes_a_request_and_approval_gives_the_customer(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        for customer_id in seeded.customers_a[:2]:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            set_computed(session, customer, {"owner_rep_id": None})
    rep = await login(client, "rep.a")
    claims = [
        make_op(n, "customer_claim", new_id(), {"customer_id": c, "action": "claim", "at": local_time(seeded.today, 9)})
        for n, c in enumerate(seeded.customers_a[:2], start=1)
    ]
    answer = await client.post("/api/sync/push", json=push_body(claims), headers=rep)
    assert [r["status"] for r in answer.json()["results"]] == ["applied", "applied"]
    [request] = requests(engine)
    assert (request.kind, request.record_id, request.customer_id) == (
        "claim",
        claims[1]["record_id"],
        seeded.customers_a[1],
    )
    with read_session(engine) as session:
        assert session.get(Customer, seeded.customers_a[1]).owner_rep_id is None  # type: ignore[union-attr]
    await web_login(client, "boss")
    assert (await decide_on_web(client, request.id, "approved", "")).status_code == 303
    with read_session(engine) as session:
        assert session.get(Customer, seeded.customers_a[1]).owner_rep_id == seeded.rep_a.id  # type: ignore[union-attr]


async def test_a_merge_moves_the_merged_customers_requests_to_the_survivor(
    client: Client,
    seeded: World,
    engine: Engine,
    catalogue: dict[str, str],  # noqa: F811
) -> None:
    """查重 merges B into A (server/domains/duplicates/merge.py): B's pending order request goes with the order,
    names A, and reaches the phones again; it still counts only once approved."""
    from server.changes.models import ChangeLog
    from server.domains.duplicates.merge import merge_customers

    survivor, merged = seeded.customers_a[0], seeded.customers_a[1]
    set_limit(engine, merged, 100)
    rep = await login(client, "rep.a")
    order_id = await push_order(client, rep, seeded, merged, [(catalogue["syringe"], 30, 38.0)])
    with write_session(engine) as session:
        result = merge_customers(session, seeded.supervisor, survivor, merged)
        survivor_name = result.survivor.name
    assert result.moved["approval"] == 1
    [request] = requests(engine)
    assert (request.customer_id, request.customer_name, request.record_id) == (survivor, survivor_name, order_id)
    with read_session(engine) as session:
        sent = session.exec(select(ChangeLog).where(ChangeLog.record_id == request.id)).all()
        assert sent[-1].data is not None and sent[-1].data["customer_id"] == survivor
        order = session.get(Order, order_id)
        assert order is not None and order.customer_id == survivor and order.approval_status == "pending"
