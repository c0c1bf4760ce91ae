"""Complaint steps through /api/sync: reps and supervisors move a complaint forward concurrently, every step kept,
the status the furthest step reached whatever order the steps arrive in (shared/complaints.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine

from server.db import read_session
from server.domains.complaints.service import histories
from server.domains.routes.service import get_route_plan
from server.models import Complaint, ComplaintStep
from shared.hlc import Hlc
from shared.ids import new_id
from tests.integration.conftest import DEVICE_A, DEVICE_B, World, local_time, login, pull_all
from tests.integration.helpers import op, push
from tests.integration.test_server_web import web_login

Client = AsyncTestClient[Litestar]
# The steps happen at hours of "today" (09:00, 10:00...): the clock stands at an afternoon so they are past.
pytestmark = pytest.mark.usefixtures("company_afternoon")
DEVICE_BOSS = "device-boss"


def complaint_fields(customer_id: str, received_at: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "category": "delivery",
        "severity": "high",
        "description": "上周的货晚到三天",
        "received_at": received_at,
    }


def step_fields(complaint_id: str, customer_id: str, status: str, at: str, note: str | None = None) -> dict[str, Any]:
    fields = {"complaint_id": complaint_id, "customer_id": customer_id, "status": status, "at": at}
    return fields | ({"note": note} if note else {})


def clock(minutes_ago: int, node: str) -> str:
    wall = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).timestamp() * 1000)
    return str(Hlc(wall, 0, node))


async def new_complaint(client: Client, headers: dict[str, str], seeded: World, received_at: str) -> tuple[str, str]:
    complaint_id, customer_id = new_id(), seeded.customers_a[1]
    ops = [op(1, "complaint", complaint_id, complaint_fields(customer_id, received_at), DEVICE_A)]
    response = await push(client, headers, ops, DEVICE_A)
    assert response.status_code == 200, response.text
    return complaint_id, customer_id


def reason(response: Any) -> str:
    return str(response.json()["error"]["details"]["reason"])


def stored(engine: Engine, complaint_id: str) -> Complaint:
    with read_session(engine) as session:
        found = session.get(Complaint, complaint_id)
        assert found is not None
        return found


async def test_a_rep_and_a_supervisor_move_one_complaint_offline_and_both_steps_are_kept(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep = await login(client, "rep.a")
    boss = await login(client, "boss")
    received = local_time(seeded.today, 8)
    complaint_id, customer_id = await new_complaint(client, rep, seeded, received)
    # Offline at the same time: the supervisor starts investigating, the rep records the solution and resolves it.
    boss_step, proposed, resolved = new_id(), new_id(), new_id()
    boss_ops = [
        op(
            1,
            "complaint_step",
            boss_step,
            step_fields(complaint_id, customer_id, "investigating", local_time(seeded.today, 9), "已联系物流"),
            DEVICE_BOSS,
            clock(30, DEVICE_BOSS),
        )
    ]
    rep_ops = [
        op(
            2,
            "complaint_step",
            proposed,
            step_fields(complaint_id, customer_id, "solution_proposed", local_time(seeded.today, 10), "补发两箱"),
            DEVICE_A,
            clock(40, DEVICE_A),
        ),
        op(
            3,
            "complaint_step",
            resolved,
            step_fields(complaint_id, customer_id, "resolved", local_time(seeded.today, 11), "客户已收到补发"),
            DEVICE_A,
            clock(20, DEVICE_A),
        ),
    ]
    assert (await push(client, rep, rep_ops, DEVICE_A)).status_code == 200
    assert (await push(client, boss, boss_ops, DEVICE_BOSS)).status_code == 200

    complaint = stored(engine, complaint_id)
    assert complaint.status == "resolved"
    assert complaint.responded_at == local_time(seeded.today, 9)  # the first step past received
    assert complaint.resolved_at == local_time(seeded.today, 11)
    with read_session(engine) as session:
        history = histories(session, [complaint_id])[complaint_id]
        plan = get_route_plan(session, seeded.rep_a.id, seeded.today + dt.timedelta(days=1))
    # In clock order: the rep's proposal, the supervisor's investigation (not a move forward), the rep's resolve.
    assert [(step.id, applied) for step, applied in history] == [(proposed, True), (boss_step, False), (resolved, True)]
    assert plan is not None and customer_id in plan.customer_ids  # the follow-up visit, tomorrow

    # Both phones receive every step and the complaint as merged.
    changes, _ = await pull_all(client, rep)
    steps = {c["record_id"]: c["data"] for c in changes if c["kind"] == "complaint_step"}
    assert set(steps) == {boss_step, proposed, resolved} and steps[resolved]["note"] == "客户已收到补发"
    [pulled] = [c["data"] for c in changes if c["kind"] == "complaint" and c["record_id"] == complaint_id]
    assert pulled["status"] == "resolved" and pulled["responded_at"] == local_time(seeded.today, 9)

    # The supervisor's page shows the status and every step with its note.
    await web_login(client, "boss")
    page = await client.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    status_cell = page.text.split(f'data-testid="complaint-status-{complaint_id}">')[1].split("</td>")[0]
    assert "已解决" in status_cell
    history_cell = page.text.split(f'data-testid="complaint-history-{complaint_id}"')[1].split("</ol>")[0]
    assert "补发两箱" in history_cell and "已联系物流" in history_cell and "客户已收到补发" in history_cell


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_every_arrival_order_gives_the_same_complaint(
    client: Client, seeded: World, engine: Engine, order: tuple[int, ...]
) -> None:
    rep = await login(client, "rep.a")
    boss = await login(client, "boss")
    complaint_id, customer_id = await new_complaint(client, rep, seeded, local_time(seeded.today, 8))
    made = [
        ("confirmed", local_time(seeded.today, 15), DEVICE_B, rep),
        ("investigating", local_time(seeded.today, 9), DEVICE_BOSS, boss),
        ("resolved", local_time(seeded.today, 12), DEVICE_A, rep),
    ]
    for index in order:
        status, at, device, headers = made[index]
        ops = [op(index + 10, "complaint_step", new_id(), step_fields(complaint_id, customer_id, status, at), device)]
        assert (await push(client, headers, ops, device)).status_code == 200
    complaint = stored(engine, complaint_id)
    assert (complaint.status, complaint.responded_at, complaint.resolved_at, complaint.confirmed_at) == (
        "confirmed",
        local_time(seeded.today, 9),
        local_time(seeded.today, 12),
        local_time(seeded.today, 15),
    )
    with read_session(engine) as session:
        plan = get_route_plan(session, seeded.rep_a.id, seeded.today + dt.timedelta(days=1))
    assert plan is not None and plan.customer_ids.count(customer_id) == 1


async def test_a_backwards_step_is_kept_in_the_history_and_moves_nothing(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep = await login(client, "rep.a")
    complaint_id, customer_id = await new_complaint(client, rep, seeded, local_time(seeded.today, 8))
    resolve, late = new_id(), new_id()
    first = op(
        2,
        "complaint_step",
        resolve,
        step_fields(complaint_id, customer_id, "resolved", local_time(seeded.today, 10)),
        DEVICE_A,
    )
    assert (await push(client, rep, [first], DEVICE_A)).status_code == 200
    # Another phone, still holding the complaint as received, starts investigating afterwards.
    back = step_fields(complaint_id, customer_id, "investigating", local_time(seeded.today, 11), "去现场看看")
    assert (await push(client, rep, [op(1, "complaint_step", late, back, DEVICE_B)], DEVICE_B)).status_code == 200
    complaint = stored(engine, complaint_id)
    assert complaint.status == "resolved" and complaint.responded_at == local_time(seeded.today, 10)
    with read_session(engine) as session:
        history = histories(session, [complaint_id])[complaint_id]
        assert session.get(ComplaintStep, late) is not None
    assert [(step.id, applied) for step, applied in history][-1] == (late, False)


async def test_steps_out_of_reach_or_malformed_are_refused_and_nothing_is_stored(
    client: Client, seeded: World, engine: Engine
) -> None:
    rep = await login(client, "rep.a")
    complaint_id, customer_id = await new_complaint(client, rep, seeded, local_time(seeded.today, 8))
    at = local_time(seeded.today, 9)
    other_rep = await login(client, "rep.b")
    outsider = [op(1, "complaint_step", new_id(), step_fields(complaint_id, customer_id, "resolved", at), DEVICE_B)]
    response = await push(client, other_rep, outsider, DEVICE_B)
    assert response.status_code == 403 and response.json()["error"]["path"] == "ops[0]"

    received = [op(2, "complaint_step", new_id(), step_fields(complaint_id, customer_id, "received", at), DEVICE_A)]
    response = await push(client, rep, received, DEVICE_A)
    assert response.status_code == 422 and response.json()["error"]["path"] == "ops[0].fields.status"

    unknown = [op(2, "complaint_step", new_id(), step_fields(new_id(), customer_id, "resolved", at), DEVICE_A)]
    response = await push(client, rep, unknown, DEVICE_A)
    assert response.status_code == 422 and reason(response) == "unknown_complaint"

    elsewhere = step_fields(complaint_id, seeded.customers_a[2], "resolved", at)
    response = await push(client, rep, [op(2, "complaint_step", new_id(), elsewhere, DEVICE_A)], DEVICE_A)
    assert response.status_code == 422 and reason(response) == "complaint_of_another_customer"

    step_id = new_id()
    first = op(
        2, "complaint_step", step_id, step_fields(complaint_id, customer_id, "investigating", at, "看看"), DEVICE_A
    )
    assert (await push(client, rep, [first], DEVICE_A)).status_code == 200
    changed = step_fields(complaint_id, customer_id, "investigating", at, "改了")
    response = await push(client, rep, [op(3, "complaint_step", step_id, changed, DEVICE_A)], DEVICE_A)
    assert response.status_code == 409 and reason(response) == "step_is_final"
    with read_session(engine) as session:
        kept = session.get(ComplaintStep, step_id)
        assert kept is not None and kept.note == "看看"
    assert stored(engine, complaint_id).status == "investigating"
