"""A claim beyond the limits is told on the phone before the tap, offline (docs/ownership.md "What the phone
knows"): the sign-in and every pull answer carry the rep's `pool_rules` (the limits and the claims the server
holds this month, in the published schema); the phone adds its own claims not yet sent and says that one more
will be refused, or will wait for a supervisor's approval; the server still decides, as it always did."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jsonschema_rs
import pytest
from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from client.features.pool.service import Standing, claim, ownership
from client.services import POOL_RULES, AppService
from client.storage.store import LocalStore
from client.sync_runner import SyncRunner
from server.clock import today
from server.db import read_session
from server.domains.approvals.models import ApprovalRequest
from server.domains.customers.models import Customer
from server.settings import Settings
from shared.approvals import ApprovalRules
from shared.enums import RecordKind
from shared.errors import ErrorCode
from shared.pool import ClaimOutlook
from sync.protocol import PULL_RESPONSE_SCHEMA, SCHEMA_VERSION, parse_pull_response
from tests.integration.conftest import PASSWORD, World
from tests.integration.helpers import app_phone


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, pool_claim_limit=1, pool_owned_limit=50)


def standing(settings: Settings, claimed: int, approval: bool = False) -> dict[str, object]:
    month = today(settings.tz).isoformat()[:7]
    return {"claim_limit": 1, "owned_limit": 50, "over_limit_approval": approval, "month": month, "claimed": claimed}


async def test_sign_in_and_every_pull_carry_the_reps_claim_standing_and_a_supervisor_gets_none(
    client: AsyncTestClient[Litestar], seeded: World, settings: Settings
) -> None:
    signed = await client.post("/api/auth/login", json={"username": "rep.a", "password": PASSWORD})
    assert signed.status_code == 200 and signed.json()["pool_rules"] == standing(settings, 0)
    headers = {"Authorization": f"Bearer {signed.json()['token']}"}
    pulled = await client.post("/api/sync/pull", json={"cursor": 0, "schema_version": SCHEMA_VERSION}, headers=headers)
    validator = jsonschema_rs.validator_for(PULL_RESPONSE_SCHEMA)
    assert pulled.status_code == 200 and [error.message for error in validator.iter_errors(pulled.json())] == []
    assert parse_pull_response(pulled.json()).pool_rules == standing(settings, 0)
    assert not validator.is_valid({**pulled.json(), "pool_rules": {"claimed": -1}})
    boss = await client.post("/api/auth/login", json={"username": "boss", "password": PASSWORD})
    assert boss.status_code == 200 and boss.json()["pool_rules"] == {}


def phone(server: litestar_testing.TestClient[Litestar], tmp_path: Path) -> tuple[AppService, SyncRunner, LocalStore]:
    return app_phone(server, tmp_path / "phone")


def outlook(service: AppService, customer_id: str) -> ClaimOutlook | None:
    return ownership(service, service.store.get(RecordKind.CUSTOMER, customer_id) or {}).outlook


def test_the_phone_says_offline_that_a_second_claim_of_the_month_will_be_refused_and_the_server_agrees(
    app: Litestar, seeded: World, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    first, second = seeded.customers_a[0], seeded.customers_a[1]
    with litestar_testing.TestClient(app=app) as server:
        service, runner, store = phone(server, tmp_path)
        service.sign_in(str(server.base_url), "rep.a", PASSWORD)
        assert runner.sync_once() and store.get_meta(POOL_RULES) == standing(settings, 0)
        assert outlook(service, first) is ClaimOutlook.LET_THROUGH
        claim(service, first)  # offline: this month's one claim
        assert outlook(service, second) is ClaimOutlook.OVER_MONTHLY_LIMIT  # told before the tap, still offline
        claim(service, second)  # tapped anyway: saved, and said while it waits
        assert ownership(service, store.get(RecordKind.CUSTOMER, second) or {}).standing is Standing.CLAIMING
        assert outlook(service, second) is ClaimOutlook.OVER_MONTHLY_LIMIT

        assert runner.sync_once()
        with read_session(engine) as session:
            owners = {c.id: c.owner_rep_id for c in session.exec(select(Customer)) if c.id in (first, second)}
        assert owners == {first: seeded.rep_a.id, second: None}  # the server decided as the phone said
        assert [draft["code"] for draft in store.rejected_ops()] == [ErrorCode.CLAIM_LIMIT]
        assert store.get_meta(POOL_RULES) == standing(settings, 1)  # the pull brought the server's count
        third = seeded.customers_a[2]
        assert outlook(service, third) is ClaimOutlook.OVER_MONTHLY_LIMIT  # from the server's count alone now
        runner.stop()
        store.close()


class TestWithApproval:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return dataclasses.replace(settings, approval_rules=ApprovalRules(claim_over_limit=True))

    def test_beyond_the_limit_the_phone_says_the_claim_will_wait_for_approval_and_it_does(
        self, app: Litestar, seeded: World, settings: Settings, engine: Engine, tmp_path: Path
    ) -> None:
        first, second = seeded.customers_a[0], seeded.customers_a[1]
        with litestar_testing.TestClient(app=app) as server:
            service, runner, store = phone(server, tmp_path)
            service.sign_in(str(server.base_url), "rep.a", PASSWORD)
            assert store.get_meta(POOL_RULES) == standing(settings, 0, approval=True)  # from the sign-in
            assert runner.sync_once()  # the territory
            claim(service, first)
            assert outlook(service, second) is ClaimOutlook.NEEDS_APPROVAL
            claim(service, second)
            assert runner.sync_once() and store.rejected_ops() == []
            with read_session(engine) as session:
                waiting = [r.customer_id for r in session.exec(select(ApprovalRequest)) if r.kind == "claim"]
            assert waiting == [second]
            runner.stop()
            store.close()
