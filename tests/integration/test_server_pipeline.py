"""Issue 4, the development pipeline on the server: opportunities and stage events pushed by phones (two
devices offline, every event kept, the stage derived by clock), one open per customer, orders that win
and repeat, the API (list, detail, funnel, loss analysis, probabilities) and its rights, the web pages."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar import testing as litestar_testing
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from client.features.pipeline.service import customer_pipeline, record_stage_event
from client.services import AppService
from client.storage.store import LocalStore
from client.storage.vault import StoreCipher
from server.changes.models import FieldConflict
from server.db import read_session, write_session
from server.domains.pipeline.service import pipeline_funnel
from server.domains.users.service import create_user
from server.models import ChangeLog, Opportunity, StageEvent
from shared.enums import LossReason, PipelineStage, Role, StageAction
from shared.hlc import Hlc
from shared.ids import new_id
from shared.pipeline import PIPELINE_SETTINGS_ID, opportunity_id_for
from sync.engine import SyncEngine
from tests.integration.conftest import (
    DEVICE_A,
    DEVICE_B,
    PASSWORD,
    World,
    local_time,
    login,
    pull_all,
    push_body,
    visit_fields,
)
from tests.integration.helpers import op, push
from tests.integration.test_server_orders import catalogue, order_fields
from tests.integration.test_server_sync_engine import http_api
from tests.integration.test_server_web import csrf_token, web_login

Client = AsyncTestClient[Litestar]
__all__ = ["catalogue"]  # a fixture, used by name


def shown(page: str, testid: str) -> str:
    """The text of every element with this data-testid (cells, paragraphs), tags removed."""
    found = re.findall(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</(?:td|p|dd)>', page, flags=re.DOTALL)
    return " | ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found)


def clock(device: str, seconds_ago: float) -> str:
    return str(Hlc(int((time.time() - seconds_ago) * 1000), 0, device))


def opened(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "opened_at": "2026-11-20T09:00:00+08:00", **extra}


def event(opportunity_id: str, customer_id: str, action: str, **extra: Any) -> dict[str, Any]:
    return {
        "opportunity_id": opportunity_id,
        "customer_id": customer_id,
        "action": action,
        "at": "2026-11-26T10:00:00+08:00",
        **extra,
    }


def state_of(engine: Engine, opportunity_id: str) -> tuple[str, str, str | None]:
    with read_session(engine) as session:
        found = session.get(Opportunity, opportunity_id)
        assert found is not None
        return found.stage, found.outcome, found.loss_reason


async def test_two_devices_offline_both_events_kept_and_the_stage_follows_the_clocks(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer = seeded.customers_a[0]
    opportunity_id = opportunity_id_for(customer, 1)
    # Both phones open the customer's development offline: the same id, so one record (merged by clock).
    first = [
        op(1, "opportunity", opportunity_id, opened(customer, expected_value=20000), DEVICE_A, clock(DEVICE_A, 60)),
        op(
            2,
            "stage_event",
            new_id(),
            event(opportunity_id, customer, "move", stage="information"),
            DEVICE_A,
            clock(DEVICE_A, 50),
        ),
    ]
    second = [
        op(1, "opportunity", opportunity_id, opened(customer, expected_value=30000), DEVICE_B, clock(DEVICE_B, 40)),
        op(
            2,
            "stage_event",
            new_id(),
            event(opportunity_id, customer, "move", stage="assessment"),
            DEVICE_B,
            clock(DEVICE_B, 45),
        ),
        op(
            3,
            "stage_event",
            new_id(),
            event(opportunity_id, customer, "lost", loss_reason="price", note="嫌贵"),
            DEVICE_B,
            clock(DEVICE_B, 30),
        ),
    ]
    # Device B's ops arrive first, device A's later: the order of arrival does not matter, the clocks do.
    assert (await push(client, headers, second, DEVICE_B)).status_code == 200
    response = await push(client, headers, first, DEVICE_A)
    assert response.status_code == 200, response.text
    with read_session(engine) as session:
        events = session.exec(select(StageEvent).where(StageEvent.opportunity_id == opportunity_id)).all()
        assert len(events) == 3  # every event kept
        [stored] = session.exec(select(Opportunity)).all()
        assert stored.expected_value == 30000  # the later clock's value
        lost_values = [c.lost_value for c in session.exec(select(FieldConflict)).all()]
    assert lost_values == [20000]  # and the other value kept as a conflict
    # In clock order: information (A, -50 s), assessment (B, -45 s), lost at assessment (B, -30 s).
    assert state_of(engine, opportunity_id) == ("assessment", "lost", "price")

    detail = await client.get(f"/api/pipeline/opportunities/{opportunity_id}", headers=headers)
    assert detail.status_code == 200, detail.text
    history = detail.json()["history"]
    assert [(item["action"], item["stage"], item["applied"]) for item in history] == [
        ("move", "information", True),
        ("move", "assessment", True),
        ("lost", None, True),
    ]
    # A late move from a phone that had not seen the loss is kept in the history, not applied.
    late = op(
        3,
        "stage_event",
        new_id(),
        event(opportunity_id, customer, "move", stage="relationship"),
        DEVICE_A,
        clock(DEVICE_A, 1),
    )
    assert (await push(client, headers, [late], DEVICE_A)).status_code == 200
    assert state_of(engine, opportunity_id) == ("assessment", "lost", "price")
    history = (await client.get(f"/api/pipeline/opportunities/{opportunity_id}", headers=headers)).json()["history"]
    assert [item["applied"] for item in history] == [True, True, True, False]

    # The phones receive the opportunity and all four events, each event with its clock.
    changes, _ = await pull_all(client, headers)
    pulled = [c["data"] for c in changes if c["kind"] == "stage_event"]
    assert len(pulled) == 4 and all(item["field_clocks"]["action"] == item["clock"] for item in pulled)
    assert [c["data"]["outcome"] for c in changes if c["kind"] == "opportunity"] == ["lost"]


async def test_one_open_opportunity_per_customer_and_bad_events_store_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer = seeded.customers_a[1]
    first_id = opportunity_id_for(customer, 1)
    assert (
        await push(client, headers, [op(1, "opportunity", first_id, opened(customer), DEVICE_A)], DEVICE_A)
    ).status_code == 200

    def refused(response: Any, status: int, reason: str | None = None) -> None:
        assert response.status_code == status, response.text
        if reason:
            assert response.json()["error"]["details"]["reason"] == reason

    other = op(2, "opportunity", new_id(), opened(customer), DEVICE_A)
    refused(await push(client, headers, [other], DEVICE_A), 409, "opportunity_open")
    no_reason = op(2, "stage_event", new_id(), event(first_id, customer, "lost"), DEVICE_A)
    refused(await push(client, headers, [no_reason], DEVICE_A), 422)
    no_stage = op(2, "stage_event", new_id(), event(first_id, customer, "move"), DEVICE_A)
    refused(await push(client, headers, [no_stage], DEVICE_A), 422)
    unknown = op(2, "stage_event", new_id(), event(new_id(), customer, "won"), DEVICE_A)
    refused(await push(client, headers, [unknown], DEVICE_A), 422, "unknown_opportunity")
    wrong_customer = op(2, "stage_event", new_id(), event(first_id, seeded.customers_a[2], "won"), DEVICE_A)
    refused(await push(client, headers, [wrong_customer], DEVICE_A), 422, "opportunity_of_another_customer")
    bad_stage = op(2, "stage_event", new_id(), event(first_id, customer, "move", stage="sold"), DEVICE_A)
    refused(await push(client, headers, [bad_stage], DEVICE_A), 422)
    with read_session(engine) as session:
        assert session.exec(select(StageEvent)).all() == []
        assert len(session.exec(select(Opportunity)).all()) == 1

    event_id = new_id()
    won = event(first_id, customer, "won")
    assert (await push(client, headers, [op(2, "stage_event", event_id, won, DEVICE_A)], DEVICE_A)).status_code == 200
    changed = op(3, "stage_event", event_id, {**won, "note": "改了"}, DEVICE_A)
    refused(await push(client, headers, [changed], DEVICE_A), 409, "event_is_final")
    # Closed: a new development of the customer may be opened (the phone's next round).
    second_id = opportunity_id_for(customer, 2)
    response = await push(client, headers, [op(3, "opportunity", second_id, opened(customer), DEVICE_A)], DEVICE_A)
    assert response.status_code == 200, response.text

    # Another territory's rep may not write here.
    headers_b = await login(client, "rep.b")
    intruder = op(1, "stage_event", new_id(), event(second_id, customer, "won"), "device-c")
    refused(
        await client.post("/api/sync/push", json=push_body([intruder], device_id="device-c"), headers=headers_b), 403
    )


async def test_a_first_order_wins_the_development_and_a_second_is_a_repeat_purchase(
    client: Client, seeded: World, engine: Engine, catalogue: dict[str, str]
) -> None:
    headers = await login(client, "rep.a")
    customer = seeded.customers_a[3]
    opportunity_id = opportunity_id_for(customer, 1)
    day = seeded.today
    ops = [
        op(
            1,
            "opportunity",
            opportunity_id,
            opened(customer, expected_value=5000, opened_at=local_time(day, 8)),
            DEVICE_A,
        ),
        op(2, "stage_event", new_id(), event(opportunity_id, customer, "move", stage="relationship"), DEVICE_A),
    ]
    assert (await push(client, headers, ops, DEVICE_A)).status_code == 200
    visit_id = new_id()
    first_order = order_fields(customer, visit_id, [(catalogue["syringe"], 2, 38.0)], local_time(day, 9))
    ops = [
        op(3, "visit", visit_id, visit_fields(customer, day, 9), DEVICE_A),
        op(4, "order", new_id(), first_order, DEVICE_A),
    ]
    assert (await push(client, headers, ops, DEVICE_A)).status_code == 200
    assert state_of(engine, opportunity_id) == ("closing", "won", None)
    again = order_fields(customer, visit_id, [(catalogue["gauze"], 1, 16.5)], local_time(day, 10))
    assert (await push(client, headers, [op(5, "order", new_id(), again, DEVICE_A)], DEVICE_A)).status_code == 200
    assert state_of(engine, opportunity_id) == ("repeat", "won", None)
    with read_session(engine) as session:
        made = session.exec(select(StageEvent).where(StageEvent.order_id.is_not(None))).all()  # type: ignore[union-attr]
        assert sorted(e.action for e in made) == ["move", "won"] and {e.rep_id for e in made} == {seeded.rep_a.id}
        funnel = {
            row.stage.value: (row.opportunities, row.weighted_value) for row in pipeline_funnel(session, None, None)
        }
    assert funnel["repeat"] == (1, 5000.0)


async def test_the_api_lists_counts_and_keeps_reps_in_their_territory(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep_a = await login(client, "rep.a")
    ids = []
    for index, customer in enumerate(seeded.customers_a[:3]):
        opportunity_id = opportunity_id_for(customer, 1)
        ids.append(opportunity_id)
        ops = [
            op(1 + 3 * index, "opportunity", opportunity_id, opened(customer, expected_value=1000), DEVICE_A),
            op(
                2 + 3 * index,
                "stage_event",
                new_id(),
                event(opportunity_id, customer, "move", stage="assessment"),
                DEVICE_A,
            ),
        ]
        if index == 2:
            ops.append(
                op(
                    3 + 3 * index,
                    "stage_event",
                    new_id(),
                    event(opportunity_id, customer, "lost", loss_reason="competitor"),
                    DEVICE_A,
                )
            )
        assert (await push(client, rep_a, ops, DEVICE_A)).status_code == 200
    listed = await client.get("/api/pipeline/opportunities?stage=assessment&outcome=open", headers=rep_a)
    assert listed.status_code == 200 and {row["id"] for row in listed.json()} == set(ids[:2])
    funnel = (await client.get("/api/pipeline/funnel", headers=rep_a)).json()
    assert funnel[2] == {"stage": "assessment", "count": 2, "weighted_value": 1000.0}  # 2 x 1000 x 50%
    losses = (await client.get("/api/pipeline/losses", headers=rep_a)).json()
    assert losses == [{"reason": "competitor", "count": 1, "by_stage": {"assessment": 1}}]
    assert (await client.get("/api/pipeline/opportunities?stage=sold", headers=rep_a)).status_code == 400
    assert (await client.get("/api/pipeline/opportunities?bogus=1", headers=rep_a)).status_code == 400

    rep_b = await login(client, "rep.b")
    assert (await client.get("/api/pipeline/opportunities", headers=rep_b)).json() == []
    assert (await client.get(f"/api/pipeline/opportunities/{ids[0]}", headers=rep_b)).status_code == 403
    assert (await client.get(f"/api/pipeline/opportunities/{new_id()}", headers=rep_b)).status_code == 404
    assert (await client.get("/api/pipeline/opportunities")).status_code == 401


async def test_admins_set_the_probabilities_and_phones_receive_them(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
    admin, boss = await login(client, "admin"), await login(client, "boss")
    values = {"identify": 5, "information": 20, "assessment": 40, "relationship": 60, "closing": 80, "repeat": 100}
    assert (await client.get("/api/pipeline/probabilities", headers=boss)).json()["assessment"] == 50  # default
    assert (await client.put("/api/pipeline/probabilities", json=values, headers=boss)).status_code == 403
    falling = {**values, "closing": 30}
    refused = await client.put("/api/pipeline/probabilities", json=falling, headers=admin)
    assert refused.status_code == 422 and refused.json()["error"]["path"] == "probabilities.closing"
    assert (
        await client.put("/api/pipeline/probabilities", json={**values, "repeat": 101}, headers=admin)
    ).status_code == 400
    saved = await client.put("/api/pipeline/probabilities", json=values, headers=admin)
    assert saved.status_code == 200 and saved.json() == values
    changes, _ = await pull_all(client, await login(client, "rep.a"))
    [settings] = [c for c in changes if c["kind"] == "pipeline_settings"]
    assert settings["record_id"] == PIPELINE_SETTINGS_ID and settings["data"]["probabilities"] == values
    with read_session(engine) as session:
        assert session.exec(select(ChangeLog).where(ChangeLog.kind == "pipeline_settings")).one().audience == "*"


async def test_the_pipeline_page_filters_and_the_customer_page_shows_the_history(
    client: Client, seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    customer = seeded.customers_a[0]
    opportunity_id = opportunity_id_for(customer, 1)
    ops = [
        op(1, "opportunity", opportunity_id, opened(customer, expected_value=8000), DEVICE_A),
        op(2, "stage_event", new_id(), event(opportunity_id, customer, "move", stage="information"), DEVICE_A),
        op(3, "stage_event", new_id(), event(opportunity_id, customer, "lost", loss_reason="no_need"), DEVICE_A),
    ]
    assert (await push(client, headers, ops, DEVICE_A)).status_code == 200
    await web_login(client, "boss")
    page = await client.get("/pipeline")
    assert page.status_code == 200, page.text
    assert "信息收集/样品资料" in shown(page.text, "pipeline-funnel")
    assert shown(page.text, "pipeline-losses") == "无潜在需求" and shown(page.text, "loss-count-no_need") == "1"
    row = f'data-testid="pipeline-row-{opportunity_id}"'
    assert row in page.text and shown(page.text, f"pipeline-outcome-{opportunity_id}").startswith("战败")
    assert row not in (await client.get("/pipeline?outcome=open")).text
    assert row in (await client.get(f"/pipeline?stage=information&rep={seeded.rep_a.id}")).text
    assert (await client.get("/pipeline?stage=sold")).status_code == 400
    detail = await client.get(f"/pipeline/{opportunity_id}")
    assert detail.status_code == 200, detail.text
    assert shown(detail.text, "pipeline-history") == "转到阶段 信息收集/样品资料 | 战败：无潜在需求"
    assert (await client.get(f"/pipeline/{new_id()}")).status_code == 404
    customer_page = await client.get(f"/customers/{customer}")
    assert shown(customer_page.text, "customer-pipeline").startswith("信息收集/样品资料 · 战败：无潜在需求")


async def test_an_admin_sets_the_probabilities_on_the_pipeline_page(
    client: Client, seeded: World, engine: Engine
) -> None:
    with write_session(engine) as session:
        create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN)
    values = {"identify": "5", "information": "20", "assessment": "40", "relationship": "60", "closing": "80"}
    await web_login(client, "boss")
    form = await client.get("/pipeline")
    assert 'data-testid="probabilities-form"' not in form.text  # supervisors see them, admins set them
    refused = await client.post(
        "/pipeline/probabilities", data={**values, "repeat": "100", "_csrf_token": csrf_token(form.text)}
    )
    assert refused.status_code == 403
    client.cookies.clear()
    await web_login(client, "admin")
    form = await client.get("/pipeline")
    falling = {**values, "closing": "30", "repeat": "100", "_csrf_token": csrf_token(form.text)}
    bad = await client.post("/pipeline/probabilities", data=falling)
    assert bad.status_code == 422 and "closing must not be lower" in shown(bad.text, "pipeline-error")
    good = {**values, "repeat": "100", "_csrf_token": csrf_token(form.text)}
    saved = await client.post("/pipeline/probabilities", data=good, follow_redirects=True)
    assert saved.status_code == 200 and shown(saved.text, "pipeline-saved").startswith("成交概率已保存")
    assert 'name="assessment" type="number" min="0" max="100" step="1" value="40"' in saved.text


def test_two_real_phones_offline_sync_their_stage_events_and_agree(
    sync_client: litestar_testing.TestClient[Litestar], seeded: World, engine: Engine, tmp_path: Path
) -> None:
    """The phone's own code end to end (local store, pipeline service, sync engine, HTTP adapter) on two
    phones of one territory: both start the same customer's development offline and change its stage."""
    customer = seeded.customers_a[2]
    phones = []
    for name in ("a", "b"):
        store = LocalStore(tmp_path / name, StoreCipher(bytes(32)))
        phone = AppService(store, clock=lambda: dt.datetime.now(dt.UTC))
        api = http_api(sync_client, "rep.a")
        phones.append((phone, lambda store=store, api=api: SyncEngine(store, api.push, api.pull).run()))
    (phone_a, sync_a), (phone_b, sync_b) = phones
    sync_a(), sync_b()  # both have the customer; then both go offline
    record_stage_event(phone_a, customer, StageAction.MOVE, PipelineStage.INFORMATION)
    record_stage_event(phone_b, customer, StageAction.MOVE, PipelineStage.ASSESSMENT)
    record_stage_event(phone_b, customer, StageAction.LOST, loss_reason=LossReason.PRICE, note="嫌贵")
    sync_a(), sync_b(), sync_a()
    with read_session(engine) as session:
        [stored] = session.exec(select(Opportunity)).all()
        assert len(session.exec(select(StageEvent)).all()) == 3  # every event of both phones
    assert (stored.id, stored.stage, stored.outcome, stored.loss_reason) == (
        opportunity_id_for(customer, 1),
        "assessment",
        "lost",
        "price",
    )
    for phone, _ in phones:
        state = customer_pipeline(phone, customer).state
        assert (state.stage.value, state.outcome.value, len(state.history)) == ("assessment", "lost", 3)
        assert phone.store.pending_count() == 0 and phone.store.rejected_ops() == []
        phone.store.close()
