"""Concurrent edits of a customer merge field by field; every loser is kept and reaches reps and supervisors.
Refused ops are kept on the server too. (docs/sync-protocol.md, guarantees 1 and 3.)"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.db import read_session, write_session
from server.domains.customers.service import put_customer
from server.models import Customer, FieldConflict, RejectedOp
from shared.hlc import Hlc
from tests.integration.conftest import World, login, make_op, pull_all, push_body
from tests.integration.test_server_web import by_testid, web_login

HOUR_MS = 3_600_000


def op_with_clock(
    seq: int, customer_id: str, fields: dict[str, Any], clock: Hlc, base: dict[str, str]
) -> dict[str, Any]:
    return {**make_op(seq, "customer", customer_id, fields), "hlc": str(clock), "base": base}


async def pulled_customer(
    client: AsyncTestClient[Litestar], headers: dict[str, str], customer_id: str
) -> dict[str, Any]:
    changes, _ = await pull_all(client, headers)
    [change] = [c for c in changes if c["kind"] == "customer" and c["record_id"] == customer_id]
    return dict(change["data"])


def supervisor_edit(engine: Engine, world: World, customer_id: str, fields: dict[str, Any]) -> None:
    with write_session(engine) as session:
        put_customer(session, world.supervisor, customer_id, fields)


def conflicts_of(engine: Engine, customer_id: str) -> list[FieldConflict]:
    with read_session(engine) as session:
        return list(session.exec(select(FieldConflict).where(FieldConflict.record_id == customer_id)).all())


async def test_an_edit_of_the_value_the_phone_saw_applies_even_from_a_clock_hours_behind(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id = seeded.customers_a[0]
    seen = (await pulled_customer(client, headers, customer_id))["field_clocks"]
    behind = Hlc(Hlc.parse(seen["name"]).wall_ms - 5 * HOUR_MS, 0, "device-a")  # a phone clock 5 hours slow
    ops = [op_with_clock(1, customer_id, {"name": "东片诊所（新址）"}, behind, {"name": seen["name"]})]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    assert (await pulled_customer(client, headers, customer_id))["name"] == "东片诊所（新址）"
    assert conflicts_of(engine, customer_id) == []


async def test_a_concurrent_later_edit_wins_and_the_overwritten_value_is_kept(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id = seeded.customers_a[1]
    seen = (await pulled_customer(client, headers, customer_id))["field_clocks"]
    supervisor_edit(engine, seeded, customer_id, {"phone": "0312-8000000"})  # the phone does not see this
    later = Hlc(Hlc.parse(seen["name"]).wall_ms + HOUR_MS, 0, "device-a")  # made offline, an hour later
    ops = [op_with_clock(1, customer_id, {"phone": "0312-8000001"}, later, {})]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    assert (await pulled_customer(client, headers, customer_id))["phone"] == "0312-8000001"
    [conflict] = conflicts_of(engine, customer_id)
    assert (conflict.field, conflict.kept_value, conflict.lost_value) == ("phone", "0312-8000001", "0312-8000000")


async def test_a_concurrent_earlier_edit_loses_and_the_rep_receives_the_conflict(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id = seeded.customers_a[2]
    seen = (await pulled_customer(client, headers, customer_id))["field_clocks"]
    earlier = Hlc(Hlc.parse(seen["name"]).wall_ms + 1, 0, "device-a")  # offline edit made before the supervisor's
    supervisor_edit(engine, seeded, customer_id, {"address": "望都镇中华街 8 号"})
    ops = [op_with_clock(1, customer_id, {"address": "望都镇东关"}, earlier, {})]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.json()["results"][0]["status"] == "applied"  # accepted: merged, not refused
    assert (await pulled_customer(client, headers, customer_id))["address"] == "望都镇中华街 8 号"
    changes, _ = await pull_all(client, headers)
    [conflict] = [c["data"] for c in changes if c["kind"] == "conflict"]
    assert conflict["record_id"] == customer_id
    assert (conflict["kept_value"], conflict["lost_value"]) == ("望都镇中华街 8 号", "望都镇东关")
    assert conflict["lost_by_user_id"] == seeded.rep_a.id


async def test_a_reps_concurrent_change_of_a_supervisor_field_never_overwrites_it(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id = seeded.customers_a[3]
    supervisor_edit(engine, seeded, customer_id, {"importance": "key"})
    much_later = Hlc(10**15, 0, "device-a")  # even a clock far in the future does not win
    ops = [op_with_clock(1, customer_id, {"importance": "potential"}, much_later, {})]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    with read_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None and customer.importance == "key"
    [conflict] = conflicts_of(engine, customer_id)
    assert (conflict.kept_value, conflict.lost_value) == ("key", "potential")


async def test_a_refused_op_is_kept_on_the_server_once_however_often_it_is_sent(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    ops = [make_op(1, "customer", seeded.customers_b[0], {"phone": "0312-9"})]  # another territory's customer
    for _ in range(2):
        response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
        assert response.status_code == 403
    with read_session(engine) as session:
        [kept] = session.exec(select(RejectedOp)).all()
    assert (kept.seq, kept.code, kept.user_id) == (1, "forbidden", seeded.rep_a.id)
    assert kept.op["fields"] == {"phone": "0312-9"}


async def test_the_review_page_lists_conflicts_and_refused_ops(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer_id = seeded.customers_a[0]
    supervisor_edit(engine, seeded, customer_id, {"importance": "key"})
    ops = [
        op_with_clock(1, customer_id, {"importance": "potential"}, Hlc(10**15, 0, "device-a"), {}),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    refused = make_op(2, "customer", seeded.customers_b[0], {"phone": "0312-9"})
    assert (await client.post("/api/sync/push", json=push_body([refused]), headers=headers)).status_code == 403

    await web_login(client, "boss")
    page = await client.get("/review")
    assert page.status_code == 200
    assert by_testid(page.text, "conflict-count") == "1" and by_testid(page.text, "refused-count") == "1"
    [conflict] = conflicts_of(engine, customer_id)
    assert by_testid(page.text, f"conflict-kept-{conflict.id}") == "key"
    assert by_testid(page.text, f"conflict-lost-{conflict.id}") == "potential"
    assert "outside your territory" in by_testid(page.text, f"refused-reason-{refused['op_id']}")
