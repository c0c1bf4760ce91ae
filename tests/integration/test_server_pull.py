"""POST /api/sync/pull: server cursors, paging, one row per record, territory filtering, tombstones, plans."""

from __future__ import annotations

import json

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.db import read_session, write_session
from server.domains.routes.service import set_route_plan
from server.settings import Settings
from shared.ids import new_id
from sync.protocol import MAX_PULL_LIMIT, SCHEMA_VERSION, parse_pull_request, parse_pull_response
from tests.integration.conftest import (
    DEVICE_B,
    TERRITORY_A,
    TERRITORY_B,
    World,
    customer_fields,
    login,
    make_op,
    pull_all,
    push_body,
    visit_fields,
)


async def test_a_rep_pulls_their_territory_and_their_own_plans_only(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        set_route_plan(session, seeded.supervisor, seeded.rep_b.id, seeded.today, seeded.customers_b)
    rep_b = await login(client, "rep.b")
    response = await client.post(
        "/api/sync/push",
        json=push_body(
            [make_op(1, "visit", new_id(), visit_fields(seeded.customers_b[0], seeded.today, 10), device_id=DEVICE_B)],
            device_id=DEVICE_B,
        ),
        headers=rep_b,
    )
    assert response.status_code == 200
    changes, _ = await pull_all(client, await login(client, "rep.a"))
    territories = {change["data"]["territory"] for change in changes}
    assert territories == {TERRITORY_A}
    kinds = sorted(change["kind"] for change in changes)
    assert kinds == ["customer"] * 4 + ["route_plan"]
    plan = next(change["data"] for change in changes if change["kind"] == "route_plan")
    assert plan["rep_id"] == seeded.rep_a.id
    assert plan["day"] == seeded.today.isoformat()
    assert plan["customer_ids"] == seeded.customers_a[:3]
    b_changes, _ = await pull_all(client, rep_b)
    assert {c["data"]["territory"] for c in b_changes} == {TERRITORY_B}
    assert sorted(c["kind"] for c in b_changes) == ["customer"] * 2 + ["route_plan", "visit"]
    everything, _ = await pull_all(client, await login(client, "boss"))
    assert len(everything) == len(changes) + len(b_changes)


async def test_pull_pages_with_a_server_cursor_and_has_more(client: AsyncTestClient[Litestar], seeded: World) -> None:
    headers = await login(client, "rep.a")
    seen: list[int] = []
    cursor, pages = 0, 0
    while True:
        response = await client.post(
            "/api/sync/pull", json={"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 2}, headers=headers
        )
        assert response.status_code == 200
        page = parse_pull_response(response.json())  # the client's own parser accepts it
        pages += 1
        assert len(page.changes) <= 2
        seen.extend(change.seq for change in page.changes)
        assert page.cursor >= cursor
        cursor = page.cursor
        if not page.has_more:
            break
        assert page.cursor == page.changes[-1].seq
    assert pages == 3  # 5 rows (4 customers + 1 plan) in pages of 2
    assert seen == sorted(seen) and len(seen) == 5
    again = await client.post(
        "/api/sync/pull", json={"cursor": cursor, "schema_version": SCHEMA_VERSION}, headers=headers
    )
    assert again.json()["changes"] == [] and again.json()["cursor"] == cursor and again.json()["has_more"] is False


async def test_a_changed_record_comes_back_once_in_its_latest_state(
    client: AsyncTestClient[Litestar], seeded: World
) -> None:
    headers = await login(client, "rep.a")
    _, cursor = await pull_all(client, headers)
    customer_id = new_id()
    ops = [make_op(i + 1, "customer", customer_id, customer_fields("新客户", phone=f"13{i}")) for i in range(3)]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    changes, new_cursor = await pull_all(client, headers, cursor)
    assert [c["record_id"] for c in changes] == [customer_id]
    data = changes[0]["data"]
    assert data["phone"] == "132" and data["id"] == customer_id and data["owner_rep_id"] == seeded.rep_a.id
    assert set(data) >= {"name", "kind", "status", "importance", "territory", "tier", "updated_at", "created_at"}
    assert new_cursor == changes[0]["seq"] > cursor


async def test_a_delete_reaches_pull_as_a_tombstone(client: AsyncTestClient[Litestar], seeded: World) -> None:
    headers = await login(client, "rep.a")
    _, cursor = await pull_all(client, headers)
    target = seeded.customers_a[0]
    response = await client.post(
        "/api/sync/push", json=push_body([make_op(1, "customer", target, action="delete")]), headers=headers
    )
    assert response.status_code == 200
    changes, _ = await pull_all(client, headers, cursor)
    assert changes == [
        {"seq": changes[0]["seq"], "kind": "customer", "record_id": target, "deleted": True, "data": None}
    ]
    # From scratch, the customer also arrives only as its tombstone.
    from_scratch, _ = await pull_all(client, headers)
    assert [c["deleted"] for c in from_scratch if c["record_id"] == target] == [True]


async def test_visit_data_carries_server_derived_fields(client: AsyncTestClient[Litestar], seeded: World) -> None:
    headers = await login(client, "rep.a")
    _, cursor = await pull_all(client, headers)
    visit_id = new_id()
    fields = visit_fields(seeded.customers_a[0], seeded.today, 9, next_visit_date="2026-12-03")
    fields["check_in_at"] = f"{seeded.today.isoformat()}T01:30:00+00:00"  # 09:30 in Shanghai
    await client.post("/api/sync/push", json=push_body([make_op(1, "visit", visit_id, fields)]), headers=headers)
    changes, _ = await pull_all(client, headers, cursor)
    data = changes[0]["data"]
    assert data["visit_day"] == seeded.today.isoformat()
    assert data["rep_id"] == seeded.rep_a.id and data["territory"] == TERRITORY_A
    assert data["planned"] is True  # customers_a[0] is on rep A's plan for today
    assert data["next_visit_date"] == "2026-12-03"
    assert data["check_in_at"] == fields["check_in_at"]  # kept exactly as the device sent it


async def test_a_customer_created_after_a_pull_appears_in_the_next(
    client: AsyncTestClient[Litestar], seeded: World
) -> None:
    rep_a, rep_b = await login(client, "rep.a"), await login(client, "rep.b")
    _, cursor_a = await pull_all(client, rep_a)
    await client.post(
        "/api/sync/push",
        json=push_body(
            [make_op(1, "customer", new_id(), customer_fields("西片新店"), device_id=DEVICE_B)], device_id=DEVICE_B
        ),
        headers=rep_b,
    )
    changes, cursor_after = await pull_all(client, rep_a, cursor_a)
    assert changes == []  # rep B's territory: not for rep A, but the cursor moves past it
    assert cursor_after > cursor_a


@pytest.mark.parametrize(
    ("body", "status", "code", "path"),
    [
        ({"cursor": -1, "schema_version": SCHEMA_VERSION}, 400, "invalid_request", "cursor"),
        ({"cursor": "0", "schema_version": SCHEMA_VERSION}, 400, "invalid_request", "cursor"),
        ({"schema_version": SCHEMA_VERSION}, 400, "invalid_request", "cursor"),
        ({"cursor": 0, "schema_version": SCHEMA_VERSION, "since": 3}, 400, "invalid_request", "since"),
        ({"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": MAX_PULL_LIMIT + 1}, 413, "too_large", "limit"),
        ({"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": 0}, 400, "invalid_request", "limit"),
        ({"cursor": 0, "schema_version": 99}, 400, "invalid_request", "schema_version"),
    ],
)
async def test_a_bad_pull_is_refused_naming_the_problem(
    client: AsyncTestClient[Litestar], seeded: World, body: object, status: int, code: str, path: str
) -> None:
    response = await client.post("/api/sync/pull", content=json.dumps(body), headers=await login(client, "rep.a"))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["path"] == path


async def test_the_answer_carries_each_record_as_stored_equal_to_the_decoded_page(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine, settings: Settings
) -> None:
    """The API splices each record's JSON text in as the database holds it (`pull_json`); what a phone parses
    is exactly the decoded page (`pull`): Chinese text, numbers, lists, a tombstone, the paging fields."""
    from server.domains.ownership.service import claim_standing
    from server.domains.routes.ordering import route_rules
    from server.domains.sync.service import pull
    from server.domains.visits.flags import visit_flag_rules

    rep = await login(client, "rep.a")
    customer = new_id()
    fields = customer_fields('东关村卫生室 "引号" \\ 反斜杠', lat=38.8123456, lng=115.4)
    ops = [make_op(1, "customer", customer, fields), make_op(2, "customer", seeded.customers_a[0], action="delete")]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=rep)).status_code == 200
    for limit in (2, MAX_PULL_LIMIT):
        request = {"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": limit}
        answer = await client.post("/api/sync/pull", json=request, headers=rep)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        sent = json.loads(answer.content)
        rules = visit_flag_rules(settings).as_dict()
        with read_session(engine) as session:
            routing = route_rules(session, settings, seeded.rep_a.id, seeded.rep_a.territory).as_dict()
            claims = claim_standing(session, settings, seeded.rep_a)
        approvals = settings.approval_rules.for_phones()
        decoded = pull(
            engine, seeded.rep_a, parse_pull_request(request), settings.timezone, rules, routing, approvals, claims
        ).as_dict()
        assert {**sent, "server_time": ""} == {**decoded, "server_time": ""}
        assert parse_pull_response(sent).cursor == decoded["cursor"]
    assert [change["data"]["name"] for change in sent["changes"] if change["record_id"] == customer] == [fields["name"]]
    assert any(change["deleted"] and change["data"] is None for change in sent["changes"])
