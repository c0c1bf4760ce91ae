"""Issue 4 on the server: campaigns (planned on the API and the web, reaching the territory's phones,
participation synced from visits, results) and monthly targets (set, reaching the rep's phone, achievement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from server.db import read_session, write_session
from server.domains.campaigns.models import Campaign, CampaignResult
from server.domains.products.service import put_product
from server.domains.targets.models import SalesTarget
from server.domains.targets.service import month_of, target_achievement
from server.domains.users.service import create_user
from server.models import ChangeLog
from shared.enums import Role
from shared.ids import new_id
from tests.integration.conftest import (
    PASSWORD,
    TERRITORY_A,
    TERRITORY_B,
    World,
    local_time,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.test_server_web import by_testid, csrf_token, web_login

Client = AsyncTestClient[Litestar]


def campaign_body(customer_ids: list[str], day: dt.date, **extra: Any) -> dict[str, Any]:
    return {
        "campaign_type": "order_meeting",
        "name": "乡镇订货会",
        "territory": TERRITORY_A,
        "starts_on": (day - dt.timedelta(days=3)).isoformat(),
        "ends_on": (day + dt.timedelta(days=3)).isoformat(),
        "cost": 2000,
        "customer_ids": customer_ids,
        **extra,
    }


@pytest.fixture
def product(seeded: World, engine: Engine) -> str:
    with write_session(engine) as session:
        fields = {"name": "碘伏消毒液", "unit": "瓶", "unit_price": 10.0, "active": True}
        return put_product(session, seeded.supervisor, new_id(), fields).id


async def plan_campaign(client: Client, seeded: World, **extra: Any) -> dict[str, Any]:
    headers = await login(client, "boss")
    response = await client.post(
        "/api/campaigns", json=campaign_body(seeded.customers_a[:2], seeded.today, **extra), headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def visit_and_order_ops(seeded: World, product: str, customer: str, quantity: int, seq: int) -> tuple[list[Any], str]:
    visit_id, order_id = new_id(), new_id()
    at = local_time(seeded.today, 10)
    order = {
        "customer_id": customer,
        "visit_id": visit_id,
        "lines": [{"product_id": product, "quantity": quantity, "unit_price": 10.0}],
        "amount": quantity * 10.0,
        "ordered_at": at,
    }
    ops = [
        make_op(seq, "visit", visit_id, visit_fields(customer, seeded.today, 10)),
        make_op(seq + 1, "order", order_id, order),
    ]
    return ops, visit_id


def result_fields(campaign_id: str, customer: str, visit_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "customer_id": customer,
        "visit_id": visit_id,
        "participated": True,
        "recorded_at": local_time(dt.date.today(), 11),
        **extra,
    }


async def test_a_campaign_reaches_its_territory_and_participation_gives_results(
    client: Client, seeded: World, product: str, engine: Engine
) -> None:
    campaign = await plan_campaign(client, seeded)
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    changes_a, _ = await pull_all(client, rep_a)
    changes_b, _ = await pull_all(client, rep_b)
    assert [c["record_id"] for c in changes_a if c["kind"] == "campaign"] == [campaign["id"]]
    assert not [c for c in changes_b if c["kind"] == "campaign"]  # another territory's phones never see it

    customer = seeded.customers_a[0]
    ops, visit_id = visit_and_order_ops(seeded, product, customer, 30, 1)
    ops.append(make_op(3, "campaign_result", new_id(), result_fields(campaign["id"], customer, visit_id, amount=300)))
    response = await client.post("/api/sync/push", json=push_body(ops), headers=rep_a)
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 3
    # a non-participant's order (an invited customer who did not come) does not count
    other_ops, _ = visit_and_order_ops(seeded, product, seeded.customers_a[1], 5, 4)
    assert (await client.post("/api/sync/push", json=push_body(other_ops), headers=rep_a)).status_code == 200

    results = await client.get(f"/api/campaigns/{campaign['id']}/results", headers=rep_a)
    assert results.status_code == 200, results.text
    body = results.json()
    assert body["invited"] == 2 and body["participants"] == 1 and body["invited_participants"] == 1
    assert body["orders"] == 1 and body["amount"] == 300.0 and body["attributed_amount"] == 300.0
    assert body["cost"] == 2000.0 and body["return"] == 0.15
    assert body["per_rep"] == [
        {"rep_id": seeded.rep_a.id, "results": 1, "participants": 1, "orders": 1, "amount": 300.0}
    ]
    # the other territory's rep cannot read it
    assert (await client.get(f"/api/campaigns/{campaign['id']}/results", headers=rep_b)).status_code == 404
    # the results page shows it to the supervisor
    await web_login(client, "boss")
    page = await client.get(f"/campaigns/{campaign['id']}")
    assert page.status_code == 200
    assert by_testid(page.text, "result-participants").startswith("1")
    assert by_testid(page.text, "result-amount") == "¥300.00"
    assert by_testid(page.text, "result-return") == "0.15"
    listing = await client.get("/campaigns")
    assert "乡镇订货会" in listing.text


async def test_a_campaign_result_is_final_and_checked(
    client: Client, seeded: World, product: str, engine: Engine
) -> None:
    campaign = await plan_campaign(client, seeded)
    rep_a = await login(client, "rep.a")
    customer = seeded.customers_a[0]
    ops, visit_id = visit_and_order_ops(seeded, product, customer, 1, 1)
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=rep_a)).status_code == 200
    result_id = new_id()
    fields = result_fields(campaign["id"], customer, visit_id, feedback="很满意")
    first = await client.post(
        "/api/sync/push", json=push_body([make_op(3, "campaign_result", result_id, fields)]), headers=rep_a
    )
    assert first.status_code == 200
    changed = await client.post(
        "/api/sync/push",
        json=push_body([make_op(4, "campaign_result", result_id, {**fields, "feedback": "改了"})]),
        headers=rep_a,
    )
    assert changed.status_code == 409 and changed.json()["error"]["details"]["reason"] == "result_is_final"
    bad_cases = [
        ({**fields, "campaign_id": new_id()}, 422, "unknown_campaign"),
        ({**fields, "visit_id": new_id()}, 422, "unknown_visit"),
        ({**fields, "order_id": new_id()}, 422, "order_of_another_visit"),
        ({**fields, "customer_id": seeded.customers_b[0]}, 403, None),
        ({**fields, "participated": "yes"}, 422, None),
        ({**fields, "amount": -1}, 422, None),
    ]
    for seq, (bad, status, reason) in enumerate(bad_cases, start=5):
        response = await client.post(
            "/api/sync/push", json=push_body([make_op(seq, "campaign_result", new_id(), bad)]), headers=rep_a
        )
        assert response.status_code == status, (bad, response.text)
        if reason:
            assert response.json()["error"]["details"]["reason"] == reason
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(CampaignResult)).one() == 1


async def test_planning_a_campaign_refuses_bad_input_and_keeps_data(
    client: Client, seeded: World, engine: Engine
) -> None:
    boss = await login(client, "boss")
    rep_a = await login(client, "rep.a")
    day = seeded.today
    cases = [
        (campaign_body([seeded.customers_b[0]], day), 422),  # a customer of another territory
        (campaign_body([new_id()], day), 422),  # no such customer
        (campaign_body([], day, ends_on=(day - dt.timedelta(days=10)).isoformat()), 422),  # ends before it starts
        (campaign_body([], day, campaign_type="party"), 400),
        (campaign_body([], day, cost=-5), 400),
        (campaign_body([], day, extra="x"), 400),
    ]
    for body, status in cases:
        response = await client.post("/api/campaigns", json=body, headers=boss)
        assert response.status_code == status, (body, response.text)
    assert (await client.post("/api/campaigns", json=campaign_body([], day), headers=rep_a)).status_code == 403
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Campaign)).one() == 0
    created = await client.post("/api/campaigns", json=campaign_body([], day, cost=0), headers=boss)
    campaign_id = created.json()["id"]
    updated = await client.put(f"/api/campaigns/{campaign_id}", json={"name": "春季促销"}, headers=boss)
    assert updated.status_code == 200 and updated.json()["name"] == "春季促销"
    assert (
        await client.put(f"/api/campaigns/{campaign_id}", json={"territory": TERRITORY_B}, headers=boss)
    ).status_code == 400
    results = await client.get(f"/api/campaigns/{campaign_id}/results", headers=boss)
    assert results.json()["return"] is None  # zero cost: no return to compute


async def test_a_supervisor_plans_a_campaign_on_the_web(client: Client, seeded: World, engine: Engine) -> None:
    await web_login(client, "boss")
    form_page = await client.get(f"/campaigns/new?territory={TERRITORY_A}")
    assert form_page.status_code == 200
    token = csrf_token(form_page.text)
    form = {
        "_csrf_token": token,
        "campaign_type": "display",
        "name": "门店陈列",
        "territory": TERRITORY_A,
        "starts_on": seeded.today.isoformat(),
        "ends_on": seeded.today.isoformat(),
        "cost": "abc",
        "customer_id": [seeded.customers_a[0], seeded.customers_a[1]],
    }
    refused = await client.post("/campaigns", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "cost" in by_testid(refused.text, "campaign-error")
    saved = await client.post("/campaigns", data={**form, "cost": "800"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = await client.get(saved.headers["location"])
    assert by_testid(page.text, "result-invited") == "2"
    with read_session(engine) as session:
        campaign = session.exec(select(Campaign)).one()
    assert campaign.cost == 800 and campaign.customer_ids == seeded.customers_a[:2]


async def test_targets_reach_the_rep_and_achievement_counts_real_records(
    client: Client, seeded: World, product: str, engine: Engine
) -> None:
    month = month_of(seeded.today)
    boss, rep_a, rep_b = await login(client, "boss"), await login(client, "rep.a"), await login(client, "rep.b")
    body = {"rep_id": seeded.rep_a.id, "month": month, "sales_amount": 1000, "new_customers": 2, "visits": 4}
    response = await client.put("/api/targets", json=body, headers=boss)
    assert response.status_code == 200, response.text
    # set again: one target per rep and month, changed in place
    assert (await client.put("/api/targets", json={**body, "visits": 8}, headers=boss)).status_code == 200
    assert (await client.put("/api/targets", json=body, headers=rep_a)).status_code == 403
    changes_a, _ = await pull_all(client, rep_a)
    changes_b, _ = await pull_all(client, rep_b)
    targets = [c["data"] for c in changes_a if c["kind"] == "sales_target"]
    assert len(targets) == 1 and targets[0]["visits"] == 8
    assert not [c for c in changes_b if c["kind"] == "sales_target"]

    ops, _ = visit_and_order_ops(seeded, product, seeded.customers_a[0], 25, 1)
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=rep_a)).status_code == 200
    mine = (await client.get("/api/targets", headers=rep_a)).json()
    assert len(mine) == 1
    assert mine[0]["sales_amount"] == {"target": 1000.0, "actual": 250.0, "rate": 0.25}
    assert mine[0]["new_customers"] == {"target": 2.0, "actual": 1.0, "rate": 0.5}
    assert mine[0]["visits"] == {"target": 8.0, "actual": 1.0, "rate": 0.125}
    team = (await client.get(f"/api/targets?month={month}", headers=boss)).json()
    by_rep = {row["rep_id"]: row for row in team}
    assert by_rep[seeded.rep_b.id]["visits"] == {"target": None, "actual": 0.0, "rate": None}
    for bad in ("2026-13", "2026-1", "x", "2026-11-01"):
        assert (await client.get(f"/api/targets?month={bad}", headers=boss)).status_code == 400
    for bad_body in ({**body, "month": "2026-00"}, {**body, "visits": 1.5}, {**body, "rep_id": seeded.supervisor.id}):
        assert (await client.put("/api/targets", json=bad_body, headers=boss)).status_code in (400, 404)
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(SalesTarget)).one() == 1


async def test_the_targets_page_saves_a_month_grid(client: Client, seeded: World, engine: Engine) -> None:
    await web_login(client, "boss")
    month = month_of(seeded.today)
    page = await client.get(f"/targets?month={month}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    form = {
        "_csrf_token": token,
        "month": month,
        f"sales_amount_{seeded.rep_a.id}": "5000",
        f"new_customers_{seeded.rep_a.id}": "3",
        f"visits_{seeded.rep_a.id}": "",
    }
    refused = await client.post("/targets", data=form, follow_redirects=False)
    assert refused.status_code == 422
    saved = await client.post("/targets", data={**form, f"visits_{seeded.rep_a.id}": "60"}, follow_redirects=False)
    assert saved.status_code == 303
    with read_session(engine) as session:
        rows = target_achievement(session, [seeded.rep_a.id], month)
    assert rows[seeded.rep_a.id].amount.target == 5000 and rows[seeded.rep_a.id].visits.target == 60
    assert (await client.get("/targets?month=2026-13")).status_code == 422
    with read_session(engine) as session:
        assert (
            session.exec(select(func.count()).select_from(ChangeLog).where(ChangeLog.kind == "sales_target")).one() == 1
        )


async def test_achievement_months_follow_the_servers_time_zone(
    client: Client, seeded: World, product: str, engine: Engine
) -> None:
    """Asia/Shanghai: 2026-11-30 23:30 +08:00 is November; 2026-11-30 16:30 UTC (00:30 on Dec 1 there) is December,
    however the phone wrote its offset. A customer's first order makes them new in that month, for that rep."""
    rep_a = await login(client, "rep.a")
    ops: list[Any] = []
    for seq, (customer, at, quantity) in enumerate(
        [
            (seeded.customers_a[0], "2026-11-30T23:30:00+08:00", 3),
            (seeded.customers_a[1], "2026-11-30T16:30:00+00:00", 5),
            (seeded.customers_a[0], "2026-12-02T10:00:00+08:00", 1),  # not new any more in December
        ]
    ):
        visit_id = new_id()
        visit = {"customer_id": customer, "visit_type": "day", "check_in_at": at}
        lines = [{"product_id": product, "quantity": quantity, "unit_price": 10.0}]
        order = {"customer_id": customer, "visit_id": visit_id, "lines": lines, "amount": quantity * 10.0}
        ops += [
            make_op(2 * seq + 1, "visit", visit_id, visit),
            make_op(2 * seq + 2, "order", new_id(), {**order, "ordered_at": at}),
        ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=rep_a)).status_code == 200
    with read_session(engine) as session:
        november = target_achievement(session, [seeded.rep_a.id], "2026-11")[seeded.rep_a.id]
        december = target_achievement(session, [seeded.rep_a.id], "2026-12")[seeded.rep_a.id]
        other = target_achievement(session, [seeded.rep_b.id], "2026-11")[seeded.rep_b.id]
    assert (november.amount.actual, november.new_customers.actual, november.visits.actual) == (30.0, 1.0, 1.0)
    assert (december.amount.actual, december.new_customers.actual, december.visits.actual) == (60.0, 1.0, 2.0)
    assert november.amount.target is None and november.amount.rate is None  # no target set
    assert (other.amount.actual, other.new_customers.actual, other.visits.actual) == (0.0, 0.0, 0.0)


async def test_a_territory_supervisor_sets_targets_and_plans_campaigns_for_their_team_only(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="sup.b", password=PASSWORD, role=Role.SUPERVISOR, territory=TERRITORY_B)
    sup_b = await login(client, "sup.b")
    body = {"rep_id": seeded.rep_a.id, "month": "2026-11", "sales_amount": 1, "new_customers": 1, "visits": 1}
    assert (await client.put("/api/targets", json=body, headers=sup_b)).status_code == 403
    assert (
        await client.put("/api/targets", json={**body, "rep_id": seeded.rep_b.id}, headers=sup_b)
    ).status_code == 200
    team = (await client.get("/api/targets?month=2026-11", headers=sup_b)).json()
    assert [row["rep_id"] for row in team] == [seeded.rep_b.id]
    planned = await client.post("/api/campaigns", json=campaign_body([], seeded.today), headers=sup_b)
    assert planned.status_code == 403  # the campaign is in 东片
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(SalesTarget)).one() == 1
