"""Several server instances on one PostgreSQL database, many devices pushing at once while a phone pulls.

Two apps (two `create_app`, two engines, one database) stand for two server processes behind a balancer:
whatever one instance stores, the other serves, so the server keeps no state of its own. The requests go
through `httpx.ASGITransport` and run concurrently for real: the sync handlers run in worker threads, each
on its own database connection (Litestar's test client would run one request at a time).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.db import make_engine
from server.settings import Settings
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import PASSWORD, TEST_DATABASE_URL, World, customer_fields, make_op, push_body

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="needs PostgreSQL: run scripts/test-postgres.sh, or set ROUTECRM_TEST_DATABASE_URL=postgresql+psycopg://…",
)

PUSHERS = 20
PUSHES_EACH = 8
OPS_EACH = 6
PULL_LIMIT = 7  # small pages, so the puller keeps pulling while the pushes go on


@pytest.fixture
async def instances(app: Litestar, seeded: World, settings: Settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    """The test's app and a second instance (its own app and engine on the same database, started after
    `seeded` filled it), each behind `httpx.ASGITransport`, which, unlike Litestar's test client, lets
    requests run concurrently."""
    engine = make_engine(settings.database_url)
    other = create_app(settings, engine=engine)
    async with AsyncTestClient(app=other):  # runs the second instance's startup (its migration finds head)
        # cast: Litestar's ASGI callable is typed more narrowly than the one httpx expects.
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, instance)), base_url="http://routecrm.test")
            for instance in (app, other)
        ]
        yield clients
        for http_client in clients:
            await http_client.aclose()
    engine.dispose()


async def sign_in(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def pull_page(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: int, limit: int = PULL_LIMIT
) -> dict[str, Any]:
    body = {"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": limit}
    response = await client.post("/api/sync/pull", json=body, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def pull_everything(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: int = 0
) -> tuple[list[dict[str, Any]], int]:
    changes: list[dict[str, Any]] = []
    while True:
        page = await pull_page(client, headers, cursor, limit=1000)
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


async def test_concurrent_pushes_on_two_instances_reach_a_puller_each_once_in_order(
    instances: list[httpx.AsyncClient],
) -> None:
    headers = await sign_in(instances[0], "rep.a")
    _, start_cursor = await pull_everything(instances[0], headers)
    pushed: set[str] = set()
    pushes_done = asyncio.Event()

    async def pusher(number: int) -> None:
        device_id = f"device-{number:02d}"
        seq = 0
        for push_number in range(PUSHES_EACH):
            ops = []
            for _ in range(OPS_EACH):
                seq += 1
                op = make_op(seq, "customer", f"{number:08d}-0000-4000-8000-{seq:012d}", device_id=device_id)
                op["fields"] = customer_fields(f"并发客户{number}-{seq}")
                ops.append(op)
            # Each device alternates between the instances, as a balancer would send it.
            instance = instances[(number + push_number) % 2]
            response = await instance.post("/api/sync/push", json=push_body(ops, device_id=device_id), headers=headers)
            assert response.status_code == 200, response.text
            assert [r["status"] for r in response.json()["results"]] == ["applied"] * OPS_EACH
            pushed.update(op["record_id"] for op in ops)

    async def puller() -> tuple[list[dict[str, Any]], int]:
        received: list[dict[str, Any]] = []
        cursor = start_cursor
        pulls = 0
        while True:
            finished = pushes_done.is_set()  # read before the pull: a pull after the last push must follow
            page = await pull_page(instances[pulls % 2], headers, cursor)
            pulls += 1
            received.extend(page["changes"])
            cursor = page["cursor"]
            if finished and not page["has_more"]:
                return received, pulls
            if not page["has_more"]:
                await asyncio.sleep(0.005)

    async def all_pushers() -> None:
        try:
            await asyncio.gather(*(pusher(number) for number in range(PUSHERS)))
        finally:
            pushes_done.set()

    (received, pulls), _ = await asyncio.wait_for(asyncio.gather(puller(), all_pushers()), timeout=240)

    seqs = [change["seq"] for change in received]
    record_ids = [change["record_id"] for change in received]
    assert len(pushed) == PUSHERS * PUSHES_EACH * OPS_EACH
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "change numbers must arrive in order, each once"
    assert len(set(record_ids)) == len(record_ids), "no record may arrive twice"
    assert set(record_ids) == pushed, (
        f"skipped: {len(pushed - set(record_ids))}, unexpected: {set(record_ids) - pushed}"
    )
    assert pulls > PUSHERS, "the puller must have pulled while the pushes went on"
    # A phone starting from scratch now, on either instance, receives the same records.
    for instance in instances:
        from_scratch, _ = await pull_everything(instance, headers, start_cursor)
        assert sorted(c["record_id"] for c in from_scratch) == sorted(record_ids)


async def test_two_instances_serve_one_device_alternately(instances: list[httpx.AsyncClient]) -> None:
    client, other_client = instances
    headers = await sign_in(client, "rep.a")  # a token from one instance is good at the other
    _, cursor = await pull_everything(other_client, headers)
    created = "00000001-0000-4000-8000-000000000001"
    first = [make_op(1, "customer", created, customer_fields("双实例客户", phone="13800000000"))]

    response = await client.post("/api/sync/push", json=push_body(first), headers=headers)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"
    changes, cursor = await pull_everything(other_client, headers, cursor)
    assert [(c["record_id"], c["data"]["phone"]) for c in changes] == [(created, "13800000000")]

    # The answer was lost on the way; the phone pushes again, this time through the other instance.
    response = await other_client.post("/api/sync/push", json=push_body(first), headers=headers)
    assert response.status_code == 200
    assert [(r["seq"], r["op_id"], r["status"]) for r in response.json()["results"]] == [
        (1, first[0]["op_id"], "duplicate")
    ]
    assert (await pull_everything(client, headers, cursor))[0] == []

    update = [make_op(2, "customer", created, {"phone": "13900000000"})]
    response = await other_client.post("/api/sync/push", json=push_body(update), headers=headers)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"
    changes, _ = await pull_everything(client, headers, cursor)
    assert [(c["record_id"], c["data"]["phone"]) for c in changes] == [(created, "13900000000")]
    # The same seq with a different op is a conflict on either instance.
    reused = [make_op(2, "customer", created, {"phone": "13700000000"})]
    response = await client.post("/api/sync/push", json=push_body(reused), headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
