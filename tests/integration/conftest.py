"""The server in-process: `create_app(test_settings)` over a SQLite file in tmp_path, driven by AsyncTestClient."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from server.actor import Actor
from server.app import create_app
from server.db import make_engine, write_session
from server.domains.customers.service import put_customer
from server.domains.routes.service import set_route_plan
from server.domains.users.service import create_user
from server.models import AppliedOp, ChangeLog, Customer, Note, RoutePlan, User, Visit
from server.settings import Settings
from shared.enums import CustomerKind, Role
from shared.ids import new_id
from sync.protocol import SCHEMA_VERSION

PASSWORD = "secret-pass-1"
TERRITORY_A = "东片"
TERRITORY_B = "西片"
DEVICE_A = "device-a"
DEVICE_B = "device-b"
TZ_OFFSET = "+08:00"


@dataclass
class World:
    """1 supervisor, rep A (territory 东片, 4 customers, a plan today), rep B (西片, 2 customers)."""

    supervisor: Actor
    rep_a: Actor
    rep_b: Actor
    customers_a: list[str]
    customers_b: list[str]
    today: dt.date


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its production cost takes ~50 ms a hash; the tests check behaviour, not cost."""
    from argon2 import PasswordHasher

    import server.domains.users.service as users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


# Set to e.g. postgresql+psycopg://crm@127.0.0.1:55432/postgres to run the same tests on PostgreSQL
# (each test starts from empty tables there); scripts/test-postgres.sh makes a throwaway cluster and sets it.
TEST_DATABASE_URL = os.environ.get("ROUTECRM_TEST_DATABASE_URL", "")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'server.db'}",
        secret_key="test-secret-key-for-signing-tokens-0123456789",
        timezone="Asia/Shanghai",
        data_dir=tmp_path,
        run_jobs=False,  # tests run jobs themselves, when they choose
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Litestar]:
    engine = make_engine(settings.database_url)
    if TEST_DATABASE_URL:
        empty_tables(engine)
    yield create_app(settings, engine=engine)  # its startup migrates the database (SQLite: a new file)
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Every table emptied when the schema is at the newest migration (fast), else dropped for a new migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from server.db import migration_config

    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head or engine.dialect.name != "postgresql":
        drop_schema(engine)
        return
    import server.models  # noqa: F401 - every table known

    names = ", ".join(table.name for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))


def drop_schema(engine: Engine) -> None:
    """Every table of the models and alembic's version table, so the next migration starts from nothing."""
    import server.models  # noqa: F401 - every table known to drop_all

    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def engine(app: Litestar) -> Engine:
    return app.state.engine


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:  # runs startup: tables are created
        yield test_client


def customer_fields(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": CustomerKind.CLINIC.value, **extra}


@pytest.fixture
def seeded(client: AsyncTestClient[Litestar], engine: Engine, settings: Settings) -> World:
    today = dt.datetime.now(settings.tz).date()
    with write_session(engine) as session:
        supervisor = Actor.of(
            create_user(session, username="boss", password=PASSWORD, role=Role.SUPERVISOR, display_name="张经理")
        )
        rep_a = Actor.of(
            create_user(session, username="rep.a", password=PASSWORD, role=Role.REP, territory=TERRITORY_A)
        )
        rep_b = Actor.of(
            create_user(session, username="rep.b", password=PASSWORD, role=Role.REP, territory=TERRITORY_B)
        )
        customers_a = [
            put_customer(
                session,
                supervisor,
                new_id(),
                customer_fields(f"东片诊所{i}", status="active"),
                server_fields={"territory": TERRITORY_A},
            ).id
            for i in range(4)
        ]
        customers_b = [
            put_customer(
                session,
                supervisor,
                new_id(),
                customer_fields(f"西片药店{i}", status="active"),
                server_fields={"territory": TERRITORY_B},
            ).id
            for i in range(2)
        ]
        set_route_plan(session, supervisor, rep_a.id, today, customers_a[:3])
    return World(supervisor, rep_a, rep_b, customers_a, customers_b, today)


@pytest.fixture
def sync_client(app: Litestar, seeded: World) -> Iterator[TestClient[Litestar]]:
    """The server in-process for a phone's sync engine (a sync client: HttpSyncApi and httpx transports), seeded."""
    with TestClient(app=app) as client:
        yield client


async def login(client: AsyncTestClient[Litestar], username: str, password: str = PASSWORD) -> dict[str, str]:
    """Headers carrying the user's token, as a phone sends them."""
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def make_op(
    seq: int,
    kind: str,
    record_id: str,
    fields: dict[str, Any] | None = None,
    *,
    action: str = "put",
    device_id: str = DEVICE_A,
    op_id: str | None = None,
) -> dict[str, Any]:
    return {
        "op_id": op_id or new_id(),
        "device_id": device_id,
        "seq": seq,
        "kind": kind,
        "record_id": record_id,
        "action": action,
        "fields": fields or {},
        "made_at": "2026-11-26T01:00:00+00:00",
    }


def push_body(ops: list[dict[str, Any]], device_id: str = DEVICE_A, **extra: Any) -> dict[str, Any]:
    return {"device_id": device_id, "schema_version": SCHEMA_VERSION, "ops": ops, **extra}


def local_time(day: dt.date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00{TZ_OFFSET}"


def visit_fields(customer_id: str, day: dt.date, hour: int, **extra: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "visit_type": "day", "check_in_at": local_time(day, hour), **extra}


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, to prove a refused push stored nothing."""
    with write_session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (User, Customer, Visit, Note, RoutePlan, ChangeLog, AppliedOp)
        }


async def pull_all(
    client: AsyncTestClient[Litestar], headers: dict[str, str], cursor: int = 0, limit: int = 1000
) -> tuple[list[dict[str, Any]], int]:
    changes: list[dict[str, Any]] = []
    while True:
        response = await client.post(
            "/api/sync/pull", json={"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": limit}, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor
