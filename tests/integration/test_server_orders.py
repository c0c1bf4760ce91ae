"""Issue 4 on the server: the product catalogue, orders and competitor reports from phones, the customer
lifecycle and A/B/C tiers (on orders, on demand and by the daily jobs), credit ratings, check-in flags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.app import SCHEDULED_JOBS
from server.db import read_session, write_session
from server.domains.customers.service import put_customer
from server.domains.products.service import put_product
from server.domains.visits.board import day_board
from server.jobs import run_due_jobs
from server.models import ChangeLog, CompetitorReport, Customer, Order, Visit
from server.settings import Settings
from shared.ids import new_id
from tests.integration.conftest import (
    TERRITORY_A,
    World,
    customer_fields,
    local_time,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]


@pytest.fixture
def catalogue(seeded: World, engine: Engine) -> dict[str, str]:
    """Three products, by a short name."""
    products = {
        "syringe": {"name": "一次性使用无菌注射器", "spec": "5ml × 100支/盒", "unit": "盒", "unit_price": 38.0},
        "gauze": {"name": "医用脱脂纱布块", "spec": "7.5cm×7.5cm-8P × 100片/包", "unit": "包", "unit_price": 16.5},
        "iodine": {"name": "碘伏消毒液", "spec": "500ml/瓶", "unit": "瓶", "unit_price": 9.8},
    }
    ids = {}
    with write_session(engine) as session:
        for short, fields in products.items():
            ids[short] = put_product(session, seeded.supervisor, new_id(), {**fields, "active": True}).id
    return ids


def order_fields(
    customer_id: str, visit_id: str, lines: list[tuple[str, float, float]], at: str, **extra: Any
) -> dict[str, Any]:
    rows = [{"product_id": p, "quantity": q, "unit_price": u} for p, q, u in lines]
    amount = round(sum(q * u for _, q, u in lines), 2)
    return {
        "customer_id": customer_id,
        "visit_id": visit_id,
        "lines": rows,
        "amount": amount,
        "ordered_at": at,
        **extra,
    }


def prospect(engine: Engine, world: World, name: str = "路边新诊所", **extra: Any) -> str:
    with write_session(engine) as session:
        fields = customer_fields(name, status="prospect", **extra)
        return put_customer(session, world.supervisor, new_id(), fields, server_fields={"territory": TERRITORY_A}).id


def counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {
            m.__name__: session.exec(select(func.count()).select_from(m)).one()
            for m in (Order, Visit, CompetitorReport, ChangeLog)
        }


def status_of(engine: Engine, customer_id: str) -> tuple[str, str | None]:
    with read_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer.status, customer.tier


async def test_an_order_is_applied_once_its_amount_kept_and_its_customer_becomes_new_then_active(
    client: Client, seeded: World, engine: Engine, catalogue: dict[str, str]
) -> None:
    headers = await login(client, "rep.a")
    customer_id = prospect(engine, seeded)
    visit_id, order_id = new_id(), new_id()
    day = seeded.today
    order = order_fields(
        customer_id, visit_id, [(catalogue["syringe"], 10, 36.5), (catalogue["iodine"], 3, 9.8)], local_time(day, 9)
    )
    ops = [make_op(1, "visit", visit_id, visit_fields(customer_id, day, 9)), make_op(2, "order", order_id, order)]
    first = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
    again = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    with read_session(engine) as session:
        [stored] = session.exec(select(Order)).all()
        assert (stored.amount, stored.rep_id, stored.territory, stored.order_day) == (
            394.4,
            seeded.rep_a.id,
            "东片",
            day,
        )
    assert status_of(engine, customer_id)[0] == "new"  # first order

    changes, _ = await pull_all(client, headers)
    [pulled] = [c["data"] for c in changes if c["kind"] == "order"]
    assert pulled["lines"][0]["quantity"] == 10 and pulled["amount"] == 394.4
    [customer] = [c["data"] for c in changes if c["record_id"] == customer_id]
    assert customer["status"] == "new"

    # A second order, on a visit two days later: within 60 days of the first, so the customer is active.
    later_visit = new_id()
    later = day + dt.timedelta(days=2)
    ops = [
        make_op(3, "visit", later_visit, visit_fields(customer_id, later, 10)),
        make_op(
            4,
            "order",
            new_id(),
            order_fields(customer_id, later_visit, [(catalogue["gauze"], 4, 16.5)], local_time(later, 10)),
        ),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    assert status_of(engine, customer_id)[0] == "active"
    orders = await client.get(f"/api/orders?customer_id={customer_id}", headers=headers)
    assert [o["amount"] for o in orders.json()] == [66.0, 394.4]  # newest first


@pytest.mark.parametrize(
    ("case", "status", "code", "path", "reason"),
    [
        ("no lines", 422, "invalid_record", "ops[1].fields.lines", None),
        ("zero quantity", 422, "invalid_record", "ops[1].fields.lines", None),
        ("unknown product", 422, "invalid_record", "ops[1].fields.lines[1].product_id", "unknown_product"),
        ("amount mismatch", 422, "invalid_record", "ops[1].fields.amount", "amount_mismatch"),
        ("no such visit", 422, "invalid_record", "ops[1].fields.visit_id", "unknown_visit"),
        ("visit at another customer", 422, "invalid_record", "ops[1].fields.visit_id", "visit_of_another_customer"),
        ("another territory", 403, "forbidden", "ops[1]", None),
    ],
)
async def test_a_bad_order_is_refused_with_a_clear_code_and_nothing_of_the_push_is_stored(
    client: Client,
    seeded: World,
    engine: Engine,
    catalogue: dict[str, str],
    case: str,
    status: int,
    code: str,
    path: str,
    reason: str | None,
) -> None:
    headers = await login(client, "rep.a")
    customer_id, visit_id, day = seeded.customers_a[0], new_id(), seeded.today
    order = order_fields(
        customer_id, visit_id, [(catalogue["syringe"], 2, 38.0), (catalogue["gauze"], 1, 16.5)], local_time(day, 9)
    )
    if case == "no lines":
        order["lines"] = []
    elif case == "zero quantity":
        order["lines"][0]["quantity"] = 0
    elif case == "unknown product":
        order["lines"][1]["product_id"] = new_id()
    elif case == "amount mismatch":
        order["amount"] = 90.0  # the lines make 92.50
    elif case == "no such visit":
        order["visit_id"] = new_id()
    elif case == "visit at another customer":
        order["customer_id"] = seeded.customers_a[1]
    elif case == "another territory":
        order["customer_id"] = seeded.customers_b[0]
    before = counts(engine)
    ops = [make_op(1, "visit", visit_id, visit_fields(customer_id, day, 9)), make_op(2, "order", new_id(), order)]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["path"]) == (code, path)
    if reason:
        assert error["details"]["reason"] == reason
    if case == "amount mismatch":
        assert error["details"]["expected"] == 92.5 and "92.50" in error["message"]
    assert counts(engine) == before  # not even the visit pushed with it


async def test_an_order_never_changes_and_cannot_be_deleted(
    client: Client, seeded: World, engine: Engine, catalogue: dict[str, str]
) -> None:
    headers = await login(client, "rep.a")
    customer_id, visit_id, order_id, day = seeded.customers_a[0], new_id(), new_id(), seeded.today
    order = order_fields(customer_id, visit_id, [(catalogue["iodine"], 5, 9.8)], local_time(day, 9))
    ops = [make_op(1, "visit", visit_id, visit_fields(customer_id, day, 9)), make_op(2, "order", order_id, order)]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    same = await client.post(
        "/api/sync/push", json=push_body([make_op(3, "order", order_id, {**order, "amount": 49})]), headers=headers
    )
    assert same.status_code == 200  # a phone re-sending the same order under a new seq: nothing changes
    changed = {
        **order,
        "lines": [{"product_id": catalogue["iodine"], "quantity": 6, "unit_price": 9.8}],
        "amount": 58.8,
    }
    refused = await client.post(
        "/api/sync/push", json=push_body([make_op(4, "order", order_id, changed)]), headers=headers
    )
    assert refused.status_code == 409 and refused.json()["error"]["details"]["reason"] == "order_is_final"
    delete = await client.post(
        "/api/sync/push", json=push_body([make_op(5, "order", order_id, action="delete")]), headers=headers
    )
    assert delete.status_code == 400
    with read_session(engine) as session:
        [stored] = session.exec(select(Order)).all()
        assert stored.amount == 49.0


async def test_a_competitor_report_reaches_its_territory_and_stays_as_made(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers_a, headers_b = await login(client, "rep.a"), await login(client, "rep.b")
    report_id, visit_id, day = new_id(), new_id(), seeded.today
    report = {
        "customer_id": seeded.customers_a[1],
        "visit_id": visit_id,
        "brand": "鱼跃",
        "product": "医用脱脂纱布块",
        "price": 14.0,
        "promotion": "买十送一，月底前",
        "observed_at": local_time(day, 10),
    }
    ops = [
        make_op(1, "visit", visit_id, visit_fields(seeded.customers_a[1], day, 10)),
        make_op(2, "competitor_report", report_id, report),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers_a)).status_code == 200
    changes_a, _ = await pull_all(client, headers_a)
    changes_b, _ = await pull_all(client, headers_b)
    assert [c["data"]["brand"] for c in changes_a if c["kind"] == "competitor_report"] == ["鱼跃"]
    assert not [c for c in changes_b if c["kind"] == "competitor_report"]
    edit = await client.post(
        "/api/sync/push",
        json=push_body([make_op(3, "competitor_report", report_id, {"price": 12.0})]),
        headers=headers_a,
    )
    assert edit.status_code == 409 and edit.json()["error"]["details"]["reason"] == "report_is_final"
    missing = await client.post(
        "/api/sync/push",
        json=push_body(
            [make_op(4, "competitor_report", new_id(), {"customer_id": seeded.customers_a[1], "brand": "鱼跃"})]
        ),
        headers=headers_a,
    )
    assert missing.status_code == 422 and missing.json()["error"]["path"] == "ops[0].fields.product"
    listed = await client.get(f"/api/competitor-reports?customer_id={seeded.customers_a[1]}", headers=headers_a)
    assert [r["promotion"] for r in listed.json()] == ["买十送一，月底前"]


async def test_the_catalogue_is_kept_by_supervisors_and_reaches_every_rep(client: Client, seeded: World) -> None:
    boss, rep_a, rep_b = await login(client, "boss"), await login(client, "rep.a"), await login(client, "rep.b")
    product = {"name": "医用外科口罩", "spec": "17.5cm×9.5cm × 50只/盒", "unit": "盒", "unit_price": 25.0}
    assert (await client.post("/api/products", json=product, headers=rep_a)).status_code == 403
    made = await client.post("/api/products", json=product, headers=boss)
    assert made.status_code == 201, made.text
    product_id = made.json()["id"]
    bad = await client.post("/api/products", json={**product, "unit_price": -1}, headers=boss)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    blank = await client.post("/api/products", json={**product, "name": "  "}, headers=boss)
    assert blank.status_code == 422 and blank.json()["error"]["path"] == "product.fields.name"
    changed = await client.put(f"/api/products/{product_id}", json={"unit_price": 23.5, "active": False}, headers=boss)
    assert changed.status_code == 200 and changed.json()["active"] is False
    for headers in (rep_a, rep_b):
        changes, _ = await pull_all(client, headers)
        [pulled] = [c["data"] for c in changes if c["kind"] == "product"]
        assert (pulled["name"], pulled["unit_price"], pulled["active"]) == ("医用外科口罩", 23.5, False)
    listed = await client.get("/api/products", headers=rep_a)
    assert listed.status_code == 200 and [p["active"] for p in listed.json()] == [False]
    unknown = await client.get("/api/products?active_only=true", headers=rep_a)
    assert unknown.status_code == 400 and unknown.json()["error"]["path"] == "query"
    push = await client.post(
        "/api/sync/push", json=push_body([make_op(1, "product", new_id(), product)]), headers=rep_a
    )
    assert push.status_code == 403


async def test_a_visit_with_an_order_counts_as_successful_on_the_board(
    client: Client, seeded: World, engine: Engine, settings: Settings, catalogue: dict[str, str]
) -> None:
    """Planned 3, visited 2; one ordered through an order record only (the rep did not tick "ordered")."""
    headers = await login(client, "rep.a")
    day, c = seeded.today, seeded.customers_a
    v1, v2 = new_id(), new_id()
    ops = [
        make_op(1, "visit", v1, visit_fields(c[0], day, 9)),
        make_op(
            2, "order", new_id(), order_fields(c[0], v1, [(catalogue["syringe"], 1, 38.0)], local_time(day, 9, 10))
        ),
        make_op(3, "visit", v2, visit_fields(c[1], day, 10, ordered=False)),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    with read_session(engine) as session:
        board = day_board(session, day, settings.tz)
    [row] = [r for r in board.reps if r.rep.username == "rep.a"]
    assert (row.tally.visited_on_route, row.tally.ordered_on_route, row.success) == (2, 1, "50%")
    [visit_row] = [r for r in board.visits if r.visit.id == v1]
    assert visit_row.ordered and visit_row.amount == 38.0
    await web_login(client, "boss")
    page = await client.get(f"/board?day={day.isoformat()}")
    assert by_testid(page.text, "success-rate-rep.a") == "50%"
    assert f'data-testid="visit-outcome-{v1}" data-ordered="true"' in page.text


async def _orders_on(
    client: Client,
    headers: dict[str, str],
    seq: int,
    customer_id: str,
    days_ago: list[int],
    today: dt.date,
    product: str,
    amount: float,
) -> int:
    ops = []
    for back in days_ago:
        day = today - dt.timedelta(days=back)
        visit_id = new_id()
        ops.append(make_op(seq, "visit", visit_id, visit_fields(customer_id, day, 9)))
        ops.append(
            make_op(
                seq + 1,
                "order",
                new_id(),
                order_fields(customer_id, visit_id, [(product, 1, amount)], local_time(day, 9)),
            )
        )
        seq += 2
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    return seq


async def test_the_daily_jobs_move_customers_along_the_lifecycle_and_recompute_tiers_once(
    client: Client, seeded: World, engine: Engine, settings: Settings, catalogue: dict[str, str]
) -> None:
    headers = await login(client, "rep.a")
    today, c = seeded.today, [prospect(engine, seeded, f"新开发诊所{i}") for i in range(4)]
    seq = await _orders_on(client, headers, 1, c[0], [3, 20], today, catalogue["syringe"], 5000)  # active
    seq = await _orders_on(client, headers, seq, c[1], [59], today, catalogue["gauze"], 800)  # new, going cold
    seq = await _orders_on(client, headers, seq, c[2], [100, 130], today, catalogue["iodine"], 100)  # dormant
    seq = await _orders_on(client, headers, seq, c[3], [181], today, catalogue["iodine"], 50)  # lost
    assert [status_of(engine, cid)[0] for cid in c] == ["active", "new", "dormant", "lost"]

    # Three days later, at the daily run: c1's only order is 62 days old -> dormant. Tiers from the year's orders.
    later = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(2, 0), tzinfo=settings.tz)
    ran = run_due_jobs(engine, settings, SCHEDULED_JOBS, later, "test-runner")
    assert ran == [
        "expire_tombstones",
        "customer_lifecycle",
        "value_tiers",
        "pool_return",
        "forget_ended_sessions",
        "leaderboards",
    ]
    assert run_due_jobs(engine, settings, SCHEDULED_JOBS, later, "other-process") == []  # once across processes
    states = [status_of(engine, cid) for cid in c]
    # Sales in the year: c0 10000 (0% ranked above: A), c1 800 (92.3%: B), c2 200 (99.5%: C); c3's order is
    # 181 days old but inside the year: 50 (C); the customers without orders: C.
    assert states == [("active", "A"), ("dormant", "B"), ("dormant", "C"), ("lost", "C")]
    for cid in seeded.customers_a + seeded.customers_b:
        assert status_of(engine, cid) == ("active", "C")  # no orders: status untouched, tier C


async def test_the_supervisor_recomputes_tiers_on_demand_and_a_rep_cannot_write_one(
    client: Client, seeded: World, engine: Engine, catalogue: dict[str, str]
) -> None:
    rep, boss = await login(client, "rep.a"), await login(client, "boss")
    c = seeded.customers_a
    seq = await _orders_on(client, rep, 1, c[0], [1], seeded.today, catalogue["syringe"], 700)
    seq = await _orders_on(client, rep, seq, c[1], [1], seeded.today, catalogue["syringe"], 700)  # a tie with c0
    await _orders_on(client, rep, seq, c[2], [1], seeded.today, catalogue["syringe"], 100)
    assert (await client.post("/api/customers/tiers/recompute", headers=rep)).status_code == 403
    done = await client.post("/api/customers/tiers/recompute", headers=boss)
    assert done.status_code == 200, done.text
    assert done.json()["counts"] == {"A": 2, "B": 1, "C": 3}  # 700, 700 tie: both A; 100 at 93.3%: B
    assert [status_of(engine, cid)[1] for cid in c] == ["A", "A", "B", "C"]
    tier_edit = [make_op(99, "customer", c[3], {"tier": "A"})]
    refused = await client.post("/api/sync/push", json=push_body(tier_edit), headers=rep)
    assert refused.status_code == 422 and refused.json()["error"]["path"] == "ops[0].fields.tier"

    await web_login(client, "boss")
    customers = await client.get("/customers")
    recomputed = await client.post(
        "/customers/tiers", data={"_csrf_token": csrf_token(customers.text)}, follow_redirects=False
    )
    assert recomputed.status_code == 303
    shown = await client.get(recomputed.headers["location"])
    assert by_testid(shown.text, "tiers-recomputed") == "已重新分级：A 类 2 家，B 类 1 家，C 类 3 家。"
    assert by_testid(shown.text, f"customer-tier-{c[0]}") == "A"


async def test_a_supervisor_rates_credit_and_the_history_is_kept(client: Client, seeded: World) -> None:
    rep, boss = await login(client, "rep.a"), await login(client, "boss")
    customer_id = seeded.customers_a[0]
    url = f"/api/customers/{customer_id}/credit-rating"
    assert (await client.put(url, json={"rating": "good"}, headers=rep)).status_code == 403
    assert (await client.put(url, json={"rating": "AAA"}, headers=boss)).status_code == 400
    first = await client.put(url, json={"rating": "good", "reason": "按时回款"}, headers=boss)
    assert first.status_code == 200 and first.json()["credit_rating"] == "good"
    second = await client.put(url, json={"rating": "poor", "reason": "两笔货款逾期"}, headers=boss)
    history = second.json()["history"]
    assert {(h["previous"], h["rating"]) for h in history} == {(None, "good"), ("good", "poor")}
    changes, _ = await pull_all(client, rep)
    [customer] = [ch["data"] for ch in changes if ch["record_id"] == customer_id]
    assert customer["credit_rating"] == "poor"
    refused = await client.post(
        "/api/sync/push",
        json=push_body([make_op(1, "customer", customer_id, {"credit_rating": "excellent"})]),
        headers=rep,
    )
    assert refused.status_code == 422

    await web_login(client, "boss")
    card = await client.get(f"/customers/{customer_id}")
    assert by_testid(card.text, "customer-credit") == "差" and "两笔货款逾期" in card.text
    saved = await client.post(
        f"/customers/{customer_id}/credit",
        data={"rating": "fair", "reason": "已结清", "_csrf_token": csrf_token(card.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    card = await client.get(f"/customers/{customer_id}")
    assert by_testid(card.text, "customer-credit") == "中" and "已结清" in card.text


async def test_a_doubtful_check_in_is_flagged_for_the_supervisor_never_refused(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id = prospect(engine, seeded, "固店村卫生室", lat=38.7526, lng=115.2400)
    day = seeded.today
    near, far, vague, mocked = new_id(), new_id(), new_id(), new_id()
    at = {"check_in_lat": 38.7530, "check_in_lng": 115.2405, "check_in_accuracy": 15}  # ~60 m away
    ops = [
        make_op(1, "visit", near, visit_fields(customer_id, day, 8, **at)),
        make_op(2, "visit", far, visit_fields(customer_id, day, 9, **{**at, "check_in_lat": 38.7620})),  # ~1 km
        make_op(3, "visit", vague, visit_fields(customer_id, day, 10, **{**at, "check_in_accuracy": 850})),
        make_op(4, "visit", mocked, visit_fields(customer_id, day, 11, **at, check_in_mocked=True)),
    ]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    with read_session(engine) as session:
        flags = {v.id: (v.flags or []) for v in session.exec(select(Visit)).all()}
    assert flags == {near: [], far: ["far_from_customer"], vague: ["poor_accuracy"], mocked: ["mocked_location"]}

    await web_login(client, "boss")
    page = await client.get("/visits/flagged")
    assert page.status_code == 200 and by_testid(page.text, "flagged-count") == "3"
    assert by_testid(page.text, f"visit-flag-{far}-far_from_customer") == "签到位置远离客户"
    assert f"flagged-visit-{near}" not in page.text
    card = await client.get(f"/customers/{customer_id}")
    assert by_testid(card.text, f"visit-flag-{mocked}-mocked_location") == "疑似虚拟定位"


async def test_the_supervisor_pages_show_orders_products_and_competitors(
    client: Client, seeded: World, engine: Engine, catalogue: dict[str, str]
) -> None:
    headers = await login(client, "rep.a")
    customer_id, visit_id, order_id, day = seeded.customers_a[0], new_id(), new_id(), seeded.today
    ops = [
        make_op(1, "visit", visit_id, visit_fields(customer_id, day, 9)),
        make_op(
            2,
            "order",
            order_id,
            order_fields(
                customer_id, visit_id, [(catalogue["gauze"], 12, 16.5)], local_time(day, 9), notes="月底前送到"
            ),
        ),
        make_op(
            3,
            "competitor_report",
            new_id(),
            {
                "customer_id": customer_id,
                "brand": "振德",
                "product": "纱布块",
                "price": 13.8,
                "observed_at": local_time(day, 9),
            },
        ),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    await web_login(client, "boss")
    orders = await client.get("/orders")
    assert orders.status_code == 200
    assert by_testid(orders.text, "order-count") == "1" and by_testid(orders.text, "orders-total") == "¥198.00"
    assert "医用脱脂纱布块" in orders.text and "月底前送到" in orders.text
    card = await client.get(f"/customers/{customer_id}")
    assert (
        by_testid(card.text, "customer-order-count") == "1"
        and by_testid(card.text, f"order-amount-{order_id}") == "¥198.00"
    )
    assert by_testid(card.text, "competitor-report-count") == "1" and "振德" in card.text
    assert by_testid(card.text, "customer-status") == "活跃客户"  # active before, one order on record: stays

    products = await client.get("/products")
    assert by_testid(products.text, "product-count") == "3"
    added = await client.post(
        "/products",
        data={
            "name": "棉签",
            "spec": "10cm × 50支/包",
            "unit": "包",
            "unit_price": "3.5",
            "_csrf_token": csrf_token(products.text),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    products = await client.get("/products?lang=en")
    assert (
        by_testid(products.text, "product-count") == "4"
        and "棉签" in products.text
        and "Product catalogue" in products.text
    )
    wrong = await client.post(
        "/products", data={"name": "棉球", "unit_price": "三元", "_csrf_token": csrf_token(products.text)}
    )
    assert wrong.status_code == 422 and 'data-testid="product-error"' in wrong.text


async def test_a_query_parameter_given_twice_is_refused_not_half_read(client: Client, seeded: World) -> None:
    """Found by the API fuzzer: `?customer_id=a&customer_id=b` was answered 200 from one of the two values."""
    headers = await login(client, "rep.a")
    twice = {"customer_id": [seeded.customers_a[0], seeded.customers_a[1]]}
    for path in ("/api/competitor-reports", "/api/orders"):
        response = await client.get(path, params=twice, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["path"] == "query.customer_id"
    once = await client.get("/api/orders", params={"customer_id": seeded.customers_a[0]}, headers=headers)
    assert once.status_code == 200


async def test_a_filter_that_is_not_a_record_id_is_refused(client: Client, seeded: World) -> None:
    """Found by the API fuzzer: `?customer_id=<any text>` was answered 200 with an empty list."""
    headers = await login(client, "rep.a")
    for path in ("/api/competitor-reports", "/api/orders"):
        response = await client.get(path, params={"customer_id": "not-an-id"}, headers=headers)
        assert response.status_code == 400, (path, response.text)
