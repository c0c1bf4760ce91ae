"""The company's approval rules reach the phone (docs/approvals.md "What the phone decides offline"): the sign-in
and every pull answer carry `approval_rules` (the published schema says so); the phone keeps them, expects an order
above the customer's credit limit to wait while offline, and takes the server's word once it has synced. An answer
without them (a server from before them) leaves the phone expecting nothing, as before."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from client.features.approvals.expected import APPROVAL_RULES, EXPECTED, stored_rules
from client.features.approvals.service import approval_status
from client.features.campaigns.service import month_progress
from client.services import AppService, OrderLineInput
from client.storage.store import LocalStore
from client.sync_runner import SyncRunner
from server.db import read_session, write_session
from server.domains.customers.models import Customer
from server.domains.customers.service import set_computed
from server.domains.orders.models import Order
from server.settings import Settings
from shared.approvals import ApprovalRules
from sync.protocol import COLUMNS_ENCODING, PULL_RESPONSE_SCHEMA, SCHEMA_VERSION, parse_pull_response
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import app_phone
from tests.integration.test_server_orders import catalogue  # noqa: F401 - the catalogue fixture

RULES = ApprovalRules(new_customers=True, discount_pct=Decimal("12.5"), credit_change=True)
SENT = {"credit_limit": True, "discount_pct": 12.5, "new_customers": True}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, approval_rules=RULES)


async def test_sign_in_and_every_pull_carry_the_rules_a_phone_applies(
    client: AsyncTestClient[Litestar], seeded: World
) -> None:
    signed = await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})
    assert signed.status_code == 200 and signed.json()["approval_rules"] == SENT  # no credit_change: not the phone's
    headers = {"Authorization": f"Bearer {signed.json()['token']}"}
    validator = jsonschema_rs.validator_for(PULL_RESPONSE_SCHEMA)
    columns = {"cursor": 0, "schema_version": SCHEMA_VERSION, "limit": 5, "encoding": COLUMNS_ENCODING}
    for body in (columns, {"cursor": 0, "schema_version": SCHEMA_VERSION}):  # and an older phone's plain pull
        pulled = await client.post("/api/sync/pull", json=body, headers=headers)
        assert pulled.status_code == 200 and pulled.json()["approval_rules"] == SENT
        assert [error.message for error in validator.iter_errors(pulled.json())] == []
        assert parse_pull_response(pulled.json()).approval_rules == SENT
    assert not validator.is_valid({**pulled.json(), "approval_rules": {"discount_pct": 101}})


def phone(server: litestar_testing.TestClient[Litestar], tmp_path: Path) -> tuple[AppService, SyncRunner, LocalStore]:
    return app_phone(server, tmp_path / "phone")


def take_order(service: AppService, customer_id: str, product_id: str) -> dict[str, Any]:
    visit = service.check_in(customer_id)
    return service.take_order(str(visit["id"]), [OrderLineInput(product_id, "3", "38")])  # ¥114


def test_offline_the_phone_expects_the_wait_and_after_the_sync_shows_the_servers_request(
    app: Litestar,
    seeded: World,
    engine: Engine,
    catalogue: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    customer_id = seeded.customers_a[0]
    with write_session(engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        set_computed(session, customer, {"credit_limit": 100.0})
    with litestar_testing.TestClient(app=app) as server:
        service, runner, store = phone(server, tmp_path)
        service.sign_in(str(server.base_url), "rep.a", PASSWORD)
        assert store.get_meta(APPROVAL_RULES) == SENT  # from the sign-in already
        store.set_meta(**{APPROVAL_RULES: None})
        assert runner.sync_once() and store.get_meta(APPROVAL_RULES) == SENT  # and from every pull
        assert stored_rules(store) == ApprovalRules(new_customers=True, discount_pct=Decimal("12.5"))

        order = take_order(service, customer_id, catalogue["syringe"])  # not synced yet: offline
        card = service.customer_card(customer_id)
        assert card is not None and [approval_status(o) for o in card.orders] == [EXPECTED]
        assert month_progress(service).sales_amount.actual == 0.0

        assert runner.sync_once()
        with read_session(engine) as session:
            assert session.get(Order, order["id"]).approval_status == "pending"  # type: ignore[union-attr]
        card = service.customer_card(customer_id)
        assert card is not None
        (shown,) = card.orders
        assert approval_status(shown) == "pending" and shown["approval"]["figures"]["credit_limit"] == 100.0
        runner.stop()
        store.close()


def test_an_answer_without_rules_leaves_the_phone_expecting_nothing(
    app: Litestar,
    seeded: World,
    catalogue: dict[str, str],  # noqa: F811
    engine: Engine,
    tmp_path: Path,
) -> None:
    """A server from before the rules: its answers have no `approval_rules`; the phone's order shows and counts
    as before (the server decides when it gets there)."""
    with write_session(engine) as session:
        customer = session.get(Customer, seeded.customers_a[0])
        assert customer is not None
        set_computed(session, customer, {"credit_limit": 100.0})
    with litestar_testing.TestClient(app=app) as server:
        service, _, store = phone(server, tmp_path)
        answer = server.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {answer['token']}"}
        page = server.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)
        older = {key: value for key, value in page.json().items() if key != "approval_rules"}
        parsed = parse_pull_response(older)
        assert parsed.approval_rules == {}
        store.set_meta(user=answer["user"])
        service.keep_company(parsed.timezone, parsed.visit_rules, parsed.route_rules, parsed.approval_rules)
        assert store.get_meta(APPROVAL_RULES) is None and stored_rules(store) is None
        store.apply_pull_page([change for change in parsed.changes if change.data is not None], parsed.cursor)
        take_order(service, seeded.customers_a[0], catalogue["syringe"])
        card = service.customer_card(seeded.customers_a[0])
        assert card is not None and [approval_status(o) for o in card.orders] == [None]
        assert month_progress(service).sales_amount.actual == 114.0
        store.close()
