"""Key persons and complaints: synced like the customer's archive, complaints timed and followed up."""

from __future__ import annotations

import datetime as dt

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from server.db import read_session, write_session
from server.domains.complaints.service import open_complaints, put_complaint
from server.domains.routes.service import get_route_plan
from server.models import Complaint, FieldConflict, KeyPerson
from shared.ids import new_id
from tests.integration.conftest import World, local_time, login, make_op, pull_all, push_body
from tests.integration.test_server_web import by_testid, web_login


def key_person(customer_id: str, **extra: object) -> dict[str, object]:
    return {"customer_id": customer_id, "name": "王院长", "role": "decision_maker", "birthday": "1968-03-02", **extra}


def complaint(customer_id: str, received_at: str, **extra: object) -> dict[str, object]:
    fields = {"customer_id": customer_id, "category": "delivery", "severity": "high", "received_at": received_at}
    return {**fields, "description": "上周的货晚到三天", **extra}


async def test_a_key_person_syncs_to_the_territory_and_an_erasure_reaches_every_device(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    person_id = new_id()
    ops = [make_op(1, "key_person", person_id, key_person(seeded.customers_a[0], phone="13900000000"))]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    changes, cursor = await pull_all(client, headers)
    [pulled] = [c["data"] for c in changes if c["kind"] == "key_person"]
    assert (pulled["name"], pulled["phone"], pulled["territory"]) == ("王院长", "13900000000", "东片")

    other = [make_op(2, "key_person", new_id(), key_person(seeded.customers_b[0]))]
    assert (await client.post("/api/sync/push", json=push_body(other), headers=headers)).status_code == 403

    erase = [make_op(3, "key_person", person_id, action="delete")]
    assert (await client.post("/api/sync/push", json=push_body(erase), headers=headers)).status_code == 200
    changes, _ = await pull_all(client, headers, cursor)
    assert [(c["kind"], c["deleted"]) for c in changes] == [("key_person", True)]
    with read_session(engine) as session:
        stored = session.get(KeyPerson, person_id)
        assert stored is not None and stored.deleted and stored.phone is None and stored.birthday is None


async def test_a_complaint_is_timed_answered_resolved_and_followed_up(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    complaint_id, customer_id = new_id(), seeded.customers_a[1]
    received = local_time(seeded.today, 8)
    ops = [make_op(1, "complaint", complaint_id, complaint(customer_id, received))]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    with read_session(engine) as session:
        [waiting] = open_complaints(session, "东片")
    assert waiting.due_at == dt.datetime.fromisoformat(received) + dt.timedelta(hours=4)  # high severity
    assert waiting.answered_at is None

    with write_session(engine) as session:
        put_complaint(session, seeded.supervisor, complaint_id, {"status": "investigating"}, today=seeded.today)
    with write_session(engine) as session:
        put_complaint(
            session, seeded.supervisor, complaint_id, {"status": "resolved", "solution": "补发"}, today=seeded.today
        )
    with read_session(engine) as session:
        stored = session.get(Complaint, complaint_id)
        assert stored is not None and stored.responded_at and stored.resolved_at
        assert open_complaints(session) == []
        plan = get_route_plan(session, seeded.rep_a.id, seeded.today + dt.timedelta(days=1))
        assert plan is not None and customer_id in plan.customer_ids  # the follow-up visit

    # The rep's phone, offline, still had the complaint as "received" and edits it: the status never goes back.
    ops = [make_op(2, "complaint", complaint_id, {"status": "received", "description": "货晚到三天，已催"})]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    with read_session(engine) as session:
        stored = session.get(Complaint, complaint_id)
        assert stored is not None and stored.status == "resolved" and stored.description == "货晚到三天，已催"
        [kept] = session.exec(select(FieldConflict).where(FieldConflict.record_id == complaint_id)).all()
        assert (kept.field, kept.kept_value, kept.lost_value) == ("status", "resolved", "received")


async def test_the_supervisor_sees_open_complaints_by_urgency_and_the_customers_key_persons(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    late, fresh, person = new_id(), new_id(), new_id()
    long_ago = local_time(seeded.today - dt.timedelta(days=2), 9)
    ops = [
        make_op(1, "complaint", fresh, complaint(seeded.customers_a[0], local_time(seeded.today, 9), severity="low")),
        make_op(2, "complaint", late, complaint(seeded.customers_a[0], long_ago)),
        make_op(3, "key_person", person, key_person(seeded.customers_a[0], hobbies="钓鱼")),
    ]
    assert (await client.post("/api/sync/push", json=push_body(ops), headers=headers)).status_code == 200
    await web_login(client, "boss")
    page = await client.get("/complaints")
    assert page.status_code == 200 and by_testid(page.text, "open-complaint-count") == "2"
    assert page.text.index(f"complaint-row-{late}") < page.text.index(f"complaint-row-{fresh}")
    assert "已超时" in page.text.split(f"complaint-due-{late}")[1].split("</td>")[0]
    assert "已超时" not in page.text.split(f"complaint-due-{fresh}")[1].split("</td>")[0]
    card = await client.get(f"/customers/{seeded.customers_a[0]}")
    assert by_testid(card.text, "key-person-count") == "1" and "钓鱼" in card.text and "决策人" in card.text
    assert by_testid(card.text, "customer-complaint-count") == "2"


async def test_two_complaints_resolved_in_one_push_share_one_follow_up_plan(
    client: AsyncTestClient[Litestar], seeded: World, engine: Engine
) -> None:
    headers = await login(client, "rep.a")
    received = local_time(seeded.today, 8)
    ops = [
        make_op(1, "complaint", new_id(), complaint(seeded.customers_a[0], received, status="resolved")),
        make_op(2, "complaint", new_id(), complaint(seeded.customers_a[3], received, status="resolved")),
    ]
    response = await client.post("/api/sync/push", json=push_body(ops), headers=headers)
    assert response.status_code == 200, response.text
    with read_session(engine) as session:
        plan = get_route_plan(session, seeded.rep_a.id, seeded.today + dt.timedelta(days=1))
        assert plan is not None and plan.customer_ids == [seeded.customers_a[0], seeded.customers_a[3]]
