"""What the JSON API's handlers are given by dependency injection (server/dependencies.py): a read session that is
closed whether the handler returns or raises, dependencies that never show in the OpenAPI schema, and the answers
typed as Structs that kept the JSON they had as dicts."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.dependencies import api_dependencies, provide_read_session
from server.errors import NotFound
from shared.ids import new_id
from tests.integration.conftest import World, login

Client = AsyncTestClient[Litestar]


def checked_out(engine: Engine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]  # a QueuePool's (file SQLite, PostgreSQL)


async def test_a_read_session_is_closed_after_its_handler_returns(engine: Engine) -> None:
    sessions = provide_read_session(engine)
    session = await anext(sessions)
    assert isinstance(session, Session)
    before = checked_out(engine)
    session.execute(text("SELECT 1"))  # the first query takes a connection
    assert session.in_transaction() and checked_out(engine) == before + 1
    with pytest.raises(StopAsyncIteration):
        await anext(sessions)
    assert not session.in_transaction() and checked_out(engine) == before  # the connection is back in the pool


async def test_a_read_session_is_closed_when_its_handler_raises(engine: Engine) -> None:
    sessions = provide_read_session(engine)
    session = await anext(sessions)
    before = checked_out(engine)
    session.execute(text("SELECT 1"))
    error = NotFound("no such order", path="order_id")
    with pytest.raises(NotFound) as raised:
        await sessions.athrow(error)
    assert raised.value is error  # the handler's error goes on unchanged
    assert not session.in_transaction() and checked_out(engine) == before


async def test_no_dependency_is_a_parameter_in_the_schema(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    names = {
        parameter["name"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
    }
    assert names, "the schema names parameters"
    assert not names & set(api_dependencies()), names


async def test_typed_answers_keep_their_json(client: Client, seeded: World) -> None:
    boss = await login(client, "boss")
    customer_id = seeded.customers_a[0]

    never_rated = await client.get(f"/api/customers/{customer_id}/credit-rating", headers=boss)
    assert never_rated.status_code == 200, never_rated.text
    assert never_rated.json() == {"customer_id": customer_id, "credit_rating": None, "history": []}
    rated = await client.put(f"/api/customers/{customer_id}/credit-rating", json={"rating": "good"}, headers=boss)
    assert rated.status_code == 200, rated.text
    answer: dict[str, Any] = rated.json()
    assert list(answer) == ["customer_id", "credit_rating", "history"]
    assert answer["credit_rating"] == "good" and len(answer["history"]) == 1
    unknown = await client.get(f"/api/customers/{new_id()}/credit-rating", headers=boss)
    assert unknown.status_code == 404 and unknown.json()["error"]["path"] == "customer_id"

    lifecycle = await client.post("/api/customers/lifecycle/recompute", headers=boss)
    assert lifecycle.status_code == 200 and lifecycle.json() == {"changed": 0}
    tiers = await client.post("/api/customers/tiers/recompute", headers=boss)
    assert tiers.status_code == 200, tiers.text
    assert list(tiers.json()) == ["changed", "counts", "window_start"]
    assert set(tiers.json()["counts"]) == {"A", "B", "C"}
